// @vitest-environment node
// The node:http adapter: real sockets, bodies cut off at their limit, keep-alive after early answers.
import { Agent, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAudienceService, type AudienceService } from '../../../src/audiences-server/handler.ts'
import { serveNode, type Served } from '../../../src/audiences-server/node.ts'
import { signVisitor } from '../../../src/audiences-server/token.ts'
import { T0, TOKEN_SECRET, WEBHOOK_SECRET, change, settings } from './fixtures.ts'

let service: AudienceService
let served: Served

beforeAll(async () => {
  service = createAudienceService(settings())
  await service.ready()
  served = await serveNode(service, { port: 0, host: '127.0.0.1' })
}, 60_000)
afterAll(async () => {
  await served.close()
  await service.close()
})

/** One request on `agent`, the body written in `chunks` (chunked transfer when there are several). */
const send = (path: string, o: { method?: string; headers?: Record<string, string>; chunks?: string[]; agent?: Agent } = {}) =>
  new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(served.url + path, { method: o.method ?? 'GET', headers: o.headers, agent: o.agent }, (res) => {
      let body = ''
      res.on('data', (b) => (body += b))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }))
    })
    req.on('error', reject)
    for (const c of o.chunks ?? []) req.write(c)
    req.end()
  })

const auth = { authorization: `Bearer ${WEBHOOK_SECRET}` }

describe('serveNode', () => {
  it('serves the handler: a webhook in, the flags out', async () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const w = await fetch(served.url + '/webhooks/customerio', { method: 'POST', headers: auth, body: JSON.stringify([change('n-1', 'vip', 'entered', T0)]) })
    expect(await w.json()).toEqual({ stored: 1, ignored: 0 })
    const token = await signVisitor('n-1', TOKEN_SECRET, 60)
    const r = await fetch(served.url + '/audiences', { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' }, body: JSON.stringify({ token }) })
    expect(r.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    expect(r.headers.get('cache-control')).toBe('private, no-store')
    expect(await r.json()).toEqual({ flags: { vip: true }, syncedAt: T0 * 1000 })
  })

  it('answers HEAD without a body', async () => {
    const r = await send('/healthz', { method: 'HEAD' })
    expect([r.status, r.body]).toEqual([200, ''])
  })

  it('answers 413 to a chunked body past the limit (not a connection reset)', async () => {
    const chunk = 'x'.repeat(64 * 1024)
    const r = await send('/webhooks/customerio', { method: 'POST', headers: auth, chunks: Array.from({ length: 20 }, () => chunk) })
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body).error).toMatch(/^body: over 1048576 bytes/)
  })

  it('keeps a keep-alive connection usable after answering before the body was read', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const sockets = new Set()
    agent.on('free', (s) => sockets.add(s))
    const first = await send('/webhooks/customerio', { method: 'POST', headers: { authorization: 'Bearer wrong', 'content-length': '10' }, chunks: ['0123456789'], agent })
    const second = await send('/healthz', { agent })
    expect([first.status, second.status]).toEqual([401, 200])
    expect(sockets.size).toBe(1)
    agent.destroy()
  })

  it('serves any Fetch handler too (Request in, Response out, bodies streamed)', async () => {
    const echo = await serveNode(
      { handle: async (req: Request) => new Response(`${req.method} ${new URL(req.url).pathname} ${req.headers.get('x-a')} ${await req.text()}`, { status: 201, headers: { 'x-b': '2' } }) },
      { port: 0, host: '127.0.0.1' },
    )
    const r = await fetch(echo.url + '/p?q=1', { method: 'POST', headers: { 'x-a': '1' }, body: 'hello' })
    expect([r.status, r.headers.get('x-b'), await r.text()]).toEqual([201, '2', 'POST /p 1 hello'])
    await echo.close()
  })

  it('takes the path from the request line, whatever the Host header says', async () => {
    const r = await send('/healthz', { headers: { host: 'evil.example:1' } })
    expect(r.status).toBe(200)
  })
})
