// Who a storefront request proves to be: a visitor token (?token= on GET, {"token"} in a POST body), or a
// Shopify App Proxy signature. A request with a `signature` parameter is an App Proxy request and is
// judged only as one, so a forged signature cannot fall back to some other proof.
import { verifyAppProxy } from './app-proxy.ts'
import type { Settings } from './config.ts'
import { parseJson, readText, type Incoming } from './http.ts'
import { verifyVisitor } from './token.ts'

export type Identity = { id: string } | { anonymous: true } | { status: number; error: string }

const MAX_BODY = 4096

const tokenOf = async (req: Incoming, url: URL): Promise<string | { status: number; error: string } | null> => {
  if (req.method !== 'POST') return url.searchParams.get('token')
  const text = await readText(req, MAX_BODY)
  if (text === null) return { status: 413, error: `body: over ${MAX_BODY} bytes` }
  const body = parseJson(text)
  if (typeof body != 'object' || !body || Array.isArray(body)) return { status: 400, error: 'body: expected JSON like {"token": "..."}' }
  const t = (body as { token?: unknown }).token
  return typeof t == 'string' ? t : null
}

export const identify = async (req: Incoming, url: URL, s: Settings, now: number): Promise<Identity> => {
  if (url.searchParams.has('signature')) {
    if (!s.shopifySecret) return { status: 401, error: 'App Proxy requests are not accepted here (SHOPIFY_APP_SECRET is not set)' }
    const r = await verifyAppProxy(url.searchParams, s.shopifySecret, s.proxyMaxAge, now)
    if (!r.ok) return { status: 401, error: r.error }
    return r.customerId ? { id: r.customerId } : { anonymous: true }
  }
  const token = await tokenOf(req, url)
  if (token !== null && typeof token == 'object') return token
  if (!token) return { status: 401, error: 'token missing' }
  if (!s.tokenSecret) return { status: 401, error: 'tokens are not accepted here (ONSITE_TOKEN_SECRET is not set)' }
  const v = await verifyVisitor(token, s.tokenSecret, now)
  return v.ok ? { id: v.id } : { status: 401, error: v.error }
}
