// Which offer to show on this page, as a pure function of the offers, the audience flags, this browser's
// history, the page and the time: the same input always gives the same decision, with a reason for every
// offer, so any decision can be logged, replayed in a test and explained to a merchant.
//
// - Fresh beats stale: an order seen here after audiences.syncedAt suppresses every suppressAfterPurchase
//   offer whatever the synced flags say, since they predate the purchase. With no syncedAt the flags' age
//   is unknown: an order within purchaseQuietDays suppresses them (not any order ever: a buyer of last
//   year would never see a welcome bar again).
// - decide does not wait for triggers. A winner with one (delayMs, scrollPercent, exitIntent, inactivityMs)
//   is 'waiting' and still takes the page, so a lower offer cannot flash first; the renderer shows it when
//   the trigger fires (or records the holdout then, if `holdout`, so both groups are counted at the same
//   moment).
// - Holdout: the winner of a visitor in its control group is 'held_out' and nothing else is shown, so the
//   control group measures "no offer", not "another offer".
// - The incentive cooldown is across offers: the offer that was shown keeps its own frequency cap.
import type { Attribution } from './attribution.ts'
import { glob } from './glob.ts'
import type { Governance, Offer } from './offers.ts'
import { checkTargeting, type CartState, type Visit } from './targeting.ts'

/**
 * What this browser did, kept small by its recorder (times in ms). Views and the incentive are recorded
 * when an offer is actually shown; `session.offers` also holds held-out offers, so a control visitor is
 * not offered something else on the next page.
 */
export interface History {
  productViews?: number[]
  cartAt?: number
  checkoutAt?: number
  orderAt?: number
  incentive?: { at: number; offerId: string }
  offers?: Record<string, { views?: number[]; dismissedAt?: number; submittedAt?: number; variant?: string; traitFor?: string }>
  session?: { id: string; offers: string[] }
  /** The offer decisions later orders are attributed to (attribution.ts). */
  decisions?: Attribution[]
  /** The cart as the last cart event said (targeting by cart value and items); emptied by an order. */
  cart?: CartState & { at: number }
  /** The landing page of a session (targeting by UTM, referrer, landing path). */
  landing?: Omit<Visit, 'device'> & { sessionId: string }
}

export interface DecideInput {
  offers: Offer[]
  governance: Governance
  /** Synced audience flags merged with `localFlags()`. */
  flags: Record<string, boolean>
  syncedAt?: number | undefined
  history: History
  page: { type: string; path: string }
  now: number
  /**
   * The id the holdout is keyed by: the anonymous id (which identify keeps), so a visitor keeps their bucket
   * across reloads and after they identify; only reset() (a new person) gives a new bucket.
   */
  personKey: string
  /** The known person, when there is one: variants are bucketed on it, so every device gets the same. */
  userId?: string | undefined
  sessionId: string
  /** This visit and device (default: a direct desktop visit to this page). */
  visit?: Visit
}

export type Outcome = 'shown' | 'held_out' | 'waiting' | 'blocked'
export interface Candidate {
  offerId: string
  outcome: Outcome
  reasons: string[]
  /** This visitor is in the offer's control group (whatever the outcome). */
  holdout: boolean
  /** The page rules and audience flags that matched. */
  matched: string[]
  /** The variant this visitor gets (or would get, held out): the offer's `variation` when it has none. */
  variant: string
}

/** What explain() returns: the last decision, as the debug panel and the merchant read it. */
export interface Explained {
  decisionId: string
  shown: string | null
  candidates: { offerId: string; outcome: Candidate['outcome']; reasons: string[] }[]
}
export interface Decision {
  decisionId: string
  /** The offer to render now; null when none, or when the winner waits for its trigger or is held out. */
  shown: string | null
  candidates: Candidate[]
}

const HOUR = 36e5
const DAY = 24 * HOUR

/** FNV-1a 32-bit over UTF-8, so other systems can recompute buckets from the same ids. */
const fnv = (s: string): number => {
  let h = 0x811c9dc5
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 16777619)
  return h >>> 0
}

/** The visitor's stable bucket (0..99) for an offer; below holdoutPercent means the control group. */
export const bucket = (personKey: string, offerId: string): number => fnv(personKey + ':' + offerId) % 100

/**
 * The visitor's variant of `o` and why: the one kept from an earlier decision while it still exists, else
 * a weighted pick by a stable bucket (0..9999) of the person, so a reload or a second tab agrees.
 */
export const pickVariant = (o: Offer, key: string, kept?: string): [variant: string, why: string] => {
  const vs = o.variants
  if (!vs.length) return [o.variation, '']
  if (kept && vs.some((v) => v.id === kept)) return [kept, `variant ${kept}: kept from an earlier decision`]
  const total = vs.reduce((a, v) => a + v.weight, 0)
  const b = fnv(key + ':' + o.id + ':variant') % 10000
  let acc = 0
  const v = vs.find((v) => (acc += v.weight) * 10000 > b * total) ?? vs[vs.length - 1]!
  return [v.id, `variant ${v.id}: bucket ${b}/10000 over weights ${vs.map((x) => x.id + ' ' + x.weight).join(', ')}`]
}

const within = (t: number | undefined, ms: number, now: number): boolean => t !== undefined && now - t < ms

/** Flags from this browser's own history, fresher than any synced audience. */
export const localFlags = (h: History, now: number, g: Governance, returning: boolean): Record<string, boolean> => {
  const order = h.orderAt ?? 0
  return {
    'local.viewed_product_2plus': (h.productViews?.length ?? 0) > 1,
    'local.cart_active_4h': within(h.cartAt, 4 * HOUR, now) && order < h.cartAt!,
    'local.checkout_no_order': order < (h.checkoutAt ?? 0),
    'local.purchased_recently': within(h.orderAt, g.purchaseQuietDays * DAY, now),
    'local.returning': returning,
    'local.incentive_recent': within(h.incentive?.at, g.incentiveCooldownDays * DAY, now),
  }
}

/** What every offer of one decision is judged against: the input, and what it says of the shopper. */
interface Judge {
  i: DecideInput
  on: (flag: string) => boolean
  /** the offers this session already had */
  session: string[]
  /** a purchase within purchaseQuietDays */
  quiet: boolean
  /** why the synced flags are stale, or false */
  stale: string | false
}

/** Where the offer may show: the page's type and path, and the visit, device, cart and schedule it targets. */
const placeRules = (o: Offer, { i }: Judge, reasons: string[], matched: string[]) => {
  const { page, history: h, now } = i
  const { types, urls } = o.pages
  const url = urls.find((u) => glob(u, page.path))
  if (types.length) types.includes(page.type) ? matched.push('type:' + page.type) : reasons.push(`page: type ${page.type} not in [${types}]`)
  if (urls.length) url ? matched.push('url:' + url) : reasons.push(`page: ${page.path} matches no url`)
  const [tr, tm] = checkTargeting(o.targeting, i.visit ?? { utm: {}, referrer: '', landingPath: page.path, device: 'desktop' }, h.cart ?? { value: 0, items: 0 }, now)
  reasons.push(...tr)
  matched.push(...tm)
}

/** Who it is for: the audience flags, and a purchase the synced flags do not know of yet. */
const audienceRules = (o: Offer, { on, stale }: Judge, reasons: string[], matched: string[]) => {
  const { all, any, none } = o.audience
  const missing = all.filter((f) => !on(f))
  const anyOn = any.filter(on)
  const noneOn = none.filter(on)
  if (missing.length) reasons.push(`audience: all:[${all}] missing ${missing}`)
  else matched.push(...all.map((f) => 'all:' + f))
  if (any.length && !anyOn.length) reasons.push(`audience: any:[${any}] none set`)
  matched.push(...anyOn.map((f) => 'any:' + f))
  if (noneOn.length) reasons.push(`audience: none:[${none}] matched ${noneOn}`)
  if (o.suppressAfterPurchase && stale) reasons.push(stale)
}

/** How often: incentive quiet days and cooldown, the offer's frequency cap, the session's offer count. */
const governanceRules = (o: Offer, { i, session, quiet }: Judge, reasons: string[]) => {
  const { governance: g, history: h, now } = i
  if (o.incentive || o.variants.some((v) => v.offer.incentive)) {
    if (quiet) reasons.push(`incentive: purchased within ${g.purchaseQuietDays}d`)
    const last = h.incentive
    if (last && last.offerId !== o.id && within(last.at, g.incentiveCooldownDays * DAY, now))
      reasons.push(`incentive: ${last.offerId} shown within ${g.incentiveCooldownDays}d`)
  }
  const f = o.frequency
  const seen = h.offers?.[o.id]
  const views = seen?.views?.filter((t) => !f.everyHours || within(t, f.everyHours * HOUR, now)).length ?? 0
  if (f.maxViews && views >= f.maxViews) reasons.push(`frequency: ${views} views in ${f.everyHours ? f.everyHours + 'h' : 'total'}`)
  if (f.stopAfterDismiss && seen?.dismissedAt !== undefined) reasons.push('frequency: dismissed')
  if (f.stopAfterSubmit && seen?.submittedAt !== undefined) reasons.push('frequency: submitted')
  const others = session.filter((id) => id !== o.id)
  if (others.length >= g.maxOffersPerSession) reasons.push(`session: max ${g.maxOffersPerSession} reached${others.length ? ' by ' + others : ''}`)
}

/** One offer, judged on its own: every rule it fails, what matched, and its holdout bucket. */
const judge = (o: Offer, j: Judge) => {
  const reasons: string[] = []
  const matched: string[] = []
  placeRules(o, j, reasons, matched)
  audienceRules(o, j, reasons, matched)
  governanceRules(o, j, reasons)
  const b = bucket(j.i.personKey, o.id)
  return { o, b, c: { offerId: o.id, outcome: 'blocked' as Outcome, reasons, holdout: b < o.holdoutPercent, matched, variant: o.variation } }
}

/** Every offer's outcome with its reasons, in config order; at most one is not 'blocked'. */
export const decide = (i: DecideInput): Decision => {
  const { governance: g, history: h, now } = i
  const quiet = within(h.orderAt, g.purchaseQuietDays * DAY, now)
  const j: Judge = {
    i,
    // own keys only: a flag a page script put on Object.prototype must not put a shopper in an audience
    on: (f) => Object.prototype.hasOwnProperty.call(i.flags, f) && i.flags[f] === true,
    session: h.session?.id === i.sessionId ? [...new Set(h.session.offers)] : [],
    quiet,
    stale: i.syncedAt === undefined ? quiet && `purchase seen within ${g.purchaseQuietDays}d, no syncedAt` : h.orderAt! > i.syncedAt && 'purchase seen after audience sync',
  }
  const cands = i.offers.map((o) => judge(o, j))
  // the highest priority among the eligible; ties go to the earlier offer
  const win = cands.reduce<Offer | undefined>((w, { o, c }) => (!c.reasons.length && (!w || o.priority > w.priority) ? o : w), undefined)
  let shown: string | null = null
  for (const { o, b, c } of cands) {
    if (c.reasons.length) continue
    if (o !== win) {
      c.reasons.push(`lower priority than ${win!.id}${o.priority === win!.priority ? ' (config order)' : ''}`)
      continue
    }
    const wait = Object.entries(o.trigger).filter(([, v]) => v).map(([k, v]) => (v === true ? k : k + ' ' + v))
    c.outcome = wait.length ? 'waiting' : c.holdout ? 'held_out' : 'shown'
    const [variant, why] = pickVariant(o, i.userId || i.personKey, h.offers?.[o.id]?.variant)
    c.variant = variant
    if (why) c.reasons.push(why)
    c.reasons.push(wait.length ? 'waiting for ' + wait : c.holdout ? `holdout: bucket ${b} < ${o.holdoutPercent}` : `won: priority ${o.priority}`)
    if (c.outcome === 'shown') shown = o.id
  }
  return { decisionId: fnv(i.personKey + ':' + i.sessionId).toString(36) + now.toString(36), shown, candidates: cands.map((x) => x.c) }
}
