// Config is checked key by key (see check.ts): a bad optional key gets one `[onsite]` error naming the key
// and the fix, and its default is used; only a missing or secret writeKey is fatal (nothing stored or sent).
import { check, isObj, num, oneOf, own, str, strings } from './util/check.ts'
import { error } from './util/log.ts'

export interface Config {
  writeKey: string
  apiHost: string
  flushAt: number
  flushIntervalMs: number
  debug: boolean
  /** "shopify" follows Shopify's Customer Privacy API. */
  consent: string
  identifyBy: string
  defaultCountry: string
  /** The logged-in customer the store rendered into the page. */
  customer?: { id?: string; email?: string }
  /** How a `_cio_id` becomes a userId ("{id}" is replaced); '' (the default) sends only the `cio_id` trait. */
  cioUserId: string
  /** More URL parameter names whose values are redacted (lowercase), beside the built-in ones. */
  redactParams: string[]
  /** Days an offer decision is stamped on later Product Added, Checkout Started and Order Completed. */
  attributionDays: number
}

// Track API site ids and keys are 20 hex digits, App API keys 32 (the formats secret scanners match on);
// a Pipelines write key is neither. https://docs.customer.io/accounts-and-workspaces/managing-credentials
const HEX_SECRET = /^([\da-f]{20}|[\da-f]{32})$/i
/** `site_id:api_key` written as a Basic credential: base64 of two colon-separated parts. */
const basicPair = (key: string): boolean => {
  try {
    return /^[\w+/-]{8,}={0,2}$/.test(key) && /^[\x21-\x7e]+:[\x21-\x7e]+$/.test(atob(key.replace(/-/g, '+').replace(/_/g, '/')))
  } catch {
    return false
  }
}

/** Why a write key must not be used in a browser, or '' when it is fine. */
export const secretReason = (key: string): string =>
  // no write key has a colon; a Track API pair (site_id:api_key) or an Authorization value does
  /^(sk_|(basic|bearer)(\s|%20|\+))|:|%3a/i.test(key) || basicPair(key)
    ? 'is a secret key (sk_..., site_id:api_key, or an Authorization header value)'
    : HEX_SECRET.test(key)
      ? 'looks like a Track API site id or key (20 hex digits) or an App API key (32): those are secret'
      : ''

/** Resolves apiHost against the page (a first-party path such as "/cio/v1" is allowed); '' when refused. */
export const resolveHost = (host: string, base: string): string => {
  try {
    const url = new URL(host, base)
    // '' would resolve to the page itself and post batches to the storefront; "cdp.customer.io/v1" (no
    // scheme) to a path under the current page.
    if (/^([a-z][\w+.-]*:|\/)/i.test(host.trim()) && /^(https:|http:(localhost|127\.0\.0\.1|\[::1\])$)/.test(url.protocol + url.hostname)) return url.href.replace(/\/+$/, '')
  } catch {
    // refused below
  }
  return ''
}

/** config.apiHost resolved, or the region's host with one error naming the value given. */
export const apiHostOf = (given: unknown, region: unknown, base: string): string => {
  const fallback = `https://cdp${region == 'eu' ? '-eu' : ''}.customer.io/v1`
  const host = str(given) ? resolveHost(given, base) : ''
  if (given !== undefined && !host)
    error(`config.apiHost ${JSON.stringify(given)?.slice(0, 200)} is not an https URL or a path such as "/cio/v1": calls go to ${fallback} until it is fixed`)
  return host || fallback
}

/** Returns the checked config, or undefined when it is fatally wrong (the reason has been printed). */
export const parseConfig = (input: unknown, base: string, extraKeys: readonly string[] = [], shopify = false): Config | undefined => {
  // Not an object (init("pk_...")) reads as a missing writeKey: the message shows what to pass.
  const given = isObj(input) ? input.writeKey : undefined
  const key = str(given) ? given.trim() : ''
  const why = key ? secretReason(key) : given == null || str(given) ? 'is missing' : 'must be a string, not a ' + typeof given
  if (why) return void error(`config.writeKey ${why}: use your JavaScript source's write key. Nothing will be sent.`)
  const c = check({
    // the caller's keys (0: not checked here, not in the result)
    ...Object.fromEntries(extraKeys.map((k) => [k, 0])),
    writeKey: '',
    region: oneOf(['us', 'eu']),
    apiHost: 0,
    flushAt: num(20, 1, 100, 1),
    flushIntervalMs: num(100, 1, 60000),
    debug: false,
    // Fails closed: a typo ("pendng") must not store and send as if consent were given.
    consent: oneOf(['granted', 'pending', 'denied', 'shopify'], shopify ? 3 : 0, 0, 'pending'),
    identifyBy: oneOf(['anonymous', 'email']),
    defaultCountry: [(v) => str(v) && /^[a-z]{2}$/i.test(v), 'an ISO 3166 code such as "US"', 'US'],
    // Off by default: Pipelines documents no "cio_" userId (only the Track API reads cio_<id>, in its path),
    // so such a userId would start a second profile. https://docs.customer.io/integrations/api/track/
    cioUserId: [(v) => v === false || (str(v) && v.includes('{id}')), 'false or a template such as "cio_{id}"', false],
    customer: [(v) => v === null || isObj(v), 'an object or null'],
    redactParams: strings(),
    attributionDays: num(7, 0, 90),
  }, input, 'config')
  c.writeKey = key
  c.apiHost = apiHostOf(own(input).apiHost, c.region, base)
  c.cioUserId ||= ''
  c.redactParams = c.redactParams.map((n: string) => n.trim().toLowerCase())
  // A guest renders {"id": null, "email": null}: no customer, no identify.
  let { id, email } = own(c.customer)
  id = (typeof id == 'number' || str(id)) && ('' + id).trim()
  email = str(email) && email
  delete c.region
  delete c.customer
  if (id || email) c.customer = id ? (email ? { id, email } : { id }) : { email }
  return c
}
