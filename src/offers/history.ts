// What this browser did that offer decisions depend on (decide.ts's History), in localStorage so it
// survives reloads and is shared by tabs; in memory when storage refuses. Written only after consent
// (it is created by the running core), cleared with everything else on denial and by reset().
import type { History } from './decide.ts'
import { loadJSON, saveJSON } from '../util/json.ts'
import { HISTORY_KEY as KEY } from './attribution.ts'
/** Enough for "viewed 2+ products"; the list never grows past it. */
const KEEP = 20

export type OfferAct = 'view' | 'dismiss' | 'submit' | 'hold'

/**
 * What the shopper did with an offer in this session, written into the history (`edit` saves it). Apart
 * from the history store, so the core, which never shows an offer, does not carry it.
 */
export const recordAct = (h: History, id: string, act: OfferAct, at: number, sessionId: string, incentive: boolean): void => {
  const o = ((h.offers ??= {})[id] ??= {})
  if (act === 'view') {
    o.views = [...(o.views ?? []), at].slice(-KEEP)
    if (incentive) h.incentive = { at, offerId: id }
  }
  if (act === 'dismiss') o.dismissedAt = at
  if (act === 'submit') o.submittedAt = at
  if (act === 'view' || act === 'hold') {
    const s = h.session?.id === sessionId ? h.session : (h.session = { id: sessionId, offers: [] })
    if (!s.offers.includes(id)) s.offers.push(id)
  }
}

export const createHistory = (ls: Storage | undefined) => {
  let mem: History = {}
  const get = (): History => {
    const h = loadJSON<History>(ls, KEY)
    return h && typeof h === 'object' ? h : mem
  }
  /** Changes the history with `fn`, saves it, and returns it as saved. */
  const update = (fn: (h: History) => void): History => {
    let h = get()
    try {
      fn(h)
    } catch {
      // a value another script or a hand edit left in the wrong shape ({"offers": 5}): start over
      fn((h = {}))
    }
    saveJSON(ls, KEY, (mem = h))
    return h
  }
  return {
    get,
    /** Changes the history with `fn` and saves it (the offers record their decisions through it). */
    edit: (fn: (h: History) => void): void => void update(fn),
    /**
     * Records the ecommerce events decisions read; other events cost nothing. A cart event with a `value`
     * (Cart Viewed, the Shopify build's adds and removes) also keeps the cart's value and item count.
     * Returns the history as saved when the event changed it (its decisions are stamped on the event).
     */
    observe(event: string, at: number, p: Record<string, any> = {}): History | undefined {
      if (event === 'Product Viewed') return update((h) => (h.productViews = [...(h.productViews ?? []), at].slice(-KEEP)))
      if (/^(Product Added|Product Removed|Cart Viewed)$/.test(event))
        return update((h) => {
          h.cartAt = at
          if (typeof p.value == 'number') h.cart = { value: p.value, items: Array.isArray(p.products) ? p.products.reduce((n, x) => n + (+x?.quantity || 1), 0) : 0, at }
        })
      if (event === 'Checkout Started') return update((h) => (h.checkoutAt = at))
      if (event === 'Order Completed') return update((h) => ((h.orderAt = at), (h.cart = { value: 0, items: 0, at })))
    },
    clear(): void {
      mem = {}
      saveJSON(ls, KEY)
    },
  }
}
export type HistoryStore = ReturnType<typeof createHistory>
