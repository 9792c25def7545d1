// Config is checked key by key (see check.ts): a bad optional key gets one `[onsite]` error naming the key
// and the fix, and its default is used; only a missing or secret writeKey is fatal (nothing stored or sent).
import { check, isObj, num, oneOf, own, str } from './check.ts'
import { error } from './log.ts'

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
  /** How a `_cio_id` becomes a userId ("{id}" is replaced); '' sends only the `cio_id` trait. */
  cioUserId: string
}

/** Why a write key must not be used in a browser, or '' when it is fine. */
export const secretReason = (key: string): string =>
  // no write key has a colon; a Track API pair (site_id:api_key) or an Authorization value does
  /^(sk_|(basic|bearer)\s)|:/i.test(key) ? 'is a secret key (sk_... or site_id:api_key)' : ''

/** Resolves apiHost against the page (a first-party path such as "/cio/v1" is allowed); '' when refused. */
export const resolveHost = (host: string, base: string): string => {
  try {
    const url = new URL(host, base)
    // '' would resolve to the page itself and post batches to the storefront.
    if (host.trim() && /^(https:|http:(localhost|127\.0\.0\.1|\[::1\])$)/.test(url.protocol + url.hostname)) return url.href.replace(/\/+$/, '')
  } catch {
    // refused below
  }
  return ''
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
    apiHost: [(v) => str(v) && !!resolveHost(v, base), 'an https URL or a path', ''],
    flushAt: num(20, 1, 100, 1),
    flushIntervalMs: num(100, 1, 60000),
    debug: false,
    // Fails closed: a typo ("pendng") must not store and send as if consent were given.
    consent: oneOf(['granted', 'pending', 'denied', 'shopify'], shopify ? 3 : 0, 0, 'pending'),
    identifyBy: oneOf(['anonymous', 'email']),
    defaultCountry: [(v) => str(v) && /^[a-z]{2}$/i.test(v), 'an ISO 3166 code such as "US"', 'US'],
    cioUserId: [(v) => v === false || (str(v) && v.includes('{id}')), 'false or a template such as "cio_{id}"', 'cio_{id}'],
    customer: [(v) => v === null || isObj(v), 'an object or null'],
  }, input, 'config')
  c.writeKey = key
  c.apiHost = resolveHost(c.apiHost, base) || `https://cdp${c.region == 'eu' ? '-eu' : ''}.customer.io/v1`
  c.cioUserId ||= ''
  // A guest renders {"id": null, "email": null}: no customer, no identify.
  let { id, email } = own(c.customer)
  id = (typeof id == 'number' || str(id)) && ('' + id).trim()
  email = str(email) && email
  delete c.region
  delete c.customer
  if (id || email) c.customer = id ? (email ? { id, email } : { id }) : { email }
  return c
}
