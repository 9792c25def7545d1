// The identity bridge and consent in a real Chromium against the local collector: one person from the
// first anonymous page view to the known customer, and nothing stored or sent before consent.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright'
import { collectorEvents, loaderPage, waitFor } from './harness.ts'
import { useSuite } from './suite.ts'

const suite = useSuite()
const config = (extra: object = {}) => ({ writeKey: 'test-write-key', apiHost: suite.stack.collectorUrl, flushIntervalMs: 50, ...extra })

type Stored = { type: string; event?: string; messageId: string; anonymousId: string; userId?: string; traits?: Record<string, unknown>; properties?: Record<string, unknown>; context?: Record<string, any> }
const stored = async () => (await collectorEvents(suite.stack.collectorUrl)).events as unknown as Stored[]
const ofType = async (type: string) => (await stored()).filter((e) => e.type === type)
const onsite = (page: Page, fn: string) => page.evaluate(fn)

const open = suite.open


describe('identity bridge in Chromium', () => {
  it('anonymous browse and add to cart, then the capture form: one anonymousId, later calls carry the userId', async () => {
    const form = `<form data-onsite-capture action="/thanks" method="get">
      <input type="email" name="email" value="  Jane.Doe@Example.COM "><input type="checkbox" name="email_consent" checked>
      <button id="join">Join</button></form>`
    const page = await open('/shop', loaderPage({ config: config({ identifyBy: 'email' }), before: '<script>onsite.page()</script>', after: form }))
    await onsite(page, `onsite.track('Product Added', { product_id: 'shirt-1', price: 49, currency: 'USD', quantity: 1 })`)
    await waitFor(async () => (await stored()).length === 2)
    suite.stack.page('/thanks', loaderPage({ config: config({ identifyBy: 'email' }), before: `<script>onsite.track('Thanks Viewed')</script>` }))
    await page.click('#join')
    await page.waitForURL(/\/thanks/)
    await waitFor(async () => (await stored()).length === 4)
    const all = await stored()
    const [identify] = await ofType('identify')
    expect(new Set(all.map((e) => e.anonymousId)).size).toBe(1)
    expect(identify!.userId).toBe('jane.doe@example.com')
    expect(identify!.traits).toEqual({ email: 'jane.doe@example.com', email_consent: true })
    expect(all.find((e) => e.event === 'Product Added')!.userId).toBeUndefined()
    expect(all.find((e) => e.event === 'Thanks Viewed')!.userId).toBe('jane.doe@example.com')
  })

  it('a logged-in customer is identified once across pages, and a second device joins the same userId', async () => {
    const cfg = config({ customer: { id: 4242, email: 'Ann@Example.com' } })
    const page = await open('/account', loaderPage({ config: cfg, before: '<script>onsite.page()</script>' }))
    await waitFor(async () => (await stored()).length === 2)
    await page.reload()
    await page.waitForFunction(() => (window as any).onsite.version)
    await waitFor(async () => (await stored()).length === 3)
    const other = await suite.stack.browser.newContext()
    try {
      await open('/account', loaderPage({ config: cfg }), other)
      await waitFor(async () => (await ofType('identify')).length === 2)
    } finally {
      await other.close()
    }
    const ids = await ofType('identify')
    expect(ids.map((e) => e.userId)).toEqual(['4242', '4242'])
    expect(ids[0]!.traits).toEqual({ email: 'ann@example.com' })
    expect(ids[0]!.anonymousId).not.toBe(ids[1]!.anonymousId)
    // the reload sent a page view but no second identify
    expect((await ofType('page')).every((e) => e.userId === '4242')).toBe(true)
  })

  it('a _cio_id landing identifies softly and leaves the address bar without it', async () => {
    const url = suite.stack.page('/landing', loaderPage({ config: config(), before: '<script>onsite.page()</script>' }))
    const page = await suite.ctx.newPage()
    await page.goto(url + '?utm_source=email&_cio_id=abc123#reviews')
    await waitFor(async () => (await ofType('identify')).length === 1)
    const [identify] = await ofType('identify')
    // no userId: Pipelines documents no "cio_" userId (cioUserId opts in)
    expect(identify!.userId ?? undefined).toBeUndefined()
    expect(identify!.traits).toEqual({ cio_id: 'abc123' })
    expect(page.url()).toBe(url + '?utm_source=email#reviews')
    // a login afterwards upgrades the soft id without a new anonymous id
    await onsite(page, `onsite.identify('cust-9', { email: 'x@y.com' })`)
    await waitFor(async () => (await ofType('identify')).length === 2)
    const [, login] = await ofType('identify')
    expect([login!.userId, login!.anonymousId]).toEqual(['cust-9', identify!.anonymousId])
  })

  it('identify as A then as B on one browser: B gets a new anonymousId', async () => {
    const page = await open('/shared', loaderPage({ config: config() }))
    await onsite(page, `onsite.identify('person-a', { email: 'a@example.com' }); onsite.track('A Event')`)
    await onsite(page, `onsite.identify('person-b', { email: 'b@example.com' }); onsite.track('B Event')`)
    await waitFor(async () => (await stored()).length === 4)
    const all = await stored()
    const a = all.filter((e) => e.userId === 'person-a')
    const b = all.filter((e) => e.userId === 'person-b')
    expect(a.map((e) => e.event ?? e.type)).toEqual(['identify', 'A Event'])
    expect(b.map((e) => e.event ?? e.type)).toEqual(['identify', 'B Event'])
    expect(new Set(a.map((e) => e.anonymousId)).size).toBe(1)
    expect(new Set(b.map((e) => e.anonymousId)).size).toBe(1)
    expect(a[0]!.anonymousId).not.toBe(b[0]!.anonymousId)
    expect(b[0]!.traits).toEqual({ email: 'b@example.com' })
  })

  it('an invalid email is not used as identity, with one [onsite] warning', async () => {
    const page = await open('/bad-email', loaderPage({ config: config({ identifyBy: 'email' }) }))
    const warnings: string[] = []
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()))
    await onsite(page, `onsite.identify({ email: 'not-an-email', first_name: 'Jo' }); onsite.track('After')`)
    await waitFor(async () => (await stored()).length === 2)
    const [identify] = await ofType('identify')
    expect(identify!.userId).toBeUndefined()
    expect(identify!.traits).toEqual({ first_name: 'Jo' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^\[onsite\] identify: traits\.email "not-an-email" is not an email address/)
  })

  it('removes emails and phone numbers from event properties, with a warning', async () => {
    const page = await open('/pii', loaderPage({ config: config() }))
    await onsite(page, `onsite.track('Newsletter Viewed', { email: 'a@b.com', source: 'footer', note: 'call +1 555 0100', link: '/x?e=a%40b.com&y=1' })`)
    await waitFor(async () => (await stored()).length === 1)
    const [e] = await stored()
    expect(e!.properties).toEqual({ source: 'footer', note: 'call', link: '/x?e=&y=1' })
  })

  it('returning is false in the first session and sessions share one id across pages', async () => {
    const page = await open('/s1', loaderPage({ config: config(), before: '<script>onsite.page()</script>' }))
    await page.reload()
    await waitFor(async () => (await ofType('page')).length === 2)
    const pages = await ofType('page')
    expect(pages.map((p) => p.properties!.returning)).toEqual([false, false])
    expect(pages[0]!.context!.session.id).toBe(pages[1]!.context!.session.id)
  })
})

describe('consent in Chromium', () => {
  const storageOf = (page: Page) =>
    page.evaluate(async () => ({
      cookie: document.cookie,
      localStorage: Object.keys(localStorage),
      databases: (await indexedDB.databases()).map((d) => d.name),
    }))

  it('pending: no cookie, no storage, no request; granted: everything arrives in order', async () => {
    const requests: string[] = []
    suite.ctx.on('request', (r) => r.url().startsWith(suite.stack.collectorUrl) && requests.push(r.url()))
    const page = await open('/consent', loaderPage({ config: config({ consent: 'pending' }), before: '<script>onsite.page()</script>' }))
    await onsite(page, `onsite.track('First'); onsite.identify('cust-1', { email: 'c@d.com' }); onsite.track('Second')`)
    await new Promise((r) => setTimeout(r, 500))
    expect(await storageOf(page)).toEqual({ cookie: '', localStorage: [], databases: [] })
    expect(requests).toEqual([])
    expect(await onsite(page, 'onsite.anonymousId()')).toBe('')
    await onsite(page, `onsite.consent('granted')`)
    await waitFor(async () => (await stored()).length === 4)
    const all = await stored()
    expect(all.map((e) => e.event ?? e.type)).toEqual(['page', 'First', 'identify', 'Second'])
    expect(all.map((e) => e.userId)).toEqual([undefined, undefined, 'cust-1', 'cust-1'])
    expect((await storageOf(page)).cookie).toMatch(/onsite_aid=/)
  })

  it('denied: nothing arrives and what was stored is wiped', async () => {
    const page = await open('/deny', loaderPage({ config: config(), before: '<script>onsite.page()</script>' }))
    await waitFor(async () => (await stored()).length === 1)
    expect((await storageOf(page)).cookie).toMatch(/onsite_aid=/)
    await onsite(page, `onsite.consent('denied'); onsite.track('After Denial')`)
    await page.waitForTimeout(300)
    // (an open page holds its IndexedDB connection, which would hold off the database deletion)
    await page.close()
    // A store with a consent banner renders "pending" and lets the banner answer on every page.
    const next = await open('/deny-next', loaderPage({ config: config({ consent: 'pending' }), before: '<script>onsite.page()</script>' }))
    await onsite(next, `onsite.consent('denied'); onsite.track('Next Page')`)
    await next.waitForTimeout(500)
    expect((await stored()).map((e) => e.event ?? e.type)).toEqual(['page'])
    const left = await storageOf(next)
    expect(left.cookie).toBe('')
    expect(left.localStorage).toEqual([])
    await waitFor(async () => (await storageOf(next)).databases.length === 0)
  })

  it("follows Shopify's Customer Privacy API", async () => {
    const shopify = `<script>window.Shopify={loadFeatures:function(f,cb){setTimeout(function(){
      window.Shopify.customerPrivacy={analyticsProcessingAllowed:function(){return false}};cb()},10)}}</script>`
    const page = await open('/shopify', loaderPage({ config: config(), before: shopify + '<script>onsite.track("Before Banner")</script>' }))
    await page.waitForTimeout(300)
    expect(await stored()).toEqual([])
    expect((await storageOf(page)).localStorage).toEqual([])
    // analytics without marketing is a "no": every call lands in Customer.io, a marketing platform
    await page.evaluate(() => document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: { analyticsAllowed: true, marketingAllowed: false } })))
    await onsite(page, `onsite.track('Analytics Only')`)
    await page.waitForTimeout(300)
    expect(await stored()).toEqual([])
    expect((await storageOf(page)).localStorage).toEqual([])
    await page.evaluate(() => document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: { analyticsAllowed: true, marketingAllowed: true } })))
    await onsite(page, `onsite.track('Both Allowed')`)
    await waitFor(async () => (await stored()).length === 1)
    expect((await stored())[0]!.event).toBe('Both Allowed')
  })
})
