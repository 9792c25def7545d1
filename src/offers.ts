// Offer config, checked key by key like config.ts: a bad key gets one `[onsite]` error naming the offer and
// the key, and its default is used. An offer without an id, a known kind (an embed also needs `target`, the
// CSS selector it renders into) or content.title cannot be shown at all, so it is skipped with one error; so
// is a later offer reusing an id (history and holdout buckets are keyed by id).
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
//   content: body "", form "none"; no cta, image, code or consentText
//   governance {maxOffersPerSession: 1, incentiveCooldownDays: 14, purchaseQuietDays: 7}
// Text (title, body, ...) is kept as given: it is text, and the renderer must treat it as such. URLs are
// the exception: only http(s) or relative ones, so a config can never carry `javascript:` into a link.
import { error } from './log.ts'

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
  frequency: { maxViews: number; everyHours: number; stopAfterDismiss: boolean; stopAfterSubmit: boolean }
  incentive: boolean
  suppressAfterPurchase: boolean
  holdoutPercent: number
  variation: string
  content: {
    title: string
    body: string
    cta?: { text: string; url?: string }
    image?: string
    code?: string
    form: Form
    consentText?: string
  }
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

type Input = Record<string, unknown>
type Check = [ok: (v: unknown) => boolean, fix: string]

const isObj = (v: unknown): v is Input => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): v is string => typeof v === 'string'
const text = (v: unknown): v is string => str(v) && !!v.trim()
const B = 'must be true or false'
// Anything with a colon before the first / ? # may be a scheme (browsers even drop tabs inside one,
// "java\tscript:"), so it is refused unless it starts with http(s):.
const url = (v: unknown) => text(v) && (/^https?:/i.test(v) || !/^[^/?#]*:/.test(v))
const OPTIONAL = ['target', 'cta', 'image', 'code', 'consentText']

/** A key's check, from its name and the type of its default (the defaults double as the schema). */
const checkOf = (k: string, d: unknown): Check => {
  if (k === 'cta') return [(v) => isObj(v) && text(v.text) && (v.url === undefined || url(v.url)), 'must be {"text": "...", "url": "https://... or /path"}']
  if (k === 'image') return [url, 'must be an http(s) URL or a relative path']
  if (k === 'form') return [(v) => v === 'none' || v === 'email' || v === 'email_phone', 'must be "none", "email" or "email_phone"']
  if (typeof d === 'boolean') return [(v) => typeof v === 'boolean', B]
  if (Array.isArray(d)) return [(v) => Array.isArray(v) && v.every(str), 'must be an array of strings']
  if (typeof d !== 'number') return [str, 'must be a string']
  if (k === 'priority') return [Number.isFinite, 'must be a number']
  const pct = /Percent$/.test(k)
  const int = /Ms$|^max/.test(k)
  return [
    (v) => Number.isFinite(v) && (v as number) >= 0 && (!pct || (v as number) <= 100) && (!int || Number.isInteger(v)),
    pct ? 'must be a number from 0 to 100' : int ? 'must be an integer >= 0' : 'must be a number >= 0',
  ]
}

/** Copies each valid key of `raw` into `out`, which holds the defaults; one error per bad or unknown key. */
const fill = (raw: Input, out: Input, at: string): void => {
  for (const k in raw) {
    const v = raw[k]
    // Own keys only: a "__proto__" or "toString" key must not reach Object.prototype.
    const own = Object.prototype.hasOwnProperty.call(out, k)
    const d = own ? out[k] : undefined
    const name = `${at}.${/^\w+$/.test(k) ? k : JSON.stringify(k)}`
    if (isObj(d)) {
      if (isObj(v)) fill(v, d, name)
      else error(`${name} must be an object; using the defaults`)
    } else if (!own && !OPTIONAL.includes(k)) error(`${name} is not a known key; it is ignored`)
    else {
      const [ok, fix] = checkOf(k, d)
      if (ok(v)) out[k] = v
      else error(`${name} ${fix}; using the default`)
    }
  }
}

/** Reads the offers and governance of a config such as `{"offers": [...], "governance": {...}}`. */
export const parseOffers = (input: unknown): { offers: Offer[]; governance: Governance } => {
  const governance: Governance = { maxOffersPerSession: 1, incentiveCooldownDays: 14, purchaseQuietDays: 7 }
  const offers: Offer[] = []
  const ids = new Map<unknown, number>()
  if (input === undefined) return { offers, governance }
  const c = isObj(input) ? input : {}
  if (c !== input) error('offers config must be an object; no offers are shown')
  if (isObj(c.governance)) fill(c.governance, governance as unknown as Input, 'governance')
  else if (c.governance !== undefined) error('governance must be an object; using the defaults')
  const raws: unknown[] = Array.isArray(c.offers) ? c.offers : []
  if (c.offers !== undefined && raws !== c.offers) error('offers must be an array; no offers are shown')
  raws.forEach((o, i) => {
    const r = isObj(o) ? o : {}
    const id = r.id
    const at = `offers[${i}]` + (text(id) ? ` (${JSON.stringify(id)})` : '')
    const kind = r.kind as Kind
    const title = isObj(r.content) ? r.content.title : undefined
    const skip =
      r !== o ? 'it is not an object'
      : !text(id) ? 'id must be a non-empty string'
      : kind !== 'popup' && kind !== 'bar' && kind !== 'embed' ? 'kind must be "popup", "bar" or "embed"'
      : kind === 'embed' && !text(r.target) ? 'an embed needs target, a CSS selector string'
      : !text(title) ? 'content.title must be a non-empty string'
      : ids.has(id) ? `offers[${ids.get(id)}] has the same id`
      : ''
    if (skip) return error(`${at} is skipped: ${skip}`)
    const offer: Offer = {
      id: id as string, name: id as string, kind, priority: 0,
      audience: { all: [], any: [], none: [] }, pages: { types: [], urls: [] },
      trigger: { delayMs: 0, scrollPercent: 0, exitIntent: false, inactivityMs: 0 },
      frequency: { maxViews: 1, everyHours: 24, stopAfterDismiss: true, stopAfterSubmit: true },
      incentive: false, suppressAfterPurchase: true, holdoutPercent: 0, variation: 'a',
      content: { title: title as string, body: '', form: 'none' },
    }
    fill(r, offer as unknown as Input, at)
    offers.push(offer)
    ids.set(id, i)
  })
  return { offers, governance }
}

/** Reads `{"flags": {"name": true}, "syncedAt": "2026-11-22T10:00:00Z"}` (syncedAt: ISO date or ms). */
export const parseAudiences = (input: unknown): Audiences => {
  const out: Audiences = { flags: {} }
  if (input === undefined) return out
  const a = isObj(input) ? input : {}
  if (a !== input) error('audiences must be an object; no flags are used')
  const { flags, syncedAt: s } = a
  if (isObj(flags)) {
    for (const k in flags) {
      if (typeof flags[k] === 'boolean') out.flags[k] = flags[k] as boolean
      else error(`audiences.flags[${JSON.stringify(k)}] ${B}; it is ignored`)
    }
  } else if (flags !== undefined) error('audiences.flags must be an object; none are used')
  const t = typeof s === 'number' ? s : str(s) ? Date.parse(s) : NaN
  if (Number.isFinite(t)) out.syncedAt = t
  else if (s !== undefined) error('audiences.syncedAt must be an ISO date or a time in ms; it is ignored')
  return out
}
