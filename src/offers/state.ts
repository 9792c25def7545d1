// What one page's offers know between their steps (show.ts runs them): the parsed offers, the decision
// being followed, what its winner became, the offer on screen, and the Wisepops handover.
import type { Candidate, Decision, Explained } from './decide.ts'
import type { HistoryStore, OfferAct } from './history.ts'
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
  overlay: boolean
}

/** The properties of every offer_* event of one offer shown (or handed to Wisepops). */
export type OfferProps = Record<string, unknown> & { offer_id: string; incentive: boolean }

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
  s.d.history.offer(props.offer_id, a, s.d.now(), s.d.session().id, props.incentive)
  s.d.track(event, props)
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
