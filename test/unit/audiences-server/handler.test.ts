// @vitest-environment node
// The Fetch handler, route by route, against a real (in-memory PGlite) store: webhooks in, flags out.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { proxyMessage } from '../../../src/audiences-server/app-proxy.ts'
import { createAudienceService, type AudienceService } from '../../../src/audiences-server/handler.ts'
import { hmacHex } from '../../../src/audiences-server/hmac.ts'
import { openStore, type Store } from '../../../src/audiences-server/store.ts'
import { signVisitor } from '../../../src/audiences-server/token.ts'
import { BASE, SHOPIFY_SECRET, T0, TOKEN_SECRET, WEBHOOK_SECRET, change, hook, settings } from './fixtures.ts'

let store: Store
// the services of this file share one store (PGlite takes seconds to start); each test uses its own people
const shared = (): Store => ({ ...store, close: async () => {} })
const service = (env: Record<string, string> = {}, log = (_: string) => {}): AudienceService => createAudienceService(settings(env), { store: shared(), log })

beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' })
}, 60_000)
afterAll(() => store.close())

const get = (s: AudienceService, path: string, headers: Record<string, string> = {}) => s.handle(new Request(BASE + path, { headers }))
const flagsOf = async (s: AudienceService, id: string) => (await get(s, `/audiences?token=${encodeURIComponent(await signVisitor(id, TOKEN_SECRET, 600))}`)).json()

describe('routes', () => {
  it('answers /healthz, 404 for unknown paths, 405 naming the allowed methods', async () => {
    const s = service()
    expect((await get(s, '/healthz')).status).toBe(200)
    expect(await (await get(s, '/healthz')).json()).toEqual({ ok: true })
    expect((await get(s, '/nope')).status).toBe(404)
    const r = await get(s, '/webhooks/customerio')
    expect(r.status).toBe(405)
    expect(r.headers.get('allow')).toBe('POST')
    expect(await r.json()).toEqual({ error: 'method GET not allowed' })
    expect((await s.handle(new Request(BASE + '/audiences', { method: 'DELETE' }))).status).toBe(405)
  })

  it('mounts under basePath, and nothing outside it', async () => {
    const s = service({ ONSITE_BASE_PATH: '/onsite' })
    expect((await get(s, '/onsite/healthz')).status).toBe(200)
    expect((await get(s, '/healthz')).status).toBe(404)
    expect((await get(s, '/onsitex/healthz')).status).toBe(404)
  })

  it('answers a failing store with 500 and no stack trace, and logs it', async () => {
    const log = vi.fn()
    const broken: Store = { ...shared(), read: async () => { throw new Error('connection refused at pg.js:12') } }
    const s = createAudienceService(settings(), { store: broken, log })
    const r = await get(s, `/audiences?token=${await signVisitor('p-broken', TOKEN_SECRET, 60)}`)
    expect(r.status).toBe(500)
    expect(await r.text()).toBe('{"error":"internal error"}')
    expect(log).toHaveBeenCalledWith(expect.stringContaining('connection refused'))
  })
})

describe('POST /webhooks/customerio', () => {
  it('401 for a missing, wrong or non-Bearer secret, and nothing is stored', async () => {
    const s = service()
    const body = [change('p-401', 'vip', 'entered', T0)]
    for (const auth of ['', 'Bearer wrong-secret-0123456789', `Basic ${btoa('x:y')}`]) {
      const r = await s.handle(hook(body, auth))
      expect(r.status).toBe(401)
      expect((await r.json()).error).toMatch(/Authorization: Bearer/)
    }
    expect(await flagsOf(s, 'p-401')).toEqual({ flags: {}, syncedAt: null })
    expect((await s.handle(hook(body))).status).toBe(200)
    expect(await flagsOf(s, 'p-401')).toEqual({ flags: { vip: true }, syncedAt: T0 * 1000 })
  })

  it('accepts Basic auth with the secret as the password (https://user:<secret>@host in Customer.io)', async () => {
    const s = service()
    const r = await s.handle(hook([change('p-basic', 'vip', 'entered', T0)], `Basic ${btoa(`cio:${WEBHOOK_SECRET}`)}`))
    expect(await r.json()).toEqual({ stored: 1, ignored: 0 })
    expect((await s.handle(hook([change('p-basic', 'vip', 'exited', T0 + 1)], `Basic ${btoa(WEBHOOK_SECRET)}`))).status).toBe(401)
    expect((await s.handle(hook([change('p-basic', 'vip', 'exited', T0 + 1)], 'Basic %%%'))).status).toBe(401)
  })

  it('400 naming the field; one bad item rejects the whole request', async () => {
    const s = service()
    const bad = async (body: unknown) => {
      const r = await s.handle(hook(body))
      expect(r.status).toBe(400)
      return (await r.json()).error
    }
    const ok = change('p-400', 'vip', 'entered', T0)
    expect(await bad([ok, ok, ok, { ...ok, action: 'left' }])).toBe('[3].action: expected "entered" or "exited"')
    expect(await bad({ ...ok, segment: 'VIP customers' })).toMatch(/^segment: expected a segment name/)
    expect(await bad([ok, { ...ok, id: '' }])).toMatch(/^\[1\]\.id: /)
    expect(await bad([{ ...ok, at: T0 * 1000 }])).toBe('[0].at: expected unix seconds, got what looks like milliseconds')
    expect(await bad([{ ...ok, at: 'yesterday' }])).toMatch(/^\[0\]\.at: expected unix seconds/)
    expect(await bad([{ ...ok, email: 42 }])).toMatch(/^\[0\]\.email: /)
    expect(await bad([ok, 'x'])).toMatch(/^\[1\]: expected an object/)
    expect(await bad('{"id": ')).toBe('body: expected JSON')
    expect(await flagsOf(s, 'p-400')).toEqual({ flags: {}, syncedAt: null })
  })

  it('accepts `at` as a string of digits (Liquid output in quotes) and an empty email', async () => {
    const s = service()
    const r = await s.handle(hook({ ...change('p-str', 'vip', 'entered', 0), at: String(T0), email: '' }))
    expect(await r.json()).toEqual({ stored: 1, ignored: 0 })
    expect((await flagsOf(s, 'p-str')).flags).toEqual({ vip: true })
  })

  it('413 past 1 MB or 1000 changes, and nothing is stored', async () => {
    const s = service()
    const big = JSON.stringify([change('p-413', 'vip', 'entered', T0), { pad: 'x'.repeat(1024 * 1024) }])
    expect((await s.handle(hook(big))).status).toBe(413)
    const many = Array.from({ length: 1001 }, (_, i) => change(`p-413-${i}`, 'vip', 'entered', T0))
    const r = await s.handle(hook(many))
    expect(r.status).toBe(413)
    expect((await r.json()).error).toBe('body: at most 1000 changes per request, got 1001')
    expect((await flagsOf(s, 'p-413-0')).flags).toEqual({})
  })

  it('keeps the newest `at`: an exit is a tombstone a replayed older entry cannot undo; equal `at` is idempotent', async () => {
    const s = service()
    const post = async (body: unknown) => (await s.handle(hook(body))).json()
    expect(await post(change('p-replay', 'vip', 'entered', T0 + 10))).toEqual({ stored: 1, ignored: 0 })
    expect(await post(change('p-replay', 'vip', 'exited', T0 + 20))).toEqual({ stored: 1, ignored: 0 })
    expect(await flagsOf(s, 'p-replay')).toEqual({ flags: { vip: false }, syncedAt: (T0 + 20) * 1000 })
    expect(await post(change('p-replay', 'vip', 'entered', T0 + 10))).toEqual({ stored: 0, ignored: 1 })
    expect(await post(change('p-replay', 'vip', 'exited', T0 + 20))).toEqual({ stored: 0, ignored: 1 })
    expect(await flagsOf(s, 'p-replay')).toEqual({ flags: { vip: false }, syncedAt: (T0 + 20) * 1000 })
    // within one batch too: the newest fact per (person, segment) is the one kept
    expect(await post([change('p-batch', 'vip', 'entered', T0 + 5), change('p-batch', 'vip', 'exited', T0 + 9), change('p-batch', 'vip', 'entered', T0 + 7)])).toEqual({ stored: 1, ignored: 2 })
    expect((await flagsOf(s, 'p-batch')).flags).toEqual({ vip: false })
  })

  it('maps a segment sent by its Customer.io id through ONSITE_SEGMENT_MAP', async () => {
    const s = service({ ONSITE_SEGMENT_MAP: '123=vip' })
    await s.handle(hook(change('p-map', '123', 'entered', T0)))
    expect((await flagsOf(s, 'p-map')).flags).toEqual({ vip: true })
  })

  it('a write reaches the next lookup of a cached person', async () => {
    const s = service()
    await s.handle(hook(change('p-cache', 'vip', 'entered', T0)))
    expect((await flagsOf(s, 'p-cache')).flags).toEqual({ vip: true })
    expect((await flagsOf(s, 'p-cache')).flags).toEqual({ vip: true })
    await s.handle(hook(change('p-cache', 'cart_abandoner', 'entered', T0 + 1)))
    expect((await flagsOf(s, 'p-cache')).flags).toEqual({ vip: true, cart_abandoner: true })
  })
})

describe('GET and POST /audiences with a visitor token', () => {
  it('answers only the exposed segments, with private no-store caching', async () => {
    const s = service()
    await s.handle(hook([change('p-exp', 'vip', 'entered', T0), change('p-exp', 'internal_ltv_top1', 'entered', T0 + 50), change('p-exp', 'cart_abandoner', 'exited', T0 + 3)]))
    const r = await get(s, `/audiences?token=${await signVisitor('p-exp', TOKEN_SECRET, 600)}`)
    expect(r.headers.get('cache-control')).toBe('private, no-store')
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8')
    // syncedAt is the newest exposed fact: the hidden segment's time does not leak either
    expect(await r.json()).toEqual({ flags: { vip: true, cart_abandoner: false }, syncedAt: (T0 + 3) * 1000 })
  })

  it('reads the token from a text/plain or JSON POST body', async () => {
    const s = service()
    await s.handle(hook(change('p-post', 'vip', 'entered', T0)))
    const token = await signVisitor('p-post', TOKEN_SECRET, 600)
    for (const type of ['text/plain', 'application/json']) {
      const r = await s.handle(new Request(BASE + '/audiences', { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ token }) }))
      expect(await r.json()).toEqual({ flags: { vip: true }, syncedAt: T0 * 1000 })
    }
    const post = (body: string) => s.handle(new Request(BASE + '/audiences', { method: 'POST', headers: { 'content-type': 'text/plain' }, body }))
    expect((await post('token=' + token)).status).toBe(400)
    expect((await post(JSON.stringify({ token, pad: 'x'.repeat(5000) }))).status).toBe(413)
    expect((await post('{}')).status).toBe(401)
  })

  it('401 and no flags for a missing, forged, expired or malformed token', async () => {
    const s = service()
    await s.handle(hook(change('p-tok', 'vip', 'entered', T0)))
    const good = await signVisitor('p-tok', TOKEN_SECRET, 600)
    const tokens = {
      missing: '',
      forged: await signVisitor('p-tok', 'another-secret-0123456789', 600),
      'other id, same signature': good.replace('p-tok', 'p-to0'),
      expired: await signVisitor('p-tok', TOKEN_SECRET, 60, Date.now() - 120_000),
      malformed: 'p-tok.not-a-time.abc',
    }
    for (const [what, t] of Object.entries(tokens)) {
      const r = await get(s, `/audiences?token=${encodeURIComponent(t)}`)
      expect([what, r.status]).toEqual([what, 401])
      const body = await r.json()
      expect(body.flags).toBeUndefined()
      expect(body.error).toMatch(/token/)
    }
    expect((await get(s, `/audiences?token=${good}`)).status).toBe(200)
  })

  it('answers an unknown person with no flags and syncedAt null', async () => {
    expect(await flagsOf(service(), 'p-nobody')).toEqual({ flags: {}, syncedAt: null })
  })

  it('refuses tokens when ONSITE_TOKEN_SECRET is not set', async () => {
    const s = createAudienceService(settings({ ONSITE_TOKEN_SECRET: '' }), { store: shared() })
    const r = await get(s, `/audiences?token=${await signVisitor('p-tok', TOKEN_SECRET, 600)}`)
    expect(r.status).toBe(401)
    expect((await r.json()).error).toMatch(/ONSITE_TOKEN_SECRET is not set/)
  })
})

describe('/audiences through the Shopify App Proxy', () => {
  const proxied = async (customer: string, o: { secret?: string; ts?: number } = {}) => {
    const q = new URLSearchParams({ shop: 'demo.myshopify.com', logged_in_customer_id: customer, path_prefix: '/apps/onsite', timestamp: String(o.ts ?? Math.floor(Date.now() / 1000)) })
    q.set('signature', await hmacHex(o.secret ?? SHOPIFY_SECRET, proxyMessage(q)))
    return `/audiences?${q}`
  }

  it('answers the logged-in customer of a signed request', async () => {
    const s = service()
    await s.handle(hook(change('7001', 'vip', 'entered', T0)))
    const r = await get(s, await proxied('7001'))
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ flags: { vip: true }, syncedAt: T0 * 1000 })
  })

  it('answers no flags when nobody is logged in', async () => {
    expect(await (await get(service(), await proxied(''))).json()).toEqual({ flags: {}, syncedAt: null })
  })

  it('401 for a forged, altered or stale request, and without SHOPIFY_APP_SECRET', async () => {
    const s = service()
    await s.handle(hook(change('7002', 'vip', 'entered', T0)))
    const forged = await get(s, await proxied('7002', { secret: 'not-the-app-secret-0123' }))
    expect([forged.status, (await forged.json()).error]).toEqual([401, 'App Proxy signature does not match'])
    const altered = await get(s, (await proxied('7003')).replace('logged_in_customer_id=7003', 'logged_in_customer_id=7002'))
    expect(altered.status).toBe(401)
    const stale = await get(s, await proxied('7002', { ts: Math.floor(Date.now() / 1000) - 3600 }))
    expect([stale.status, (await stale.json()).error]).toEqual([401, 'App Proxy request is stale'])
    const off = createAudienceService(settings({ SHOPIFY_APP_SECRET: '' }), { store: shared() })
    expect((await get(off, await proxied('7002'))).status).toBe(401)
  })
})

describe('CORS', () => {
  const token = () => signVisitor('p-cors', TOKEN_SECRET, 600)

  it('echoes an allowed origin, with Vary: Origin; others get no CORS headers', async () => {
    const s = service()
    const ok = await get(s, `/audiences?token=${await token()}`, { origin: 'https://shop.example' })
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    expect(ok.headers.get('vary')).toBe('Origin')
    const other = await get(s, `/audiences?token=${await token()}`, { origin: 'https://evil.example' })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    expect(other.headers.get('vary')).toBe('Origin')
    // a refused token still carries the allowed origin's CORS headers, so the page can read why
    const refused = await get(s, '/audiences?token=x', { origin: 'https://shop.example' })
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://shop.example')
  })

  it('answers a preflight for an allowed origin only; the webhook route has no CORS', async () => {
    const s = service()
    const pre = (origin: string) => s.handle(new Request(BASE + '/audiences', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } }))
    const ok = await pre('https://shop.example')
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, POST')
    const other = await pre('https://evil.example')
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    expect(other.headers.get('access-control-allow-methods')).toBeNull()
    const h = await s.handle(new Request(BASE + '/webhooks/customerio', { method: 'OPTIONS', headers: { origin: 'https://shop.example' } }))
    expect(h.status).toBe(405)
    expect(h.headers.get('access-control-allow-origin')).toBeNull()
  })
})
