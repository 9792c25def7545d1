// Secrets a storefront URL can carry, cut before any call is built: the page's url, path, search and the
// referrer go to Customer.io and every destination behind it, where a reset link's token is a login.
// The name of a secret parameter stays (`?token=[redacted]`), so a report still shows the page had one;
// every other byte of the URL is left as it was (no re-encoding). UTM and click ids are not secrets.

export const REDACTED = '[redacted]'

// A name, or its last `_`/`-`/`.` word (reset_token, api-key, x.signature), that holds a credential:
// OAuth's code/state/access_token/id_token, signed links' signature/sig/hmac, passwords, keys, one-time codes.
const SECRET = /(^|[_.-])(token|key|code|state|password|passwd|pwd|pass|secret|signature|sig|hmac|auth|otp|jwt|session|sid|ticket|nonce)$/i
// Shopify's account links carry the customer id and a token in the path; multipass logs anyone in; a
// checkout or order-status token shows the order, its address and its items to whoever has it.
// https://shopify.dev/docs/storefronts/themes/architecture/templates/customers-reset-password
// (The checkout's step after its token, thank-you say, stays.)
const SECRET_PATH = /(\/account\/(?:reset|activate|login\/multipass|invitation))\/[^?#]+|(\/checkouts(?:\/c[a-z])?|\/orders)\/[^/?#]+/gi
// An email (raw or %40-encoded) or a JWT (three base64url parts, the first a JSON header) as a value.
const EMAILISH = /[^&#=]@|%(?:25)?40/i
const JWT = /^eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*$/

const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/** Whether a parameter (name, raw value) must not leave the browser; `extra` are the brand's own names, lowercase. */
export const isSecretParam = (name: string, value: string, extra: readonly string[]): boolean => {
  const n = decode(name).trim()
  return SECRET.test(n) || extra.includes(n.toLowerCase()) || EMAILISH.test(value) || JWT.test(decode(value))
}

/** `?a=1&token=x#access_token=y` with each secret value replaced; names and separators kept. */
const redactParams = (s: string, extra: readonly string[]) =>
  s.replace(/([?&#;])([^=&#;]*)=([^&#;]*)/g, (m, sep: string, name: string, value: string) => (value && isSecretParam(name, value, extra) ? `${sep}${name}=${REDACTED}` : m))

/** A path with its secret segments cut: `/account/reset/123/abc` → `/account/reset/[redacted]`. */
export const redactPath = (path: string): string => path.replace(SECRET_PATH, (_, a?: string, b?: string) => `${a ?? b}/${REDACTED}`)

/**
 * A URL, a path or a query string ("?a=b") with its secrets replaced. Anything after the first `?` or
 * `#` is read as parameters (OAuth puts tokens in the fragment); the part before it as a path.
 */
export const redactUrl = (url: string, extra: readonly string[] = []): string => {
  if (!url) return url
  const i = url.search(/[?#]/)
  const [head, tail] = i < 0 ? [url, ''] : [url.slice(0, i), url.slice(i)]
  return redactPath(head) + redactParams(tail, extra)
}
