// Runs the offers of one page: gathers the audience flags (page, audiencesUrl, this browser's history),
// asks decide() once, shows the winner when its trigger fires (or counts the visitor as held out), and
// sends what the visitor does with it back as offer_* events. Every decision stays explainable.
// In: the raw config and the page; out: offer_* track calls, identify from a capture form, explain().
import { audiencesRequest, loadAudiences, tokenRequest } from '../audiences/audiences.ts'
import { resolveHost } from '../config.ts'
import { overlay } from '../render/overlay.ts'
import { renderOffer } from '../render/render.ts'
import { debug, error, setVerbose, warn } from '../util/log.ts'
import { HANDOVER_EVENT, segmentsValue } from '../wisepops/wisepops.ts'
import { fetchCode } from './code.ts'
import { decide, localFlags, type Candidate, type Decision, type Explained, type History } from './decide.ts'
import { wisepopsHandover } from './handover.ts'
import type { OfferAct } from './history.ts'
import { parseAudiences, parseOffers, type Audiences, type Offer } from './offers.ts'
import { explain, record, type OfferProps, type OfferState, type ShowDeps } from './state.ts'
import { pageType } from './page.ts'
import { visitOf } from './visit.ts'
import { appear, arm, domReady } from './wait.ts'

export { OFFER_KEYS, pageType } from './page.ts'
export type { Explained, ShowDeps }

const failed = (e: unknown) => error('offers failed: ' + e)

/**
 * The flags rendered into the page, merged with audiencesUrl's answer. With `audiencesToken` in the config,
 * only a visitor with a token asks (a guest's is null or ""): the service knows people, not browsers.
 */
const fetchedFlags = async (d: ShowDeps, tpl: string, page: Audiences) => {
  let { flags, syncedAt } = page
  const token = d.input.audiencesToken
  if ('audiencesToken' in d.input && !(typeof token == 'string' && token)) return { flags, syncedAt }
  // https or a path on the store only: flags decide who sees a discount, so never plain http
  const [path, body, person] = typeof token == 'string' ? tokenRequest(tpl, token) : audiencesRequest(tpl, d.ids())
  const url = resolveHost(path, d.w.location.href)
  const num = (v: unknown, def: number) => (typeof v === 'number' && v >= 0 ? v : def)
  const got = url
    ? await loadAudiences({ fetch: (...a) => d.w.fetch(...a), ls: d.ls, now: d.now }, url, num(d.input.audiencesTtlMs, 300000), num(d.input.audiencesWaitMs, 300), body, person)
    : error('config.audiencesUrl must be an https URL or a path on the store')
  if (got) (flags = { ...flags, ...got.flags }), (syncedAt = got.syncedAt ?? syncedAt)
  return { flags, syncedAt }
}

/** decide() over this browser's history as it is now: the first decision, and again when a trigger fires. */
const decider = (s: OfferState, flags: Record<string, boolean>, syncedAt: number | undefined) => (): Decision => {
  const { d, offers, governance, page } = s
  const ses = d.session()
  const now = d.now()
  const visit = visitOf(d.w, d.history, ses.id)
  const go = (history: History) => {
    s.all = { ...flags, ...localFlags(history, now, governance, ses.returning) }
    return decide({ offers, governance, flags: s.all, syncedAt, history, page, now, personKey: d.ids().anonymousId, userId: d.ids().userId, sessionId: ses.id, visit })
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

const propsOf = (s: OfferState, o: Offer, c: Candidate, decisionId: string, trigger: string): OfferProps => ({
  offer_id: o.id, offer_name: o.name, variant: c.variant, kind: o.kind, decision_id: decisionId,
  audiences: c.matched.filter((m) => /^(all|any):/.test(m)).map((m) => m.slice(4)),
  incentive: o.incentive, holdout: c.holdout, trigger, page_type: s.page.type, source: 'onsite',
})

/** Puts the offer on screen; the shopper's acts become offer_* events. A string: why it could not be. */
const render = (s: OfferState, o: Offer, props: OfferProps): string | undefined => {
  const act = (a: OfferAct, event: string) => record(s, props, a, event)
  let seen = false
  const r = renderOffer(s.d.w.document, o, {
    // Counted only when actually seen (visible tab, half in view), once per decision.
    onSeen: () => seen || ((seen = true), act('view', 'offer_seen')),
    onClick: () => s.stopped || s.d.track('offer_clicked', props),
    onSubmit: (traits) => (s.d.identify({ ...traits }), act('submit', 'offer_submitted')),
    // The email goes to the store's own codeUrl (it may mint one code per email), as identify sends it;
    // the offer_* events carry no code. (No consent check: stop() removes the offer, so no form is left
    // to submit.)
    code: ({ email }) => fetchCode((...a) => s.d.w.fetch(...a), o.content.codeUrl!, {
      offerId: o.id, variant: props.variant, anonymousId: s.d.ids().anonymousId, email: email?.toLowerCase(),
    }),
    onDismiss: () => ((s.open = undefined), act('dismiss', 'offer_dismissed')),
    ...(s.d.phone ? { phone: s.d.phone } : {}),
  }, o.position)
  if (typeof r == 'string') return r
  s.open = { offer: o, close: r.close }
}

/**
 * The winner's trigger fired. While it waited (for its trigger, or for a Wisepops popup to close), a
 * purchase here or another popup taking the session's slot may have ruled it out, or an offer above it
 * come in: decided again, it must still win, or the new decision is followed instead. Its holdout and
 * matched flags are the new decision's too (the anonymous id may have changed meanwhile).
 */
const show = (s: OfferState, o: Offer, c: Candidate, decisionId: string, trigger: string): unknown => {
  if (s.stopped) return
  const again = s.redecide?.()
  const now = again?.candidates.find((x) => x.offerId === o.id)
  if (now?.outcome === 'blocked') return now.reasons.unshift(`trigger fired: ${trigger}; decided again`), follow(s, again!).catch(failed)
  if (now) c = now
  // the variant as it shows: its content, position and incentive; holdout, caps and history are the offer's
  o = o.variants.find((v) => v.id === c.variant)?.offer ?? o
  const props = propsOf(s, o, c, decisionId, trigger)
  const done = (outcome: Candidate['outcome'], why = 'trigger fired: ' + trigger) => ((s.fired = { id: o.id, outcome, why }), s.paint?.(explain(s)!))
  const fail = (why: string) => (done('blocked', 'not shown: ' + why), error(`offer "${o.id}" not shown: ${why}`))
  // The control group is counted once per session, like a first view: later pages show nothing more.
  const ses = s.d.history.get().session
  if (c.holdout) return done('held_out'), (ses?.id === s.d.session().id && Array.isArray(ses.offers) && ses.offers.includes(o.id)) || record(s, props, 'hold', 'offer_held_out')
  if (o.renderer === 'wisepops') {
    if (!s.wp) return fail('renderer is "wisepops" but config.wisepops is not true')
    done('shown')
    s.handed = props
    s.wp.properties({ onsite_offer: o.id })
    return s.wp.event(HANDOVER_EVENT)
  }
  if (s.current && o.kind === 'popup') return (s.held = () => show(s, o, c, decisionId, trigger))
  const why = render(s, o, props)
  return why ? fail(why) : done('shown')
}

/** Acts on a decision: its winner waits for its embed target and its trigger, then shows or is held out. */
const follow = async (s: OfferState, dec: Decision): Promise<void> => {
  debug('decision ' + JSON.stringify(dec))
  s.last = dec
  s.fired = undefined
  s.paint?.(explain(s)!)
  // Wisepops targets on these: the decision being followed, and the flags it was made with
  s.wp?.properties({ onsite_segments: segmentsValue(s.all), onsite_decision: dec.decisionId, onsite_offer: null })
  const c = dec.candidates.find((x) => x.outcome !== 'blocked')
  const o = c && s.offers.find((x) => x.id === c.offerId)
  if (!c || !o) return
  if (o.kind === 'embed') {
    s.fired = { id: o.id, outcome: 'waiting', why: 'waiting for its target ' + JSON.stringify(o.target) }
    await appear(s.d.w.document, o.target!)
  }
  // from a timer or a listener: a throw would reach the page
  const go = (trigger: string) => {
    try {
      show(s, o, c, dec.decisionId, trigger)
    } catch (e) {
      failed(e)
    }
  }
  if (c.outcome === 'waiting') arm(s.d.w, o.trigger, go)
  else go('immediate')
}

const run = async (s: OfferState, page: Audiences): Promise<void> => {
  // without audiencesUrl the decision is made in this task, before any trigger can fire
  const tpl = s.d.input.audiencesUrl
  const { flags, syncedAt } = typeof tpl === 'string' ? await fetchedFlags(s.d, tpl, page) : page
  // consent withdrawn while the flags were asked for: no decision (it would start a session)
  if (s.stopped) return
  s.redecide = decider(s, flags, syncedAt)
  const decision = (s.last = s.redecide())
  const doc = s.d.w.document
  await domReady(doc)
  if (s.d.overlay) s.paint = overlay(doc)
  return follow(s, decision)
}

export const startOffers = (d: ShowDeps) => {
  // In the script-tag build this file has its own copy of the log module: its debug lines follow the core's.
  setVerbose(d.overlay)
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
  const s: OfferState = { d, offers, governance, page: { type: pageType(d.w.location.pathname, d.input.pageType), path: d.w.location.pathname }, all: {}, stopped: false, submitted: false }
  const audiences = parseAudiences(d.input.audiences)
  if (d.input.wisepops === true) {
    s.wp = wisepopsHandover(s)
    // Wisepops evaluates its targeting once it loads, maybe before audiencesUrl answers: the flags known
    // now (the page's and this browser's) go at once, the full set with the decision
    try {
      s.wp.properties({ onsite_segments: segmentsValue({ ...audiences.flags, ...localFlags(d.history.get(), d.now(), governance, d.session().returning) }) })
    } catch {
      // a history of the wrong shape: the decision starts it over, and pushes the flags then
    }
  }
  void run(s, audiences).catch(failed)
  return {
    explain: () => explain(s),
    /** A purchase here closes an open offer that purchases suppress, before any audience sync catches up. */
    observe(event: string): void {
      if (event === 'Order Completed' && s.open?.offer.suppressAfterPurchase) s.open.close(), (s.open = undefined)
    },
    /** Consent withdrawn: the offer on screen goes, and nothing more is shown, stored or sent. */
    stop(): void {
      s.stopped = true
      s.open?.close()
      s.open = undefined
    },
  }
}
