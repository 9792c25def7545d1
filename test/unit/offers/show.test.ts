import { afterEach, describe, expect, it, vi } from 'vitest'
import { pageType, startOffers } from '../../../src/offers/show.ts'
import { createHistory } from '../../../src/offers/history.ts'
import { captureErrors, MemStorage } from '../fakes.ts'

describe('pageType', () => {
  it.each([
    ['/', undefined, 'home'],
    ['/products/tee', undefined, 'product'],
    ['/collections/all', undefined, 'collection'],
    ['/cart', undefined, 'cart'],
    ['/search', undefined, 'search'],
    ['/pages/about', undefined, 'page'],
    ['/account/login', undefined, 'account'],
    ['/blogs/news/x', undefined, 'blog'],
    ['/productsx', undefined, 'other'],
    ['/anything', 'product', 'product'],
    ['/anything', '', 'other'],
  ])('%s with pageType %s is %s', (path, given, want) => {
    expect(pageType(path, given)).toBe(want)
  })
})

describe('startOffers', () => {
  afterEach(() => (vi.restoreAllMocks(), vi.unstubAllGlobals()))
  const deps = (input: Record<string, unknown>) => ({
    w: window, input, history: createHistory(undefined), ls: undefined, now: Date.now, overlay: false,
    ids: () => ({ anonymousId: 'a' }), session: () => ({ id: 's', returning: false }), track: vi.fn(), identify: vi.fn(),
  })

  it('explain(): a winner waiting for its trigger reads as shown once the trigger fired and it rendered', async () => {
    document.body.innerHTML = ''
    const s = startOffers(deps({ offers: [{ id: 'bar', kind: 'bar', trigger: { delayMs: 30 }, content: { title: 'Hi' } }] }))!
    await vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('waiting'))
    expect(s.explain()!.shown).toBeNull()
    await vi.waitFor(() => expect(s.explain()!.shown).toBe('bar'))
    expect(s.explain()!.candidates[0]).toEqual({ offerId: 'bar', outcome: 'shown', reasons: ['waiting for delayMs 30', 'trigger fired: delay'] })
    document.body.innerHTML = ''
  })

  it('explain(): a held-out winner waiting for its trigger reads as held_out once the trigger fired', async () => {
    document.body.innerHTML = ''
    const d = deps({ offers: [{ id: 'pop', kind: 'popup', holdoutPercent: 100, trigger: { delayMs: 30 }, content: { title: 'Hi' } }] })
    const s = startOffers(d)!
    await vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('waiting'))
    await vi.waitFor(() => expect(s.explain()!.candidates[0]?.outcome).toBe('held_out'))
    expect(s.explain()).toMatchObject({ shown: null, candidates: [{ offerId: 'pop', reasons: ['waiting for delayMs 30', 'trigger fired: delay'] }] })
    expect(d.track).toHaveBeenCalledWith('offer_held_out', expect.objectContaining({ offer_id: 'pop', holdout: true, trigger: 'delay' }))
    expect(document.querySelector('onsite-offer')).toBeNull()
  })

  it('stop() (consent withdrawn): the offer on screen goes; its buttons and armed triggers record and send nothing', async () => {
    document.body.innerHTML = ''
    const ls = new MemStorage()
    const d = { ...deps({ offers: [{ id: 'bar', kind: 'bar', content: { title: 'Hi', cta: { text: 'Go' } } }, { id: 'later', kind: 'popup', priority: -1, trigger: { delayMs: 20 }, content: { title: 'x' } }] }), history: createHistory(ls) }
    const s = startOffers(d)!
    await vi.waitFor(() => expect(document.querySelector('onsite-offer')).toBeTruthy())
    const button = document.querySelector('onsite-offer')!.shadowRoot!.querySelector('button')!
    d.track.mockClear()
    s.stop()
    expect(document.querySelector('onsite-offer')).toBeNull()
    button.click()
    await new Promise((r) => setTimeout(r, 40))
    expect(d.track).not.toHaveBeenCalled()
    expect(String(ls.getItem('onsite:history'))).not.toContain('dismissedAt')
  })

  it('decided while the page is still parsed: waits for DOMContentLoaded, then renders into the embed target', async () => {
    document.body.innerHTML = ''
    let state = 'loading'
    Object.defineProperty(document, 'readyState', { configurable: true, get: () => state })
    try {
      const log = captureErrors()
      const s = startOffers(deps({ offers: [{ id: 'e', kind: 'embed', target: '#slot', content: { title: 'Hi' } }] }))!
      await vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('shown'))
      await new Promise((r) => setTimeout(r, 20))
      expect(log.messages()).toEqual([])
      expect(s.explain()!.shown).toBeNull()
      // the parser reaches the target, then the document is parsed
      document.body.innerHTML = '<div id="slot"></div>'
      state = 'interactive'
      document.dispatchEvent(new Event('DOMContentLoaded'))
      await vi.waitFor(() => expect(document.querySelector('#slot onsite-offer')).toBeTruthy())
      expect(s.explain()!.shown).toBe('e')
      expect(log.messages()).toEqual([])
    } finally {
      delete (document as { readyState?: string }).readyState
      document.body.innerHTML = ''
    }
  })

  it('an embed target a script adds after the page is parsed is waited for', async () => {
    document.body.innerHTML = ''
    const log = captureErrors()
    startOffers(deps({ offers: [{ id: 'e', kind: 'embed', target: '#late', content: { title: 'Hi' } }] }))
    await new Promise((r) => setTimeout(r, 50))
    document.body.append(Object.assign(document.createElement('section'), { id: 'late' }))
    await vi.waitFor(() => expect(document.querySelector('#late onsite-offer')).toBeTruthy())
    expect(log.messages()).toEqual([])
    document.body.innerHTML = ''
  })

  it('explain(): an embed whose target never comes reads as blocked after 10 s, with why', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      document.body.innerHTML = ''
      const log = captureErrors()
      const s = startOffers(deps({ offers: [{ id: 'e', kind: 'embed', target: '#nowhere', content: { title: 'Hi' } }] }))!
      await vi.advanceTimersByTimeAsync(9_900)
      expect(log.messages()).toEqual([])
      expect(s.explain()).toMatchObject({ shown: null, candidates: [{ outcome: 'waiting', reasons: ['won: priority 0', 'waiting for its target "#nowhere"'] }] })
      await vi.advanceTimersByTimeAsync(100)
      expect(log.messages()).toEqual(['[onsite] offer "e" not shown: no element matches target "#nowhere"'])
      expect(s.explain()).toMatchObject({ shown: null, candidates: [{ offerId: 'e', outcome: 'blocked', reasons: ['won: priority 0', 'not shown: no element matches target "#nowhere"'] }] })
    } finally {
      vi.useRealTimers()
    }
  })

  it('a purchase while the winner waits for its trigger rules it out: nothing shown, explain() says why', async () => {
    document.body.innerHTML = ''
    const d = { ...deps({ offers: [{ id: 'cart', kind: 'popup', trigger: { delayMs: 30 }, content: { title: 'Hi' } }], audiences: { flags: {}, syncedAt: Date.now() - 36e5 } }), history: createHistory(new MemStorage()) }
    const s = startOffers(d)!
    await vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('waiting'))
    d.history.observe('Order Completed', Date.now())
    s.observe('Order Completed')
    await vi.waitFor(() => expect(s.explain()!.candidates[0]!.outcome).toBe('blocked'))
    expect(s.explain()!.candidates[0]!.reasons).toEqual(['trigger fired: delay; decided again', 'purchase seen after audience sync'])
    expect(document.querySelector('onsite-offer')).toBeNull()
    expect(d.track).not.toHaveBeenCalled()
  })

  it('a held-out visitor is counted again in a new session, once per session', async () => {
    const ls = new MemStorage()
    const history = createHistory(ls)
    let sid = 's1'
    const page = () => {
      const d = { ...deps({ offers: [{ id: 'pop', kind: 'popup', holdoutPercent: 100, content: { title: 'Hi' } }] }), history, session: () => ({ id: sid, returning: false }) }
      const s = startOffers(d)!
      return vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('held_out')).then(() => d.track.mock.calls.map((c) => c[0]))
    }
    expect(await page()).toEqual(['offer_held_out'])
    expect(await page()).toEqual([])
    sid = 's2'
    expect(await page()).toEqual(['offer_held_out'])
  })

  it('the debug overlay is kept current: a waiting offer reads as shown once its trigger fired', async () => {
    document.body.innerHTML = ''
    startOffers({ ...deps({ offers: [{ id: 'bar', kind: 'bar', trigger: { delayMs: 30 }, content: { title: 'Hi' } }] }), overlay: true })
    const text = () => [...document.body.children].map((e) => e.shadowRoot?.querySelector('pre')?.textContent ?? '').join('')
    await vi.waitFor(() => expect(text()).toContain('bar: waiting (waiting for delayMs 30)'), { interval: 1 })
    await vi.waitFor(() => expect(text()).toContain('bar: shown (waiting for delayMs 30; trigger fired: delay)'))
    document.body.innerHTML = ''
  })

  // An offer above the waiting one came in meanwhile; the waiting one was dropped and the
  // new winner never shown, and explain() mixed the two decisions.
  it('an offer above the waiting winner comes in meanwhile: the new decision is followed, and explained', async () => {
    document.body.innerHTML = ''
    const d = { ...deps({ offers: [
      { id: 'cart', kind: 'bar', priority: 10, audience: { all: ['local.cart_active_4h'] }, content: { title: 'Your cart' } },
      { id: 'welcome', kind: 'bar', trigger: { delayMs: 30 }, content: { title: 'Welcome' } },
    ] }), history: createHistory(new MemStorage()) }
    const s = startOffers(d)!
    await vi.waitFor(() => expect(s.explain()?.candidates.map((c) => c.outcome)).toEqual(['blocked', 'waiting']))
    d.history.observe('Product Added', Date.now())
    await vi.waitFor(() => expect(s.explain()!.shown).toBe('cart'))
    expect(s.explain()!.candidates).toEqual([
      { offerId: 'cart', outcome: 'shown', reasons: ['won: priority 10'] },
      { offerId: 'welcome', outcome: 'blocked', reasons: ['trigger fired: delay; decided again', 'lower priority than cart'] },
    ])
    expect(document.querySelectorAll('onsite-offer')).toHaveLength(1)
    document.body.innerHTML = ''
  })

  it('a history of the wrong shape is one warning and starts over; the offer still shows when its trigger fires', async () => {
    document.body.innerHTML = ''
    const ls = new MemStorage()
    ls.setItem('onsite:history', JSON.stringify({ session: { id: 's', offers: 5 }, productViews: [1, 2] }))
    const log = captureErrors()
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const s = startOffers({ ...deps({ offers: [{ id: 'bar', kind: 'bar', trigger: { delayMs: 20 }, content: { title: 'Hi' } }] }), history: createHistory(ls) })!
    await vi.waitFor(() => expect(s.explain()!.shown).toBe('bar'))
    expect(warned.mock.calls.map((c) => String(c[0]))).toEqual(['[onsite] offer history of the wrong shape: starting over'])
    expect(log.messages()).toEqual([])
    document.body.innerHTML = ''
  })

  it("a history whose session of today has no offers list: the held-out visitor is still counted, nothing thrown", async () => {
    const ls = new MemStorage()
    ls.setItem('onsite:history', JSON.stringify({ session: { id: 's' } }))
    const log = captureErrors()
    const d = { ...deps({ offers: [{ id: 'pop', kind: 'popup', holdoutPercent: 100, content: { title: 'Hi' } }] }), history: createHistory(ls) }
    const s = startOffers(d)!
    await vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('held_out'))
    await vi.waitFor(() => expect(d.track.mock.calls.map((c) => c[0])).toEqual(['offer_held_out']))
    expect(log.messages()).toEqual([])
  })

  it('a bar with position "top" is rendered at the top', async () => {
    document.body.innerHTML = ''
    startOffers(deps({ offers: [{ id: 'bar', kind: 'bar', position: 'top', content: { title: 'Hi' } }] }))
    await vi.waitFor(() => expect(document.querySelector('onsite-offer')?.shadowRoot?.querySelector('.bar.top')).toBeTruthy())
    document.body.innerHTML = ''
  })

  it('content.codeUrl: asked only after the submit, with the email in the POST body (not the URL); shown, never sent in events or stored', async () => {
    document.body.innerHTML = ''
    const ls = new MemStorage()
    const fetch = vi.spyOn(window, 'fetch').mockImplementation(async () => new Response('{"code":"WELCOME-7F3K"}'))
    const d = { ...deps({ offers: [{ id: 'welcome', kind: 'bar', variation: 'b', content: { title: 'Hi', form: 'email', codeUrl: '/apps/onsite/code' } }] }), history: createHistory(ls), ls }
    startOffers(d)
    await vi.waitFor(() => expect(document.querySelector('onsite-offer')?.shadowRoot?.querySelector('form')).toBeTruthy())
    const root = document.querySelector('onsite-offer')!.shadowRoot!
    await new Promise((r) => setTimeout(r, 20))
    expect(fetch).not.toHaveBeenCalled()
    root.querySelector('input')!.value = 'Jane@Example.com'
    root.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }))
    await vi.waitFor(() => expect(root.querySelector('.k')?.textContent).toBe('WELCOME-7F3K'))
    expect(fetch).toHaveBeenCalledTimes(1)
    const [url, init] = fetch.mock.calls[0]!
    expect(url).toBe('/apps/onsite/code')
    expect(init!.method).toBe('POST')
    expect(JSON.parse(init!.body as string)).toEqual({ offerId: 'welcome', variant: 'b', anonymousId: 'a', email: 'jane@example.com' })
    expect(d.identify).toHaveBeenCalledWith({ email: 'Jane@Example.com' })
    const submitted = d.track.mock.calls.find((c) => c[0] === 'offer_submitted')!
    expect(submitted[1]).toMatchObject({ offer_id: 'welcome', variant: 'b' })
    expect(JSON.stringify(d.track.mock.calls)).not.toMatch(/WELCOME-7F3K|example\.com/i)
    // written: the offer history (a submit), never the code
    const stored = Array.from({ length: ls.length }, (_, i) => ls.getItem(ls.key(i)!)).join()
    expect(stored).toContain('welcome')
    expect(stored).not.toContain('WELCOME-7F3K')
    document.body.innerHTML = ''
  })

  it('variants: the visitor sees their variant\'s content; offer_seen carries it; the decision is kept for attribution', async () => {
    document.body.innerHTML = ''
    const ls = new MemStorage()
    // no IntersectionObserver: seen as soon as it shows in a visible tab
    vi.stubGlobal('IntersectionObserver', undefined)
    const d = { ...deps({ offers: [{ id: 'ab', kind: 'bar', content: { title: 'Base' }, variants: [{ id: 'x', weight: 0 }, { id: 'y', content: { title: 'Variant Y' } }] }] }), history: createHistory(ls), ls }
    const s = startOffers(d)!
    await vi.waitFor(() => expect(d.track).toHaveBeenCalledWith('offer_seen', expect.objectContaining({ offer_id: 'ab', variant: 'y' })))
    expect(document.querySelector('onsite-offer')!.shadowRoot!.textContent).toContain('Variant Y')
    expect(s.explain()!.candidates[0]!.reasons).toEqual(['variant y: bucket ' + s.explain()!.candidates[0]!.reasons[0]!.split('bucket ')[1], 'won: priority 0'])
    const h = d.history.get()
    expect(h.offers!.ab!.variant).toBe('y')
    expect(h.decisions).toEqual([{ offer_id: 'ab', variant: 'y', group: 'exposed', decision_id: s.explain()!.decisionId, decided_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }])
    // anonymous: no trait
    expect(d.identify).not.toHaveBeenCalled()
    document.body.innerHTML = ''
  })

  it('variants: a known person\'s variant goes out once as the trait onsite_variants; held out is kept as group held_out', async () => {
    document.body.innerHTML = ''
    const ls = new MemStorage()
    const offers = [{ id: 'ab', kind: 'popup', holdoutPercent: 100, content: { title: 'Base' }, variants: [{ id: 'x' }, { id: 'y' }] }]
    const d = { ...deps({ offers }), history: createHistory(ls), ls, ids: () => ({ anonymousId: 'a', userId: 'cust-1' }) }
    startOffers(d)
    await vi.waitFor(() => expect(d.track).toHaveBeenCalledWith('offer_held_out', expect.objectContaining({ offer_id: 'ab', holdout: true })))
    const variant = d.track.mock.calls[0]![1].variant
    expect(d.identify.mock.calls).toEqual([[{ onsite_variants: { ab: variant } }]])
    expect(d.history.get().decisions).toMatchObject([{ offer_id: 'ab', variant, group: 'held_out' }])
    // the next session's page: the same person and variant, no second trait
    const again = { ...d, session: () => ({ id: 's2', returning: true }), track: vi.fn(), identify: vi.fn() }
    startOffers(again)
    await vi.waitFor(() => expect(again.track).toHaveBeenCalledWith('offer_held_out', expect.objectContaining({ variant })))
    expect(again.identify).not.toHaveBeenCalled()
    expect(document.querySelector('onsite-offer')).toBeNull()
  })

  it('an offer without variants sends no trait, even for a known person', async () => {
    document.body.innerHTML = ''
    vi.stubGlobal('IntersectionObserver', undefined)
    const d = { ...deps({ offers: [{ id: 'plain', kind: 'bar', content: { title: 'Hi' } }] }), ids: () => ({ anonymousId: 'a', userId: 'cust-1' }) }
    startOffers(d)
    await vi.waitFor(() => expect(d.track).toHaveBeenCalledWith('offer_seen', expect.objectContaining({ offer_id: 'plain', variant: 'a' })))
    expect(d.identify).not.toHaveBeenCalled()
    document.body.innerHTML = ''
  })

  it('audiencesToken: a guest (null or "") asks nothing; a token is POSTed to audiencesUrl and its flags decide', async () => {
    document.body.innerHTML = ''
    const fetch = vi.spyOn(window, 'fetch').mockImplementation(async () => new Response('{"flags":{"vip":true},"syncedAt":null}'))
    const offers = [{ id: 'vip', kind: 'bar', audience: { all: ['vip'] }, content: { title: 'Hi VIP' } }]
    for (const audiencesToken of [null, '']) {
      const s = startOffers(deps({ offers, audiencesUrl: '/apps/onsite/audiences', audiencesToken }))!
      await vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('blocked'))
    }
    expect(fetch).not.toHaveBeenCalled()
    const s = startOffers(deps({ offers, audiencesUrl: '/apps/onsite/audiences', audiencesToken: 'cust-1.1900000000.' + 'f'.repeat(64) }))!
    await vi.waitFor(() => expect(s.explain()?.shown).toBe('vip'))
    const [url, init] = fetch.mock.calls[0]!
    expect(url).toBe(location.origin + '/apps/onsite/audiences')
    expect(init).toMatchObject({ method: 'POST', body: JSON.stringify({ token: 'cust-1.1900000000.' + 'f'.repeat(64) }) })
    document.body.innerHTML = ''
  })

  it('Wisepops gets the flags known at once (the page\'s and this browser\'s) before audiencesUrl answers', async () => {
    const calls: unknown[][] = []
    vi.stubGlobal('wisepops', (...a: unknown[]) => calls.push(a))
    let answer: (r: Response) => void = () => {}
    vi.spyOn(window, 'fetch').mockImplementation(() => new Promise<Response>((r) => (answer = r)))
    startOffers(deps({ wisepops: true, offers: [{ id: 'o', kind: 'bar', content: { title: 'Hi' } }], audiences: { flags: { vip: true } }, audiencesUrl: '/a', audiencesWaitMs: 5000 }))
    const props = () => calls.filter((c) => c[0] === 'properties').map((c) => c[1] as Record<string, unknown>)
    expect(props()).toEqual([{ onsite_segments: ',vip,' }])
    answer(new Response('{"flags":{"cart":true}}'))
    await vi.waitFor(() => expect(props()[1]).toMatchObject({ onsite_segments: ',cart,vip,' }))
    document.body.innerHTML = ''
  })

  it('without offers does nothing and returns undefined', () => {
    expect(startOffers(deps({}))).toBeUndefined()
  })

  it('a config that throws when read is one [onsite] error, never a throw into the page', () => {
    const log = captureErrors()
    const input = Object.defineProperty({}, 'offers', { enumerable: true, get() { throw new Error('hostile getter') } })
    expect(() => startOffers(deps(input))).not.toThrow()
    expect(log.messages()).toEqual(['[onsite] offers ignored: Error: hostile getter'])
  })
})
