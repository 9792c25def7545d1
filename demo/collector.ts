// A local stand-in for Customer.io Data Pipelines: same paths, bodies and auth, but strict. Where the real
// API answers 200 and silently drops bad or oversize data, this answers 400 naming the problem, so tests
// catch a client that relies on the server to check. It also de-duplicates by messageId and counts the
// copies, which is how tests prove "delivered exactly once", and can inject faults on demand.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { batchBody, parseCall } from '../src/capture/schema.ts'
import { MAX_BATCH_BYTES, MAX_CALL_BYTES } from '../src/capture/taxonomy.ts'
import { createBodyGate, deadlines, refuse, type BodyGate } from './guard.ts'
import { MAX_STORE_BODY } from './http.ts'

export type StoredCall = Record<string, unknown> & { type: string; messageId: string; receivedAt: string }
export interface Faults {
  /** How many upcoming ingest requests fail. Omitted: with `status`, `hang`, `reset` or `forMs`, all of them until changed or reset; else none. */
  fail?: number
  status?: number
  /** Seconds, sent as Retry-After on the failed responses. */
  retryAfter?: number
  /** Never answer the failed requests (their sockets close when the collector does). */
  hang?: boolean
  /** Destroy the failed requests' sockets without an answer (a connection reset). */
  reset?: boolean
  /** The failure (status, hang or reset) lasts this many ms from when it was set, then stops. */
  forMs?: number
  /** Delays every ingest response, until reset; calls are stored when answered. */
  delayMs?: number
  /**
   * Stores every ingest request's calls on arrival and answers this many ms later, until reset: a page gone
   * meanwhile never learns they were delivered (the answer is what is lost, not the calls).
   */
  lateAnswerMs?: number
  /** A proxy's limit: 413 to any ingest request whose body is larger, whatever the failures; 0 = off. Until reset. */
  maxBodyBytes?: number
  /** false: ingest answers carry no Cache-Control header (default `no-store`). Until reset. */
  cacheControl?: boolean
}
export interface Snapshot {
  events: StoredCall[]
  duplicates: Record<string, number>
  requests: number
  total: number
}
export interface CollectorHandler {
  /** Answers requests under /v1; returns false (and does nothing) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean
  events(): StoredCall[]
  snapshot(since?: number): Snapshot
  reset(): void
  faults(f: Faults): void
  /** Drops hanging requests and pending delayed answers. */
  dispose(): void
}
export interface Collector extends CollectorHandler {
  /** e.g. http://127.0.0.1:8787/v1 */
  url: string
  port: number
  close(): Promise<void>
}
export interface CollectorOptions {
  port?: number
  host?: string
  /** JSON lines; default .data/events.jsonl under the working directory. */
  dataFile?: string
  quiet?: boolean
  /** How request bodies are read (limits shared with a server this is mounted in); default: one of its own. */
  bodies?: BodyGate
}

const BASE = '/v1'
const TYPES: Record<string, string> = { i: 'identify', t: 'track', p: 'page', a: 'alias', g: 'group', s: 'screen' }
for (const t of Object.values(TYPES)) TYPES[t] = t
const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' }

// A header given as undefined is left out (an ingest answer without Cache-Control).
const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string | undefined> = {}, cors = true) => {
  if (res.headersSent || res.destroyed) return
  const json = body === undefined ? '' : JSON.stringify(body)
  const all = { ...(cors ? CORS : {}), ...(json ? { 'Content-Type': 'application/json' } : {}), 'Cache-Control': 'no-store', ...headers }
  res.writeHead(status, Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)))
  res.end(json)
}

const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0
const isMs = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isBool = (v: unknown) => typeof v === 'boolean'
const FAULT_RULES: Record<keyof Faults, [(v: unknown) => boolean, string]> = {
  fail: [isCount, 'an integer >= 0'],
  status: [(v) => Number.isInteger(v) && (v as number) >= 200 && (v as number) <= 599, 'an HTTP status from 200 to 599'],
  retryAfter: [isMs, 'a number of seconds >= 0'],
  hang: [isBool, 'a boolean'],
  reset: [isBool, 'a boolean'],
  forMs: [isMs, 'a number of ms >= 0'],
  delayMs: [isMs, 'a number of ms >= 0'],
  lateAnswerMs: [isMs, 'a number of ms >= 0'],
  maxBodyBytes: [isCount, 'an integer >= 0 (0: off)'],
  cacheControl: [isBool, 'a boolean'],
}

/** Throws naming the first field that is unknown or of the wrong kind: a typo must not pass as "no fault". */
export const checkFaults = (f: unknown): Faults => {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new Error('expected an object')
  for (const [k, v] of Object.entries(f)) {
    if (!Object.hasOwn(FAULT_RULES, k)) throw new Error(`unknown field ${k}`)
    const [ok, what] = FAULT_RULES[k as keyof Faults]
    if (!ok(v)) throw new Error(`${k} must be ${what}`)
  }
  const out = f as Faults
  if (out.hang && out.reset) throw new Error('hang and reset exclude each other')
  return out
}

interface Failure {
  status: number
  hang: boolean
  reset: boolean
  retryAfter?: number
}
const noFaults = () => ({
  failLeft: 0,
  /** Date.now() after which no request fails (forMs). */
  failUntil: Infinity,
  failure: { status: 500, hang: false, reset: false } as Failure,
  delayMs: 0,
  lateAnswerMs: 0,
  maxBodyBytes: 0,
  cacheControl: true,
})

/** The write key as the user name of HTTP Basic auth (Customer.io's server-side form). */
const basicUser = (header: string | undefined): string => {
  const m = /^Basic\s+(\S+)/i.exec(header ?? '')
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':')[0]! : ''
}

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v))
type Ingest = { status: number; body: unknown; calls?: Record<string, unknown>[] }
const bad = (error: string, status = 400): Ingest => ({ status, body: { error } })

const isBatchPath = (path: string) => path === 'b' || path === 'batch'

/** Checks one ingest request the way a strict server would; nothing is stored unless every call passes. */
const check = (path: string, raw: Buffer, auth: string): Ingest => {
  const isBatch = isBatchPath(path)
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch (e) {
    return bad(`body is not JSON: ${(e as Error).message}`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('body must be a JSON object')
  const keyed = (v: unknown) => typeof (v as { writeKey?: unknown })?.writeKey === 'string' && (v as { writeKey: string }).writeKey !== ''
  const inner = (body as { batch?: unknown }).batch
  const allKeyed = isBatch && Array.isArray(inner) && inner.length > 0 && inner.every(keyed)
  if (!auth && !keyed(body) && !allKeyed) return bad('writeKey is missing: send it in the body or as the Basic auth user name', 401)
  let calls: unknown[]
  if (isBatch) {
    const r = batchBody.safeParse(body)
    if (!r.success) return bad(`${r.error.issues[0]!.path.join('.') || '(body)'}: ${r.error.issues[0]!.message}`)
    calls = r.data.batch
  } else {
    const call = body as Record<string, unknown>
    if (call.type === undefined) call.type = TYPES[path]
    else if (call.type !== TYPES[path]) return bad(`type ${JSON.stringify(call.type)} does not match /${path}`)
    calls = [call]
  }
  for (const [i, call] of calls.entries()) {
    const at = isBatch ? `batch[${i}]` : '(call)'
    const size = bytes(call)
    if (size > MAX_CALL_BYTES) return bad(`${at}: call is ${size} bytes, over the ${MAX_CALL_BYTES}-byte limit`)
    const r = parseCall(call)
    if (!r.ok) return bad(isBatch ? `${at}.${r.error}` : r.error)
  }
  return { status: 200, body: { success: true }, calls: calls as Record<string, unknown>[] }
}

/** The collector without a listening socket, to mount in another server. */
export const createCollector = (opts: Pick<CollectorOptions, 'dataFile' | 'quiet' | 'bodies'> = {}): CollectorHandler => {
  const bodies = opts.bodies ?? createBodyGate()
  const file = resolve(opts.dataFile ?? '.data/events.jsonl')
  let events: StoredCall[] = []
  let seen = new Set<string>()
  let duplicates: Record<string, number> = {}
  let requests = 0
  let fx = noFaults()
  const hanging = new Set<ServerResponse>()
  const timers = new Set<NodeJS.Timeout>()
  // dispose() clears these timers: a pause it cut never resolves, and its request is dropped unanswered
  const pause = (ms: number) =>
    new Promise<void>((done) => {
      const t = setTimeout(() => (timers.delete(t), done()), ms)
      timers.add(t)
    })

  const store = (calls: Record<string, unknown>[]) => {
    const receivedAt = new Date().toISOString()
    const fresh: StoredCall[] = []
    for (const call of calls) {
      const id = String(call.messageId)
      if (seen.has(id)) duplicates[id] = (duplicates[id] ?? 0) + 1
      else {
        seen.add(id)
        fresh.push({ ...call, receivedAt } as StoredCall)
      }
    }
    events.push(...fresh)
    if (fresh.length) appendFileSync(file, fresh.map((c) => JSON.stringify(c) + '\n').join(''))
  }

  // Restarts keep history and dedupe state.
  mkdirSync(dirname(file), { recursive: true })
  for (const line of existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []) {
    let c: StoredCall
    try {
      c = JSON.parse(line) as StoredCall
    } catch {
      continue // blank, or torn by a crash mid-write
    }
    if (!seen.has(c.messageId)) events.push(c)
    seen.add(c.messageId)
  }

  const tooBig = (n: number) => fx.maxBodyBytes > 0 && n > fx.maxBodyBytes
  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    send(res, status, body, { ...headers, ...(fx.cacheControl ? {} : { 'Cache-Control': undefined }) })
  const overLimit = (res: ServerResponse, n: number) => answer(res, 413, { error: `body is ${n} bytes, over the proxy limit of ${fx.maxBodyBytes}` })

  const ingest = async (path: string, req: IncomingMessage, res: ServerResponse) => {
    requests++
    // Customer.io's own limits, per request: reading stops there (413, the connection closed).
    const cap = isBatchPath(path) ? MAX_BATCH_BYTES : MAX_CALL_BYTES
    // A proxy in front refuses by size before the server sees the request: no failure is used up.
    const declared = Number(req.headers['content-length'])
    if (tooBig(declared)) return bodies.read(req, cap).then((b) => ('ok' in b ? overLimit(res, declared) : refuse(req, res, b, CORS)))
    // The fault is chosen on arrival so concurrent requests take the failures in arrival order.
    const fault = fx.failLeft > 0 && Date.now() < fx.failUntil ? { ...fx.failure } : undefined
    if (fault) fx.failLeft--
    let gone = false
    res.on('close', () => (gone = true))
    const body = await bodies.read(req, cap)
    // A chunked body has no length to judge on arrival: the failure it took goes back.
    if (!('ok' in body) || tooBig(body.ok.length)) {
      if (fault) fx.failLeft++
      return 'ok' in body ? overLimit(res, body.ok.length) : refuse(req, res, body, CORS)
    }
    const raw = body.ok
    if (fault?.reset) return void req.socket.destroy()
    if (fault?.hang) {
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      return
    }
    if (fx.delayMs > 0) {
      await pause(fx.delayMs)
      // Stored only when answered: a client that gave up meanwhile will send it again.
      if (gone) return
    }
    if (fault) return answer(res, fault.status, { error: `injected fault ${fault.status}` }, fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) })
    const r = check(path, raw, basicUser(req.headers.authorization))
    if (r.calls) store(r.calls)
    else if (!opts.quiet) console.warn(`[collector] ${r.status} /${path}: ${(r.body as { error: string }).error}`)
    if (fx.lateAnswerMs > 0) await pause(fx.lateAnswerMs)
    answer(res, r.status, r.body)
  }

  const handler: CollectorHandler = {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://collector')
      if (url.pathname !== BASE && !url.pathname.startsWith(BASE + '/')) return false
      const path = url.pathname.slice(BASE.length + 1).replace(/\/+$/, '')
      const method = req.method ?? 'GET'
      // The inspection endpoints (_events holds identify traits: emails) answer the demo page itself and
      // the tests' Node code only: no CORS, so another site open in the developer's browser cannot read
      // or clear them, and _faults needs a JSON body, which a cross-site form cannot send (security review).
      if (path.startsWith('_')) {
        const own = (status: number, body: unknown) => send(res, status, body, {}, false)
        if (path === '_events' && method === 'GET') own(200, handler.snapshot(Number(url.searchParams.get('since')) || 0))
        else if (path === '_events' && method === 'DELETE') handler.reset(), own(200, { success: true })
        else if (path === '_faults' && method === 'POST' && /json/.test(String(req.headers['content-type']))) {
          bodies
            .read(req, MAX_STORE_BODY)
            .then((b) => {
              if (!('ok' in b)) return refuse(req, res, b)
              handler.faults(JSON.parse(b.ok.toString('utf8') || '{}') as Faults)
              own(200, { success: true })
            })
            .catch((e: Error) => own(400, { error: `faults: ${e.message}` }))
        } else if (path === '_health' && method === 'GET') own(200, { ok: true })
        else own(404, { error: `no route ${method} ${url.pathname}` })
      } else if (method === 'OPTIONS') {
        send(res, 204, undefined, {
          'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-Strict-Mode',
          'Access-Control-Max-Age': '600',
        })
      } else if (method === 'POST' && (Object.hasOwn(TYPES, path) || path === 'b' || path === 'batch')) {
        ingest(path, req, res).catch((e: Error) => send(res, 500, { error: e.message }))
      } else {
        send(res, 404, { error: `no route ${method} ${url.pathname}` })
      }
      return true
    },
    events: () => events.slice(),
    snapshot: (since = 0) => ({ events: events.slice(Math.max(0, since)), duplicates: { ...duplicates }, requests, total: events.length }),
    reset() {
      events = []
      seen = new Set()
      duplicates = {}
      requests = 0
      fx = noFaults()
      writeFileSync(file, '')
    },
    faults(input) {
      const f = checkFaults(input)
      if (f.delayMs !== undefined) fx.delayMs = f.delayMs
      if (f.lateAnswerMs !== undefined) fx.lateAnswerMs = f.lateAnswerMs
      if (f.maxBodyBytes !== undefined) fx.maxBodyBytes = f.maxBodyBytes
      if (f.cacheControl !== undefined) fx.cacheControl = f.cacheControl
      const { fail, status, hang, reset, retryAfter, forMs } = f
      if ([fail, status, hang, reset, retryAfter, forMs].every((v) => v === undefined)) return
      fx.failure = { status: status ?? 500, hang: hang === true, reset: reset === true }
      if (retryAfter !== undefined) fx.failure.retryAfter = retryAfter
      // {hang: false} or {fail: 0} ends the failures; a status, hang, reset or forMs without a count lasts
      // until changed (or until forMs has passed).
      fx.failLeft = fail ?? (hang || reset || status !== undefined || forMs !== undefined ? Infinity : 0)
      fx.failUntil = forMs === undefined ? Infinity : Date.now() + forMs
    },
    dispose() {
      for (const res of hanging) res.destroy()
      for (const t of timers) clearTimeout(t)
      hanging.clear()
      timers.clear()
    },
  }
  return handler
}

/** Starts a standalone collector; port 0 picks a free port. */
export const startCollector = async (opts: CollectorOptions = {}): Promise<Collector> => {
  const handler = createCollector(opts)
  const server = createServer(deadlines(10_000), (req, res) => {
    if (!handler.handle(req, res)) send(res, 404, { error: `no route ${req.method} ${req.url}: the API lives under ${BASE}/` })
  })
  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, host, done)
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${BASE}`
  return {
    ...handler,
    url,
    port,
    close: () => closeServer(server, handler),
  }
}

/** Stops the collector's timers and the server. */
export const closeServer = (server: Server, handler: CollectorHandler): Promise<void> =>
  new Promise<void>((done) => {
    handler.dispose()
    // Browsers keep connections alive; without this close() would wait for them to time out.
    server.closeAllConnections()
    server.close(() => done())
  })

// The demo server bundles this module too, so match the file name as well as the URL.
const argv1 = process.argv[1]
if (argv1 && /^collector\.(m?js|ts)$/.test(basename(argv1)) && import.meta.url === pathToFileURL(argv1).href) {
  const c = await startCollector({ port: Number(process.env.PORT) || 8787, host: process.env.HOST || '127.0.0.1' })
  console.log(`onsite collector: ${c.url}  (events: ${c.url}/_events)`)
}
