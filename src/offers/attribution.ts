// Which offer decisions a later Product Added, Checkout Started or Order Completed follows: each decision
// (shown or held out) is remembered in the offer history for `attributionDays`, and stamped on those events
// as `onsite_offers`, so the lift report and Customer.io can join an order to the offers before it without
// a warehouse join on ids. The first decision of an offer inside the window is the one that counts (the
// report's rule too): a second page view of the same popup is not a new experiment arm.
// In: the history's list; out: the live entries. Pure; the core, the offers and the checkout pixel share it.

export interface Attribution {
  offer_id: string
  variant: string
  group: 'exposed' | 'held_out'
  decision_id: string
  /** ISO time of the decision (when the offer was seen, or the visitor held out) */
  decided_at: string
}

/** The offer history's localStorage key (history.ts), which the checkout pixel reads through Shopify's browser.localStorage. */
export const HISTORY_KEY = 'onsite:history'
/** The events that carry `onsite_offers`. */
export const ATTRIBUTED = /^(Product Added|Checkout Started|Order Completed)$/
const DAY = 864e5
/** A decision log stays small: one live entry per offer, and a store rarely runs 20 at once. */
const KEEP = 20

const valid = (a: any): a is Attribution =>
  !!a && typeof a.offer_id == 'string' && typeof a.variant == 'string' && /^(exposed|held_out)$/.test(a.group) &&
  typeof a.decision_id == 'string' && typeof a.decided_at == 'string'

/** The entries decided within the last `days` (a hand-edited or foreign list reads as what is valid in it). */
export const live = (list: unknown, now: number, days: number): Attribution[] =>
  Array.isArray(list) ? list.filter((a) => valid(a) && now - Date.parse(a.decided_at) < days * DAY && Date.parse(a.decided_at) <= now + DAY) : []

/** `list` with `a` added, unless its offer already has a live decision; expired entries are dropped. */
export const remember = (list: unknown, a: Attribution, now: number, days: number): Attribution[] => {
  const kept = live(list, now, days)
  return kept.some((x) => x.offer_id === a.offer_id) ? kept : [...kept, a].slice(-KEEP)
}
