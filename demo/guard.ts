// What the demo server refuses before any route runs, because it listens on a developer's machine while
// their browser visits other sites: a Host it does not serve (DNS rebinding: a hostile page's own name
// re-pointed at 127.0.0.1 would otherwise read /v1/_events, which holds emails), and request bodies that
// are too large, too many at once, or too slow (a page or a script holding the server's memory or
// sockets). Bodies are read through one gate so the collector and the store's routes share the limits.
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A comma list (ONSITE_ALLOWED_HOSTS) as host names, lower case, blanks dropped. */
export const hostList = (s: string | undefined): string[] =>
  (s ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)

const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)

/**
 * Whether a Host header names this server: localhost, 127.0.0.1 or [::1] (or the host it listens on)
 * with its port, or a name of `extra` ("name" takes any port, "name:port" that port only).
 */
export const hostCheck = (port: number, listenHost: string | undefined, extra: readonly string[]) => {
  const own = ['localhost', '127.0.0.1', '[::1]']
  // a wildcard listen address is no name a browser uses: those hosts come in through `extra`
  if (listenHost && !['0.0.0.0', '::', '[::]'].includes(listenHost)) own.push(bracket(listenHost.toLowerCase()))
  const exact = new Set(own.map((h) => `${h}:${port}`))
  const anyPort = new Set<string>()
  for (const h of extra) {
    const unbracketedV6 = /^[^[]*:.*:/.test(h)
    if (/:\d+$/.test(h) && !unbracketedV6) exact.add(h)
    else anyPort.add(bracket(h))
  }
  return (header: string | undefined): boolean => {
    const m = /^(\[[\d:a-f.]+\]|[a-z\d.-]+)(?::(\d{1,5}))?$/.exec((header ?? '').trim().toLowerCase())
    if (!m) return false
    const name = m[1]!
    // no port in the header: the scheme's default, 80 for this plain HTTP server
    return anyPort.has(name) || exact.has(`${name}:${m[2] ?? '80'}`)
  }
}

export interface Refusal {
  status: 400 | 413 | 503
  error: string
}
export type Body = { ok: Buffer } | Refusal

/**
 * node:http's own deadlines: headers, and the whole request with its body, must arrive within `ms`, else
 * node answers 408 and closes the socket (which frees the body's slot in the gate). node checks them
 * every `connectionsCheckingInterval`, so that is kept well under `ms`.
 */
export const deadlines = (ms: number) => ({ headersTimeout: ms, requestTimeout: ms, connectionsCheckingInterval: Math.max(50, Math.min(ms / 4, 2000)) })

export interface BodyLimits {
  /** Bodies read at once; one more is answered 503 with Retry-After: 1. Default: no limit. */
  maxConcurrent?: number
}
export interface BodyGate {
  /** The body, or why it was refused (the caller answers with `refuse`). */
  read(req: IncomingMessage, max: number): Promise<Body>
  /** Bodies being read now. */
  reading(): number
}

const tooLarge = (max: number): Refusal => ({ status: 413, error: `request body over the ${max}-byte limit` })

export const createBodyGate = ({ maxConcurrent = Infinity }: BodyLimits = {}): BodyGate => {
  let reading = 0
  const read = (req: IncomingMessage, max: number): Promise<Body> => {
    // refused before a byte is read: a declared length over the cap, or every slot taken
    if (Number(req.headers['content-length']) > max) return Promise.resolve(tooLarge(max))
    if (reading >= maxConcurrent) return Promise.resolve({ status: 503, error: `${maxConcurrent} request bodies are being read: retry in a second` })
    reading++
    return new Promise((done) => {
      const parts: Buffer[] = []
      let size = 0
      let settled = false
      const finish = (b: Body) => {
        if (settled) return
        settled = true
        reading--
        req.off('data', onData)
        done(b)
      }
      const onData = (b: Buffer) => {
        size += b.length
        if (size <= max) return void parts.push(b)
        // stop at once: what is still coming is never read, the socket closes after the answer
        req.pause()
        finish(tooLarge(max))
      }
      req.on('data', onData)
      req.once('end', () => finish({ ok: Buffer.concat(parts) }))
      req.once('error', () => finish({ status: 400, error: 'the request body was cut off' }))
      req.once('close', () => finish({ status: 400, error: 'the request body was cut off' }))
    })
  }
  return { read, reading: () => reading }
}

/**
 * Answers a refused body and closes the connection: the rest of the body is never read (a keep-alive
 * connection would have to read it all to find the next request).
 */
export const refuse = (req: IncomingMessage, res: ServerResponse, r: Refusal, headers: Record<string, string> = {}): void => {
  req.pause()
  if (res.headersSent || res.destroyed) return void req.socket.destroy()
  res.writeHead(r.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
    ...(r.status === 503 ? { 'Retry-After': '1' } : {}),
    ...headers,
  })
  res.end(JSON.stringify({ error: r.error }))
}
