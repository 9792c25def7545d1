// @vitest-environment node
// The App API pull, against a local fake of Customer.io's App API (CIO_API_BASE points at it).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAudienceService, type AudienceService } from '../../../src/audiences-server/handler.ts'
import { mappedChanges, retryAfterMs } from '../../../src/audiences-server/pull.ts'
import { openStore, type Store } from '../../../src/audiences-server/store.ts'
import { signVisitor } from '../../../src/audiences-server/token.ts'
import { BASE, T0, TOKEN_SECRET, change, hook, settings } from './fixtures.ts'

const KEY = 'app-api-key-0123456789'
let api: Server
let apiBase: string
let store: Store
/** What the fake answers: a status, headers and body per person, after `delayMs`. */
let reply: (person: string) => { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
const asked: { person: string; auth: string | undefined }[] = []

beforeAll(async () => {
  api = createServer((req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/v1\/customers\/([^/]+)\/segments$/.exec(req.url ?? '')
    if (!m) return void res.writeHead(404).end()
    const person = decodeURIComponent(m[1]!)
    asked.push({ person, auth: req.headers.authorization })
    const r = reply(person)
    setTimeout(() => res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end(JSON.stringify(r.body ?? {})), r.delayMs ?? 0)
  })
  await new Promise<void>((done) => api.listen(0, '127.0.0.1', done))
  apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
  store = await openStore({ dataDir: 'memory://' })
}, 60_000)
afterAll(async () => {
  api.closeAllConnections()
  await new Promise((done) => api.close(done))
  await store.close()
})
beforeEach(() => {
  asked.length = 0
  reply = () => ({ status: 200, body: { segments: [{ id: 123, name: 'VIP customers' }, { id: 999, name: 'not mapped' }] } })
})

let clock = Date.now()
const shared = (): Store => ({ ...store, close: async () => {} })
const service = (env: Record<string, string> = {}): AudienceService =>
  createAudienceService(settings({ CIO_APP_API_KEY: KEY, CIO_API_BASE: apiBase, ONSITE_SEGMENT_MAP: '123=vip,456=cart_abandoner', ONSITE_PULL_TTL: '60', ...env }), {
    store: shared(),
    now: () => clock,
    log: () => {},
  })
/** Waits until `ok()` holds (the pulls that outlive a lookup finish in the background). */
const until = async (ok: () => boolean | Promise<boolean>, ms = 5000) => {
  for (const end = performance.now() + ms; !(await ok()); ) {
    if (performance.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}
const lookup = async (s: AudienceService, id: string) =>
  (await s.handle(new Request(`${BASE}/audiences?token=${encodeURIComponent(await signVisitor(id, TOKEN_SECRET, 3600))}`))).json()

describe('pulling a person the store has never heard of', () => {
  it('asks the App API once with the bearer key, maps segment ids to flags, and stores the answer', async () => {
    clock = Date.now()
    const s = service()
    expect(await lookup(s, 'u-new@x.com')).toEqual({ flags: { vip: true, cart_abandoner: false }, syncedAt: Math.floor(clock / 1000) * 1000 })
    expect(asked).toEqual([{ person: 'u-new@x.com', auth: `Bearer ${KEY}` }])
    await lookup(s, 'u-new@x.com')
    // stored with its pull time: another instance on the same store does not ask again either
    await lookup(service(), 'u-new@x.com')
    expect(asked).toHaveLength(1)
  })

  it('remembers a person Customer.io does not know (404) until the TTL', async () => {
    clock = Date.now()
    reply = () => ({ status: 404, body: { errors: [{ detail: 'not found' }] } })
    const s = service()
    expect(await lookup(s, 'u-404')).toEqual({ flags: {}, syncedAt: null })
    expect(await lookup(s, 'u-404')).toEqual({ flags: {}, syncedAt: null })
    expect(asked).toHaveLength(1)
  })

  it('never pulls a person the webhooks already told about', async () => {
    const s = service()
    await s.handle(hook(change('u-hooked', 'vip', 'exited', T0)))
    expect((await lookup(s, 'u-hooked')).flags).toEqual({ vip: false })
    expect(asked).toHaveLength(0)
  })

  it('shares one request between concurrent lookups of one person', async () => {
    clock = Date.now()
    reply = () => ({ status: 200, body: { segments: [{ id: 456 }] }, delayMs: 150 })
    const s = service()
    const all = await Promise.all(Array.from({ length: 5 }, () => lookup(s, 'u-shared')))
    expect(asked).toHaveLength(1)
    for (const a of all) expect(a.flags).toEqual({ vip: false, cart_abandoner: true })
  })

  it('waits at most ONSITE_PULL_WAIT_MS, and the late answer is there for the next lookup', async () => {
    clock = Date.now()
    reply = () => ({ status: 200, body: { segments: [{ id: 123 }] }, delayMs: 1500 })
    const s = service({ ONSITE_PULL_WAIT_MS: '50' })
    const t = performance.now()
    expect(await lookup(s, 'u-slow')).toEqual({ flags: {}, syncedAt: null })
    expect(performance.now() - t).toBeLessThan(1200)
    await until(async () => Object.keys((await lookup(s, 'u-slow')).flags).length > 0)
    expect((await lookup(s, 'u-slow')).flags).toEqual({ vip: true, cart_abandoner: false })
    expect(asked).toHaveLength(1)
  })

  it('spends at most ONSITE_PULL_RATE requests a second', async () => {
    clock = Date.now()
    const s = service({ ONSITE_PULL_RATE: '2' })
    await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => lookup(s, `u-rate-${id}`)))
    expect(asked).toHaveLength(2)
    clock += 1000
    await lookup(s, 'u-rate-r5')
    expect(asked).toHaveLength(3)
  })
})

describe('429 and failures', () => {
  it('backs off for Retry-After on a 429, serving {} meanwhile, then pulls again', async () => {
    clock = Date.now()
    reply = () => ({ status: 429, headers: { 'retry-after': '30' } })
    const s = service()
    expect(await lookup(s, 'u-429')).toEqual({ flags: {}, syncedAt: null })
    expect(await lookup(s, 'u-429-b')).toEqual({ flags: {}, syncedAt: null })
    expect(asked).toHaveLength(1)
    clock += 29_000
    await lookup(s, 'u-429-b')
    expect(asked).toHaveLength(1)
    reply = () => ({ status: 200, body: { segments: [{ id: 123 }] } })
    clock += 2000
    expect((await lookup(s, 'u-429-b')).flags).toEqual({ vip: true, cart_abandoner: false })
    expect(asked).toHaveLength(2)
  })

  it('serves stored (stale) flags past the TTL when the re-pull is refused', async () => {
    clock = Date.now()
    const s = service()
    const first = await lookup(s, 'u-stale')
    expect(first.flags).toEqual({ vip: true, cart_abandoner: false })
    reply = () => ({ status: 429, headers: { 'retry-after': '5' } })
    clock += 61_000
    expect(await lookup(s, 'u-stale')).toEqual(first)
    await until(() => asked.length === 2)
    expect(asked.map((a) => a.person)).toEqual(['u-stale', 'u-stale'])
    expect(await lookup(s, 'u-stale')).toEqual(first)
  })

  it('re-pulls past the TTL and answers the fresh membership', async () => {
    clock = Date.now()
    const s = service()
    await lookup(s, 'u-repull')
    reply = () => ({ status: 200, body: { segments: [] } })
    clock += 61_000
    await lookup(s, 'u-repull') // answered from the store at once; the re-pull refreshes it
    await until(async () => (await lookup(s, 'u-repull')).flags.vip === false)
    expect(await lookup(s, 'u-repull')).toEqual({ flags: { vip: false, cart_abandoner: false }, syncedAt: Math.floor(clock / 1000) * 1000 })
  })

  it('backs off after a 500 or an answer of the wrong shape', async () => {
    clock = Date.now()
    reply = () => ({ status: 500 })
    const s = service()
    await lookup(s, 'u-500')
    await lookup(s, 'u-500')
    expect(asked).toHaveLength(1)
    clock += 1500
    reply = () => ({ status: 200, body: { people: [] } })
    expect(await lookup(s, 'u-500')).toEqual({ flags: {}, syncedAt: null })
    expect(asked).toHaveLength(2)
  })
})

describe('pieces', () => {
  it('reads Retry-After as seconds or an HTTP date, else the fallback', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs('7', now, 1000)).toBe(7000)
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:09 GMT', now, 1000)).toBe(9000)
    expect(retryAfterMs(null, now, 1000)).toBe(1000)
    expect(retryAfterMs('soon', now, 1000)).toBe(1000)
  })

  it('maps several segment ids onto one flag: in it when any is listed', () => {
    const map = { '1': 'vip', '2': 'vip', '3': 'lapsed' }
    expect(mappedChanges('p', { segments: [{ id: 2 }] }, map, 5)).toEqual([
      { person: 'p', segment: 'vip', member: true, at: 5 },
      { person: 'p', segment: 'lapsed', member: false, at: 5 },
    ])
    expect(mappedChanges('p', { nope: 1 }, map, 5)).toBeNull()
  })
})
