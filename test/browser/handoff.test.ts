// The handoff (src/delivery/handoff.ts), in a real Chromium: the core's calls before the delivery engine
// (dist/onsite-delivery.js) has run. The engine is refused, slowed or failed once with Playwright routes on
// the context, and each test checks what reaches the collector: every call once, with its own time and id.
import { describe, expect, it } from 'vitest'
import type { Page, Route } from 'playwright'
import { collectorEvents, loaderPage, waitFor } from './harness.ts'
import { useSuite } from './suite.ts'

const suite = useSuite()
const config = () => ({ writeKey: 'test-write-key', apiHost: suite.stack.collectorUrl })
const ENGINE = '**/dist/onsite-delivery.js'

type Stored = { type: string; event?: string; messageId: string; anonymousId: string; timestamp: string }
const stored = async () => (await collectorEvents(suite.stack.collectorUrl)).events as unknown as Stored[]
const tracks = async (...names: string[]) => (await stored()).filter((e) => e.type === 'track' && names.includes(e.event!))
const noDuplicates = async () => expect((await collectorEvents(suite.stack.collectorUrl)).duplicates).toEqual({})

/** The calls written ahead for the engine, as the page's localStorage holds them. */
const writtenAhead = (page: Page) =>
  page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('onsite:queue:'))
      .map((k) => JSON.parse(localStorage.getItem(k)!) as { call: { event?: string; messageId: string; anonymousId: string } }),
  )

/**
 * Opens a store page without waiting for `load` (a held engine script holds the load event too): returns
 * once the core has started, with the `[onsite]` console errors it printed from the first line.
 */
const openEarly = async (path: string, html: string) => {
  const page = await suite.ctx.newPage()
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && m.text().startsWith('[onsite]') && errors.push(m.text()))
  await page.goto(suite.stack.page(path, html), { waitUntil: 'domcontentloaded' })
  await page.waitForFunction(() => (window as any).onsite.version)
  return { page, errors }
}

const engineRan = (page: Page) => page.evaluate(() => !!(window as any).__onsiteDelivery)

describe('handoff: calls made before the delivery engine ran', () => {
  it('engine refused and keepalive lost on page 1: page 2 delivers the calls once, in order, with their times and id', async () => {
    await suite.ctx.route(ENGINE, (r) => r.abort())
    const { page } = await openEarly('/first', loaderPage({ config: config() }))
    const times: [number, number][] = await page.evaluate(() =>
      ['First 1', 'First 2', 'First 3'].map((e) => {
        const a = Date.now()
        ;(window as any).onsite.track(e)
        const b = Date.now()
        const until = b + 5
        while (Date.now() < until);
        return [a, b] as [number, number]
      }),
    )
    const aid1: string = await page.evaluate(() => (window as any).onsite.anonymousId())
    await waitFor(async () => (await writtenAhead(page)).length === 3, 5000)
    // page 1's keepalive send is lost on the way. Neither a context route nor CDP Network.setBlockedURLs
    // stopped the request made at pagehide of a navigation, so the page's own fetch fails it (the handoff
    // calls window.fetch as it is at the send), counting the tries in localStorage, which outlives the page
    await page.evaluate(() => {
      const f = window.fetch
      window.fetch = function (u: RequestInfo | URL, i?: RequestInit) {
        if (!String(u).endsWith('/b')) return f.call(this, u, i)
        localStorage.setItem('test:lost', String(Number(localStorage.getItem('test:lost')) + 1))
        return Promise.reject(new TypeError('Failed to fetch'))
      }
    })
    const away = suite.stack.page('/first-away', '<!doctype html><title>away</title>')
    await page.goto(away)
    // the keepalive send was tried (its lease is there), and lost: nothing reached the collector
    expect(Number(await page.evaluate(() => localStorage.getItem('test:lost')))).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, 500))
    const leased = await page.evaluate(() => Object.keys(JSON.parse(localStorage.getItem('onsite:leases') ?? '{}')))
    expect(leased.sort()).toEqual((await writtenAhead(page)).map((e) => e.call.messageId).sort())
    expect(await stored()).toEqual([])
    expect((await writtenAhead(page)).map((e) => e.call.event).sort()).toEqual(['First 1', 'First 2', 'First 3'])
    await page.close()
    const secondOpened = Date.now()
    await suite.ctx.unroute(ENGINE)
    const page2 = await suite.open('/second', loaderPage({ config: config() }))
    expect(await engineRan(page2)).toBe(true)
    // the keepalive's lease (15 s) is waited out: its request might have been on its way
    await waitFor(async () => (await tracks('First 1', 'First 2', 'First 3')).length === 3, 25000)
    const got = await tracks('First 1', 'First 2', 'First 3')
    expect(got.map((e) => e.event)).toEqual(['First 1', 'First 2', 'First 3'])
    got.forEach((e, i) => {
      const at = Date.parse(e.timestamp)
      expect(at).toBeGreaterThanOrEqual(times[i]![0])
      expect(at).toBeLessThanOrEqual(times[i]![1])
      expect(at).toBeLessThan(secondOpened)
    })
    expect(got.every((e) => e.anonymousId === aid1)).toBe(true)
    expect(await page2.evaluate(() => (window as any).onsite.anonymousId())).toBe(aid1)
    // delivered: page 2's engine removed the written-ahead copies
    await waitFor(async () => (await writtenAhead(page2)).length === 0, 3000)
    await new Promise((r) => setTimeout(r, 500))
    expect(await tracks('First 1', 'First 2', 'First 3')).toHaveLength(3)
    await noDuplicates()
  }, 40000)

  it('engine slow (1.5 s): calls made at once arrive once, with the id kept only in IndexedDB', async () => {
    // an earlier visit left the id in all three places; the cookie and localStorage are then wiped, so
    // only the engine's IndexedDB still knows it
    const seed = await suite.open('/seed', loaderPage({ config: config(), before: '<script>onsite.track("Seed")</script>' }))
    await waitFor(async () => (await tracks('Seed')).length === 1)
    const aid: string = await seed.evaluate(() => (window as any).onsite.anonymousId())
    // the IndexedDB copy is written right after the ids settled
    await seed.waitForTimeout(300)
    await seed.evaluate(() => localStorage.clear())
    await seed.close()
    await suite.ctx.clearCookies()
    let released = 0
    await suite.ctx.route(ENGINE, async (r: Route) => {
      await new Promise((ok) => setTimeout(ok, 1500))
      released = Date.now()
      await r.continue()
    })
    const { page } = await openEarly('/slow', loaderPage({ config: config() }))
    expect(await page.evaluate(() => document.cookie)).not.toContain('onsite_aid')
    expect(await engineRan(page)).toBe(false)
    const madeAt = Date.now()
    await page.evaluate(() => ['Slow 1', 'Slow 2', 'Slow 3'].forEach((e) => (window as any).onsite.track(e)))
    expect(await engineRan(page)).toBe(false)
    await waitFor(async () => (await tracks('Slow 1', 'Slow 2', 'Slow 3')).length === 3)
    expect(released).toBeGreaterThan(madeAt)
    await page.waitForLoadState('load')
    const after: string = await page.evaluate(() => (window as any).onsite.anonymousId())
    expect(after).toBe(aid)
    const got = await tracks('Slow 1', 'Slow 2', 'Slow 3')
    expect(got.map((e) => e.event).sort()).toEqual(['Slow 1', 'Slow 2', 'Slow 3'])
    expect(got[0]!.anonymousId).toBe(after)
    expect(got.every((e) => e.anonymousId === aid)).toBe(true)
    await new Promise((r) => setTimeout(r, 500))
    expect(await tracks('Slow 1', 'Slow 2', 'Slow 3')).toHaveLength(3)
    await noDuplicates()
  })

  it('engine fails once then loads: the retry (~1 s) delivers the calls once, with one console error', async () => {
    const asked: number[] = []
    await suite.ctx.route(ENGINE, (r) => (asked.push(Date.now()), asked.length === 1 ? r.abort() : r.continue()))
    const { page, errors } = await openEarly('/retry', loaderPage({ config: config() }))
    await page.evaluate(() => ['Retry 1', 'Retry 2'].forEach((e) => (window as any).onsite.track(e)))
    await waitFor(async () => (await tracks('Retry 1', 'Retry 2')).length === 2, 8000)
    expect(await engineRan(page)).toBe(true)
    expect(asked).toHaveLength(2)
    expect(asked[1]! - asked[0]!).toBeGreaterThanOrEqual(900)
    expect(asked[1]! - asked[0]!).toBeLessThan(3000)
    await new Promise((r) => setTimeout(r, 500))
    expect(await tracks('Retry 1', 'Retry 2')).toHaveLength(2)
    await noDuplicates()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('onsite-delivery.js')
  })

  it("each file the page preloads is loaded from the preload's URL, once, though its ?v= is not the core's (Shopify's asset_url)", async () => {
    const page = await suite.ctx.newPage()
    const asked: string[] = []
    page.on('request', (r) => /onsite(-\w+)?\.js/.test(r.url()) && asked.push(new URL(r.url()).pathname.split('/').pop() + new URL(r.url()).search))
    const offers = [{ id: 'o', kind: 'bar', content: { title: 'Free shipping' } }]
    const html = loaderPage({ config: { ...config(), offers }, before: '<link rel="preload" as="script" href="/dist/onsite-delivery.js?v=222"><link rel="preload" as="script" href="/dist/onsite-offers.js?v=333">' })
    await page.goto(suite.stack.page('/versions', html.replace('src="/dist/onsite.js"', 'src="/dist/onsite.js?v=111"')))
    await page.evaluate(() => (window as any).onsite.track('Versions'))
    await waitFor(async () => (await tracks('Versions')).length === 1)
    await page.waitForSelector('onsite-offer', { state: 'attached' })
    expect(asked.sort()).toEqual(['onsite-delivery.js?v=222', 'onsite-offers.js?v=333', 'onsite.js?v=111'])
    await page.close()
  })

  // pagehide and visibilitychange both fire as a page closes or navigates: each once sent the waiting calls
  it('engine held: the calls are written ahead within the wait for it, and leave once with keepalive when the page goes', async () => {
    await suite.ctx.route(ENGINE, () => {})
    const { page } = await openEarly('/held', loaderPage({ config: config() }))
    await page.evaluate(() => ['Held A', 'Held B'].forEach((e) => (window as any).onsite.track(e)))
    // a hung load stops holding the ids after 3 s: the calls are then on disk, not only in memory
    await waitFor(async () => (await writtenAhead(page)).length === 2, 6000)
    expect(await engineRan(page)).toBe(false)
    expect(await stored()).toEqual([])
    await page.goto(suite.stack.page('/held-away', '<!doctype html><title>away</title>'))
    await waitFor(async () => (await tracks('Held A', 'Held B')).length === 2)
    await new Promise((r) => setTimeout(r, 800))
    expect((await tracks('Held A', 'Held B')).map((e) => e.event).sort()).toEqual(['Held A', 'Held B'])
    await noDuplicates()
  }, 20000)
})
