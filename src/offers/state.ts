// What one page's offers know between their steps (show.ts runs them): the parsed offers, the decision
// being followed, what its winner became, the offer on screen, and the Wisepops handover.
import type { Candidate, Decision, Explained } from './decide.ts'
import { remember } from './attribution.ts'
import { recordAct, type HistoryStore, type OfferAct } from './history.ts'
import type { Governance, Offer } from './offers.ts'
import type { WisepopsBridge } from '../wisepops/wisepops.ts'

export interface ShowDeps {
  w: Window
  /** The raw config: offers, governance, audiences, audiencesUrl, ... */
  input: Record<string, unknown>
  history: HistoryStore
  ls: Storage | undefined
  ids: () => { anonymousId: string; userId?: string | undefined }
  session: () => { id: string; returning: boolean }
  track: (event: string, props: Record<string, unknown>) => void
  identify: (traits: Record<string, unknown>) => void
  now: () => number
  /** Debug mode (config.debug or ?onsite_debug=1): the decision panel and the debug lines. */
  overlay: boolean
  /** The phone as identify() will read it (config.defaultCountry), in E.164, or '' when it is not one. */
  phone?: (raw: string) => string
  /** How long a decision is stamped on later cart and order events (config.attributionDays; default 7). */
  attributionDays?: number
}

/** The properties of every offer_* event of one offer shown (or handed to Wisepops). */
export type OfferProps = Record<string, unknown> & { offer_id: string; variant: string; decision_id: string; incentive: boolean }

export interface OfferState {
  d: ShowDeps
  offers: Offer[]
  governance: Governance
  page: { type: string; path: string }
  last?: Decision | undefined
  /** the flags of the last decision (synced and local), for Wisepops */
  all: Record<string, boolean>
  /** decides again with what this browser has done since */
  redecide?: (() => Decision) | undefined
  paint?: ((e: Explained) => void) | undefined
  /** the winner once it was shown, held out or could not be shown: what it became, and why (explain()) */
  fired?: { id: string; outcome: Candidate['outcome']; why: string } | undefined
  open?: { offer: Offer; close(): void } | undefined
  /** consent withdrawn: what is still on screen or armed records and sends nothing more */
  stopped: boolean
  wp?: WisepopsBridge | undefined
  /** the offer given to Wisepops to show */
  handed?: OfferProps | undefined
  /** what Wisepops shows now */
  current?: OfferProps | undefined
  submitted: boolean
  /** an offer of ours waiting for Wisepops' popup to close */
  held?: (() => void) | undefined
}

/** Remembers what the shopper did with an offer and sends it as an offer_* event. */
export const record = (s: OfferState, props: OfferProps, a: OfferAct, event: string) => {
  if (s.stopped) return
  const now = s.d.now()
  s.d.history.edit((h) => recordAct(h, props.offer_id, a, now, s.d.session().id, props.incentive))
  if (a === 'view' || a === 'hold') decided(s, props, a === 'hold', now)
  s.d.track(event, props)
}

/**
 * A decision took effect (seen or held out): it is kept for attribution, the variant sticks to this
 * browser, and a known person's variant goes to Customer.io as the trait `onsite_variants` (once per change
 * of variant or person), so campaigns and other devices can follow it.
 */
const decided = (s: OfferState, props: OfferProps, held: boolean, now: number) => {
  const { offer_id: id, variant } = props
  const userId = s.d.ids().userId
  let send = false
  s.d.history.edit((h) => {
    h.decisions = remember(h.decisions, { offer_id: id, variant, group: held ? 'held_out' : 'exposed', decision_id: props.decision_id, decided_at: new Date(now).toISOString() }, now, s.d.attributionDays ?? 7)
    const o = ((h.offers ??= {})[id] ??= {})
    send = !!userId && s.offers.find((x) => x.id === id)?.variants.length! > 0 && (o.variant !== variant || o.traitFor !== userId)
    o.variant = variant
    if (send) o.traitFor = userId!
  })
  if (send) s.d.identify({ onsite_variants: { [id]: variant } })
}

/** The last decision: which offer is shown and why every offer is or is not. */
export const explain = (s: OfferState): Explained | undefined => {
  const { last, fired } = s
  return last && {
    decisionId: last.decisionId,
    shown: fired?.outcome === 'shown' ? fired.id : null,
    // the winner reads as what it became: shown or held out once its trigger fired, or blocked when it
    // could not be shown or was ruled out meanwhile
    candidates: last.candidates.map(({ offerId, outcome, reasons }) =>
      fired?.id === offerId && outcome !== fired.outcome ? { offerId, outcome: fired.outcome, reasons: [...reasons, fired.why] } : { offerId, outcome, reasons }),
  }
}
