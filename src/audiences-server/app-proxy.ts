// Shopify App Proxy requests: Shopify forwards /apps/<prefix>/... to this service with `shop`,
// `logged_in_customer_id`, `path_prefix`, `timestamp` and `signature` in the query. `signature` is the hex
// HMAC-SHA256 (app secret) of every other parameter as `key=value` (repeated keys: values joined by ","),
// sorted, joined with no separator. Checked against Shopify's documented example (secret "hush").
import { hmacVerify } from './hmac.ts'

export type ProxyResult = { ok: true; customerId: string; shop: string } | { ok: false; error: string }

/** The message Shopify signs for these query parameters. */
export const proxyMessage = (params: URLSearchParams): string => {
  const byKey = new Map<string, string[]>()
  for (const [k, v] of params) if (k !== 'signature') byKey.set(k, [...(byKey.get(k) ?? []), v])
  return [...byKey].map(([k, vs]) => `${k}=${vs.join(',')}`).sort().join('')
}

/** Whether this query was signed by Shopify for the app with `secret` within `maxAge` seconds of `now` (ms). */
export const verifyAppProxy = async (params: URLSearchParams, secret: string, maxAge: number, now = Date.now()): Promise<ProxyResult> => {
  const signature = params.get('signature') ?? ''
  if (params.getAll('signature').length !== 1) return { ok: false, error: 'App Proxy signature missing' }
  if (!(await hmacVerify(secret, proxyMessage(params), signature))) return { ok: false, error: 'App Proxy signature does not match' }
  const ts = Number(params.get('timestamp'))
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > maxAge) return { ok: false, error: 'App Proxy request is stale' }
  return { ok: true, customerId: params.get('logged_in_customer_id') ?? '', shop: params.get('shop') ?? '' }
}
