// @vitest-environment node
// The demo server against a hostile page or network, over raw sockets (fetch would fix up what an attacker
// sends): a Host it does not serve, bodies over Customer.io's limits, bodies that never finish, more bodies
// at once than it reads, and the one-line message when its port is taken.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostCheck } from '../../demo/guard.ts'
import { main, startDemo, type Demo } from '../../demo/server.ts'

let dir: string
let demo: Demo
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onsite-demo-guard-'))
  demo = await startDemo({ port: 0, quiet: true, dataFile: join(dir, 'events.jsonl'), timeoutMs: 400, allowedHosts: ['shop.test', 'lan.box:9999'] })
})
afterAll(async () => {
  await demo?.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Raw {
  socket: Socket
  /** Everything the server sent so far. */
  text(): string
  /** Settles when the server closed the connection (or reset it). */
  closed: Promise<void>
}
const open = (head: string, port = demo.port): Raw => {
  const socket = connect(port, '127.0.0.1')
  let got = ''
  socket.on('data', (b) => (got += b.toString('latin1')))
  const closed = new Promise<void>((done) => socket.once('close', () => done()))
  // a write into a socket the server closed fails: that is the point of most of these tests
  socket.on('error', () => {})
  socket.write(head)
  return { socket, text: () => got, closed }
}
const request = async (head: string) => {
  const r = open(head)
  await r.closed
  return r.text()
}
const get = (host: string) => request(`GET /v1/_events HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('Host check (DNS rebinding)', () => {
  it('answers only the names it serves, with its port; any other Host gets 421 and no data', async () => {
    const p = demo.port
    for (const h of [`localhost:${p}`, `127.0.0.1:${p}`, `[::1]:${p}`, `LOCALHOST:${p}`, 'shop.test', `shop.test:${p}`, 'lan.box:9999']) expect(status(await get(h)), h).toBe(200)
    for (const h of ['evil.example', `evil.example:${p}`, 'localhost', `localhost:${p + 1}`, 'lan.box', `127.0.0.1.evil.example:${p}`, `localhost:${p}@evil`, '']) {
      const text = await get(h)
      expect(status(text), h).toBe(421)
      expect(text, h).not.toContain('"events"')
      expect(text).toContain('ONSITE_ALLOWED_HOSTS')
    }
    expect(status(await request(`GET / HTTP/1.1\r\nHost: evil.example:${p}\r\nConnection: close\r\n\r\n`))).toBe(421)
  })

  it('hostCheck: a listen host is served with its port; a wildcard listen address is no name; no port means 80', () => {
    expect(hostCheck(8080, '192.168.1.5', [])('192.168.1.5:8080')).toBe(true)
    expect(hostCheck(8080, '0.0.0.0', [])('0.0.0.0:8080')).toBe(false)
    expect(hostCheck(80, undefined, [])('localhost')).toBe(true)
    expect(hostCheck(8080, undefined, ['fe80::1'])('[fe80::1]:8080')).toBe(true)
  })
})

describe('request bodies', () => {
  const post = (path: string, length: string) =>
    `POST ${path} HTTP/1.1\r\nHost: localhost:${demo.port}\r\nContent-Type: text/plain\r\n${length}\r\n\r\n`

  /** Writes `chunk` as fast as the server takes it, up to `limit` bytes; returns what the socket accepted. */
  const flood = async (r: Raw, limit: number, chunked: boolean) => {
    const chunk = Buffer.alloc(64 * 1024, 'x')
    const frame = chunked ? Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]) : chunk
    let done = false
    void r.closed.then(() => (done = true))
    while (!done && r.socket.bytesWritten < limit) {
      if (!r.socket.write(frame)) await Promise.race([new Promise((d) => r.socket.once('drain', d)), r.closed])
    }
    await Promise.race([r.closed, sleep(5000)])
    return r.socket.bytesWritten
  }

  it('a batch over 500 KB is refused with 413 naming the limit, and the server stops reading (chunked)', async () => {
    const r = open(post('/v1/b', 'Transfer-Encoding: chunked'))
    const sent = await flood(r, 256 * 1024 * 1024, true)
    expect(status(r.text())).toBe(413)
    expect(r.text()).toContain('512000-byte limit')
    expect(r.text().toLowerCase()).toContain('connection: close')
    // what the kernel buffers between the two ends, no more: a server that reads on takes all 256 MB
    expect(sent).toBeLessThan(48 * 1024 * 1024)
    expect(status(await get(`localhost:${demo.port}`))).toBe(200)
  })

  it('a declared length over the cap is refused before a byte of it is read: 413 for a call over 32 KB, a store form over 64 KB', async () => {
    for (const [path, limit] of [['/v1/t', 32768], ['/v1/batch', 512000], ['/cart/add.js', 65536]] as const) {
      const r = open(post(path, `Content-Length: ${1024 ** 3}`))
      await flood(r, 256 * 1024 * 1024, false)
      expect(status(r.text()), path).toBe(413)
      expect(r.text(), path).toContain(`${limit}-byte limit`)
    }
  })

  it('a body that stalls gets 408 and its socket closed; so do headers that never end', async () => {
    // Only the request deadline answers 408; the bounds show it is this server's 400 ms one, not Node's
    // default (300 s) or the demo's (10 s), with room for a CI machine that stalls this process for seconds
    // (3046 ms was seen against a 3000 ms bound, under the browser tests' load).
    const r = open(post('/cart/add.js', 'Content-Length: 100') + '{"id": 4710')
    const t0 = Date.now()
    await Promise.race([r.closed, sleep(6000)])
    expect(status(r.text())).toBe(408)
    expect(Date.now() - t0).toBeLessThan(5000)
    const h = open(`GET / HTTP/1.1\r\nHost: localhost:${demo.port}\r\nX-Slow: `)
    const t1 = Date.now()
    await Promise.race([h.closed, sleep(6000)])
    expect(h.socket.destroyed || h.socket.readableEnded).toBe(true)
    expect(Date.now() - t1).toBeLessThan(5000)
  }, 15_000)
})

describe('concurrent bodies', () => {
  it('with 32 bodies being read, one more gets 503 with Retry-After: 1; a slot freed takes the next', async () => {
    const d = await startDemo({ port: 0, quiet: true, dataFile: join(dir, 'busy.jsonl'), timeoutMs: 20_000 })
    const slow: Raw[] = []
    try {
      const head = (path: string) => `POST ${path} HTTP/1.1\r\nHost: localhost:${d.port}\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n{`
      for (let i = 0; i < 32; i++) slow.push(open(head(i % 2 ? '/v1/b' : '/cart/add.js'), d.port))
      const t0 = Date.now()
      while (d.reading() < 32 && Date.now() - t0 < 5000) await sleep(20)
      expect(d.reading()).toBe(32)
      const extra = open(head('/v1/b'), d.port)
      await Promise.race([extra.closed, sleep(5000)])
      expect(status(extra.text())).toBe(503)
      expect(extra.text()).toMatch(/\r\nRetry-After: 1\r\n/i)
      // the collector's CORS headers come with it, so a page can read the Retry-After
      expect(extra.text()).toMatch(/\r\nAccess-Control-Expose-Headers: Retry-After\r\n/i)
      slow[0]!.socket.destroy()
      while (d.reading() > 31 && Date.now() - t0 < 5000) await sleep(20)
      const ok = await fetch(`${d.url}v1/b`, { method: 'POST', body: JSON.stringify({ writeKey: 'k', batch: [] }) })
      expect(ok.status).not.toBe(503)
    } finally {
      for (const s of slow) s.socket.destroy()
      await d.close()
    }
  })
})

describe('a busy port', () => {
  it('prints one line naming PORT and returns exit code 1, no stack', async () => {
    const taken: Server = createServer()
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done))
    const port = (taken.address() as { port: number }).port
    const out: string[] = []
    const err: string[] = []
    try {
      const code = await main({ PORT: String(port), HOST: '127.0.0.1', ONSITE_ROOT: process.cwd() }, (s: string) => out.push(s), (s: string) => err.push(s))
      expect(code).toBe(1)
      expect(err).toEqual([`[onsite demo] port ${port} is in use: set PORT to a free port, e.g. PORT=${port + 1} npm run demo`])
      expect(out).toEqual([])
    } finally {
      taken.close()
    }
  })
})
