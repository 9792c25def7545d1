// Consent through the public API (createOnsite in happy-dom, fake fetch). As in index.test.ts, every test
// uses its own writeKey and reads only the bodies carrying it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bundled, createOnsite as newOnsite, type Onsite } from '../../src/index.ts'
import { captureErrors, stubPage, unstubPage } from './fakes.ts'

type Body = { batch: Record<string, any>[]; writeKey: string; sentAt: string }


let requests: { url: string; body: Body }[]
let log: ReturnType<typeof captureErrors>
const fetchOk = vi.fn<typeof fetch>()

const calls = (writeKey: string) => requests.filter((r) => r.body.writeKey === writeKey).flatMap((r) => r.body.batch)
const waitForCalls = (writeKey: string, n: number) => vi.waitFor(() => expect(calls(writeKey)).toHaveLength(n), { timeout: 3000, interval: 10 })
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
const onsiteKeys = () => Object.keys(localStorage).filter((k) => k.startsWith('onsite:'))
const allKeys = () => {
  const out: string[] = []
  for (let i = 0; i < localStorage.length; i++) out.push(localStorage.key(i)!)
  return out.sort()
}
// Every instance is denied after its test: one left running would answer the next test's capture forms
// and write to the storage this file shares.
let made: Onsite[] = []
const createOnsite = () => {
  const api = newOnsite([], bundled)
  made.push(api)
  return api
}
const hasAidCookie = () => /(^|;\s*)onsite_aid=/.test(document.cookie)

beforeEach(() => {
  requests = []
  stubPage(fetchOk, (url, _init, body) => requests.push({ url, body }))
  log = captureErrors()
})

afterEach(() => {
  made.forEach((api) => api.consent('denied'))
  made = []
  unstubPage()
  delete (window as unknown as { Shopify?: unknown }).Shopify
})

describe('consent "pending"', () => {
  it('calls make no request and write no localStorage key or cookie', async () => {
    const api = createOnsite()
    api.init({ writeKey: 'wk_pending', consent: 'pending', flushAt: 1, flushIntervalMs: 0 })
    api.page()
    api.track('Product Viewed', { product_id: 'p1', price: 10, currency: 'USD' })
    api.identify('cust-1', { email: 'jane@example.com' })
    api.reset()
    await api.flush()
    await pause(50)
    expect(fetchOk).not.toHaveBeenCalled()
    expect(allKeys()).toEqual([])
    expect(hasAidCookie()).toBe(false)
    expect(api.anonymousId()).toBe('')
    expect(log.messages()).toEqual([])
  })

  it('consent("granted") then sends them in order, with the time each was made', async () => {
    const T0 = 1_700_000_000_000
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const api = createOnsite()
    api.init({ writeKey: 'wk_granted_later', consent: 'pending' })
    api.track('First', { n: 1 })
    vi.setSystemTime(T0 + 1000)
    api.page({ n: 2 })
    vi.setSystemTime(T0 + 2000)
    api.track('Third', { n: 3 })
    vi.setSystemTime(T0 + 60_000)
    expect(fetchOk).not.toHaveBeenCalled()
    api.consent('granted')
    expect(api.anonymousId()).not.toBe('')
    await api.flush()
    await waitForCalls('wk_granted_later', 3)
    const sent = calls('wk_granted_later')
    expect(sent.map((c) => [c.type, c.event ?? null, c.properties.n])).toEqual([
      ['track', 'First', 1],
      ['page', null, 2],
      ['track', 'Third', 3],
    ])
    expect(sent.map((c) => c.timestamp)).toEqual([T0, T0 + 1000, T0 + 2000].map((t) => new Date(t).toISOString()))
    expect(new Set(sent.map((c) => c.anonymousId))).toEqual(new Set([api.anonymousId()]))
    // now it stores what it should
    expect(localStorage.getItem('onsite:aid')).toBe(api.anonymousId())
    expect(hasAidCookie()).toBe(true)
  })

  it('a capture form submitted while pending identifies once consent is granted; while denied, never', async () => {
    document.body.innerHTML = '<form data-onsite-capture><input type="email" name="email" value=" Ana@Example.com "></form>'
    const form = document.querySelector('form')!
    // happy-dom's requestSubmit() would navigate; the submit event is what onsite listens to
    const submit = () => form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    const api = createOnsite()
    api.init({ writeKey: 'wk_capture_pending', consent: 'pending' })
    submit()
    await pause(20)
    // (instances of earlier tests listen too: only this one's writeKey counts)
    expect(calls('wk_capture_pending')).toEqual([])
    expect(api.anonymousId()).toBe('')
    api.consent('granted')
    await api.flush()
    await waitForCalls('wk_capture_pending', 1)
    expect(calls('wk_capture_pending')[0]).toMatchObject({ type: 'identify', traits: { email: 'ana@example.com' } })

    const denied = createOnsite()
    denied.init({ writeKey: 'wk_capture_denied', consent: 'denied' })
    submit()
    denied.consent('granted')
    await denied.flush()
    await pause(50)
    expect(calls('wk_capture_denied')).toEqual([])
  })

  it('calls after consent("granted") go out like any other', async () => {
    const api = createOnsite()
    api.init({ writeKey: 'wk_after_grant', consent: 'pending' })
    api.track('Before', {})
    api.consent('granted')
    api.track('After', {})
    await api.flush()
    await waitForCalls('wk_after_grant', 2)
    expect(calls('wk_after_grant').map((c) => c.event)).toEqual(['Before', 'After'])
  })

  it('a consent() call made before init() wins over the config', async () => {
    const api = createOnsite()
    api.consent('granted')
    api.track('Early', {})
    api.init({ writeKey: 'wk_consent_first', consent: 'pending' })
    await api.flush()
    await waitForCalls('wk_consent_first', 1)
  })

  it('consent("pending") before init holds back a config that says "granted"', async () => {
    const api = createOnsite()
    api.consent('pending')
    api.init({ writeKey: 'wk_pending_first' })
    api.track('Held', {})
    await api.flush()
    await pause(30)
    expect(fetchOk).not.toHaveBeenCalled()
    expect(allKeys()).toEqual([])
  })
})

describe('consent "denied"', () => {
  it('discards the calls queued while pending; only calls after a later grant are sent', async () => {
    const api = createOnsite()
    api.init({ writeKey: 'wk_discard', consent: 'pending' })
    api.track('Queued', {})
    api.consent('denied')
    api.track('While Denied', {})
    await api.flush()
    await pause(30)
    expect(fetchOk).not.toHaveBeenCalled()
    expect(allKeys()).toEqual([])
    expect(hasAidCookie()).toBe(false)
    api.consent('granted')
    api.track('Granted Again', {})
    await api.flush()
    await waitForCalls('wk_discard', 1)
    await pause(30)
    expect(calls('wk_discard').map((c) => c.event)).toEqual(['Granted Again'])
  })

  it("after a grant: stops sending and removes the onsite: keys and the onsite_aid cookie, nobody else's", async () => {
    localStorage.setItem('theme', 'dark')
    document.cookie = 'cart=abc; path=/'
    const api = createOnsite()
    api.init({ writeKey: 'wk_withdraw' })
    api.identify('cust-1', { email: 'jane@example.com' })
    api.track('Sent', {})
    await api.flush()
    await waitForCalls('wk_withdraw', 2)
    expect(onsiteKeys()).toEqual(expect.arrayContaining(['onsite:aid', 'onsite:who', 'onsite:session']))
    expect(hasAidCookie()).toBe(true)

    api.consent('denied')
    expect(api.anonymousId()).toBe('')
    api.track('After Denial', {})
    await api.flush()
    await vi.waitFor(() => expect(onsiteKeys()).toEqual([]), { timeout: 1000, interval: 10 })
    await pause(30)
    expect(onsiteKeys()).toEqual([])
    expect(hasAidCookie()).toBe(false)
    expect(localStorage.getItem('theme')).toBe('dark')
    expect(document.cookie).toContain('cart=abc')
    expect(calls('wk_withdraw').map((c) => c.event ?? c.type)).toEqual(['identify', 'Sent'])
  })

  // Regression: a call queued just before the denial used to rewrite onsite:session after the wipe.
  it('a call made right before consent("denied") leaves no onsite: key behind', async () => {
    const api = createOnsite()
    api.init({ writeKey: 'wk_denied_race' })
    api.page()
    await api.flush()
    await waitForCalls('wk_denied_race', 1)
    api.track('Just Before', {})
    api.consent('denied')
    await pause(50)
    expect(onsiteKeys()).toEqual([])
    expect(hasAidCookie()).toBe(false)
  })

  it('denied right after init (before the ids were restored) leaves nothing stored either', async () => {
    const api = createOnsite()
    api.init({ writeKey: 'wk_denied_early' })
    api.consent('denied')
    await pause(50)
    expect(onsiteKeys()).toEqual([])
    expect(hasAidCookie()).toBe(false)
    expect(fetchOk).not.toHaveBeenCalled()
  })
})

describe('invalid consent values', () => {
  it.each(['yes', 'Granted', true, undefined, 'shopify'])('consent(%j) logs one [onsite] error and changes nothing', async (value) => {
    const api = createOnsite()
    api.init({ writeKey: 'wk_invalid', consent: 'pending' })
    api.track('Held', {})
    api.consent(value as never)
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] consent\(state\): state must be "granted", "pending" or "denied", got /)
    await api.flush()
    await pause(20)
    expect(fetchOk).not.toHaveBeenCalled()
    expect(allKeys()).toEqual([])
    // still pending: a valid grant sends the held call
    api.consent('granted')
    await api.flush()
    await waitForCalls('wk_invalid', 1)
  })

  it('an invalid consent() before init does not count as an answer', async () => {
    const api = createOnsite()
    api.consent('nope' as never)
    api.init({ writeKey: 'wk_invalid_early' })
    api.track('X', {})
    await api.flush()
    await waitForCalls('wk_invalid_early', 1)
    expect(log.messages()).toHaveLength(1)
  })
})

describe('on Shopify', () => {
  it('follows the Customer Privacy API: pending until the visitor allows analytics and marketing', async () => {
    let allowed = false
    ;(window as unknown as { Shopify: unknown }).Shopify = { customerPrivacy: { analyticsProcessingAllowed: () => true, marketingAllowed: () => allowed } }
    const api = createOnsite()
    api.init({ writeKey: 'wk_shopify' })
    api.track('Before Banner', {})
    await api.flush()
    await pause(30)
    expect(fetchOk).not.toHaveBeenCalled()
    expect(allKeys()).toEqual([])
    allowed = true
    document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: { analyticsAllowed: true, marketingAllowed: true } }))
    await api.flush()
    await waitForCalls('wk_shopify', 1)
    expect(calls('wk_shopify')[0]!.event).toBe('Before Banner')
  })

  it('starts at once when analytics and marketing are already allowed', async () => {
    ;(window as unknown as { Shopify: unknown }).Shopify = { customerPrivacy: { analyticsProcessingAllowed: () => true, marketingAllowed: () => true } }
    const api = createOnsite()
    api.init({ writeKey: 'wk_shopify_allowed' })
    api.track('X', {})
    await api.flush()
    await waitForCalls('wk_shopify_allowed', 1)
  })
})
