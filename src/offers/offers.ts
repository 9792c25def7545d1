// Offer config, checked key by key by check.ts like config.ts: a bad key gets one `[onsite]` error naming
// the offer and the key, and its default is used. An offer without an id, a known kind (an embed also
// needs `target`, the CSS selector it renders into) or content.title cannot be shown at all, so it is
// skipped with one error ('offers[0] ("x").kind must be one of ...; the offer is skipped': these keys are
// required in the spec); so is a later offer reusing an id (history and holdout buckets are keyed by id).
//
// Defaults:
//   name: the id; priority 0 (the highest eligible offer wins; ties go to the earlier offer)
//   audience {all: [], any: [], none: []}: an empty list does not restrict, so no audience = everyone
//   pages {types: [], urls: []}: empty = every page; urls are path globs (`*` = anything, `/` included);
//     when both are set a page must match both
//   trigger {delayMs: 0, scrollPercent: 0, exitIntent: false, inactivityMs: 0}: immediate
//   frequency {maxViews: 1, everyHours: 24, stopAfterDismiss: true, stopAfterSubmit: true}:
//     maxViews 0 = no cap; everyHours 0 = the cap counts every view ever
//   incentive false, suppressAfterPurchase true, holdoutPercent 0, variation "a"
//   content: body "", form "none"; no cta, image, code, codeUrl or consentText; labels {email: "Email",
//     phone: "Phone", thanks: "Thank you!", close: "Close", submit: "Sign up" (a form without cta),
//     codeLoading: "Getting your code…", codeError: "Your code could not be loaded."}
//   content.codeUrl (https or a path on the store) instead of content.code: the code is fetched when the
//     form is submitted (code.ts), so it is not in the page source. With code too, or without a form,
//     codeUrl is ignored (with its error): the config's code is public already, and only a submit fetches.
//   position "bottom" (bars)
//   governance {maxOffersPerSession: 1, incentiveCooldownDays: 14, purchaseQuietDays: 7}
// Text (title, body, ...) is kept as given: it is text, and the renderer must treat it as such. URLs are
// the exception: only http(s) or relative ones, so a config can never carry `javascript:` into a link.
import { check, isObj, num, oneOf, str, strings, text, type Rule, type Spec } from '../util/check.ts'
import { error } from '../util/log.ts'
import type { Targeting } from './targeting.ts'

export type Kind = 'popup' | 'bar' | 'embed'
export type Form = 'none' | 'email' | 'email_phone'

export interface Offer {
  id: string
  name: string
  kind: Kind
  /** The CSS selector an embed renders into (embeds only). */
  target?: string
  priority: number
  audience: { all: string[]; any: string[]; none: string[] }
  pages: { types: string[]; urls: string[] }
  trigger: { delayMs: number; scrollPercent: number; exitIntent: boolean; inactivityMs: number }
  /** The visit, device, cart and schedule it is for (targeting.ts); every list empty: any. */
  targeting: Targeting
  frequency: { maxViews: number; everyHours: number; stopAfterDismiss: boolean; stopAfterSubmit: boolean }
  incentive: boolean
  /** Bars only: the edge of the screen they sit on. */
  position: 'bottom' | 'top'
  /** Bars only: the page is pushed by the bar's height, so it hides none of the store's header or footer. */
  reserveSpace: boolean
  /** "wisepops": Wisepops shows it (config.wisepops), onsite decides and counts. */
  renderer: 'onsite' | 'wisepops'
  suppressAfterPurchase: boolean
  holdoutPercent: number
  /** The variant id when the offer has no variants (events carry it as `variant`). */
  variation: string
  /** A/B variants (decide.ts picks one per person); empty: the offer as it is. */
  variants: Variant[]
  content: {
    title: string
    body: string
    cta?: { text: string; url?: string }
    image?: string
    code?: string
    /** Where the code is fetched from once the form is submitted (code.ts), instead of `code`. */
    codeUrl?: string
    form: Form
    consentText?: string
    /** email_phone forms: the SMS disclosure beside an unticked box; without it no SMS consent is asked. */
    smsConsentText?: string
    /** The disclosure's version, sent with a given SMS consent (default: derived from the text). */
    smsConsentVersion?: string
    /** The renderer's own words, for stores that are not in English. */
    labels: { email: string; phone: string; thanks: string; close: string; submit: string; codeLoading: string; codeError: string; phoneError: string }
  }
}

/** One variant: its id, its share of the visitors that are not held out, and the offer as it shows. */
export interface Variant {
  id: string
  weight: number
  offer: Offer
}

/** Every key optional, at every depth (arrays kept as they are). */
type Loose<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? Loose<T[K]> : T[K] }

/** An offer as the config gives it: `id`, `kind` and `content.title` are required, the rest has defaults. */
export type OfferConfig = Loose<Omit<Offer, 'id' | 'kind' | 'content' | 'variants'>> & {
  variants?: { id: string; weight?: number; content?: Loose<Offer['content']>; position?: Offer['position']; incentive?: boolean }[]
  id: string
  kind: Kind
  content: Loose<Offer['content']> & { title: string }
}

export interface Governance {
  maxOffersPerSession: number
  incentiveCooldownDays: number
  purchaseQuietDays: number
}

export interface Audiences {
  flags: Record<string, boolean>
  /** When the flags were computed (ms); an order seen here later than this makes them stale. */
  syncedAt?: number
}

const S: Rule = [str, 'a string']
// Anything with a colon before the first / ? # may be a scheme (browsers even drop tabs inside one,
// "java\tscript:"), so it is refused unless it starts with http(s):.
const url = (v: unknown) => text(v) && (/^https?:/i.test(v) || !/^[^/?#]*:/.test(v))

const when = (v: unknown) => v === '' || (str(v) && Number.isFinite(Date.parse(v)))

/** The rules of one offer `r` (`offers`: the ones before it, whose ids it must not reuse). */
const rules = (r: any, offers: Offer[]): Spec => ({
  // history is keyed by id: "__proto__" or "constructor" would reach Object.prototype
  id: [(v) => text(v) && !(v in {}) && !offers.some((o) => o.id === v), 'a unique non-empty string, not an Object member like "constructor"', , 1],
  kind: oneOf(['popup', 'bar', 'embed'], 0, 1),
  target: [text, 'a CSS selector', , r.kind == 'embed'],
  content: {
    title: [text, 'a non-empty string', , 1], body: '', image: [url, 'an http(s) URL or a path'], code: S, consentText: S, smsConsentText: S, smsConsentVersion: S,
    // The shopper's email is posted there: never plain http, and a path stays on the store ("//x" and
    // "/\\x" are other hosts to a browser). One code or the other (the config's is public anyway), and
    // only with a form: a submit is what fetches it.
    codeUrl: [(v) => str(v) && /^(https:\/\/.|\/(?![/\\]))/i.test(v) && r.content.code === undefined && /^email(_phone)?$/.test(r.content.form),
      'an https URL or a path on the store, with a form and no content.code'],
    cta: [(v) => text(v?.text) && (v.url === undefined || url(v.url)), '{ text, url } with a url that is http(s) or a path'],
    form: oneOf(['none', 'email', 'email_phone']),
    labels: { email: 'Email', phone: 'Phone', thanks: 'Thank you!', close: 'Close', submit: 'Sign up', codeLoading: 'Getting your code…', codeError: 'Your code could not be loaded.', phoneError: 'Please enter a valid phone number.' },
  },
  name: r.id, priority: [Number.isFinite, 'a number', 0],
  audience: { all: strings(), any: strings(), none: strings() }, pages: { types: strings(), urls: strings() },
  trigger: { delayMs: num(0, 1), scrollPercent: num(0, 0, 100), exitIntent: false, inactivityMs: num(0, 1) },
  targeting: {
    utm: { source: strings(), medium: strings(), campaign: strings(), term: strings(), content: strings() },
    referrers: strings(), landingPaths: strings(),
    devices: [(v) => Array.isArray(v) && v.every((d) => /^(mobile|tablet|desktop)$/.test(d)), 'a list of "mobile", "tablet", "desktop"', []],
    cart: { minValue: num(0), maxValue: num(0), minItems: num(0, 1), maxItems: num(0, 1) },
    start: [when, 'an ISO date such as "2026-11-27T00:00:00Z"', ''], end: [when, 'an ISO date such as "2026-12-02T00:00:00Z"', ''],
  },
  frequency: { maxViews: num(1, 1), everyHours: num(24), stopAfterDismiss: true, stopAfterSubmit: true },
  incentive: false, position: oneOf(['bottom', 'top']), reserveSpace: false, renderer: oneOf(['onsite', 'wisepops']), suppressAfterPurchase: true, holdoutPercent: num(0, 0, 100), variation: 'a',
  variants: [Array.isArray, 'an array of { id, weight, content, position, incentive }'],
})

/**
 * The offer's variants, each a whole offer: the checked offer with the variant's content keys, position
 * and incentive over its own, checked by the same rules (a bad key gets that key's default; a variant that
 * is not an object or reuses an id is left out with its error; weight 0 turns one off).
 */
const variantsOf = (r: any, o: Offer, offers: Offer[], at: string): Variant[] => {
  const out: Variant[] = []
  for (const [j, v] of (Array.isArray(r.variants) ? r.variants : []).entries()) {
    const vat = `${at}.variants[${j}]`
    try {
      const { id, weight, content, ...rest } = check({
        id: [(x) => text(x) && !out.some((y) => y.id === x), 'a unique non-empty string', , 1], weight: num(1),
        content: [isObj, 'an object', {}], position: oneOf(['bottom', 'top']), incentive: false,
      }, v, vat)
      const merged = { ...o, ...rest, incentive: v.incentive ?? o.incentive, position: v.position ?? o.position, content: { ...o.content, ...content }, variants: undefined, variation: id }
      if (weight > 0) out.push({ id, weight, offer: { ...check(rules(merged, offers), merged, vat), variants: [] } })
    } catch (e) {
      error(e + '; the variant is left out')
    }
  }
  return out.length || !r.variants?.length ? out : (error(`${at}.variants has no variant with a weight > 0; the offer shows as it is`), out)
}

/** Reads the offers and governance of a config such as `{"offers": [...], "governance": {...}}`. */
export const parseOffers = (input: unknown): { offers: Offer[]; governance: Governance } => {
  // Other keys of the config (writeKey, ...) are not ours: '*': 0 ignores them.
  const { offers: raws, governance } = check({
    offers: [Array.isArray, 'an array', []],
    governance: { maxOffersPerSession: num(1, 1), incentiveCooldownDays: num(14), purchaseQuietDays: num(7) },
    '*': 0,
  }, input, 'config')
  const offers: Offer[] = []
  raws.forEach((r: any, i: number) => {
    const id = r?.id
    const at = `offers[${i}]` + (text(id) ? ` (${JSON.stringify(id)})` : '')
    try {
      if (!isObj(r)) throw at + ' must be an object'
      const o: Offer = check(rules(r, offers), r, at)
      o.variants = variantsOf(r, o, offers, at)
      offers.push(o)
    } catch (e) {
      error(e + '; the offer is skipped')
    }
  })
  return { offers, governance }
}

/**
 * Reads `{"flags": {"name": true}, "syncedAt": "2026-11-22T10:00:00Z"}` (syncedAt: ISO date or ms; null,
 * as the audience service answers for a person it has no rows for, is no time).
 */
export const parseAudiences = (input: unknown): Audiences => {
  if (isObj(input) && input.syncedAt === null) {
    const { syncedAt, ...rest } = input
    input = rest
  }
  const time = (v: unknown) => (str(v) ? Date.parse(v) : v)
  const out = check({
    flags: { '*': [(v) => v === !!v, 'a boolean'] },
    syncedAt: [(v) => Number.isFinite(time(v)), 'an ISO date or a time in ms'],
    '*': 0,
  }, input, 'audiences')
  if ('syncedAt' in out) out.syncedAt = time(out.syncedAt)
  return out
}
