// CORS for the storefront's lookups: only listed origins get Access-Control-Allow-Origin (their exact
// origin, never *), and every answer varies by Origin so a shared cache never hands one origin's
// headers to another. The browser sends its POST as text/plain, a simple request with no preflight;
// OPTIONS is answered anyway for clients that send JSON.
import type { Answer, Incoming } from './http.ts'

export const corsHeaders = (req: Incoming, allowed: ReadonlySet<string>): Record<string, string> => {
  const origin = req.headers.get('origin')
  return origin && allowed.has(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' }
}

export const preflight = (req: Incoming, allowed: ReadonlySet<string>): Answer => {
  const h = corsHeaders(req, allowed)
  const ok = 'access-control-allow-origin' in h
  return {
    status: 204,
    headers: ok ? { ...h, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' } : h,
    body: null,
  }
}
