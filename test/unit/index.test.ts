// createOnsite([], bundled) end to end in happy-dom, with a fake fetch. Every test uses its own writeKey and reads only
// the bodies carrying it: timers of earlier instances may still fire while a later test runs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bundled, createOnsite, type Onsite } from '../../src/index.ts'
import { parseCall } from '../../src/capture/schema.ts'
import { VERSION } from '../../src/version.ts'
import { captureErrors, stubPage, unstubPage } from './fakes.ts'

type Body = { batch: Record<string, any>[]; writeKey: string; sentAt: string }


let requests: { url: string; init: RequestInit; body: Body }[]
let log: ReturnType<typeof captureErrors>
const fetchOk = vi.fn<typeof fetch>()

const calls = (writeKey: string) => requests.filter((r) => r.body.writeKey === writeKey).flatMap((r) => r.body.batch)
const waitForCalls = (writeKey: string, n: number) => vi.waitFor(() => expect(calls(writeKey)).toHaveLength(n), { timeout: 3000, interval: 10 })
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
const replay = (api: Onsite, q: [string, unknown[], number?][]) => (api as unknown as { _replay(q: unknown[]): void })._replay(q)

beforeEach(() => {
  requests = []
  stubPage(fetchOk, (url, init, body) => requests.push({ url, init, body }))
  log = captureErrors()
})

afterEach(() => {
  unstubPage()
})

describe('createOnsite', () => {
  it('a polluted Object.prototype (email, id, userId) names nobody: no userId, no email, no customer identify', async () => {
    const proto = Object.prototype as Record<string, unknown>
    const keys = { email: 'attacker@evil.example', id: 'attacker-123', userId: 'attacker-123' }
    Object.assign(proto, keys)
    try {
      const api = createOnsite([], bundled)
      api.init({ writeKey: 'wk_proto', customer: {} })
      api.page()
      api.identify({ first_name: 'Jane' })
      await waitForCalls('wk_proto', 2)
      await pause(50)
      const [page, identify] = calls('wk_proto')
      // own keys: toHaveProperty would see the polluted prototype
      expect(Object.keys(page!)).not.toContain('userId')
      expect(identify!.type).toBe('identify')
      expect(Object.keys(identify!)).not.toContain('userId')
      expect(identify!.traits).toEqual({ first_name: 'Jane' })
      expect(calls('wk_proto')).toHaveLength(2)
    } finally {
      Object.keys(keys).forEach((k) => delete proto[k])
    }
  })

  it('replays calls made before init with their original time, in order, in the wire format', async () => {
    const T0 = 1_700_000_000_000
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0 + 60_000)
    const api = createOnsite([], bundled)
    expect(api.anonymousId()).toBe('')
    replay(api, [['track', ['Custom', { a: 1 }], T0]])
    api.track('Second', { n: 2 })
    vi.setSystemTime(T0 + 90_000)
    api.init({ writeKey: 'wk_replay' })
    await api.flush()
    await waitForCalls('wk_replay', 2)

    const [first, second] = calls('wk_replay')
    expect([first!.event, second!.event]).toEqual(['Custom', 'Second'])
    expect(first!.timestamp).toBe(new Date(T0).toISOString())
    expect(second!.timestamp).toBe(new Date(T0 + 60_000).toISOString())
    expect(first!.properties).toEqual({ a: 1 })
    for (const call of [first!, second!]) {
      expect(call.type).toBe('track')
      expect(call.messageId).toMatch(/^onsite-.{8,}/)
      expect(call.anonymousId).toBe(api.anonymousId())
      expect(call.context.library).toEqual({ name: 'onsite', version: VERSION })
      expect(call.context.page.url).toBe(location.href)
      expect(parseCall(call)).toMatchObject({ ok: true })
    }
    expect(first!.messageId).not.toBe(second!.messageId)
    expect(api.anonymousId()).not.toBe('')

    const req = requests.find((r) => r.body.writeKey === 'wk_replay')!
    expect(req.url).toBe('https://cdp.customer.io/v1/b')
    expect(req.init).toMatchObject({ method: 'POST', headers: { 'Content-Type': 'text/plain' }, credentials: 'omit' })
    expect(req.body.sentAt).toBe(new Date(T0 + 90_000).toISOString())
    expect(log.messages()).toEqual([])
  })

  it('identify sets the userId of later calls, and keeps the anonymousId', async () => {
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_identify' })
    api.page()
    api.identify('cust-1', { email: 'a@b.test' })
    api.track('After Login', {})
    api.identify({ plan: 'pro' })
    await api.flush()
    await waitForCalls('wk_identify', 4)
    const [page, identify, track, traitsOnly] = calls('wk_identify')
    expect(page).toMatchObject({ type: 'page', properties: { url: location.href, path: location.pathname } })
    expect(page).not.toHaveProperty('userId')
    expect(identify).toMatchObject({ type: 'identify', userId: 'cust-1', traits: { email: 'a@b.test' } })
    expect(track).toMatchObject({ type: 'track', userId: 'cust-1' })
    expect(traitsOnly).toMatchObject({ type: 'identify', userId: 'cust-1', traits: { plan: 'pro' } })
    expect(new Set(calls('wk_identify').map((c) => c.anonymousId))).toEqual(new Set([api.anonymousId()]))
    expect(JSON.parse(localStorage.getItem('onsite:who')!).userId).toBe('cust-1')
    expect(document.cookie).toContain(`onsite_aid=${api.anonymousId()}`)
  })

  it('reset gives later calls a new anonymousId and no userId', async () => {
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_reset' })
    api.identify('cust-1')
    api.reset()
    api.track('Anonymous Again', {})
    await api.flush()
    await waitForCalls('wk_reset', 2)
    const [identify, track] = calls('wk_reset')
    expect(track).not.toHaveProperty('userId')
    expect(track!.anonymousId).not.toBe(identify!.anonymousId)
  })

  it('a string price is refused with one [onsite] error and nothing is sent', async () => {
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_price' })
    api.track('Product Viewed', { product_id: 'p1', price: '49.00', currency: 'USD' })
    await api.flush()
    await pause(50)
    expect(calls('wk_price')).toEqual([])
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] track refused: "Product Viewed": price must be a number/)
  })

  it('init twice: an error, and the first config stays in force', async () => {
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_first' })
    api.init({ writeKey: 'wk_second' })
    expect(log.messages()).toEqual(['[onsite] init was called twice; the first config stays in force'])
    api.track('X', {})
    await api.flush()
    await waitForCalls('wk_first', 1)
    expect(calls('wk_second')).toEqual([])
  })

  it('a fatal config sends nothing and writes no storage', async () => {
    const api = createOnsite([], bundled)
    api.track('Before', {})
    api.init({ writeKey: 'sk_live_x' })
    api.page()
    api.track('After', {})
    api.identify('cust-1', { email: 'a@b.test' })
    await api.flush()
    await pause(50)
    expect(fetchOk).not.toHaveBeenCalled()
    expect(localStorage.length).toBe(0)
    expect(document.cookie).not.toContain('onsite_aid')
    expect(api.anonymousId()).toBe('')
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] config\.writeKey is a secret key/)
  })

  it('reads the config from #onsite-config when init() has none', async () => {
    document.body.innerHTML = '<script type="application/json" id="onsite-config">{"writeKey":"wk_element","flushAt":1}</script>'
    const api = createOnsite([], bundled)
    api.init()
    api.track('From Element', {})
    await api.flush()
    await waitForCalls('wk_element', 1)
  })

  it('reads the JSON of a data-config attribute, escaped the way Liquid escapes attributes', async () => {
    const json = JSON.stringify({ writeKey: 'wk_attr', flushAt: 1 }).replaceAll('"', '&quot;')
    document.body.innerHTML = `<script type="application/json" id="onsite-config" data-config="${json}"></script>`
    const api = createOnsite([], bundled)
    api.init()
    api.track('From Attribute', {})
    await api.flush()
    await waitForCalls('wk_attr', 1)
  })

  it('an #onsite-config that is not JSON is reported, and nothing starts', async () => {
    document.body.innerHTML = '<script type="application/json" id="onsite-config">{writeKey: wk}</script>'
    const api = createOnsite([], bundled)
    api.init()
    api.track('X', {})
    await api.flush()
    expect(log.messages()[0]).toMatch(/^\[onsite\] #onsite-config is not valid JSON/)
    expect(fetchOk).not.toHaveBeenCalled()
  })

  it('an unknown method in the stub queue is reported, the rest still runs', async () => {
    const api = createOnsite([], bundled)
    replay(api, [
      ['init', [{ writeKey: 'wk_unknown' }]],
      ['purchase', [{}]],
      ['track', ['Still Here', {}]],
    ])
    await api.flush()
    await waitForCalls('wk_unknown', 1)
    expect(log.messages()).toEqual([`[onsite] onsite.purchase is not a function of onsite ${VERSION}`])
  })

  it('keeps at most 200 calls made before init', async () => {
    const api = createOnsite([], bundled)
    for (let i = 0; i < 205; i++) api.track('Early', { i })
    api.init({ writeKey: 'wk_early', flushAt: 100 })
    await api.flush()
    await waitForCalls('wk_early', 200)
    expect(calls('wk_early').map((c) => c.properties.i)).toEqual([...Array(200).keys()])
  })

  it('flush() before init resolves', async () => {
    await expect(createOnsite([], bundled).flush()).resolves.toBeUndefined()
  })

  it('becomes window.onsite on init when the page has none', () => {
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_global' })
    expect((window as unknown as { onsite: unknown }).onsite).toBe(api)
  })
})

describe('never throws into the page', () => {
  const everything = (api: Onsite) => {
    api.init({ writeKey: 'wk_hostile' })
    api.page({ x: 1 })
    api.page('not an object' as never)
    api.track('Product Viewed', { product_id: 'p1', price: 1, currency: 'USD' })
    api.track(42 as never)
    api.identify('cust-1', { email: 'a@b.test' })
    api.identify([7] as never)
    api.reset()
    api.anonymousId()
    return api.flush()
  }

  it('when window.fetch throws synchronously and the storage getters throw', async () => {
    vi.useFakeTimers() // the retries it schedules die with the test
    const throwing = vi.fn(() => {
      throw new TypeError('Illegal invocation')
    })
    vi.stubGlobal('fetch', throwing)
    vi.spyOn(window, 'localStorage', 'get').mockImplementation(() => {
      throw new DOMException('The operation is insecure.', 'SecurityError')
    })
    const idb = Object.getOwnPropertyDescriptor(window, 'indexedDB')
    Object.defineProperty(window, 'indexedDB', {
      configurable: true,
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError')
      },
    })
    try {
      expect(() => window.localStorage).toThrow()
      expect(() => window.indexedDB).toThrow()
      let flushed: Promise<void> | undefined
      expect(() => (flushed = everything(createOnsite([], bundled)))).not.toThrow()
      // a failed send settles a task later (transport.ts nextTask): fake time has to move for it
      const settled = expect(flushed).resolves.toBeUndefined()
      await vi.advanceTimersByTimeAsync(10)
      await settled
      expect(throwing).toHaveBeenCalled()
      // the bad arguments were reported, not thrown
      expect(log.messages().filter((m) => /page\(properties\)|track refused|identify\(userId/.test(m))).toHaveLength(3)
      expect(log.messages().every((m) => m.startsWith('[onsite] '))).toBe(true)
    } finally {
      if (idb) Object.defineProperty(window, 'indexedDB', idb)
      else delete (window as { indexedDB?: unknown }).indexedDB
    }
  })

  it('when console.error itself throws', async () => {
    log.spy.mockImplementation(() => {
      throw new Error('patched console')
    })
    let flushed: Promise<void> | undefined
    expect(() => (flushed = everything(createOnsite([], bundled)))).not.toThrow()
    await expect(flushed).resolves.toBeUndefined()
  })
})

describe('purchase hand-off from the Shopify checkout pixel', () => {
  afterEach(() => {
    document.cookie = 'onsite_order=; max-age=0; path=/'
  })
  const config = (writeKey: string) => ({
    writeKey,
    audiences: { flags: { cart: true }, syncedAt: new Date(Date.now() - 3_600_000).toISOString() },
    offers: [{ id: 'cart_recovery', kind: 'popup' as const, audience: { all: ['cart'] }, content: { title: 'Back for your cart?' } }],
  })
  const explained = async (api: Onsite) => {
    await vi.waitFor(() => expect(api.explain()).toBeDefined())
    return api.explain()!.candidates[0]!
  }

  it('an order the pixel saw after the audience sync suppresses the cart offer here', async () => {
    document.cookie = `onsite_order=${Date.now() - 60_000}; path=/`
    const api = createOnsite([], bundled)
    api.init(config('wk_order'))
    const c = await explained(api)
    expect(c.outcome).toBe('blocked')
    expect(c.reasons).toContain('purchase seen after audience sync')
    expect(document.querySelectorAll('body > *')).toHaveLength(0)
  })

  // denied ~5 ms after granted, the offer must not render, nor write its history after the wipe
  it('consent denied right after it was granted: no offer, and nothing of onsite left in localStorage', async () => {
    document.body.innerHTML = ''
    localStorage.clear()
    const api = createOnsite([], bundled)
    api.init({ ...config('wk_flip'), consent: 'pending' })
    api.consent('granted')
    api.consent('denied')
    await pause(300)
    expect(api.explain()).toBeUndefined()
    expect(document.querySelector('onsite-offer')).toBeNull()
    expect(Object.keys(localStorage).filter((k) => k.startsWith('onsite'))).toEqual([])
    expect(calls('wk_flip')).toEqual([])
  })

  it('without the cookie, or with a garbage or far-future one, the offer shows', async () => {
    for (const value of ['', 'abc', String(Date.now() + 10 * 86_400_000)]) {
      document.body.innerHTML = ''
      if (value) document.cookie = `onsite_order=${value}; path=/`
      const api = createOnsite([], bundled)
      api.init(config('wk_no_order_' + value))
      expect((await explained(api)).outcome).toBe('shown')
      await api.consent('denied')
    }
  })
})

describe('attribution: offer decisions ride on later cart and order events', () => {
  const config = (writeKey: string, over: Record<string, unknown> = {}) => ({
    writeKey, ...over,
    offers: [{ id: 'welcome', kind: 'bar' as const, holdoutPercent: 100, content: { title: 'Hi' } }],
  })
  const heldOut = async (api: Onsite) => vi.waitFor(() => expect(api.explain()?.candidates[0]?.outcome).toBe('held_out'))

  it('Product Added, Checkout Started and Order Completed carry onsite_offers; other events do not', async () => {
    localStorage.clear()
    const api = createOnsite([], bundled)
    api.init(config('wk_attrib'))
    await heldOut(api)
    const decisionId = api.explain()!.decisionId
    api.track('Product Viewed', { product_id: 'p1' })
    api.track('Product Added', { product_id: 'p1', price: 10, quantity: 1, currency: 'USD' })
    api.track('Checkout Started', { value: 10, currency: 'USD' })
    api.track('Order Completed', { order_id: 'o1', revenue: 10, currency: 'USD' })
    await waitForCalls('wk_attrib', 5)
    const byEvent = Object.fromEntries(calls('wk_attrib').filter((c) => c.type === 'track').map((c) => [c.event, c.properties]))
    const stamp = [{ offer_id: 'welcome', variant: 'a', group: 'held_out', decision_id: decisionId, decided_at: expect.stringMatching(/Z$/) }]
    expect(byEvent.offer_held_out).not.toHaveProperty('onsite_offers')
    expect(byEvent['Product Viewed']).not.toHaveProperty('onsite_offers')
    for (const e of ['Product Added', 'Checkout Started', 'Order Completed']) expect(byEvent[e].onsite_offers).toEqual(stamp)
    for (const c of calls('wk_attrib')) expect(parseCall(c)).toMatchObject({ ok: true })
    await api.consent('denied')
  })

  it('attributionDays: 0 stamps nothing; a decision older than the window is not stamped', async () => {
    localStorage.clear()
    const off = createOnsite([], bundled)
    off.init(config('wk_attrib_off', { attributionDays: 0 }))
    await heldOut(off)
    off.track('Order Completed', { order_id: 'o2' })
    await waitForCalls('wk_attrib_off', 2)
    expect(calls('wk_attrib_off')[1]!.properties).toEqual({ order_id: 'o2' })
    await off.consent('denied')

    localStorage.setItem('onsite:history', JSON.stringify({ decisions: [{ offer_id: 'old', variant: 'a', group: 'exposed', decision_id: 'd', decided_at: new Date(Date.now() - 8 * 864e5).toISOString() }] }))
    const late = createOnsite([], bundled)
    late.init({ writeKey: 'wk_attrib_late' })
    late.track('Order Completed', { order_id: 'o3' })
    await waitForCalls('wk_attrib_late', 1)
    expect(calls('wk_attrib_late')[0]!.properties).toEqual({ order_id: 'o3' })
    await late.consent('denied')
  })
})
