// Runs the offers of one page: gathers the audience flags (page, audiencesUrl, this browser's history),
// asks decide() once, shows the winner when its trigger fires (or counts the visitor as held out), and
// sends what the visitor does with it back as offer_* events. Every decision stays explainable.
import { audiencesUrl, loadAudiences } from '../audiences/audiences.ts'
import { resolveHost } from '../config.ts'
import { decide, localFlags, type Candidate, type Decision, type Explained, type History } from './decide.ts'
import type { HistoryStore, OfferAct } from './history.ts'
import { debug, error, warn } from '../util/log.ts'
import { parseAudiences, parseOffers, type Offer } from './offers.ts'
import { overlay } from '../render/overlay.ts'
import { renderOffer } from '../render/render.ts'
import { appear, arm, domReady } from './wait.ts'
import { connectWisepops, HANDOVER_EVENT, segmentsValue } from '../wisepops/wisepops.ts'

/** Config keys read here, beside the core's. */
export const OFFER_KEYS = ['offers', 'governance', 'audiences', 'audiencesUrl', 'audiencesWaitMs', 'audiencesTtlMs', 'pageType', 'wisepops']

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

export type { Explained }

/** The store says what the page is (the Shopify snippet renders its template); otherwise the path tells. */
export const pageType = (path: string, given: unknown): string =>
  typeof given === 'string' && given
    ? given
    : path === '/' ? 'home' : (/^\/(products|collections|cart|search|blogs|pages|account)\b/.exec(path)?.[1]?.replace(/s$/, '') ?? 'other')

export const startOffers = (d: ShowDeps) => {
  let parsed: ReturnType<typeof parseOffers>
  try {
    // Most pages of most stores have no offers: nothing to parse, nothing to decide.
    if (d.input.offers === undefined) return undefined
    parsed = parseOffers(d.input)
  } catch (e) {
    return void error('offers ignored: ' + e)
  }
  const { offers, governance } = parsed
  if (!offers.length) return undefined
  const page = { type: pageType(d.w.location.pathname, d.input.pageType), path: d.w.location.pathname }
  let last: Decision | undefined
  // the flags of the last decision (synced and local), for Wisepops
  let all: Record<string, boolean> = {}
  // decides again with what this browser has done since (see show())
  let redecide: (() => Decision) | undefined
  let paint: ((e: Explained) => void) | undefined
  // the winner once it was shown, held out or could not be shown: what it became, and why (explain())
  let fired: { id: string; outcome: Candidate['outcome']; why: string } | undefined
  let open: { offer: Offer; close(): void } | undefined
  type Props = Record<string, unknown> & { offer_id: string; incentive: boolean }
  // consent withdrawn: what is still on screen or armed records and sends nothing more
  let stopped = false
  const record = (props: Props, a: OfferAct, event: string) => {
    if (stopped) return
    d.history.offer(props.offer_id, a, d.now(), d.session().id, props.incentive)
    d.track(event, props)
  }

  // Wisepops: its popup on screen holds ours back (never two popups at once); what it shows and what the
  // shopper does with it become the same offer_* events. `handed` is the offer given to it to show.
  let handed: Props | undefined
  let current: Props | undefined
  let submitted = false
  let held: (() => void) | undefined
  const wp = d.input.wisepops === true ? connectWisepops(d.w, {
    display(id) {
      if (open?.offer.kind === 'popup') debug('a Wisepops popup opened: closing ours'), open.close(), (open = undefined)
      current = { ...(handed ?? { offer_id: 'wisepops_' + (id || 'popup'), offer_name: 'wisepops ' + id, variation: 'a', kind: 'popup', decision_id: last?.decisionId ?? '', audiences: [], incentive: false, holdout: false, trigger: 'wisepops', page_type: page.type }), source: 'wisepops' }
      handed = undefined
      submitted = false
      record(current, 'view', 'offer_seen')
    },
    submit(_, traits) {
      if (!current) return
      if (traits.email || traits.phone) d.identify(traits)
      submitted = true
      record(current, 'submit', 'offer_submitted')
    },
    click: () => current && !stopped && d.track('offer_clicked', current),
    close() {
      if (current && !submitted) record(current, 'dismiss', 'offer_dismissed')
      current = undefined
      const h = held
      held = undefined
      h?.()
    },
  }) : undefined

  const failed = (e: unknown) => error('offers failed: ' + e)

  const show = (o: Offer, c: Candidate, decisionId: string, trigger: string): unknown => {
    if (stopped) return
    // While it waited for its trigger (or for a Wisepops popup to close), a purchase here or another popup
    // taking the session's slot may have ruled it out, or an offer above it come in: decided again, it must
    // still win, or the new decision is followed instead (QA, 2026-11-23). Its holdout and matched flags are
    // the new decision's too (the anonymous id may have changed meanwhile).
    const again = redecide?.()
    const now = again?.candidates.find((x) => x.offerId === o.id)
    if (now?.outcome === 'blocked') return now.reasons.unshift(`trigger fired: ${trigger}; decided again`), follow(again!).catch(failed)
    if (now) c = now
    const props: Props = {
      offer_id: o.id, offer_name: o.name, variation: o.variation, kind: o.kind, decision_id: decisionId,
      audiences: c.matched.filter((m) => /^(all|any):/.test(m)).map((m) => m.slice(4)),
      incentive: o.incentive, holdout: c.holdout, trigger, page_type: page.type, source: 'onsite',
    }
    const act = (a: OfferAct, event: string) => record(props, a, event)
    const done = (outcome: Candidate['outcome'], why = 'trigger fired: ' + trigger) => ((fired = { id: o.id, outcome, why }), paint?.(explain()!))
    const fail = (why: string) => (done('blocked', 'not shown: ' + why), error(`offer "${o.id}" not shown: ${why}`))
    // The control group is counted once per session, like a first view: later pages show nothing more.
    const ses = d.history.get().session
    if (c.holdout) return done('held_out'), (ses?.id === d.session().id && Array.isArray(ses.offers) && ses.offers.includes(o.id)) || act('hold', 'offer_held_out')
    if (o.renderer === 'wisepops') {
      if (!wp) return fail('renderer is "wisepops" but config.wisepops is not true')
      done('shown')
      handed = props
      wp.properties({ onsite_offer: o.id })
      return wp.event(HANDOVER_EVENT)
    }
    if (current && o.kind === 'popup') return (held = () => show(o, c, decisionId, trigger))
    let seen = false
    const r = renderOffer(d.w.document, o, {
      // Counted only when actually seen (visible tab, half in view), once per decision.
      onSeen: () => seen || ((seen = true), act('view', 'offer_seen')),
      onClick: () => stopped || d.track('offer_clicked', props),
      onSubmit: (traits) => (d.identify({ ...traits }), act('submit', 'offer_submitted')),
      onDismiss: () => ((open = undefined), act('dismiss', 'offer_dismissed')),
    }, o.position)
    if (typeof r == 'string') return fail(r)
    done('shown')
    open = { offer: o, close: r.close }
  }

  const run = async (): Promise<void> => {
    const synced = parseAudiences(d.input.audiences)
    let { flags, syncedAt } = synced
    const tpl = d.input.audiencesUrl
    if (typeof tpl === 'string') {
      // https or a path on the store only: flags decide who sees a discount, so never plain http
      const url = resolveHost(audiencesUrl(tpl, d.ids()), d.w.location.href)
      const num = (v: unknown, def: number) => (typeof v === 'number' && v >= 0 ? v : def)
      const got = url
        ? await loadAudiences({ fetch: (...a) => d.w.fetch(...a), ls: d.ls, now: d.now }, url, num(d.input.audiencesTtlMs, 300000), num(d.input.audiencesWaitMs, 300))
        : error('config.audiencesUrl must be an https URL or a path on the store')
      if (got) (flags = { ...flags, ...got.flags }), (syncedAt = got.syncedAt ?? syncedAt)
    }
    redecide = () => {
      const s = d.session()
      const now = d.now()
      const go = (history: History) => {
        all = { ...flags, ...localFlags(history, now, governance, s.returning) }
        return decide({ offers, governance, flags: all, syncedAt, history, page, now, personKey: d.ids().anonymousId, sessionId: s.id })
      }
      try {
        return go(d.history.get())
      } catch {
        // a history another script or a hand edit left in the wrong shape ({"session": {"offers": 5}})
        warn('offer history of the wrong shape: starting over')
        d.history.clear()
        return go({})
      }
    }
    const decision = (last = redecide())
    const doc = d.w.document
    await domReady(doc)
    if (d.overlay) paint = overlay(doc)
    return follow(decision)
  }

  /** Acts on a decision: its winner waits for its embed target and its trigger, then shows or is held out. */
  const follow = async (dec: Decision): Promise<void> => {
    debug('decision ' + JSON.stringify(dec))
    last = dec
    fired = undefined
    paint?.(explain()!)
    // Wisepops targets on these: the decision being followed, and the flags it was made with
    wp?.properties({ onsite_segments: segmentsValue(all), onsite_decision: dec.decisionId, onsite_offer: null })
    const c = dec.candidates.find((x) => x.outcome !== 'blocked')
    const o = c && offers.find((x) => x.id === c.offerId)
    if (!c || !o) return
    if (o.kind === 'embed') {
      fired = { id: o.id, outcome: 'waiting', why: 'waiting for its target ' + JSON.stringify(o.target) }
      await appear(d.w.document, o.target!)
    }
    // from a timer or a listener: a throw would reach the page
    if (c.outcome === 'waiting')
      arm(d.w, o.trigger, (trigger) => {
        try {
          show(o, c, dec.decisionId, trigger)
        } catch (e) {
          failed(e)
        }
      })
    else show(o, c, dec.decisionId, 'immediate')
  }

  /** The last decision: which offer is shown and why every offer is or is not. */
  const explain = (): Explained | undefined =>
    last && {
      decisionId: last.decisionId,
      shown: fired?.outcome === 'shown' ? fired.id : null,
      // the winner reads as what it became: shown or held out once its trigger fired, or blocked when it
      // could not be shown or was ruled out meanwhile
      candidates: last.candidates.map(({ offerId, outcome, reasons }) =>
        fired?.id === offerId && outcome !== fired.outcome ? { offerId, outcome: fired.outcome, reasons: [...reasons, fired.why] } : { offerId, outcome, reasons }),
    }
  void run().catch(failed)

  return {
    explain,
    /** A purchase here closes an open offer that purchases suppress, before any audience sync catches up. */
    observe(event: string): void {
      if (event === 'Order Completed' && open?.offer.suppressAfterPurchase) open.close(), (open = undefined)
    },
    /** Consent withdrawn: the offer on screen goes, and nothing more is shown, stored or sent. */
    stop(): void {
      stopped = true
      open?.close()
      open = undefined
    },
  }
}
