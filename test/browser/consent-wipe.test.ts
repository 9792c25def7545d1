// After "no", nothing of onsite's is written again: every feature is running (offers with a late audience
// answer, identify, the Shopify cart capture, the Wisepops bridge) when consent is withdrawn, each then
// gets its late turn, and cookies, localStorage and IndexedDB hold nothing of onsite's.
import { describe, expect, it } from 'vitest'
import type { Page, Route } from 'playwright'
import { collectorEvents, loaderPage, waitFor } from './harness.ts'
import { useSuite } from './suite.ts'

const suite = useSuite()

const cartJson = (qty: number) =>
  JSON.stringify({
    token: 'c1', currency: 'USD', item_count: qty, total_price: 2500 * qty,
    items: qty ? [{ id: 11, key: '11:a', product_id: 7, variant_id: 11, quantity: qty, price: 2500, final_price: 2500, title: 'Tee', sku: 'TEE', properties: { Engraving: 'For Jane' } }] : [],
  })

const config = () => ({
  writeKey: 'test-write-key', apiHost: suite.stack.collectorUrl, flushIntervalMs: 50,
  shopify: { root: '/' }, wisepops: true,
  audiencesUrl: '/audiences?aid={anonymousId}', audiencesWaitMs: 100,
  offers: [{ id: 'welcome', kind: 'popup', content: { title: 'Hi', form: 'email', code: 'WELCOME' } }],
})

// Every onsite cookie and localStorage key, and every record of every onsite IndexedDB database (an
// emptied database may outlive the page that emptied it: its own connection holds off the deletion).
const onsiteState = (page: Page) =>
  page.evaluate(async () => {
    const records: string[] = []
    for (const { name } of await indexedDB.databases()) {
      if (!name?.startsWith('onsite')) continue
      const db = await new Promise<IDBDatabase>((res, rej) => Object.assign(indexedDB.open(name), { onsuccess: (e: any) => res(e.target.result), onerror: rej }))
      for (const store of db.objectStoreNames) {
        const keys = await new Promise<IDBValidKey[]>((res) => (db.transaction(store).objectStore(store).getAllKeys().onsuccess = (e: any) => res(e.target.result)))
        records.push(...keys.map((k) => `${name}/${store}/${String(k)}`))
      }
      db.close()
    }
    return {
      cookies: document.cookie.split(/; */).filter((c) => /^onsite/.test(c)),
      localStorage: Object.keys(localStorage).filter((k) => k.startsWith('onsite')),
      records,
    }
  })

describe('consent withdrawn while everything runs', () => {
  it('nothing is written after "no": storage, cookies and IndexedDB end empty', async () => {
    let qty = 1
    let answerAudiences: (() => void) | undefined
    await suite.ctx.route('**/cart.js', (r: Route) => r.fulfill({ contentType: 'application/json', body: cartJson(qty) }))
    await suite.ctx.route('**/cart/add.js', (r: Route) => ((qty += 1), r.fulfill({ contentType: 'application/json', body: '{}' })))
    // the audience answer is held until after the denial: a late answer must not be cached
    await suite.ctx.route('**/audiences?**', (r: Route) => void (answerAudiences = () => void r.fulfill({ contentType: 'application/json', body: '{"flags":{"vip":true}}' })))
    const html = loaderPage({ config: config(), before: '<script>onsite.page()</script>' }).replace('/dist/onsite.js', '/dist/shopify/onsite.js')
    const page = await suite.open('/products/tee', html)
    // everything has written: ids, session, cart snapshot, offer history
    await waitFor(async () => (await onsiteState(page)).localStorage.length >= 3)
    await waitFor(() => answerAudiences)
    await page.evaluate(() => (window as any).onsite.identify('cust-1', { email: 'jane@example.com' }))
    await waitFor(async () => (await collectorEvents(suite.stack.collectorUrl)).events.some((e) => e.type === 'identify'))

    await page.evaluate(() => (window as any).onsite.consent('denied'))
    // then every feature gets its late turn
    answerAudiences!()
    await page.evaluate(async () => {
      const o = (window as any).onsite
      o.track('After Denial', {})
      o.identify('cust-2', { email: 'other@example.com' })
      o.reset()
      await fetch('/cart/add.js', { method: 'POST', body: '{}' })
      window.dispatchEvent(new CustomEvent('wisepops:event', { detail: {} }))
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await page.waitForTimeout(1500)
    expect(await onsiteState(page)).toEqual({ cookies: [], localStorage: [], records: [] })
    const events = (await collectorEvents(suite.stack.collectorUrl)).events
    expect(events.map((e) => (e.event as string | undefined) ?? e.type)).not.toContain('After Denial')
    // and the next page, still waiting for an answer, finds nothing either
    await page.close()
    const next = await suite.open('/next', loaderPage({ config: { writeKey: 'test-write-key', apiHost: suite.stack.collectorUrl, consent: 'pending' } }))
    await next.waitForTimeout(300)
    expect(await onsiteState(next)).toEqual({ cookies: [], localStorage: [], records: [] })
  })
})
