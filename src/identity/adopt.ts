// The anonymous id Customer.io's browser library (and Segment's analytics.js, which it is built on) left on
// this browser. A store switching to onsite takes it over on the first page onsite runs, so Customer.io
// keeps the shopper's anonymous history (their page views, their carts) on one profile.
// That library writes localStorage `ajs_anonymous_id` as JSON ("\"3f2c…\"") and the cookie as the bare id;
// analytics.js 1.0 wrote the cookie JSON-quoted too. It reads localStorage first: so does this.
import type { Cookies } from './cookie.ts'

export const AJS_AID = 'ajs_anonymous_id'

// Anyone can write a cookie on the shop's domain: only an id-shaped value is taken. Ten characters at
// least: "null", "0" or "undefined" on many browsers would make one person of all of them.
const ID = /^[\w.:+=-]{10,128}$/

/** The id a stored value holds ('' when it is no id): bare or JSON-quoted. */
export const ajsId = (raw: string | null | undefined): string => {
  let v: unknown = raw ?? ''
  try {
    if ((v as string)[0] === '"') v = JSON.parse(v as string)
  } catch {
    return ''
  }
  return typeof v == 'string' && ID.test(v) ? v : ''
}

/** The anonymous id Customer.io's library stored here, or ''. Reads only; never throws. */
export const foreignAnonymousId = (cookies: Cookies, ls: Storage | undefined): string => {
  let stored: string | null | undefined
  try {
    stored = ls?.getItem(AJS_AID)
  } catch {}
  return ajsId(stored) || ajsId(cookies.get(AJS_AID))
}
