import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Call } from '../../../src/delivery/outbox.ts'
import { byteLength, chunk, createTransport, KEEPALIVE_BUDGET, retryAfterMs, TIMEOUT_MS, type Chunk } from '../../../src/delivery/transport.ts'
import { deferred } from '../fakes.ts'

afterEach(() => {
  vi.useRealTimers()
})

const SENT_AT = '2024-06-11T10:00:05.000Z'
const call = (i: number, pad = 0): Call => ({
  type: 'track',
  event: 'E',
  messageId: `m${i}`,
  timestamp: '2024-06-11T10:00:00.000Z',
  properties: { pad: 'x'.repeat(pad) },
})

describe('chunk', () => {
  it('one body for a few calls, shaped {batch, writeKey, sentAt}, sentAt on every call', () => {
    const calls = [call(1), call(2), call(3)]
    const [only, ...rest] = chunk(calls, 'wk"1', SENT_AT)
    expect(rest).toEqual([])
    expect(only!.ids).toEqual(['m1', 'm2', 'm3'])
    const body = JSON.parse(only!.body)
    expect(Object.keys(body)).toEqual(['batch', 'writeKey', 'sentAt'])
    expect(body.writeKey).toBe('wk"1')
    expect(body.sentAt).toBe(SENT_AT)
    expect(body.batch).toEqual(calls.map((c) => ({ ...c, sentAt: SENT_AT })))
  })

  it('no calls, no bodies', () => {
    expect(chunk([], 'wk', SENT_AT)).toEqual([])
  })

  it.each([200, 300, 512, 1024, 4096])('splits at a limit of %i bytes, in order, every body within it', (limit) => {
    const calls = Array.from({ length: 40 }, (_, i) => call(i, (i * 7) % 60))
    const chunks = chunk(calls, 'wk', SENT_AT, limit)
    expect(chunks.length).toBeGreaterThan(limit < 4096 ? 1 : 0)
    expect(chunks.flatMap((c) => c.ids)).toEqual(calls.map((c) => c.messageId))
    for (const c of chunks) {
      // only a call too big on its own may exceed the limit, alone in its body
      if (c.ids.length > 1) expect(byteLength(c.body)).toBeLessThanOrEqual(limit)
      expect(c.bytes).toBeGreaterThanOrEqual(byteLength(c.body))
      const body = JSON.parse(c.body)
      expect(body.batch.map((x: Call) => x.messageId)).toEqual(c.ids)
      expect(body.batch.every((x: { sentAt?: string }) => x.sentAt === SENT_AT)).toBe(true)
      expect(body.sentAt).toBe(SENT_AT)
    }
    // not needlessly split: each body but the last could not take the next call
    for (let i = 0; i + 1 < chunks.length; i++) {
      const next = JSON.stringify({ ...calls.find((c) => c.messageId === chunks[i + 1]!.ids[0])!, sentAt: SENT_AT })
      expect(chunks[i]!.bytes + byteLength(next) + 1).toBeGreaterThan(limit)
    }
  })

  it('counts bytes, not characters', () => {
    const wide = (i: number): Call => ({ ...call(i), properties: { name: 'é'.repeat(50) } })
    const calls = [wide(1), wide(2), wide(3)]
    const oneCall = byteLength(JSON.stringify({ ...calls[0], sentAt: SENT_AT }))
    // room for two calls by character count, but not by UTF-8 bytes
    const limit = byteLength('{"batch":[],"writeKey":"wk","sentAt":"' + SENT_AT + '"}') + 2 * (oneCall - 50) + 2
    expect(chunk(calls, 'wk', SENT_AT, limit).map((c) => c.ids)).toEqual([['m1'], ['m2'], ['m3']])
  })

  it('a call bigger than the limit goes alone', () => {
    const chunks = chunk([call(1), call(2, 500), call(3)], 'wk', SENT_AT, 300)
    expect(chunks.map((c) => c.ids)).toEqual([['m1'], ['m2'], ['m3']])
  })
})

describe('retryAfterMs', () => {
  const NOW = Date.parse('2024-06-11T10:00:00.000Z')
  it.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    ['Tue, 11 Jun 2024 10:00:30 GMT', 30000],
    ['Tue, 11 Jun 2024 09:59:00 GMT', undefined], // in the past
    ['soon', undefined],
    ['-5', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j -> %j', (value, expected) => {
    expect(retryAfterMs(value, NOW)).toBe(expected)
  })
})

describe('createTransport.send', () => {
  const body: Chunk = chunk([call(1)], 'wk', SENT_AT)[0]!
  const respond = (status: number, headers: Record<string, string> = {}) =>
    vi.fn<typeof fetch>(async () => new Response(status === 204 ? null : '{}', { status, headers }))

  it('POSTs the body as text/plain to {apiHost}/b, without credentials', async () => {
    const fetchFn = respond(200)
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://cdp.customer.io/v1', now: Date.now })
    expect(await t.send(body, false)).toEqual({ ok: true })
    expect(fetchFn).toHaveBeenCalledTimes(1)
    const [url, init] = fetchFn.mock.calls[0]!
    expect(url).toBe('https://cdp.customer.io/v1/b')
    // keepalive while it fits: a navigation does not cancel it
    expect(init).toMatchObject({ method: 'POST', body: body.body, headers: { 'Content-Type': 'text/plain' }, keepalive: true, credentials: 'omit' })
    expect(init!.signal).toBeInstanceOf(AbortSignal)
  })

  it('a visible page keeps half the keepalive budget for pagehide; a hidden one uses all of it', async () => {
    const fetchFn = respond(200)
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    const third = chunk([{ ...call(1), p: 'x'.repeat(KEEPALIVE_BUDGET / 3) }], 'wk', SENT_AT)[0]!
    const twoThirds = chunk([{ ...call(2), p: 'x'.repeat((2 * KEEPALIVE_BUDGET) / 3) }], 'wk', SENT_AT)[0]!
    await t.send(third)
    await t.send(twoThirds)
    await t.send(twoThirds, true)
    expect(fetchFn.mock.calls.map((c) => c[1]!.keepalive)).toEqual([true, false, true])
  })

  // Chromium runs the rejection between pagehide listeners, before onsite's own may have run: the caller
  // reads whether the page is going only once the outcome is known.
  it('a failed plain send settles a task after its rejection', async () => {
    vi.useFakeTimers()
    const fetchFn = vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('Failed to fetch')))
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    const big = chunk([{ ...call(1), p: 'x'.repeat(KEEPALIVE_BUDGET / 2) }], 'wk', SENT_AT)[0]!
    let outcome: unknown
    void t.send(big).then((o) => (outcome = o))
    for (let i = 0; i < 20; i++) await Promise.resolve()
    expect(fetchFn.mock.calls.map((c) => c[1]!.keepalive)).toEqual([false])
    expect(outcome).toBeUndefined()
    await vi.advanceTimersByTimeAsync(0)
    expect(outcome).toEqual({ ok: false, kind: 'retry', status: 0 })
  })

  // A refusal that came late must not start a second full-length request: the send lease outlasts one.
  it('a plain fallback gets only what is left of TIMEOUT_MS', async () => {
    vi.useFakeTimers()
    const fetchFn = vi.fn<typeof fetch>((_u, init) =>
      init!.keepalive ? new Promise((_, fail) => setTimeout(() => fail(new TypeError('Failed to fetch')), TIMEOUT_MS - 1000)) : new Promise(() => {}),
    )
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    let outcome: unknown
    void t.send(body).then((o) => (outcome = o))
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + 1)
    expect(fetchFn.mock.calls.map((c) => c[1]!.keepalive)).toEqual([true, false])
    expect(outcome).toEqual({ ok: false, kind: 'retry', status: 0 })
  })

  it.each([
    [200, { ok: true }],
    [204, { ok: true }],
    [500, { ok: false, kind: 'retry', status: 500 }],
    [502, { ok: false, kind: 'retry', status: 502 }],
    [503, { ok: false, kind: 'retry', status: 503 }],
    [408, { ok: false, kind: 'retry', status: 408 }],
    [429, { ok: false, kind: 'retry', status: 429 }],
    [400, { ok: false, kind: 'refused', status: 400 }],
    [422, { ok: false, kind: 'refused', status: 422 }],
    [401, { ok: false, kind: 'config', status: 401 }],
    [403, { ok: false, kind: 'config', status: 403 }],
    [404, { ok: false, kind: 'config', status: 404 }],
    [413, { ok: false, kind: 'split', status: 413 }],
  ])('HTTP %i -> %j', async (status, expected) => {
    expect(await createTransport({ fetch: respond(status), apiHost: 'https://h/v1', now: Date.now }).send(body, false)).toEqual(expected)
  })

  it.each([
    ['a rejected fetch (network error, ad blocker)', vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('Failed to fetch')))],
    [
      'a fetch that throws synchronously',
      vi.fn<typeof fetch>(() => {
        throw new TypeError('Illegal invocation')
      }),
    ],
  ])('%s -> retry, status 0', async (_label, fetchFn) => {
    expect(await createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now }).send(body, false)).toEqual({ ok: false, kind: 'retry', status: 0 })
  })

  it('reads Retry-After, in seconds or as a date', async () => {
    const now = () => Date.parse('2024-06-11T10:00:00.000Z')
    expect(await createTransport({ fetch: respond(429, { 'Retry-After': '5' }), apiHost: 'https://h/v1', now: now }).send(body, false)).toEqual({
      ok: false,
      kind: 'retry',
      status: 429,
      retryAfterMs: 5000,
    })
    const dated = await createTransport({ fetch: respond(503, { 'Retry-After': 'Tue, 11 Jun 2024 10:01:00 GMT' }), apiHost: 'https://h/v1', now: now }).send(body, false)
    expect(dated).toMatchObject({ retryAfterMs: 60000 })
    const garbage = await createTransport({ fetch: respond(503, { 'Retry-After': 'later' }), apiHost: 'https://h/v1', now: now }).send(body, false)
    expect(garbage).not.toHaveProperty('retryAfterMs')
  })

  it('aborts a request that hangs for TIMEOUT_MS, as a retryable failure', async () => {
    vi.useFakeTimers()
    const fetchFn = vi.fn<typeof fetch>(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init!.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
        }),
    )
    let outcome: unknown
    void createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
      .send(body, false)
      .then((o) => (outcome = o))
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS - 1)
    expect(outcome).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(outcome).toEqual({ ok: false, kind: 'retry', status: 0 })
  })

  // A page's fetch wrapper that never settles and ignores the signal must not hold every later send.
  it('gives up after TIMEOUT_MS on a fetch that never settles and ignores the abort', async () => {
    vi.useFakeTimers()
    const fetchFn = vi.fn<typeof fetch>(() => new Promise(() => {}))
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    let outcome: unknown
    void t.send(body, true).then((o) => (outcome = o))
    expect(t.keepaliveRoom()).toBeLessThan(KEEPALIVE_BUDGET)
    // a request given up on is not tried again as a plain one: the send lease is sized for one
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + 1)
    expect(outcome).toEqual({ ok: false, kind: 'retry', status: 0 })
    expect(fetchFn).toHaveBeenCalledTimes(1)
    expect(t.keepaliveRoom()).toBe(KEEPALIVE_BUDGET)
  })

  it('a keepalive send that rejects as the page goes is not sent again as a plain one (the browser still sends it)', async () => {
    const fetchFn = vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('Failed to fetch')))
    let alive = true
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    const out = t.send(body, true, () => alive)
    // pagehide is heard after the rejection, within the same task
    await Promise.resolve()
    alive = false
    expect(await out).toEqual({ ok: false, kind: 'retry', status: 0 })
    expect(fetchFn.mock.calls.map((c) => c[1]!.keepalive)).toEqual([true])
  })

  it('while the page lives, a refused keepalive send goes again as a plain one', async () => {
    const fetchFn = vi.fn<typeof fetch>(async (_u, init) => (init!.keepalive ? Promise.reject(new TypeError('Failed to fetch')) : new Response('{}')))
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    expect(await t.send(body, true, () => true)).toEqual({ ok: true })
    expect(fetchFn.mock.calls.map((c) => c[1]!.keepalive)).toEqual([true, false])
  })

  it('keepaliveRoom() shrinks while a keepalive send is in flight and recovers after', async () => {
    const answers = [deferred<Response>(), deferred<Response>(), deferred<Response>()]
    let n = 0
    const fetchFn = vi.fn<typeof fetch>(() => answers[n++]!.promise)
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    expect(t.keepaliveRoom()).toBe(KEEPALIVE_BUDGET)

    const first = t.send(body, true)
    expect(t.keepaliveRoom()).toBe(KEEPALIVE_BUDGET - body.bytes)
    const big = chunk([{ ...call(2), p: 'x'.repeat(KEEPALIVE_BUDGET / 2) }], 'wk', SENT_AT)[0]!
    const plain = t.send(big, false)
    expect(t.keepaliveRoom()).toBe(KEEPALIVE_BUDGET - body.bytes)
    const second = t.send(body, true)
    expect(t.keepaliveRoom()).toBe(KEEPALIVE_BUDGET - 2 * body.bytes)

    answers[0]!.resolve(new Response('{}', { status: 200 }))
    await first
    expect(t.keepaliveRoom()).toBe(KEEPALIVE_BUDGET - body.bytes)
    answers[1]!.resolve(new Response('{}', { status: 200 }))
    await plain
    answers[2]!.resolve(new Response('{}', { status: 200 }))
    await second
    expect(t.keepaliveRoom()).toBe(KEEPALIVE_BUDGET)
  })

  it('keepalive is not used for a body larger than the budget left', async () => {
    const fetchFn = respond(200)
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    const big = chunk([{ ...call(1), p: 'x'.repeat(KEEPALIVE_BUDGET) }], 'wk', SENT_AT)[0]!
    expect(await t.send(big, true)).toEqual({ ok: true })
    expect(fetchFn.mock.calls[0]![1]!.keepalive).toBe(false)
  })

  // Chromium counts a keepalive request against the page's 64 KB until its answer is read: unread
  // answers used the budget up and every later keepalive request was refused.
  it('reads every answer to its end, so the keepalive budget is given back', async () => {
    const read = vi.fn()
    const fetchFn = vi.fn<typeof fetch>(async () => {
      const res = new Response('{"success":true}', { status: 200 })
      const text = res.text.bind(res)
      res.text = () => (read(), text())
      return res
    })
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    await t.send(body, true)
    await t.send(body, false)
    expect(read).toHaveBeenCalledTimes(2)
  })

  it('a keepalive request the browser refuses is sent again as a plain one, not counted as a failure', async () => {
    const fetchFn = vi.fn<typeof fetch>(async (_u, init) => (init!.keepalive ? Promise.reject(new TypeError('Failed to fetch')) : new Response('{}', { status: 200 })))
    const t = createTransport({ fetch: fetchFn, apiHost: 'https://h/v1', now: Date.now })
    expect(await t.send(body, true)).toEqual({ ok: true })
    expect(fetchFn.mock.calls.map((c) => c[1]!.keepalive)).toEqual([true, false])
  })
})

describe('createTransport.unload', () => {
  const body: Chunk = chunk([call(1)], 'wk', SENT_AT)[0]!
  const big: Chunk = chunk([{ ...call(2), p: 'x'.repeat(KEEPALIVE_BUDGET) }], 'wk', SENT_AT)[0]!

  it('uses a keepalive fetch when the body fits, and resolves to its outcome', async () => {
    const fetchFn = vi.fn<typeof fetch>(async () => new Response('{}', { status: 200 }))
    const beacon = vi.fn(() => true)
    const sent = createTransport({ fetch: fetchFn, beacon, apiHost: 'https://h/v1', now: Date.now }).unload(body)
    expect(sent).toBeInstanceOf(Promise)
    expect(await sent).toEqual({ ok: true })
    expect(fetchFn.mock.calls[0]![1]!.keepalive).toBe(true)
    expect(beacon).not.toHaveBeenCalled()
  })

  it('uses sendBeacon past the keepalive budget', async () => {
    const beacon = vi.fn(() => true)
    const fetchFn = vi.fn<typeof fetch>()
    const t = createTransport({ fetch: fetchFn, beacon, apiHost: 'https://h/v1', now: Date.now })
    expect(await t.unload(big)).toBeUndefined()
    expect(beacon).toHaveBeenCalledWith('https://h/v1/b', big.body)
    expect(fetchFn).not.toHaveBeenCalled()
  })

  // the page being torn down rejects a keepalive fetch that the browser still sends: a beacon after it
  // would be a second copy on the wire
  it('a keepalive fetch that rejects is not followed by a beacon', async () => {
    const beacon = vi.fn(() => true)
    const fetchFn = vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('Failed to fetch')))
    const t = createTransport({ fetch: fetchFn, beacon, apiHost: 'https://h/v1', now: Date.now })
    expect(await t.unload(body)).toBeUndefined()
    expect(beacon).not.toHaveBeenCalled()
  })

  it('returns false when the browser takes nothing (no room, beacon refused or missing or throwing)', () => {
    const fetchFn = vi.fn<typeof fetch>()
    for (const beacon of [() => false, undefined, () => { throw new Error('hostile') }])
      expect(createTransport({ fetch: fetchFn, beacon, apiHost: 'https://h/v1', now: Date.now }).unload(big)).toBe(false)
  })
})
