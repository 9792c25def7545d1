import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bucket, decide, localFlags, type Candidate, type DecideInput, type History } from '../../../src/offers/decide.ts'
import { parseOffers } from '../../../src/offers/offers.ts'
import { captureErrors, mulberry32 } from '../fakes.ts'

const H = 3600000
const D = 24 * H
const NOW = Date.UTC(2026, 10, 23, 12)
const SYNCED = NOW - 2 * H
const GOV = { maxOffersPerSession: 1, incentiveCooldownDays: 14, purchaseQuietDays: 7 }

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  log = captureErrors()
})
afterEach(() => {
  // decide is pure and the configs below are valid: nothing may be printed
  expect(log.messages()).toEqual([])
  log.spy.mockRestore()
})

/** Offers through the real parser, so the tests use the documented defaults. */
const offers = (...raw: Record<string, unknown>[]) =>
  parseOffers({ offers: raw.map((r) => ({ kind: 'popup', content: { title: r.id }, ...r })) }).offers

const CART = { id: 'cart', priority: 10, incentive: true, audience: { all: ['cio_cart_abandon_4h'], none: ['vip'] } }
const WELCOME = { id: 'welcome', priority: 5 }

const run = (over: Partial<DecideInput> = {}) =>
  decide({
    offers: offers(WELCOME), governance: GOV, flags: {}, syncedAt: SYNCED, history: {},
    page: { type: 'product', path: '/products/tee' }, now: NOW, personKey: 'anon-1', sessionId: 's1', ...over,
  })
const cand = (d: ReturnType<typeof decide>, id: string): Candidate => d.candidates.find((c) => c.offerId === id)!
/** [outcome, reasons] of one offer in a decision on one offer. */
const only = (raw: Record<string, unknown>, over: Partial<DecideInput> = {}) => {
  const c = run({ offers: offers({ id: 'x', ...raw }), ...over }).candidates[0]!
  return [c.outcome, c.reasons]
}

describe('page targeting', () => {
  it.each([
    [{}, 'product', '/products/tee', true, []],
    [{ types: ['product', 'home'] }, 'product', '/products/tee', true, ['type:product']],
    [{ types: ['cart'] }, 'product', '/products/tee', false, ['page: type product not in [cart]']],
    [{ urls: ['/products/*'] }, 'product', '/products/tee', true, ['url:/products/*']],
    [{ urls: ['/products/*'] }, 'product', '/products/tee/blue', true, ['url:/products/*']],
    [{ urls: ['/products/*'] }, 'product', '/products', false, ['page: /products matches no url']],
    [{ urls: ['/products/*'] }, 'product', '/en-ca/products/tee', false, ['page: /en-ca/products/tee matches no url']],
    [{ urls: ['*/products/*'] }, 'product', '/en-ca/products/tee', true, ['url:*/products/*']],
    [{ urls: ['/pages/faq'] }, 'page', '/pages/faq', true, ['url:/pages/faq']],
    [{ urls: ['/pages/faq'] }, 'page', '/pages/faq2', false, ['page: /pages/faq2 matches no url']],
    [{ urls: ['/a.b'] }, 'page', '/aXb', false, ['page: /aXb matches no url']],
    [{ urls: ['/c/(x)+'] }, 'page', '/c/(x)+', true, ['url:/c/(x)+']],
    [{ urls: ['/', '/collections/*'] }, 'collection', '/collections/all', true, ['url:/collections/*']],
    [{ types: ['product'], urls: ['/products/*'] }, 'product', '/collections/x', false, ['page: /collections/x matches no url']],
    [{ types: ['collection'], urls: ['/products/*'] }, 'product', '/products/x', false, ['page: type product not in [collection]']],
  ])('pages %j on %s %s: eligible %s', (pages, type, path, ok, detail) => {
    const c = run({ offers: offers({ id: 'x', pages }), page: { type, path } }).candidates[0]!
    expect(c.outcome).toBe(ok ? 'shown' : 'blocked')
    expect(ok ? c.matched : c.reasons).toEqual(detail)
  })
})

describe('audience', () => {
  it.each([
    ['empty = everyone', {}, {}, 'shown', ['won: priority 0'], []],
    ['all: present', { all: ['a', 'b'] }, { a: true, b: true }, 'shown', ['won: priority 0'], ['all:a', 'all:b']],
    ['all: one missing', { all: ['a', 'b'] }, { a: true }, 'blocked', ['audience: all:[a,b] missing b'], []],
    ['all: false is missing', { all: ['x'] }, { x: false }, 'blocked', ['audience: all:[x] missing x'], []],
    ['any: one set', { any: ['a', 'b'] }, { b: true }, 'shown', ['won: priority 0'], ['any:b']],
    ['any: none set', { any: ['a', 'b'] }, { a: false }, 'blocked', ['audience: any:[a,b] none set'], []],
    ['none: VIP suppressed', { none: ['vip'] }, { vip: true }, 'blocked', ['audience: none:[vip] matched vip'], []],
    ['none: not VIP', { none: ['vip'] }, { vip: false }, 'shown', ['won: priority 0'], []],
    ['a flag named like a prototype member is not set', { all: ['constructor'] }, {}, 'blocked', ['audience: all:[constructor] missing constructor'], []],
    ['local flags take part', { all: ['local.returning'] }, { 'local.returning': true }, 'shown', ['won: priority 0'], ['all:local.returning']],
  ])('%s', (_label, audience, flags, outcome, reasons, matched) => {
    const c = run({ offers: offers({ id: 'x', audience }), flags }).candidates[0]!
    expect([c.outcome, c.reasons, c.matched]).toEqual([outcome, reasons, matched])
  })

  it('a flag set on Object.prototype by a page script puts nobody in an audience', () => {
    const proto = Object.prototype as Record<string, unknown>
    // the config is parsed first: only the decision runs with the polluted prototype
    const input: DecideInput = {
      offers: offers({ id: 'x', audience: { all: ['vip_only'] } }), governance: GOV, flags: {}, syncedAt: SYNCED, history: {},
      page: { type: 'product', path: '/products/tee' }, now: NOW, personKey: 'anon-1', sessionId: 's1',
    }
    proto.vip_only = true
    let c: Candidate
    try {
      c = decide(input).candidates[0]!
    } finally {
      delete proto.vip_only
    }
    expect([c.outcome, c.reasons]).toEqual(['blocked', ['audience: all:[vip_only] missing vip_only']])
  })

  it('a VIP cart abandoner gets no cart offer; the next offer wins', () => {
    const d = run({ offers: offers(CART, WELCOME), flags: { cio_cart_abandon_4h: true, vip: true } })
    expect(cand(d, 'cart')).toMatchObject({ outcome: 'blocked', reasons: ['audience: none:[vip] matched vip'] })
    expect(d.shown).toBe('welcome')
  })
})

describe('fresh beats stale: purchases seen here', () => {
  // The sync and the orders are older than purchaseQuietDays, so only the sync rule is at work.
  const SYNC = NOW - 10 * D
  it.each([
    ['purchase after sync suppresses the cart offer though the synced flag says abandoner', SYNC + H, SYNC, ['purchase seen after audience sync']],
    ['purchase before sync does not', SYNC - H, SYNC, ['won: priority 10']],
    ['purchase at the sync instant is in the sync', SYNC, SYNC, ['won: priority 10']],
    // with no syncedAt the flags' age is unknown: a recent order suppresses, last year's does not
    ['with no syncedAt, a purchase within purchaseQuietDays suppresses', NOW - 6 * D, undefined, ['purchase seen within 7d, no syncedAt', 'incentive: purchased within 7d']],
    ['with no syncedAt, an older purchase does not', NOW - 100 * D, undefined, ['won: priority 10']],
    ['no purchase', undefined, SYNC, ['won: priority 10']],
  ])('%s', (_label, orderAt, syncedAt, reasons) => {
    const history: History = orderAt === undefined ? {} : { orderAt }
    const d = run({ offers: offers(CART), flags: { cio_cart_abandon_4h: true }, history, syncedAt })
    expect(cand(d, 'cart').reasons).toEqual(reasons)
  })

  it('a purchase an hour ago: stale flags and the quiet period both say no', () => {
    const d = run({ offers: offers(CART), flags: { cio_cart_abandon_4h: true }, history: { orderAt: NOW - H } })
    expect(cand(d, 'cart').reasons).toEqual(['purchase seen after audience sync', 'incentive: purchased within 7d'])
  })

  it('offers with suppressAfterPurchase false are not suppressed', () => {
    expect(only({ suppressAfterPurchase: false }, { history: { orderAt: SYNC + H }, syncedAt: SYNC })).toEqual(['shown', ['won: priority 0']])
    expect(only({}, { history: { orderAt: SYNC + H }, syncedAt: SYNC })).toEqual(['blocked', ['purchase seen after audience sync']])
  })
})

describe('incentives', () => {
  const FREE = { suppressAfterPurchase: false, incentive: true }
  it.each([
    ['purchased 6 days ago', { orderAt: NOW - 6 * D }, GOV, ['incentive: purchased within 7d']],
    ['purchased just under 7 days ago', { orderAt: NOW - 7 * D + 1 }, GOV, ['incentive: purchased within 7d']],
    ['purchased 7 days ago', { orderAt: NOW - 7 * D }, GOV, ['won: priority 0']],
    ['purchased 2 days ago, purchaseQuietDays 1', { orderAt: NOW - 2 * D }, { ...GOV, purchaseQuietDays: 1 }, ['won: priority 0']],
    ['purchased 2 days ago, purchaseQuietDays 0', { orderAt: NOW - 2 * D }, { ...GOV, purchaseQuietDays: 0 }, ['won: priority 0']],
  ])('purchaseQuietDays: %s', (_label, history, governance, reasons) => {
    expect(only(FREE, { history, governance })[1]).toEqual(reasons)
  })

  it('purchaseQuietDays keeps only incentive offers away', () => {
    expect(only({ suppressAfterPurchase: false }, { history: { orderAt: NOW - D } })).toEqual(['shown', ['won: priority 0']])
  })

  it.each([
    ['another incentive shown 3 days ago', { at: NOW - 3 * D, offerId: 'other' }, GOV, ['incentive: other shown within 14d']],
    ['another incentive shown 14 days ago', { at: NOW - 14 * D, offerId: 'other' }, GOV, ['won: priority 0']],
    ['another incentive, cooldown 2 days', { at: NOW - 3 * D, offerId: 'other' }, { ...GOV, incentiveCooldownDays: 2 }, ['won: priority 0']],
    ['this offer itself (its frequency decides)', { at: NOW - 3 * D, offerId: 'x' }, GOV, ['won: priority 0']],
  ])('cooldown across offers: %s', (_label, incentive, governance, reasons) => {
    expect(only(FREE, { history: { incentive }, governance })[1]).toEqual(reasons)
  })

  it('a second incentive offer is held back, a non-incentive offer is not', () => {
    const d = run({
      offers: offers({ id: 'spin', incentive: true, priority: 9 }, { id: 'newsletter', priority: 1 }),
      history: { incentive: { at: NOW - D, offerId: 'cart' } },
    })
    expect(cand(d, 'spin').reasons).toEqual(['incentive: cart shown within 14d'])
    expect(d.shown).toBe('newsletter')
  })
})

describe('frequency', () => {
  const views = (...hoursAgo: number[]) => ({ offers: { x: { views: hoursAgo.map((h) => NOW - h * H) } } })
  it.each([
    ['never seen', {}, {}, ['won: priority 0']],
    ['seen once, default maxViews 1 within 24h', {}, views(1), ['frequency: 1 views in 24h']],
    ['seen once 24h ago', {}, views(24), ['won: priority 0']],
    ['seen 2 of 3', { maxViews: 3 }, views(1, 2), ['won: priority 0']],
    ['seen 3 of 3', { maxViews: 3 }, views(1, 2, 3), ['frequency: 3 views in 24h']],
    ['seen 3, one outside the window', { maxViews: 3 }, views(1, 2, 30), ['won: priority 0']],
    ['everyHours 2', { maxViews: 1, everyHours: 2 }, views(3), ['won: priority 0']],
    ['everyHours 0 counts every view ever', { maxViews: 2, everyHours: 0 }, views(1000, 5000), ['frequency: 2 views in total']],
    ['maxViews 0 = no cap', { maxViews: 0 }, views(0, 1, 2, 3), ['won: priority 0']],
    ['dismissed', {}, { offers: { x: { dismissedAt: NOW - 100 * D } } }, ['frequency: dismissed']],
    ['dismissed, stopAfterDismiss false', { stopAfterDismiss: false }, { offers: { x: { dismissedAt: NOW - D } } }, ['won: priority 0']],
    ['submitted', {}, { offers: { x: { submittedAt: NOW - 100 * D } } }, ['frequency: submitted']],
    ['submitted, stopAfterSubmit false', { stopAfterSubmit: false }, { offers: { x: { submittedAt: NOW - D } } }, ['won: priority 0']],
    ['another offer dismissed', {}, { offers: { y: { dismissedAt: NOW } } }, ['won: priority 0']],
  ])('%s', (_label, frequency, history: History, reasons) => {
    expect(only({ frequency }, { history })[1]).toEqual(reasons)
  })
})

describe('governance: offers per session', () => {
  const session = (id: string, ...ids: string[]) => ({ session: { id, offers: ids } })
  it.each([
    ['nothing shown yet', GOV, {}, ['shown', 'blocked']],
    ['a shown in this session: a may show again, b may not', GOV, session('s1', 'a'), ['shown', 'blocked']],
    ['b shown in this session: a is blocked by it', GOV, session('s1', 'b'), ['blocked', 'shown']],
    ['a shown in an earlier session', GOV, session('s0', 'a'), ['shown', 'blocked']],
    ['b shown in an earlier session', GOV, session('s0', 'b'), ['shown', 'blocked']],
    ['max 2, one shown', { ...GOV, maxOffersPerSession: 2 }, session('s1', 'c'), ['shown', 'blocked']],
    ['max 2, two shown', { ...GOV, maxOffersPerSession: 2 }, session('s1', 'c', 'd', 'c'), ['blocked', 'blocked']],
    ['max 0', { ...GOV, maxOffersPerSession: 0 }, {}, ['blocked', 'blocked']],
  ])('%s', (_label, governance, history: History, outcomes) => {
    // a outranks b; b has no frequency cap so an earlier view of it does not matter
    const d = run({ offers: offers({ id: 'a', priority: 2, frequency: { maxViews: 0 } }, { id: 'b', frequency: { maxViews: 0 } }), governance, history })
    expect(d.candidates.map((c) => c.outcome)).toEqual(outcomes)
  })

  it('names what used the session up', () => {
    const d = run({ offers: offers({ id: 'a' }), history: session('s1', 'b', 'b') })
    expect(cand(d, 'a').reasons).toEqual(['session: max 1 reached by b'])
    expect(run({ offers: offers({ id: 'a' }), governance: { ...GOV, maxOffersPerSession: 0 } }).candidates[0]!.reasons).toEqual(['session: max 0 reached'])
  })
})

describe('choosing the winner', () => {
  it.each([
    ['highest priority wins', [{ id: 'a', priority: 1 }, { id: 'b', priority: 3 }, { id: 'c', priority: 2 }], 'b'],
    ['ties go to config order', [{ id: 'a', priority: 1 }, { id: 'b', priority: 3 }, { id: 'c', priority: 3 }], 'b'],
    ['ties go to config order (reversed)', [{ id: 'c', priority: 3 }, { id: 'b', priority: 3 }, { id: 'a', priority: 1 }], 'c'],
    ['negative priorities', [{ id: 'a', priority: -2 }, { id: 'b', priority: -1 }], 'b'],
    ['an ineligible higher offer does not win', [{ id: 'a', priority: 9, pages: { types: ['cart'] } }, { id: 'b', priority: 1 }], 'b'],
    ['nothing eligible', [{ id: 'a', pages: { types: ['cart'] } }], null],
    ['no offers', [], null],
  ])('%s', (_label, raw, winner) => {
    const d = run({ offers: offers(...raw) })
    expect(d.shown).toBe(winner)
    expect(d.candidates.filter((c) => c.outcome === 'shown').map((c) => c.offerId)).toEqual(winner ? [winner] : [])
  })

  it('the others are blocked with "lower priority than <id>"', () => {
    const d = run({ offers: offers({ id: 'a', priority: 1 }, { id: 'b', priority: 3 }, { id: 'c', priority: 3 }) })
    expect(d.candidates.map((c) => [c.offerId, c.outcome, c.reasons])).toEqual([
      ['a', 'blocked', ['lower priority than b']],
      ['b', 'shown', ['won: priority 3']],
      ['c', 'blocked', ['lower priority than b (config order)']],
    ])
  })
})

describe('triggers: decide does not wait', () => {
  it.each([
    [{ delayMs: 5000 }, 'waiting for delayMs 5000'],
    [{ scrollPercent: 50 }, 'waiting for scrollPercent 50'],
    [{ exitIntent: true }, 'waiting for exitIntent'],
    [{ inactivityMs: 30000 }, 'waiting for inactivityMs 30000'],
    [{ delayMs: 1000, exitIntent: true }, 'waiting for delayMs 1000,exitIntent'],
  ])('a winner with trigger %j waits, names it, and keeps the page', (trigger, reason) => {
    const d = run({ offers: offers({ id: 'a', priority: 2, trigger }, { id: 'b' }) })
    expect(d.shown).toBeNull()
    expect(d.candidates.map((c) => [c.outcome, c.reasons])).toEqual([['waiting', [reason]], ['blocked', ['lower priority than a']]])
  })

  it('a lower offer with a trigger is just blocked', () => {
    const d = run({ offers: offers({ id: 'a', priority: 2 }, { id: 'b', trigger: { exitIntent: true } }) })
    expect(d.candidates.map((c) => c.outcome)).toEqual(['shown', 'blocked'])
  })

  it('an ineligible offer with a trigger is blocked, not waiting', () => {
    expect(only({ trigger: { delayMs: 10 }, pages: { types: ['cart'] } })[0]).toBe('blocked')
  })
})

describe('holdout', () => {
  // person keys whose bucket for offer "a" is known, found by search so the test does not hard-code the hash
  const keyIn = (lo: number, hi: number) => {
    for (let n = 0; ; n++) if (bucket('p' + n, 'a') >= lo && bucket('p' + n, 'a') < hi) return 'p' + n
  }

  it('FNV-1a 32-bit over UTF-8 of personKey:offerId, mod 100 (pinned: other systems recompute it)', () => {
    expect(bucket('anon-123', 'cart_recovery')).toBe(0x26c068c0 % 100)
    expect(bucket('user@example.com', 'welcome')).toBe(0x10d0e421 % 100)
    expect(bucket('josé@exämple.com', 'cart_recovery')).toBe(0xb9098458 % 100)
    expect(bucket('', '')).toBe(0x3f0cb86d % 100)
  })

  it('is stable across calls and differs between offers', () => {
    const rnd = mulberry32(7)
    const keys = Array.from({ length: 1000 }, () => rnd().toString(36).slice(2))
    const first = keys.map((k) => bucket(k, 'a'))
    expect(keys.map((k) => bucket(k, 'a'))).toEqual(first)
    expect(first.every((b) => Number.isInteger(b) && b >= 0 && b < 100)).toBe(true)
    const same = keys.filter((k) => bucket(k, 'a') === bucket(k, 'b')).length
    expect(same).toBeLessThan(40) // about 1% by chance
  })

  it.each([
    ['random ids', (n: number, r: () => number) => r().toString(36).slice(2) + n],
    ['sequential emails', (n: number) => `user${n}@example.com`],
    ['sequential numbers', (n: number) => String(n)],
  ])('10%% holdout puts 10%% ± 1.5%% of 20000 %s in control, for several offers', (_label, key) => {
    const rnd = mulberry32(42)
    const keys = Array.from({ length: 20000 }, (_, n) => key(n, rnd))
    for (const offer of ['cart_recovery', 'welcome', 'x']) {
      const share = keys.filter((k) => bucket(k, offer) < 10).length / keys.length
      expect(share).toBeGreaterThan(0.085)
      expect(share).toBeLessThan(0.115)
    }
    // and roughly uniform over every decile
    const deciles = Array<number>(10).fill(0)
    for (const k of keys) deciles[Math.floor(bucket(k, 'welcome') / 10)]!++
    for (const n of deciles) expect(Math.abs(n / keys.length - 0.1)).toBeLessThan(0.015)
  })

  it('the control group gets held_out instead of shown, and nothing else is shown', () => {
    const personKey = keyIn(0, 10)
    const d = run({ offers: offers({ id: 'a', priority: 2, holdoutPercent: 10 }, { id: 'b' }), personKey })
    expect(d.shown).toBeNull()
    expect(d.candidates.map((c) => [c.outcome, c.holdout, c.reasons])).toEqual([
      ['held_out', true, [`holdout: bucket ${bucket(personKey, 'a')} < 10`]],
      ['blocked', false, ['lower priority than a']],
    ])
  })

  it('outside the control group the offer is shown', () => {
    const personKey = keyIn(10, 100)
    const d = run({ offers: offers({ id: 'a', holdoutPercent: 10 }), personKey })
    expect(d.shown).toBe('a')
    expect(d.candidates[0]).toMatchObject({ outcome: 'shown', holdout: false })
  })

  it.each([
    [0, false],
    [100, true],
  ])('holdoutPercent %i: control is %s for everyone', (holdoutPercent, held) => {
    for (let n = 0; n < 200; n++) expect(run({ offers: offers({ id: 'a', holdoutPercent }), personKey: 'k' + n }).candidates[0]!.holdout).toBe(held)
  })

  it('the same person gets the same outcome on every page and in every session', () => {
    const input = { offers: offers({ id: 'a', holdoutPercent: 50 }) }
    for (let n = 0; n < 50; n++) {
      const personKey = 'person' + n
      const outcomes = new Set(['s1', 's2', 's3'].map((sessionId, i) => run({ ...input, personKey, sessionId, now: NOW + i * D }).candidates[0]!.outcome))
      expect(outcomes.size).toBe(1)
    }
  })

  it('a held-out winner with a trigger still waits, marked holdout (the renderer counts it when the trigger fires)', () => {
    const d = run({ offers: offers({ id: 'a', holdoutPercent: 10, trigger: { exitIntent: true } }), personKey: keyIn(0, 10) })
    expect(d.candidates[0]).toMatchObject({ outcome: 'waiting', holdout: true, reasons: ['waiting for exitIntent'] })
  })
})

describe('decisionId and purity', () => {
  it('is the same for the same input and changes with person, session and time', () => {
    const id = run().decisionId
    expect(id).toMatch(/^[0-9a-z]+$/)
    expect(run().decisionId).toBe(id)
    expect(new Set([id, run({ personKey: 'anon-2' }).decisionId, run({ sessionId: 's2' }).decisionId, run({ now: NOW + 1 }).decisionId]).size).toBe(4)
  })

  it('does not read the clock or randomness, nor change its input', () => {
    const deepFreeze = <T>(o: T): T => {
      if (o && typeof o === 'object') for (const v of Object.values(o)) deepFreeze(v)
      return Object.freeze(o)
    }
    const input = deepFreeze({
      offers: offers(CART, WELCOME, { id: 'bar', kind: 'bar', holdoutPercent: 50 }), governance: GOV, flags: { cio_cart_abandon_4h: true }, syncedAt: SYNCED,
      history: { orderAt: NOW - 30 * D, offers: { welcome: { views: [NOW - H] } }, session: { id: 's1', offers: ['bar'] } },
      page: { type: 'product', path: '/products/tee' }, now: NOW, personKey: 'anon-1', sessionId: 's1',
    })
    const first = JSON.stringify(decide(input))
    const realRandom = Math.random
    const realNow = Date.now
    Math.random = () => 0.5
    Date.now = () => 0
    try {
      expect(JSON.stringify(decide(input))).toBe(first)
    } finally {
      Math.random = realRandom
      Date.now = realNow
    }
  })
})

describe('every offer gets a reason', () => {
  it('over 500 random situations, each candidate has an outcome and at least one reason, and at most one is not blocked', () => {
    const rnd = mulberry32(2026)
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!
    const maybe = (p: number) => rnd() < p
    for (let n = 0; n < 500; n++) {
      const raw = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, i) => ({
        id: 'o' + i, priority: pick([0, 1, 2]), incentive: maybe(0.5), holdoutPercent: pick([0, 50, 100]),
        suppressAfterPurchase: maybe(0.5),
        audience: { all: maybe(0.3) ? ['a'] : [], any: maybe(0.3) ? ['b', 'c'] : [], none: maybe(0.3) ? ['vip'] : [] },
        pages: { types: maybe(0.3) ? ['product'] : [], urls: maybe(0.3) ? ['/products/*'] : [] },
        trigger: { exitIntent: maybe(0.2) },
        frequency: { maxViews: pick([0, 1, 3]), everyHours: pick([0, 24]) },
      }))
      const history: History = {
        ...(maybe(0.5) && { orderAt: NOW - pick([1, 5, 10]) * D }),
        ...(maybe(0.5) && { incentive: { at: NOW - pick([1, 20]) * D, offerId: pick(['o0', 'o1', 'zz']) } }),
        offers: { o0: { views: maybe(0.5) ? [NOW - H] : [], ...(maybe(0.2) && { dismissedAt: NOW - D }) } },
        ...(maybe(0.5) && { session: { id: 's1', offers: [pick(['o0', 'o1', 'o2'])] } }),
      }
      const d = run({
        offers: offers(...raw), history, flags: { a: maybe(0.5), b: maybe(0.5), vip: maybe(0.3) },
        page: pick([{ type: 'product', path: '/products/x' }, { type: 'home', path: '/' }]), personKey: 'p' + n,
        governance: { ...GOV, maxOffersPerSession: pick([0, 1, 2]) },
      })
      expect(d.candidates.map((c) => c.offerId)).toEqual(raw.map((r) => r.id))
      for (const c of d.candidates) {
        expect(c.reasons.length).toBeGreaterThan(0)
        expect(['shown', 'held_out', 'waiting', 'blocked']).toContain(c.outcome)
      }
      expect(d.candidates.filter((c) => c.outcome !== 'blocked').length).toBeLessThanOrEqual(1)
      expect(d.shown).toBe(d.candidates.find((c) => c.outcome === 'shown')?.offerId ?? null)
    }
  })
})

describe('localFlags', () => {
  const flags = (h: History, returning = false, g = GOV) => localFlags(h, NOW, g, returning)
  const NONE = {
    'local.viewed_product_2plus': false, 'local.cart_active_4h': false, 'local.checkout_no_order': false,
    'local.purchased_recently': false, 'local.returning': false, 'local.incentive_recent': false,
  }
  it.each([
    ['a new visitor', {}, false, {}],
    ['returning', {}, true, { 'local.returning': true }],
    ['one product view', { productViews: [NOW - H] }, false, {}],
    ['two product views', { productViews: [NOW - 2 * H, NOW - H] }, false, { 'local.viewed_product_2plus': true }],
    ['cart activity 1h ago', { cartAt: NOW - H }, false, { 'local.cart_active_4h': true }],
    ['cart activity 4h ago', { cartAt: NOW - 4 * H }, false, {}],
    ['cart activity 1h ago, then an order', { cartAt: NOW - H, orderAt: NOW - H / 2 }, false, { 'local.purchased_recently': true }],
    ['checkout without order', { checkoutAt: NOW - 3 * D }, false, { 'local.checkout_no_order': true }],
    ['checkout, then the order', { checkoutAt: NOW - 3 * D, orderAt: NOW - 3 * D + 60000 }, false, { 'local.purchased_recently': true }],
    ['an old order, then a new checkout', { orderAt: NOW - 30 * D, checkoutAt: NOW - D }, false, { 'local.checkout_no_order': true }],
    ['order 8 days ago', { orderAt: NOW - 8 * D }, false, {}],
    ['incentive 13 days ago', { incentive: { at: NOW - 13 * D, offerId: 'x' } }, false, { 'local.incentive_recent': true }],
    ['incentive 15 days ago', { incentive: { at: NOW - 15 * D, offerId: 'x' } }, false, {}],
  ])('%s', (_label, h: History, returning, set) => {
    expect(flags(h, returning)).toEqual({ ...NONE, ...set })
  })

  it('follows governance', () => {
    const h: History = { orderAt: NOW - 2 * D, incentive: { at: NOW - 2 * D, offerId: 'x' } }
    expect(flags(h)).toMatchObject({ 'local.purchased_recently': true, 'local.incentive_recent': true })
    expect(flags(h, false, { ...GOV, purchaseQuietDays: 1, incentiveCooldownDays: 1 })).toMatchObject({ 'local.purchased_recently': false, 'local.incentive_recent': false })
  })

  it('merged with synced flags, a local flag drives an offer', () => {
    const synced = { vip: false }
    const history: History = { cartAt: NOW - H }
    const d = run({ offers: offers({ id: 'x', audience: { all: ['local.cart_active_4h'] } }), history, flags: { ...synced, ...localFlags(history, NOW, GOV, false) } })
    expect(d.shown).toBe('x')
  })
})

describe('decide: variants', () => {
  const AB = { id: 'ab', variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 1, content: { title: 'B' } }] }
  const pick = (key: string, over: Partial<DecideInput> = {}) => cand(run({ offers: offers(AB), personKey: key, ...over }), 'ab')

  it('the same visitor always gets the same variant, and the reason says how it was picked', () => {
    const first = pick('anon-1')
    expect(first.variant).toMatch(/^[ab]$/)
    for (let i = 0; i < 5; i++) expect(pick('anon-1').variant).toBe(first.variant)
    expect(first.reasons[0]).toMatch(new RegExp(`^variant ${first.variant}: bucket \\d+/10000 over weights a 1, b 1$`))
  })

  it('visitors split by the weights (1:3 within a few points over 4000 people)', () => {
    const o = offers({ id: 'w', variants: [{ id: 'small', weight: 1 }, { id: 'big', weight: 3 }] })
    const n = 4000
    let small = 0
    for (let i = 0; i < n; i++) small += cand(run({ offers: o, personKey: 'p' + i }), 'w').variant === 'small' ? 1 : 0
    expect(small / n).toBeGreaterThan(0.22)
    expect(small / n).toBeLessThan(0.28)
  })

  it('a known person is bucketed by userId: the same variant on every device (any anonymous id)', () => {
    const seen = new Set(Array.from({ length: 20 }, (_, i) => pick('device-' + i, { userId: 'cust-42' }).variant))
    expect(seen.size).toBe(1)
  })

  it('a variant kept in the history wins over the bucket (kept across identify), unless it was removed', () => {
    const other = pick('anon-1').variant === 'a' ? 'b' : 'a'
    const kept = pick('anon-1', { history: { offers: { ab: { variant: other } } }, userId: 'someone' })
    expect([kept.variant, kept.reasons[0]]).toEqual([other, `variant ${other}: kept from an earlier decision`])
    expect(pick('anon-1', { history: { offers: { ab: { variant: 'gone' } } } }).reasons[0]).toMatch(/^variant [ab]: bucket/)
  })

  it('holdout is per offer, outside the variants: a held-out visitor still has the variant they would get', () => {
    const c = cand(run({ offers: offers({ ...AB, holdoutPercent: 100 }) }), 'ab')
    expect(c.outcome).toBe('held_out')
    expect(c.variant).toBe(pick('anon-1').variant)
  })

  it('an offer without variants reads as its variation, with no variant reason', () => {
    const c = cand(run({ offers: offers({ id: 'plain', variation: 'v2' }) }), 'plain')
    expect([c.variant, c.reasons]).toEqual(['v2', ['won: priority 0']])
  })

  it('a variant with an incentive brings the incentive rules to its offer', () => {
    const o = offers({ id: 'inc', variants: [{ id: 'a' }, { id: 'b', incentive: true }] })
    expect(cand(run({ offers: o, history: { orderAt: NOW - D } }), 'inc').reasons).toContain('incentive: purchased within 7d')
  })
})

describe('decide: targeting the visit, device, cart and schedule', () => {
  const visit = { utm: { source: 'newsletter' }, referrer: '', landingPath: '/', device: 'mobile' as const }
  it('a rule that does not match blocks the offer with its reason; one that matches is in matched', () => {
    const o = offers({ id: 'mob', targeting: { devices: ['mobile'], utm: { source: ['newsletter'] } } }, { id: 'desk', targeting: { devices: ['desktop'] } })
    const d = run({ offers: o, visit })
    expect(cand(d, 'mob')).toMatchObject({ outcome: 'shown', matched: ['utm_source:newsletter', 'device:mobile'] })
    expect(cand(d, 'desk').reasons).toEqual(['targeting: device "mobile" matches none of [desktop]'])
  })

  it('cart rules read the cart the history kept; without one the cart is empty', () => {
    const o = offers({ id: 'big', targeting: { cart: { minValue: 100 } } })
    expect(cand(run({ offers: o }), 'big').reasons).toEqual(['targeting: cart value 0 < 100'])
    expect(cand(run({ offers: o, history: { cart: { value: 120, items: 3, at: NOW } } }), 'big').outcome).toBe('shown')
  })

  it('a schedule outside now blocks the offer', () => {
    const o = offers({ id: 'bf', targeting: { start: new Date(NOW + D).toISOString() } })
    expect(cand(run({ offers: o }), 'bf').reasons).toEqual([`schedule: starts ${new Date(NOW + D).toISOString()}`])
  })
})
