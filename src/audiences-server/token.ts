// Visitor tokens: `<id>.<expiry>.<hex HMAC-SHA256(secret, "<id>.<expiry>")>`, expiry in unix seconds.
// Hex because Shopify Liquid's hmac_sha256 filter prints hex, so a theme can mint one without a server:
//   {%- assign onsite_exp = 'now' | date: '%s' | plus: 86400 -%}
//   {%- capture onsite_payload %}{{ customer.id }}.{{ onsite_exp }}{% endcapture -%}
//   {%- assign onsite_sig = onsite_payload | hmac_sha256: settings.onsite_token_secret -%}
//   {%- assign onsite_token = onsite_payload | append: '.' | append: onsite_sig -%}
// The token is read from the right, so an id may itself hold dots (an email, say).
import { hmacHex, hmacVerify } from './hmac.ts'

/** Longest person id a token may carry. */
export const MAX_ID = 256

export type Verified = { ok: true; id: string; exp: number } | { ok: false; error: string }

const badId = (id: string) => !id || id.length > MAX_ID || /[\u0000-\u001f\u007f]/.test(id)

/** A token proving `id` for `ttlSeconds` from `now` (ms). */
export const signVisitor = async (id: string, secret: string, ttlSeconds: number, now = Date.now()): Promise<string> => {
  if (badId(id)) throw new TypeError(`signVisitor: id must be 1-${MAX_ID} characters without control characters`)
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new TypeError('signVisitor: ttlSeconds must be a whole number > 0')
  if (!secret) throw new TypeError('signVisitor: secret is empty')
  const payload = `${id}.${Math.floor(now / 1000) + ttlSeconds}`
  return `${payload}.${await hmacHex(secret, payload)}`
}

/** The id a token proves at `now` (ms), or why it proves nothing. */
export const verifyVisitor = async (token: unknown, secret: string, now = Date.now()): Promise<Verified> => {
  if (typeof token != 'string' || token.length > MAX_ID + 100) return { ok: false, error: 'token is not <id>.<expiry>.<hex signature>' }
  const sig = token.lastIndexOf('.')
  const dot = token.lastIndexOf('.', sig - 1)
  const id = token.slice(0, Math.max(dot, 0))
  const exp = token.slice(dot + 1, sig)
  if (dot <= 0 || badId(id) || !/^\d{1,12}$/.test(exp) || !/^[0-9a-fA-F]{64}$/.test(token.slice(sig + 1)))
    return { ok: false, error: 'token is not <id>.<expiry>.<hex signature>' }
  if (!(await hmacVerify(secret, token.slice(0, sig), token.slice(sig + 1)))) return { ok: false, error: 'token signature does not match' }
  if (Number(exp) * 1000 <= now) return { ok: false, error: 'token expired' }
  return { ok: true, id, exp: Number(exp) }
}
