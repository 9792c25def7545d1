// @vitest-environment node
// The checkout pixel as Shopify runs it: src/shopify-pixel.ts is bundled the way build.mjs builds
// dist/shopify-pixel.js (IIFE, minified) and evaluated in node:vm with only what a custom pixel sandbox
// gives it: `analytics.subscribe`, `browser.cookie` / `browser.localStorage` (async), `init`,
// `api.customerPrivacy`, fetch, timers, console and URL. No crypto, TextEncoder or AbortController, to prove
// the fallbacks. Delivery goes to the strict local collector (demo/collector.ts) unless a test scripts fetch.
import { build } from 'esbuild'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import vm from 'node:vm'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { startCollector, type Collector } from '../../../demo/collector.ts'
import { parseCall } from '../../../src/capture/schema.ts'
import { VERSION } from '../../../src/version.ts'

type Cb = (e: unknown) => void
type Reply = { status: number; headers?: { get(name: string): string | null } }
interface Options {
  config?: unknown
  cookies?: Record<string, string>
  storage?: Map<string, string>
  init?: unknown
  /** Scripted answers; default: the collector. A thrown error is a network failure. */
  reply?: (n: number) => Reply
  start?: boolean
}

let code: string
let collector: Collector
let dir: string
const MINUTE = 60000
const TS = () => new Date(Date.now() - MINUTE).toISOString()

beforeAll(async () => {
  const out = await build({
    entryPoints: ['src/shopify-pixel.ts'], bundle: true, minify: true, write: false, format: 'iife',
    target: ['es2020', 'chrome91', 'safari14', 'firefox80'], legalComments: 'none', logLevel: 'silent',
  })
  code = out.outputFiles[0]!.text
  dir = mkdtempSync(join(tmpdir(), 'onsite-pixel-'))
  collector = await startCollector({ port: 0, dataFile: join(dir, 'events.jsonl'), quiet: true })
})
afterAll(async () => {
  await collector.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => collector.reset())
afterEach(() => {
  vi.useRealTimers()
})

const initFor = (over: Record<string, unknown> = {}) => ({
  context: {
    document: { location: { href: 'https://shop.example/checkouts/cn/ct_abc?key=secret', pathname: '/checkouts/cn/ct_abc' }, referrer: '', title: 'Checkout' },
    navigator: { userAgent: 'Mozilla/5.0 Test', language: 'en-US' },
  },
  data: { customer: null, cart: null, shop: { name: 'Shop', paymentSettings: { currencyCode: 'USD' } } },
  customerPrivacy: { analyticsProcessingAllowed: true, marketingAllowed: true, preferencesProcessingAllowed: true, saleOfDataAllowed: true },
  ...over,
})

const money = (amount: number) => ({ amount, currencyCode: 'USD' })
/** A checkout as the Web Pixels API documents it (PixelEventsCheckoutStartedData.checkout). */
const checkout = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  token: 'ct_abc',
  email: ' Jane.Doe@Example.COM ',
  phone: '+15555550123',
  currencyCode: 'USD',
  totalPrice: money(107.5),
  subtotalPrice: money(90),
  totalTax: money(7.5),
  shippingLine: { price: money(10) },
  discountsAmount: money(10),
  discountApplications: [
    { type: 'DISCOUNT_CODE', title: 'SAVE10', allocationMethod: 'ACROSS', targetSelection: 'ALL', targetType: 'LINE_ITEM', value: money(10) },
    { type: 'AUTOMATIC', title: 'Spring sale', allocationMethod: 'ACROSS', targetSelection: 'ALL', targetType: 'LINE_ITEM', value: { percentage: 0 } },
  ],
  lineItems: [
    {
      id: 'gid://shopify/CheckoutLineItem/1', title: 'Classic Tee', quantity: 2, finalLinePrice: money(45),
      variant: { id: '4444', sku: 'TEE-BLK-M', title: 'Black / M', price: money(25), product: { id: '1111', title: 'Classic Tee', vendor: 'Acme', type: 'Shirts', url: '/products/classic-tee' } },
      discountAllocations: [{ amount: money(5) }],
    },
    {
      id: 'gid://shopify/CheckoutLineItem/2', title: 'Cap', quantity: 1, finalLinePrice: money(45),
      variant: { id: 'gid://shopify/ProductVariant/5555', sku: null, title: 'Default Title', price: money(50), product: { id: 'gid://shopify/Product/2222', title: 'Cap', vendor: 'Acme', type: null, url: null } },
      discountAllocations: [{ amount: money(5) }],
    },
  ],
  order: null,
  buyerAcceptsEmailMarketing: true,
  buyerAcceptsSmsMarketing: false,
  billingAddress: { firstName: 'Jane', lastName: 'Doe' },
  shippingAddress: { firstName: 'Gift', lastName: 'Friend' },
  ...over,
})
const completed = (over: Record<string, unknown> = {}) => checkout({ order: { id: '9001', customer: { id: '777' } }, ...over })
const event = (name: string, c: unknown, timestamp = TS()) => ({
  id: 'sh_' + name, name, type: 'standard', seq: 3, clientId: 'client-1', timestamp,
  context: {
    document: { location: { href: 'https://shop.example/checkouts/cn/ct_abc/thank-you?key=secret#x', pathname: '/checkouts/cn/ct_abc/thank-you' }, referrer: 'https://shop.example/cart?ref=jane@example.com', title: 'Thank you' },
    navigator: { userAgent: 'Mozilla/5.0 Test', language: 'en-US' },
  },
  data: { checkout: c },
})

const PRODUCTS = [
  { product_id: '1111', variant_id: '4444', sku: 'TEE-BLK-M', name: 'Classic Tee', variant: 'Black / M', brand: 'Acme', category: 'Shirts', price: 25, quantity: 2 },
  { product_id: '2222', variant_id: '5555', name: 'Cap', brand: 'Acme', price: 50, quantity: 1 },
]
const AMOUNTS = { revenue: 90, total: 107.5, subtotal: 90, tax: 7.5, shipping: 10, discount: 10, coupon: 'SAVE10', currency: 'USD' }

/** One pixel in its own sandbox. */
const sandbox = (o: Options = {}) => {
  const subs: Record<string, Cb[]> = {}
  const consentSubs: Cb[] = []
  const jar = new Map(Object.entries(o.cookies ?? { onsite_aid: 'aid%2D1' }))
  const cookieSets: unknown[][] = []
  const storage = o.storage ?? new Map<string, string>()
  const bodies: any[] = []
  const logs: [string, string][] = []
  let n = 0
  const ctx = vm.createContext({
    analytics: {
      subscribe: (name: string, cb: Cb) => {
        ;(subs[name] ??= []).push(cb)
        return Promise.resolve()
      },
    },
    browser: {
      cookie: {
        get: async (name: string) => jar.get(name) ?? '',
        set: async (...a: unknown[]) => (cookieSets.push(a), ''),
      },
      localStorage: {
        getItem: async (k: string) => storage.get(k) ?? null,
        setItem: async (k: string, v: string) => void storage.set(k, String(v)),
        removeItem: async (k: string) => void storage.delete(k),
      },
    },
    init: o.init ?? initFor(),
    api: {
      customerPrivacy: {
        subscribe: (name: string, cb: Cb) => (name === 'visitorConsentCollected' && consentSubs.push(cb), Promise.resolve()),
      },
    },
    fetch: async (url: string, init: RequestInit) => {
      bodies.push({ url, init, body: JSON.parse(String(init.body)) })
      if (o.reply) return o.reply(n++)
      return fetch(url, init)
    },
    setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
    clearTimeout: (t: ReturnType<typeof setTimeout>) => clearTimeout(t),
    console: Object.fromEntries(['error', 'warn', 'info', 'log'].map((l) => [l, (m: unknown) => logs.push([l, String(m)])])),
    URL,
  })
  vm.runInContext(code, ctx)
  const config = o.config ?? { writeKey: 'wk_browser', apiHost: collector.url }
  if (o.start !== false) vm.runInContext(`globalThis.pixel = onsitePixel(${JSON.stringify(config)})`, ctx)
  return {
    ctx,
    subs,
    storage,
    cookieSets,
    bodies,
    logs,
    /** Calls every callback Shopify would, the way its event bus does (return values ignored). */
    emit: (name: string, e: unknown) => (subs[name] ?? []).forEach((cb) => cb(e)),
    consent: (analyticsProcessingAllowed: boolean, marketingAllowed = analyticsProcessingAllowed) =>
      consentSubs.forEach((cb) => cb({ customerPrivacy: { analyticsProcessingAllowed, marketingAllowed } })),
    messages: (level: string) => logs.filter((l) => l[0] === level).map((l) => l[1]),
    calls: (): any[] => bodies.flatMap((b) => b.body.batch),
  }
}

const until = async (ok: () => boolean, ms = 3000) => {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}
/** Lets promise chains run with fake timers installed. */
const drain = () => vi.advanceTimersByTimeAsync(0)
const ok = (): Reply => ({ status: 200, headers: { get: () => null } })

describe('checkout pixel in a simulated Shopify sandbox', () => {
  it('checkout_started: identify with the checkout email, then Checkout Started with exact properties', async () => {
    const px = sandbox()
    px.emit('checkout_started', event('checkout_started', checkout(), '2026-01-10T10:00:00.000Z'))
    await until(() => collector.events().length === 2)
    const [identify, track] = collector.events() as any[]
    expect(identify).toMatchObject({
      type: 'identify',
      anonymousId: 'aid-1',
      traits: { email: 'jane.doe@example.com', phone: '+15555550123', first_name: 'Jane', last_name: 'Doe', email_consent: true },
      timestamp: '2026-01-10T10:00:00.000Z',
    })
    expect(Object.keys(identify.traits).sort()).toEqual(['email', 'email_consent', 'first_name', 'last_name', 'phone'])
    expect(identify.userId).toBeUndefined()
    expect(identify.messageId).toMatch(/^onsite-px-identify-ct_abc-[0-9a-z]+$/)
    expect(track.type).toBe('track')
    expect(track.event).toBe('Checkout Started')
    expect(track.messageId).toBe('onsite-px-checkout-ct_abc')
    expect(track.anonymousId).toBe('aid-1')
    expect(track.timestamp).toBe('2026-01-10T10:00:00.000Z')
    expect(track.properties).toEqual({ checkout_id: 'ct_abc', ...AMOUNTS, products: PRODUCTS })
    expect(track.context).toEqual({
      library: { name: 'onsite-pixel', version: VERSION },
      page: { url: 'https://shop.example/checkouts/cn/[redacted]/thank-you', path: '/checkouts/cn/[redacted]/thank-you', referrer: 'https://shop.example/cart', title: 'Thank you' },
      userAgent: 'Mozilla/5.0 Test',
      locale: 'en-US',
    })
    // the wire format of the storefront bundle
    expect(px.bodies).toHaveLength(1)
    const { url, init, body } = px.bodies[0]
    expect(url).toBe(collector.url + '/b')
    expect(init).toMatchObject({ method: 'POST', keepalive: true, headers: { 'Content-Type': 'text/plain' } })
    expect(body.writeKey).toBe('wk_browser')
    expect(Date.parse(body.sentAt)).toBeGreaterThan(Date.now() - MINUTE)
    for (const call of body.batch) expect(parseCall(call)).toMatchObject({ ok: true })
    expect(px.logs).toEqual([])
  })

  it('contact info submitted: identifies once when the email arrives, not again for the same email, again for a new one', async () => {
    const px = sandbox({ config: { writeKey: 'wk_browser', apiHost: collector.url, debug: true } })
    px.emit('checkout_started', event('checkout_started', checkout({ email: null, phone: null, billingAddress: null })))
    await until(() => collector.events().length === 1)
    expect(collector.events()[0]).toMatchObject({ type: 'track', event: 'Checkout Started' })
    px.emit('checkout_contact_info_submitted', event('checkout_contact_info_submitted', checkout({ phone: null, billingAddress: null })))
    await until(() => collector.events().length === 2)
    px.emit('checkout_contact_info_submitted', event('checkout_contact_info_submitted', checkout({ phone: null, billingAddress: null })))
    await until(() => px.messages('info').some((m) => /identify-ct_abc-\w+ already sent/.test(m)))
    const identifies = () => collector.events().filter((c) => c.type === 'identify') as any[]
    expect(identifies()).toHaveLength(1)
    expect(identifies()[0].traits).toEqual({ email: 'jane.doe@example.com', email_consent: true })
    expect(px.bodies).toHaveLength(2)
    px.emit('checkout_contact_info_submitted', event('checkout_contact_info_submitted', checkout({ email: 'john@example.com', phone: null, billingAddress: null })))
    await until(() => identifies().length === 2)
    expect(identifies()[1].traits.email).toBe('john@example.com')
    expect(identifies()[1].messageId).not.toBe(identifies()[0].messageId)
    // contact info is not a checkout start
    expect(collector.events().filter((c) => c.type === 'track')).toHaveLength(1)
  })

  it('checkout_completed: Order Completed with order_id, amounts and products; the signed-in customer is the userId; purchase cookie for the storefront', async () => {
    const px = sandbox({ init: initFor({ data: { customer: { id: 'gid://shopify/Customer/777', email: 'jane.doe@example.com', firstName: 'Jane', lastName: 'Doe' } } }) })
    const ts = '2026-01-10T10:05:00.000Z'
    px.emit('checkout_completed', event('checkout_completed', completed(), ts))
    await until(() => collector.events().length === 2)
    const [identify, track] = collector.events() as any[]
    expect(identify).toMatchObject({ type: 'identify', userId: '777', anonymousId: 'aid-1', traits: { email: 'jane.doe@example.com' } })
    expect(track).toMatchObject({ type: 'track', event: 'Order Completed', userId: '777', anonymousId: 'aid-1', messageId: 'onsite-px-order-9001', timestamp: ts })
    expect(track.properties).toEqual({ order_id: '9001', checkout_id: 'ct_abc', ...AMOUNTS, products: PRODUCTS })
    await until(() => px.cookieSets.length === 1)
    expect(px.cookieSets[0]).toEqual([`onsite_order=${Date.parse(ts)}; path=/; max-age=2592000; SameSite=Lax`])
  })

  it("the storefront's offer decisions (its onsite:history, through browser.localStorage) ride on Checkout Started and Order Completed, within attributionDays", async () => {
    const day = 864e5
    const at = (ms: number) => new Date(Date.now() - ms).toISOString()
    const decision = { offer_id: 'welcome', variant: 'b', group: 'exposed', decision_id: 'd1', decided_at: at(day) }
    const history = { offers: { welcome: { views: [1] } }, decisions: [decision, { ...decision, offer_id: 'old', decided_at: at(8 * day) }, { junk: true }] }
    const storage = () => new Map([['onsite:history', JSON.stringify(history)]])
    const px = sandbox({ storage: storage() })
    px.emit('checkout_started', event('checkout_started', completed()))
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await until(() => collector.events().filter((c) => c.type === 'track').length === 2)
    for (const t of collector.events().filter((c) => c.type === 'track') as any[]) expect(t.properties.onsite_offers).toEqual([decision])
    // attributionDays 0: nothing stamped; a history that is not JSON: nothing stamped, nothing thrown
    collector.reset()
    const off = sandbox({ storage: storage(), config: { writeKey: 'wk_browser', apiHost: collector.url, attributionDays: 0 } })
    const junk = sandbox({ storage: new Map([['onsite:history', '{not json']]) })
    off.emit('checkout_completed', event('checkout_completed', completed()))
    junk.emit('checkout_started', event('checkout_started', completed()))
    await until(() => collector.events().filter((c) => c.type === 'track').length === 2)
    for (const t of collector.events().filter((c) => c.type === 'track') as any[]) expect(t.properties).not.toHaveProperty('onsite_offers')
  })

  it('a replayed checkout_completed yields the same messageIds: not sent again by this pixel, deduplicated by the collector from another', async () => {
    const e = event('checkout_completed', completed())
    const a = sandbox({ config: { writeKey: 'wk_browser', apiHost: collector.url, debug: true } })
    a.emit('checkout_completed', e)
    await until(() => collector.events().length === 2)
    a.emit('checkout_completed', JSON.parse(JSON.stringify(e)))
    await until(() => a.messages('info').includes('[onsite] onsite-px-order-9001 already sent'))
    await a.ctx.pixel.flush()
    expect(a.bodies).toHaveLength(1)
    // a reload of the thank-you page in a browser whose storage was wiped: same ids, counted once
    const b = sandbox()
    b.emit('checkout_completed', e)
    await until(() => b.bodies.length === 1)
    await until(() => Object.keys(collector.snapshot().duplicates).length === 2)
    expect(b.calls().map((c) => c.messageId)).toEqual(a.calls().map((c) => c.messageId))
    expect(collector.snapshot().duplicates).toEqual(Object.fromEntries(a.calls().map((c) => [c.messageId, 1])))
    expect(collector.events().filter((c) => c.type === 'track')).toHaveLength(1)
  })

  it('missing onsite_aid cookie: a new anonymous id, said in a debug line, and the order is still sent', async () => {
    const px = sandbox({ cookies: {}, config: { writeKey: 'wk_browser', apiHost: collector.url, debug: true } })
    px.emit('checkout_started', event('checkout_started', checkout()))
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await until(() => collector.events().length === 3)
    // one id for the page; the identify of the completed checkout is the same one again (same id, same traits)
    const ids = new Set(collector.events().map((c) => c.anonymousId))
    expect(ids.size).toBe(1)
    expect([...ids][0]).toMatch(/^[0-9a-z]{8,}$/)
    expect(collector.events().map((c) => c.event ?? c.type)).toEqual(['identify', 'Checkout Started', 'Order Completed'])
    expect(px.messages('info').filter((m) => m.includes('no onsite_aid cookie'))).toHaveLength(1)
    expect(px.messages('info')[0]).toMatch(/^\[onsite\] /)
  })

  it('a 500 is retried with backoff and the same messageIds, then delivered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const px = sandbox({ reply: (n) => (n === 0 ? { status: 500, headers: { get: () => null } } : ok()) })
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await drain()
    expect(px.bodies).toHaveLength(1)
    expect(JSON.parse(px.storage.get('onsite_px')!).q).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(999)
    expect(px.bodies).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(px.bodies).toHaveLength(2)
    expect(px.bodies[1].body.batch.map((c: any) => c.messageId)).toEqual(px.bodies[0].body.batch.map((c: any) => c.messageId))
    await drain()
    expect(JSON.parse(px.storage.get('onsite_px')!)).toMatchObject({ q: [] })
    await vi.advanceTimersByTimeAsync(60000)
    expect(px.bodies).toHaveLength(2)
    expect(px.logs).toEqual([])
  })

  it('a 400 is not retried: the calls are dropped and reported', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const px = sandbox({ reply: () => ({ status: 400, headers: { get: () => null } }) })
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await drain()
    await vi.advanceTimersByTimeAsync(120000)
    expect(px.bodies).toHaveLength(1)
    expect(px.messages('error')).toEqual([`[onsite] dropped 2 call(s): ${collector.url} refused them with HTTP 400`])
    expect(JSON.parse(px.storage.get('onsite_px')!).q).toEqual([])
  })

  it('calls that never got through stay in browser.localStorage and are sent when the pixel starts again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const storage = new Map<string, string>()
    const down = sandbox({
      storage,
      reply: () => {
        throw new TypeError('Failed to fetch')
      },
    })
    down.emit('checkout_completed', event('checkout_completed', completed()))
    await drain()
    await vi.advanceTimersByTimeAsync(120000)
    // five tries, each a keepalive request and, the browser refusing it as far as the pixel can tell, a plain one
    expect(down.bodies.map((b) => b.init.keepalive)).toEqual([true, false, true, false, true, false, true, false, true, false])
    expect(down.messages('warn')).toEqual(['[onsite] sending failed 5x (network error); 2 call(s) kept for the next page'])
    vi.useRealTimers()
    const next = sandbox({ storage })
    await until(() => collector.events().length === 2)
    expect(collector.events().map((c) => c.messageId)).toEqual(down.bodies[0].body.batch.map((c: any) => c.messageId))
    await until(() => JSON.parse(storage.get('onsite_px')!).q.length === 0)
    expect(next.logs).toEqual([])
  })

  it.each([['sk_live_abc'], ['site123:apikey456']])('refuses the secret key %s like the storefront: nothing subscribed or sent', async (writeKey) => {
    const px = sandbox({ config: { writeKey, apiHost: collector.url } })
    expect(px.messages('error')).toEqual(["[onsite] config.writeKey is a secret key (sk_..., site_id:api_key, or an Authorization header value): use your JavaScript source's write key. Nothing will be sent."])
    expect(Object.keys(px.subs)).toEqual([])
    expect(px.ctx.pixel).toBeUndefined()
  })

  it('config: the storefront rules for the keys a pixel has; storefront-only keys are reported, region picks the host', async () => {
    const px = sandbox({ config: { writeKey: ' wk_browser ', region: 'eu', apiHost: 'ftp://cio.example', flushAt: 5 }, reply: ok })
    expect(px.messages('error')).toEqual([
      '[onsite] config.flushAt is unknown and ignored (known: writeKey, region, apiHost, debug, identifyBy, defaultCountry, attributionDays)',
      '[onsite] config.apiHost "ftp://cio.example" is not an https URL or a path such as "/cio/v1": calls go to https://cdp-eu.customer.io/v1 until it is fixed',
    ])
    px.emit('checkout_started', event('checkout_started', checkout()))
    await until(() => px.bodies.length === 1)
    expect(px.bodies[0].url).toBe('https://cdp-eu.customer.io/v1/b')
    expect(px.bodies[0].body.writeKey).toBe('wk_browser')
    // a first-party path resolves against the checkout page, like the storefront's
    const proxied = sandbox({ config: { writeKey: 'wk', apiHost: '/cio/v1' }, reply: ok })
    proxied.emit('checkout_started', event('checkout_started', checkout()))
    await until(() => proxied.bodies.length === 1)
    expect(proxied.bodies[0].url).toBe('https://shop.example/cio/v1/b')
  })

  it('without an email or customer id: no identify, the checkout is still sent anonymously', async () => {
    const px = sandbox({ config: { writeKey: 'wk_browser', apiHost: collector.url, debug: true } })
    px.emit('checkout_started', event('checkout_started', checkout({ email: null, phone: null })))
    await until(() => collector.events().length === 1)
    expect(collector.events()[0]).toMatchObject({ type: 'track', event: 'Checkout Started', anonymousId: 'aid-1' })
    expect(px.messages('info')).toContain('[onsite] checkout_started: no email or customer id yet; identify skipped')
    px.emit('checkout_contact_info_submitted', event('checkout_contact_info_submitted', checkout({ email: 'not-an-email', phone: null })))
    await until(() => px.messages('info').includes('[onsite] checkout_contact_info_submitted: no email or customer id yet; identify skipped'))
    await px.ctx.pixel.flush()
    expect(px.messages('warn')).toEqual(['[onsite] checkout_contact_info_submitted: the checkout email is not an email address; it is left out'])
    expect(collector.events()).toHaveLength(1)
  })

  it('identifyBy "email": the normalized email is the userId', async () => {
    const px = sandbox({ config: { writeKey: 'wk_browser', apiHost: collector.url, identifyBy: 'email' } })
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await until(() => collector.events().length === 2)
    expect(collector.events().map((c) => c.userId)).toEqual(['jane.doe@example.com', 'jane.doe@example.com'])
  })

  it('hostile strings stay strings; junk ids, throwing getters and malformed events never throw', async () => {
    const hostile = '</script><script>alert(1)</script>'
    const c = completed({
      currencyCode: 'usd; drop',
      totalPrice: { amount: 107.5, currencyCode: 'USD' },
      discountApplications: [{ type: 'DISCOUNT_CODE', title: '"}];alert(1)//' }, { type: 'DISCOUNT_CODE', title: { toString: () => 'x' } }],
      lineItems: [
        { title: hostile, quantity: 1.5, variant: { id: { toString: () => { throw new Error('boom') } }, sku: '__proto__', title: 'constructor', price: { amount: '25' }, product: { id: '1111', vendor: '${7*7}' } } },
      ],
    })
    Object.defineProperty(c, 'totalTax', { get: () => { throw new Error('getter') }, enumerable: true })
    const px = sandbox()
    expect(() => {
      px.emit('checkout_completed', event('checkout_completed', c))
      for (const junk of [null, undefined, 'x', 5, { data: 5 }, { data: { checkout: [] } }]) px.emit('checkout_started', junk)
    }).not.toThrow()
    await until(() => collector.events().length === 2)
    const track = collector.events()[1] as any
    expect(track.properties).toEqual({
      order_id: '9001', checkout_id: 'ct_abc', revenue: 97.5, total: 107.5, subtotal: 90, shipping: 10, discount: 10, coupon: '"}];alert(1)//', currency: 'USD',
      products: [{ product_id: '1111', sku: '__proto__', name: hostile, variant: 'constructor', brand: '${7*7}' }],
    })
    expect(vm.runInContext('({}).__proto__ === Object.prototype && Object.prototype.sku === undefined', px.ctx)).toBe(true)
    expect(px.messages('warn')).toHaveLength(6)
    expect(px.messages('warn').every((m) => m === '[onsite] checkout_started: the event has no checkout; skipped')).toBe(true)
  })

  it('no email or phone in track properties or the page context; they go in identify traits only', async () => {
    const px = sandbox()
    const c = completed({ lineItems: [{ title: 'Gift card for jane.doe@example.com', quantity: 1, variant: { id: '1', sku: '+1 555 555 0123', price: money(10), product: { id: '9' } } }] })
    const e = event('checkout_completed', c)
    e.context.document.title = 'Thank you jane.doe@example.com'
    px.emit('checkout_completed', e)
    await until(() => collector.events().length === 2)
    const [identify, track] = collector.events() as any[]
    expect(identify.traits.email).toBe('jane.doe@example.com')
    expect(track.context.page.title).toBe('Thank you')
    const wire = JSON.stringify({ properties: track.properties, context: track.context })
    expect(wire).not.toMatch(/jane|@|555/)
    expect(track.properties.products).toEqual([{ product_id: '9', variant_id: '1', name: 'Gift card for', price: 10, quantity: 1 }])
    expect(px.messages('warn')).toEqual(['[onsite] Order Completed: removed products[0].sku, products[0].name: emails and phone numbers stay out of event properties'])
  })

  it.each([
    ['analytics consent false', { customerPrivacy: { analyticsProcessingAllowed: false, marketingAllowed: false } }],
    // every call lands in Customer.io, a marketing platform: analytics alone is not enough, as on the storefront
    ['analytics without marketing', { customerPrivacy: { analyticsProcessingAllowed: true, marketingAllowed: false } }],
    ['marketing without analytics', { customerPrivacy: { analyticsProcessingAllowed: false, marketingAllowed: true } }],
    ['no customerPrivacy in init (fails closed)', { customerPrivacy: undefined }],
    ['an empty customerPrivacy (fails closed)', { customerPrivacy: {} }],
  ])('with %s calls wait in memory only, and leave once consent is given', async (_label, over) => {
    const px = sandbox({
      init: initFor(over as never),
      config: { writeKey: 'wk_browser', apiHost: collector.url, debug: true },
    })
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await until(() => px.messages('info').includes('[onsite] Order Completed queued'))
    await px.ctx.pixel.flush()
    expect(px.bodies).toHaveLength(0)
    expect(px.storage.size).toBe(0)
    expect(px.cookieSets).toHaveLength(0)
    px.consent(true)
    await until(() => collector.events().length === 2)
    expect(collector.events().map((c) => c.event ?? c.type)).toEqual(['identify', 'Order Completed'])
    // the purchase cookie for the storefront's offers comes with the consent, not never
    await until(() => px.cookieSets.length === 1)
    expect(px.cookieSets[0]![0]).toMatch(/^onsite_order=\d+; path=\/; max-age=2592000; SameSite=Lax$/)
  })

  it('consent withdrawn: queued calls are discarded and the stored queue removed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const px = sandbox({ reply: (n) => (n === 0 ? { status: 503, headers: { get: () => null } } : ok()) })
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await drain()
    expect(px.storage.has('onsite_px')).toBe(true)
    px.consent(false)
    await drain()
    expect(px.storage.has('onsite_px')).toBe(false)
    await vi.advanceTimersByTimeAsync(60000)
    expect(px.bodies).toHaveLength(1)
  })

  it('marketing withdrawn with analytics still allowed: queued calls are discarded too', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const px = sandbox({ reply: (n) => (n === 0 ? { status: 503, headers: { get: () => null } } : ok()) })
    px.emit('checkout_completed', event('checkout_completed', completed()))
    await drain()
    expect(px.storage.has('onsite_px')).toBe(true)
    px.consent(true, false)
    await drain()
    expect(px.storage.has('onsite_px')).toBe(false)
    await vi.advanceTimersByTimeAsync(60000)
    expect(px.bodies).toHaveLength(1)
  })

  it('honours Retry-After', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const px = sandbox({ reply: (n) => (n === 0 ? { status: 429, headers: { get: (h) => (h === 'Retry-After' ? '5' : null) } } : ok()) })
    px.emit('checkout_started', event('checkout_started', checkout()))
    await drain()
    await vi.advanceTimersByTimeAsync(4999)
    expect(px.bodies).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(px.bodies).toHaveLength(2)
  })

  it('says so when the code is pasted without the onsitePixel(...) line, and ignores a second call', async () => {
    const idle = sandbox({ start: false })
    await new Promise((r) => setTimeout(r, 5))
    expect(idle.messages('error')).toEqual(['[onsite] the pixel is pasted but not started: add onsitePixel({ writeKey: "..." }) after the code'])
    const px = sandbox()
    vm.runInContext(`onsitePixel({writeKey: 'other'})`, px.ctx)
    await new Promise((r) => setTimeout(r, 5))
    expect(px.messages('warn')).toEqual(['[onsite] onsitePixel() was already called; this call is ignored'])
    expect(px.messages('error')).toEqual([])
    expect(Object.values(px.subs).every((cbs) => cbs.length === 1)).toBe(true)
  })

  it('stored calls older than 7 days are dropped with a reason', async () => {
    const old = { type: 'track', event: 'Checkout Started', messageId: 'onsite-px-checkout-old', anonymousId: 'a', timestamp: new Date(Date.now() - 8 * 86400000).toISOString(), properties: {} }
    const storage = new Map([['onsite_px', JSON.stringify({ q: [old], s: [] })]])
    const px = sandbox({ storage })
    await px.ctx.pixel.flush()
    expect(px.messages('error')).toEqual(['[onsite] dropped 1 call(s): older than 7 days'])
    expect(px.bodies).toHaveLength(0)
  })
})
