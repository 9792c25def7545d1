import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connectWisepops, fitProperties, formTraits, HANDOVER_EVENT, segmentsValue } from '../../../src/wisepops/wisepops.ts'
import { startOffers } from '../../../src/offers/show.ts'
import { createHistory } from '../../../src/offers/history.ts'
import { captureErrors } from '../fakes.ts'

/** A `wisepops` global like its loader's: records every call and fires the listeners it was given. */
const fakeWisepops = () => {
  const calls: unknown[][] = []
  const listeners: Record<string, ((e: unknown) => void)[]> = {}
  const fn = (...args: unknown[]) => {
    calls.push(args)
    if (args[0] === 'listen') (listeners[args[1] as string] ??= []).push(args[2] as (e: unknown) => void)
  }
  return {
    fn,
    calls,
    fire: (name: string, e: unknown = {}) => (listeners[name] ?? []).forEach((l) => l(e)),
    properties: () => calls.filter((c) => c[0] === 'properties'),
    events: () => calls.filter((c) => c[0] === 'event').map((c) => c[1]),
  }
}

const form = (fields: Record<string, string>) => {
  const f = document.createElement('form')
  for (const [name, value] of Object.entries(fields)) {
    const i = document.createElement('input')
    i.name = name
    i.value = value
    f.append(i)
  }
  return { target: f }
}

describe('segmentsValue', () => {
  it('lists the true flags between commas, sorted, so "contains ,vip," matches only vip', () => {
    expect(segmentsValue({ vip_gold: true, vip: true, cart: false, 'local.returning': true })).toBe(',local.returning,vip,vip_gold,')
    expect(segmentsValue({})).toBe(',')
  })
  it('stays within 255 characters and skips names that would break the list', () => {
    const flags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`segment_number_${i}`, true]))
    const v = segmentsValue({ ...flags, 'a,b': true })
    expect(v.length).toBeLessThanOrEqual(255)
    expect(v).not.toContain('a,b')
    expect(v.endsWith(',')).toBe(true)
  })
})

describe('fitProperties', () => {
  it("keeps keys of at most 50 characters and cuts strings at 255 (Wisepops' limits)", () => {
    const out = fitProperties({ ok: 'x'.repeat(300), ['k'.repeat(51)]: 'dropped', n: 5, gone: null })
    expect(out).toEqual({ ok: 'x'.repeat(255), n: 5, gone: null })
  })
})

describe('formTraits', () => {
  it('reads email and the phone from its dial code and number fields', () => {
    expect(formTraits(form({ email: ' Jane@Example.com ', 'phone-dialcode': '+33', 'phone-number': '612345678' }))).toEqual({ email: 'Jane@Example.com', phone: '+33612345678' })
    expect(formTraits(form({ 'phone-dialcode': '44', 'phone-number': '7700900123' }))).toEqual({ phone: '+447700900123' })
    expect(formTraits(form({ 'phone-number': '+15555550100' }))).toEqual({ phone: '+15555550100' })
  })
  it('an event without a form, or a hostile one, gives nothing and never throws', () => {
    expect(formTraits(undefined)).toEqual({})
    expect(formTraits({ target: null })).toEqual({})
    const hostile = { target: { get elements(): never { throw new Error('nope') } } }
    expect(formTraits(hostile)).toEqual({})
  })
})

describe('connectWisepops', () => {
  const w = window as unknown as { wisepops?: unknown }
  afterEach(() => delete w.wisepops)

  it("installs Wisepops' queue stub when its loader has not run, so calls wait for it", () => {
    const bridge = connectWisepops(window, { display() {}, submit() {}, click() {}, close() {} })
    bridge.properties({ onsite_offer: 'x' })
    const q = (w.wisepops as { q: unknown[][] }).q
    expect(q.map((c) => c[0])).toEqual(['listen', 'listen', 'listen', 'listen', 'properties'])
    expect(q.slice(0, 4).map((c) => c[1])).toEqual(['before-popup-display', 'after-form-submit', 'after-tracked-click', 'after-popup-close'])
    expect(q[4]).toEqual(['properties', { onsite_offer: 'x' }, { temporary: true }])
  })

  it('a wisepops global that throws never reaches the page; a throwing handler neither', () => {
    w.wisepops = () => {
      throw new Error('broken loader')
    }
    expect(() => connectWisepops(window, { display() {}, submit() {}, click() {}, close() {} }).event('x')).not.toThrow()
    const fake = fakeWisepops()
    w.wisepops = fake.fn
    connectWisepops(window, { display() { throw new Error('bad') }, submit() {}, click() {}, close() {} })
    expect(() => fake.fire('before-popup-display')).not.toThrow()
  })
})

describe('startOffers with config.wisepops', () => {
  const w = window as unknown as { wisepops?: unknown }
  let wp: ReturnType<typeof fakeWisepops>
  beforeEach(() => {
    wp = fakeWisepops()
    w.wisepops = wp.fn
    document.body.innerHTML = ''
  })
  afterEach(() => {
    delete w.wisepops
    vi.restoreAllMocks()
  })

  const deps = (input: Record<string, unknown>) => ({
    w: window, input, history: createHistory(undefined), ls: undefined, now: Date.now, overlay: false,
    ids: () => ({ anonymousId: 'anon-1' }), session: () => ({ id: 's', returning: false }), track: vi.fn(), identify: vi.fn(),
  })
  const offer = (over: Record<string, unknown> = {}) => ({ id: 'vip_gift', kind: 'popup', renderer: 'wisepops', audience: { all: ['vip'] }, content: { title: 'A gift' }, ...over })
  const events = (track: ReturnType<typeof vi.fn>) => track.mock.calls.map((c) => [c[0], (c[1] as { offer_id: string; source: string }).offer_id, (c[1] as { source: string }).source])

  it('pushes the flags and the decision, then hands the winner over: Wisepops shows it, onsite renders nothing', async () => {
    const d = deps({ wisepops: true, offers: [offer()], audiences: { flags: { vip: true, cart: false } } })
    const s = startOffers(d)!
    await vi.waitFor(() => expect(wp.events()).toEqual([HANDOVER_EVENT]))
    const props = wp.properties()
    // the page's flags at once, before the decision; then the decision's
    expect(props[0]).toEqual(['properties', { onsite_segments: ',vip,' }, { temporary: true }])
    expect(props[1]![1]).toMatchObject({ onsite_segments: ',vip,', onsite_offer: null })
    expect(typeof (props[1]![1] as { onsite_decision: string }).onsite_decision).toBe('string')
    expect(props[2]).toEqual(['properties', { onsite_offer: 'vip_gift' }, { temporary: true }])
    expect(document.body.children).toHaveLength(0)
    expect(s.explain()!.shown).toBe('vip_gift')
    expect(d.track).not.toHaveBeenCalled() // seen only when Wisepops displays it
  })

  it("Wisepops' callbacks become offer_seen, offer_clicked, offer_submitted (with identify) with source wisepops", async () => {
    const d = deps({ wisepops: true, offers: [offer()], audiences: { flags: { vip: true } } })
    startOffers(d)
    await vi.waitFor(() => expect(wp.events()).toHaveLength(1))
    wp.fire('before-popup-display', { detail: { popup: { id: 991 } } })
    wp.fire('after-tracked-click')
    wp.fire('after-form-submit', form({ email: 'jane@example.com' }))
    wp.fire('after-popup-close')
    expect(events(d.track)).toEqual([
      ['offer_seen', 'vip_gift', 'wisepops'],
      ['offer_clicked', 'vip_gift', 'wisepops'],
      ['offer_submitted', 'vip_gift', 'wisepops'],
    ])
    expect(d.identify).toHaveBeenCalledWith({ email: 'jane@example.com' })
    expect(JSON.stringify(d.track.mock.calls)).not.toContain('jane@')
    // seen and submitted count in this browser's history like an onsite offer
    expect(d.history.get().offers?.vip_gift).toMatchObject({ views: [expect.any(Number)], submittedAt: expect.any(Number) })
  })

  it("a Wisepops popup onsite did not hand over is counted under its own id, and closing it is a dismissal", async () => {
    const d = deps({ wisepops: true, offers: [offer({ audience: { all: ['nobody'] } })] })
    startOffers(d)
    await vi.waitFor(() => expect(wp.properties()).toHaveLength(1))
    wp.fire('before-popup-display', { detail: { popup: { id: 'abc' } } })
    wp.fire('after-popup-close')
    expect(events(d.track)).toEqual([['offer_seen', 'wisepops_abc', 'wisepops'], ['offer_dismissed', 'wisepops_abc', 'wisepops']])
  })

  it("a Wisepops popup takes the session's slot: ours, waiting for its trigger, is then ruled out", async () => {
    const d = deps({ wisepops: true, offers: [offer({ id: 'ours', renderer: 'onsite', audience: {}, trigger: { delayMs: 20 } })] })
    const s = startOffers(d)!
    await vi.waitFor(() => expect(wp.properties()).toHaveLength(1), { interval: 1 })
    wp.fire('before-popup-display', { detail: { popup: { id: 'theirs' } } })
    wp.fire('after-popup-close')
    await vi.waitFor(() => expect(s.explain()?.candidates[0]?.outcome).toBe('blocked'))
    expect(s.explain()!.candidates[0]!.reasons).toEqual(['trigger fired: delay; decided again', 'session: max 1 reached by wisepops_theirs'])
    expect(document.body.children).toHaveLength(0)
    expect(events(d.track)).toEqual([['offer_seen', 'wisepops_theirs', 'wisepops'], ['offer_dismissed', 'wisepops_theirs', 'wisepops']])
  })

  it('a decision followed after a trigger is the one Wisepops hears of (onsite_decision, onsite_segments)', async () => {
    const d = deps({ wisepops: true, offers: [offer({ id: 'ours', renderer: 'onsite', audience: {}, trigger: { delayMs: 20 } })] })
    const s = startOffers(d)!
    await vi.waitFor(() => expect(wp.properties()).toHaveLength(1), { interval: 1 })
    const first = s.explain()!.decisionId
    wp.fire('before-popup-display', { detail: { popup: { id: 'theirs' } } })
    wp.fire('after-popup-close')
    await vi.waitFor(() => expect(s.explain()!.decisionId).not.toBe(first))
    const pushed = wp.properties().map((p) => (p[1] as { onsite_decision?: string }).onsite_decision).filter(Boolean)
    expect(pushed).toEqual([first, s.explain()!.decisionId])
  })

  it('never two popups: ours waits while a Wisepops popup is on screen, and opens after it closes', async () => {
    const d = deps({ wisepops: true, governance: { maxOffersPerSession: 2 }, offers: [offer({ id: 'ours', renderer: 'onsite', audience: {}, trigger: { delayMs: 20 } })] })
    startOffers(d)
    // right after the decision, well before our 20 ms trigger
    await vi.waitFor(() => expect(wp.properties()).toHaveLength(1), { interval: 1 })
    wp.fire('before-popup-display', { detail: { popup: { id: 'theirs' } } })
    await new Promise((r) => setTimeout(r, 60))
    expect(document.body.children).toHaveLength(0)
    wp.fire('after-popup-close')
    expect(document.body.children).toHaveLength(1)
  })

  it('never two popups: a Wisepops popup opening closes ours', async () => {
    const d = deps({ wisepops: true, offers: [offer({ id: 'ours', renderer: 'onsite', audience: {} })] })
    startOffers(d)
    await vi.waitFor(() => expect(document.body.children).toHaveLength(1))
    wp.fire('before-popup-display', { detail: { popup: { id: 'theirs' } } })
    expect(document.body.children).toHaveLength(0)
  })

  it('a held-out visitor is counted once and nothing is handed over', async () => {
    const d = deps({ wisepops: true, offers: [offer({ holdoutPercent: 100 })], audiences: { flags: { vip: true } } })
    startOffers(d)
    await vi.waitFor(() => expect(d.track).toHaveBeenCalled())
    expect(events(d.track)).toEqual([['offer_held_out', 'vip_gift', 'onsite']])
    expect(wp.events()).toEqual([])
  })

  it('renderer "wisepops" without config.wisepops is one [onsite] error and nothing is shown', async () => {
    const log = captureErrors()
    const d = deps({ offers: [offer()], audiences: { flags: { vip: true } } })
    startOffers(d)
    await vi.waitFor(() => expect(log.messages()).toEqual(['[onsite] offer "vip_gift" not shown: renderer is "wisepops" but config.wisepops is not true']))
    expect(wp.calls).toEqual([])
  })
})
