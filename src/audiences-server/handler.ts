// The audience service as one Fetch API handler, `(Request) => Promise<Response>`, so the same code
// serves on Node (node.ts), Cloudflare Workers, Vercel and Deno. Customer.io's webhooks write who is in
// which segment; the storefront reads the flags of the person its token (or App Proxy signature) proves.
import { createLru } from './cache.ts'
import type { Settings } from './config.ts'
import { corsHeaders, preflight } from './cors.ts'
import { safeEqual } from './hmac.ts'
import { fail, json, parseJson, readText, toResponse, type Answer, type Incoming } from './http.ts'
import { identify } from './identify.ts'
import { createLookup, type Lookup } from './lookup.ts'
import { createPuller, type Puller } from './pull.ts'
import { openStore, type PersonState, type Store } from './store.ts'
import { parseWebhook } from './webhook.ts'

export const MAX_WEBHOOK_BYTES = 1024 * 1024

export interface AudienceService {
  handle(req: Request): Promise<Response>
  /** handle() without the Fetch objects: what the node:http adapter calls. */
  respond(req: Incoming): Promise<Answer>
  /** Opens the store (handle() does it on first use): await it to fail at start-up, not on a request. */
  ready(): Promise<void>
  close(): Promise<void>
}

export interface ServiceDeps {
  /** A store to use instead of opening one from the settings (it is closed with the service). */
  store?: Store
  fetch?: typeof fetch
  now?: () => number
  log?: (line: string) => void
}

interface Ctx {
  s: Settings
  store: Store
  lookup: Lookup
  now: () => number
  origins: ReadonlySet<string>
}

/**
 * The secret in `Authorization: Bearer <secret>`, or the password of `Basic` auth: Customer.io's webhook
 * action documents Basic auth as https://user:<secret>@host/..., for when a custom header is not an option.
 */
const secretOf = (auth: string): string => {
  if (/^bearer /i.test(auth)) return auth.slice(7).trim()
  if (!/^basic /i.test(auth)) return ''
  try {
    const pair = atob(auth.slice(6).trim())
    return pair.includes(':') ? pair.slice(pair.indexOf(':') + 1) : ''
  } catch {
    return ''
  }
}

const webhook = async (req: Incoming, c: Ctx): Promise<Answer> => {
  const given = secretOf(req.headers.get('authorization') ?? '')
  if (!given || !(await safeEqual(given, c.s.webhookSecret))) return fail(401, 'Authorization: Bearer <ONSITE_WEBHOOK_SECRET> (or Basic auth with it as the password) missing or wrong')
  const text = await readText(req, MAX_WEBHOOK_BYTES)
  if (text === null) return fail(413, `body: over ${MAX_WEBHOOK_BYTES} bytes; send at most 1000 changes per request`)
  const body = parseJson(text)
  if (body === undefined) return fail(400, 'body: expected JSON')
  const changes = parseWebhook(body, c.now(), c.s.segmentMap)
  if (!Array.isArray(changes)) return fail(changes.status, changes.error)
  const stored = await c.store.apply(changes)
  c.lookup.invalidate(new Set(changes.map((x) => x.person)))
  return json(200, { stored, ignored: changes.length - stored })
}

const audiences = async (req: Incoming, url: URL, c: Ctx): Promise<Answer> => {
  const headers = { ...corsHeaders(req, c.origins), 'cache-control': 'private, no-store' }
  const who = await identify(req, url, c.s, c.now())
  if ('status' in who) return fail(who.status, who.error, headers)
  if ('anonymous' in who) return json(200, { flags: {}, syncedAt: null }, headers)
  return json(200, await c.lookup(who.id), headers)
}

const ROUTES: Record<string, { methods: string[]; run: (req: Incoming, url: URL, c: Ctx) => Promise<Answer> }> = {
  '/healthz': { methods: ['GET', 'HEAD'], run: async () => json(200, { ok: true }, { 'cache-control': 'no-store' }) },
  '/webhooks/customerio': { methods: ['POST'], run: (req, _url, c) => webhook(req, c) },
  '/audiences': { methods: ['GET', 'POST', 'OPTIONS'], run: (req, url, c) => (req.method === 'OPTIONS' ? Promise.resolve(preflight(req, c.origins)) : audiences(req, url, c)) },
}

const route = async (req: Incoming, c: Ctx, log: (line: string) => void): Promise<Answer> => {
  const url = new URL(req.url)
  const base = c.s.basePath
  const path = base && (url.pathname === base || url.pathname.startsWith(base + '/')) ? url.pathname.slice(base.length) : base ? '' : url.pathname
  const r = ROUTES[path.replace(/(.)\/$/, '$1')]
  if (!r) return fail(404, 'not found')
  if (!r.methods.includes(req.method)) return fail(405, `method ${req.method} not allowed`, { allow: r.methods.join(', ') })
  try {
    return await r.run(req, url, c)
  } catch (e) {
    log(`[onsite-audiences] ${req.method} ${path} failed: ${(e as Error)?.message ?? e}`)
    return fail(500, 'internal error')
  }
}

export const createAudienceService = (s: Settings, deps: ServiceDeps = {}): AudienceService => {
  const now = deps.now ?? Date.now
  const log = deps.log ?? ((line: string) => console.error(line))
  let puller: Puller | undefined
  const opened: Promise<Ctx> = (deps.store ? Promise.resolve(deps.store) : openStore(s)).then((store) => {
    if (s.appApiKey)
      puller = createPuller({ apiBase: s.apiBase, apiKey: s.appApiKey, segmentMap: s.segmentMap, store, rate: s.pullRate, now, log, ...(deps.fetch ? { fetch: deps.fetch } : {}) })
    const cache = createLru<PersonState>(s.cacheSize, s.cacheTtl * 1000)
    const lookup = createLookup({ store, cache, puller, exposed: s.exposed, pullTtlMs: s.pullTtl * 1000, pullWaitMs: s.pullWaitMs, now })
    return { s, store, lookup, now, origins: new Set(s.allowedOrigins) }
  })
  opened.catch(() => {}) // reported by ready() and by each request, not as an unhandled rejection
  const respond = async (req: Incoming): Promise<Answer> => {
    let c: Ctx
    try {
      c = await opened
    } catch (e) {
      log(`[onsite-audiences] the store did not open: ${(e as Error)?.message ?? e}`)
      return fail(503, 'store unavailable')
    }
    return route(req, c, log)
  }
  return {
    respond,
    handle: async (req) => toResponse(await respond(req)),
    ready: async () => void (await opened),
    async close() {
      const c = await opened.catch(() => undefined)
      await puller?.close()
      await c?.store.close()
    },
  }
}
