import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDelivery, FOREIGN_GRACE_MS, RECEIPT_MS, SEND_LEASE_MS, UNLOAD_LEASE_MS } from '../../../src/delivery/delivery.ts'
import { createLeases, type Lock } from '../../../src/delivery/lock.ts'
import { createOutbox } from '../../../src/delivery/outbox.ts'
import { createKV, type KV } from '../../../src/delivery/storage.ts'
import { failure, type Chunk, type Outcome, type Transport } from '../../../src/delivery/transport.ts'
import { captureErrors, deferred, MemStorage } from '../fakes.ts'

const T0 = Date.parse('2024-06-11T10:00:00.000Z')
const DAY = 86400000
const OK: Outcome = { ok: true }
const fail = (status: number, retryAfterMs?: number): Outcome =>
  retryAfterMs === undefined ? { ok: false, kind: failure(status), status } : { ok: false, kind: failure(status), status, retryAfterMs }

interface Options {
  flushAt?: number
  flushIntervalMs?: number
  random?: () => number
  /** Outcomes in order; OK once they run out. Or a function of the chunk. */
  outcomes?: Outcome[] | ((c: Chunk, keepalive: boolean) => Outcome | Promise<Outcome>)
  lock?: Lock
  room?: number
  /** Wraps the KV this tab's outbox uses (the unwrapped one is returned as `kv`, shared by "other tabs"). */
  wrapKV?: (kv: KV) => KV
}

const setup = (o: Options = {}) => {
  const kv = createKV('queue', {})
  const outbox = createOutbox(o.wrapKV ? o.wrapKV(kv) : kv)
  const sends: { ids: string[]; keepalive: boolean; at: number; batch: { messageId: string; sentAt: string }[]; ok?: boolean }[] = []
  const script = o.outcomes ?? []
  const room = () => o.room ?? 63 * 1024
  const transport: Transport = {
    keepaliveRoom: room,
    send: async (c, keepalive = false) => {
      const record: (typeof sends)[number] = { ids: c.ids, keepalive, at: Date.now(), batch: JSON.parse(c.body).batch }
      sends.push(record)
      const res = await (typeof script === 'function' ? script(c, keepalive) : (script.shift() ?? OK))
      record.ok = res.ok
      // as the real transport: a network failure settles a task later
      if (!res.ok && !res.status) await new Promise((go) => setTimeout(go, 0))
      return res
    },
    // no sendBeacon here: past the budget the browser takes nothing
    unload: (c) => c.bytes <= room() && transport.send(c, true),
  }
  const ls = new MemStorage()
  const leases = createLeases(ls, Date.now)
  const receipts = createLeases(ls, Date.now, 'onsite:sent')
  const announce = vi.fn<(ids: string[]) => void>()
  const delivery = createDelivery({
    outbox,
    transport,
    lock: o.lock ?? (async (fn) => (await fn(), true)),
    leases,
    receipts,
    writeKey: 'wk',
    apiHost: 'https://cdp.example/v1',
    flushAt: o.flushAt ?? 20,
    flushIntervalMs: o.flushIntervalMs ?? 1000,
    now: Date.now,
    clock: Date.now,
    random: o.random ?? (() => 0.5),
    announce,
  })
  let seq = 0
  const add = (id: string, ageMs = 0) =>
    delivery.add({ call: { type: 'track', event: 'E', messageId: id, timestamp: new Date(Date.now() - ageMs).toISOString() }, seq: ++seq })
  /** ids of successful sends, in order */
  const delivered = () => sends.filter((s) => s.ok).flatMap((s) => s.ids)
  return { delivery, outbox, kv, ls, leases, receipts, sends, announce, add, delivered }
}

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(T0)
  log = captureErrors()
})
afterEach(() => {
  vi.useRealTimers()
  log.spy.mockRestore()
})

describe('when calls leave', () => {
  it('reaching flushAt sends at once, as one batch in order', async () => {
    const t = setup({ flushAt: 3, flushIntervalMs: 60000 })
    await t.add('a')
    await t.add('b')
    await vi.advanceTimersByTimeAsync(0)
    expect(t.sends).toEqual([])
    await t.add('c')
    expect(t.sends.map((s) => s.ids)).toEqual([['a', 'b', 'c']])
    expect(t.sends[0]!.batch.every((c) => c.sentAt === new Date(T0).toISOString())).toBe(true)
    expect(await t.outbox.all()).toEqual([])
    expect(t.announce).toHaveBeenCalledWith(['a', 'b', 'c'])
  })

  it('flushIntervalMs after the first call sends what is queued', async () => {
    const t = setup({ flushAt: 20, flushIntervalMs: 1000 })
    await t.add('a')
    await vi.advanceTimersByTimeAsync(500)
    await t.add('b')
    await vi.advanceTimersByTimeAsync(499)
    expect(t.sends).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends.map((s) => s.ids)).toEqual([['a', 'b']])
  })

  it('two flushes at once send each call once', async () => {
    const t = setup()
    await t.add('a')
    await t.add('b')
    await Promise.all([t.delivery.flush(), t.delivery.flush(), t.delivery.flush()])
    await vi.advanceTimersByTimeAsync(5000)
    expect(t.sends.flatMap((s) => s.ids)).toEqual(['a', 'b'])
  })

  it('when another tab holds the send lock, it looks again after max(flushIntervalMs, 1 s)', async () => {
    let free = false
    const t = setup({ flushAt: 1, flushIntervalMs: 200, lock: async (fn) => (free ? (await fn(), true) : false) })
    await t.add('a')
    expect(t.sends).toEqual([])
    free = true
    await vi.advanceTimersByTimeAsync(999)
    expect(t.sends).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends.map((s) => s.ids)).toEqual([['a']])
  })

  // index.ts documents flush() as "Sends what is queued now; resolves after the attempt". While a flush
  // is running, delivery.flush() returns that same promise, which settles before the calls queued in the
  // meantime are attempted (they go in a follow-up flush nobody awaits).
  it('flush() during a running flush resolves only after the calls queued meanwhile were attempted', async () => {
    const first = deferred<Outcome>()
    const second = deferred<Outcome>()
    const t = setup({ outcomes: (c) => (c.ids.includes('a') ? first.promise : second.promise) })
    await t.add('a')
    void t.delivery.flush()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.sends.map((s) => s.ids)).toEqual([['a']])
    await t.add('b')
    let settled = false
    const flushed = t.delivery.flush().then(() => (settled = true))
    first.resolve(OK)
    await vi.advanceTimersByTimeAsync(0)
    expect(t.sends.map((s) => s.ids)).toEqual([['a'], ['b']]) // b is on its way...
    expect(settled).toBe(false) // ...so the flush asked for after b was queued has not finished
    second.resolve(OK)
    await flushed
    expect(await t.outbox.all()).toEqual([])
  })
})

describe('retries', () => {
  it('three 500s then a 200: each call delivered exactly once, waits growing', async () => {
    const t = setup({ flushAt: 2, outcomes: [fail(500), fail(500), fail(503), OK], random: () => 0.5 })
    await t.add('a')
    await t.add('b')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(t.sends.map((s) => s.ids)).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ])
    const gaps = t.sends.slice(1).map((s, i) => s.at - t.sends[i]!.at)
    // 1 s, 2 s, 4 s, each times (0.5 + random / 2) = 0.75
    expect(gaps).toEqual([750, 1500, 3000])
    expect(t.delivered()).toEqual(['a', 'b'])
    expect(await t.outbox.all()).toEqual([])
    await vi.advanceTimersByTimeAsync(120_000)
    expect(t.sends).toHaveLength(4)
  })

  it.each([
    [0, 0.5],
    [0.5, 0.75],
    [0.999, 0.9995],
  ])('with random() = %s the waits are min(30 s, 2^n s) * %s, forever', async (r, factor) => {
    const t = setup({ flushAt: 1, outcomes: () => fail(500), random: () => r })
    await t.add('a')
    await vi.advanceTimersByTimeAsync(400_000)
    const gaps = t.sends.slice(1, 11).map((s, i) => s.at - t.sends[i]!.at)
    const expected = [1, 2, 4, 8, 16, 30, 30, 30, 30, 30].map((s) => s * 1000 * factor)
    expect(gaps).toHaveLength(10)
    gaps.forEach((g, i) => expect(Math.abs(g - expected[i]!), `wait ${i + 1}: ${g} vs ${expected[i]}`).toBeLessThanOrEqual(1))
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000)
    // never given up: still trying after the window
    const n = t.sends.length
    await vi.advanceTimersByTimeAsync(31_000)
    expect(t.sends.length).toBeGreaterThan(n)
  })

  it('a 200 resets the backoff', async () => {
    const t = setup({ flushAt: 1, outcomes: [fail(500), fail(500), OK, fail(500), OK], random: () => 0 })
    await t.add('a')
    await vi.advanceTimersByTimeAsync(5_000)
    expect(t.sends).toHaveLength(3)
    await t.add('b')
    await vi.advanceTimersByTimeAsync(499)
    expect(t.sends).toHaveLength(4)
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends).toHaveLength(5)
    expect(t.delivered()).toEqual(['a', 'b'])
  })

  it('429 with Retry-After 5 s waits 5000 ms before the next attempt', async () => {
    const t = setup({ flushAt: 1, outcomes: [fail(429, 5000), OK], random: () => 0 })
    await t.add('a')
    expect(t.sends).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(4999)
    expect(t.sends).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends).toHaveLength(2)
    expect(t.sends[1]!.at - t.sends[0]!.at).toBe(5000)
  })

  it('a flush asked for during the backoff waits for it', async () => {
    const t = setup({ flushAt: 1, outcomes: [fail(503, 3000), OK] })
    await t.add('a')
    await vi.advanceTimersByTimeAsync(1000)
    await t.add('b') // reaches flushAt, but the endpoint asked for 3 s
    await t.delivery.flush()
    expect(t.sends).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(2000)
    expect(t.sends.map((s) => s.ids)).toEqual([['a'], ['a', 'b']])
  })

  it('a 400 on a batch of 3 halves it until the bad call is alone, and drops only that one', async () => {
    const t = setup({ flushAt: 3, outcomes: (c) => (c.ids.includes('bad') ? fail(400) : OK) })
    await t.add('a')
    await t.add('bad')
    await t.add('c')
    await vi.advanceTimersByTimeAsync(0)
    expect(t.sends.map((s) => s.ids)).toEqual([['a', 'bad', 'c'], ['a'], ['bad', 'c'], ['bad'], ['c']])
    expect(t.delivered()).toEqual(['a', 'c'])
    expect(log.messages()).toEqual(['[onsite] dropped 1 call(s): the endpoint refused it with HTTP 400'])
    expect(await t.outbox.all()).toEqual([])
    await vi.advanceTimersByTimeAsync(120_000)
    expect(t.sends).toHaveLength(5)
  })

  it('a 413 halves the batch down to single calls, and later batches stay under the size that failed', async () => {
    const big = 'x'.repeat(3000)
    const t = setup({ flushAt: 8, outcomes: (c) => (c.bytes > 7000 ? fail(413) : OK) })
    for (let i = 0; i < 8; i++) await t.delivery.add({ call: { type: 'track', event: 'E', messageId: 'm' + i, timestamp: new Date().toISOString(), p: big }, seq: i })
    await vi.advanceTimersByTimeAsync(0)
    expect(t.delivered().sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])
    expect(log.messages()).toEqual([])
    const before = t.sends.length
    for (let i = 8; i < 12; i++) await t.delivery.add({ call: { type: 'track', event: 'E', messageId: 'm' + i, timestamp: new Date().toISOString(), p: big }, seq: i })
    await vi.advanceTimersByTimeAsync(1000)
    // packed below the failed size: no 413 again
    expect(t.sends.slice(before).every((s) => s.ok)).toBe(true)
    expect(await t.outbox.all()).toEqual([])
  })

  it('a single call answered 413 is dropped, with its size in the reason', async () => {
    const t = setup({ flushAt: 1, outcomes: () => fail(413) })
    await t.add('huge')
    await vi.advanceTimersByTimeAsync(0)
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] dropped 1 call\(s\): HTTP 413 for a single call of \d+ bytes/)
    expect(await t.outbox.all()).toEqual([])
  })

  it.each([401, 403, 404])('HTTP %s keeps the calls, says so once naming the keys, and retries from 5 s', async (status) => {
    const t = setup({ flushAt: 1, outcomes: [fail(status), fail(status), OK], random: () => 1 })
    await t.add('a')
    await vi.advanceTimersByTimeAsync(4999)
    expect(t.sends).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(t.delivered()).toEqual(['a'])
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toContain(`HTTP ${status}`)
    expect(log.messages()[0]).toMatch(/config\.writeKey and config\.apiHost \("https:\/\/cdp\.example\/v1"\)/)
  })

  it('a host failing every request for a minute gets one error naming config.apiHost and its value', async () => {
    const t = setup({ flushAt: 1, outcomes: () => fail(0) })
    // a network failure settles a task later (transport.ts nextTask): fake time has to move for it
    void t.add('a')
    await vi.advanceTimersByTimeAsync(59_000)
    expect(log.messages()).toEqual([])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] config\.apiHost "https:\/\/cdp\.example\/v1": every request failed for a minute \(network error\)/)
    await vi.advanceTimersByTimeAsync(300_000)
    expect(log.messages()).toHaveLength(1)
    expect(await t.outbox.all()).toHaveLength(1)
  })

  it('calls older than 7 days, by both their timestamp and when they were stored, are dropped with a reason', async () => {
    const t = setup({ flushAt: 3 })
    const stored = (id: string, age: number, at = Date.now() - age) =>
      createOutbox(t.kv).add({ call: { type: 'track', event: 'E', messageId: id, timestamp: new Date(Date.now() - age).toISOString() }, seq: 1, at })
    await stored('ancient', 8 * DAY)
    await stored('week', 7 * DAY - 1000)
    // stamped by a clock 8 days behind, but stored a minute ago: it has not waited 7 days
    await stored('skewed', 8 * DAY, Date.now() - 60_000)
    await t.delivery.flush()
    expect(t.sends.flatMap((s) => s.ids)).not.toContain('ancient')
    expect(t.delivered().sort()).toEqual(['skewed', 'week'])
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] dropped 1 call\(s\): older than 7 days/)
    expect(await t.outbox.all()).toEqual([])
  })
})

describe('hide (pagehide, or hidden)', () => {
  it("sends this tab's undelivered calls with keepalive, synchronously", async () => {
    const t = setup()
    await t.add('a')
    await t.add('b')
    t.delivery.hide()
    expect(t.sends.map((s) => [s.ids, s.keepalive])).toEqual([[['a', 'b'], true]])
  })

  it('leases them, so a following flush within 15 s does not send them again', async () => {
    // the page went away: no answer is ever read
    const t = setup({ outcomes: (_c, keepalive) => (keepalive ? new Promise<Outcome>(() => {}) : OK) })
    await t.add('a')
    await t.add('b')
    t.delivery.hide()
    await vi.advanceTimersByTimeAsync(0)
    expect(new Set(t.leases.held().keys())).toEqual(new Set(['a', 'b']))
    await t.delivery.flush()
    await vi.advanceTimersByTimeAsync(UNLOAD_LEASE_MS - 1)
    expect(t.sends).toHaveLength(1)
    // the lease ends: the next flush resends them (the server drops the copy by messageId)
    await vi.advanceTimersByTimeAsync(1)
    await t.delivery.flush()
    expect(t.sends.map((s) => s.ids)).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ])
  })

  it('a keepalive send that is answered (page only hidden) settles like any send', async () => {
    const t = setup()
    await t.add('a')
    t.delivery.hide()
    await vi.advanceTimersByTimeAsync(0)
    expect(await t.outbox.all()).toEqual([])
    expect(t.announce).toHaveBeenCalledWith(['a'])
    expect(t.leases.held().size).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(t.sends).toHaveLength(1)
  })

  it('a keepalive send answered 503 (page only hidden) releases its lease and backs off', async () => {
    const t = setup({ outcomes: [fail(503), OK], random: () => 1 })
    await t.add('a')
    t.delivery.hide()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.leases.held().size).toBe(0)
    await vi.advanceTimersByTimeAsync(999)
    expect(t.sends).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(t.delivered()).toEqual(['a'])
  })

  it('does not send again the calls a flush is sending right now (their request has them)', async () => {
    const pending = deferred<Outcome>()
    const t = setup({ outcomes: (_c, keepalive) => (keepalive ? new Promise<Outcome>(() => {}) : pending.promise) })
    await t.add('a')
    void t.delivery.flush()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.sends.map((s) => s.keepalive)).toEqual([false])
    t.delivery.hide()
    expect(t.sends).toHaveLength(1)
    pending.resolve(OK)
  })

  // Chromium rejects the page's requests as it dispatches pagehide, and runs the rejection between the
  // pagehide listeners, before onsite's may have run. The server most likely had the request.
  it.each([
    ['before', true],
    ['after', false],
  ])('a send cut short as the page goes (rejected %s onsite hears pagehide) keeps its lease; the page sends nothing more', async (_when, first) => {
    const pending = deferred<Outcome>()
    const t = setup({ outcomes: (_c, keepalive) => (keepalive ? OK : pending.promise) })
    await t.add('a')
    void t.delivery.flush()
    await vi.advanceTimersByTimeAsync(0)
    if (!first) t.delivery.hide(true)
    pending.resolve(fail(0))
    await Promise.resolve()
    if (first) t.delivery.hide(true)
    await vi.advanceTimersByTimeAsync(SEND_LEASE_MS - 1)
    expect([...t.leases.held().keys()]).toEqual(['a'])
    await t.delivery.flush()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(t.sends.map((s) => s.keepalive)).toEqual([false])
  })

  it('while the page lives, a send that failed on the network releases its lease and is retried', async () => {
    const t = setup({ outcomes: [fail(0), OK], random: () => 1 })
    await t.add('a')
    void t.delivery.flush()
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends).toHaveLength(1)
    expect(t.leases.held().size).toBe(0)
    await vi.advanceTimersByTimeAsync(1000)
    expect(t.delivered()).toEqual(['a'])
  })

  it('a call made after pagehide (a store\'s own listener) leaves at once with keepalive', async () => {
    const t = setup({ outcomes: () => new Promise<Outcome>(() => {}) })
    await t.add('a')
    t.delivery.hide(true)
    void t.add('late')
    expect(t.sends.map((s) => [s.ids, s.keepalive])).toEqual([
      [['a'], true],
      [['late'], true],
    ])
  })

  it('back from the back/forward cache (visible again), the page sends as before', async () => {
    const t = setup({ flushAt: 1 })
    t.delivery.visible(false)
    t.delivery.hide(true)
    t.delivery.visible(true)
    await t.add('b')
    expect(t.sends.map((s) => [s.ids, s.keepalive])).toEqual([[['b'], false]])
  })

  it('sends with keepalive while hidden, and without once visible again', async () => {
    const t = setup({ flushAt: 1 })
    t.delivery.visible(false)
    await t.add('a')
    t.delivery.visible(true)
    await t.add('b')
    expect(t.sends.map((s) => [s.ids, s.keepalive])).toEqual([[['a'], true], [['b'], false]])
  })

  it('sends nothing when the browser takes nothing (no keepalive room, no beacon): the calls stay stored', async () => {
    const t = setup({ room: 100 })
    await t.add('a')
    t.delivery.hide()
    expect(t.sends).toEqual([])
    expect(t.leases.held().size).toBe(0)
    expect((await t.outbox.all()).map((e) => e.call.messageId)).toEqual(['a'])
  })

  it('sends nothing while the endpoint asked for a pause (Retry-After)', async () => {
    const t = setup({ flushAt: 1, outcomes: [fail(429, 10_000)] })
    await t.add('a')
    t.delivery.hide()
    expect(t.sends).toHaveLength(1)
  })

  it("leaves other tabs' calls alone", async () => {
    const t = setup()
    await createOutbox(t.kv).add({ call: { type: 'track', messageId: 'other', timestamp: new Date().toISOString() }, seq: 1 })
    await t.add('mine')
    t.delivery.hide()
    expect(t.sends.map((s) => s.ids)).toEqual([['mine']])
  })

  it('writes the calls whose storage write has not finished to localStorage, synchronously', async () => {
    const ls = new MemStorage()
    const gate = deferred()
    const kv = createKV('queue', { localStorage: ls })
    const t = setup({ wrapKV: () => ({ ...kv, set: async (k, v) => (await gate.promise, kv.set(k, v)) }) })
    void t.add('slow')
    expect(Object.keys(ls.dump())).toEqual([])
    t.delivery.hide()
    expect(Object.keys(ls.dump())).toEqual(['onsite:queue:slow'])
    gate.resolve()
  })
})

it("a call leased by another tab is skipped, and looked at again when the lease ends", async () => {
  const t = setup()
  await t.add('a')
  await t.add('b')
  createLeases(t.ls, Date.now).take(['a'], 5000) // another tab is sending "a"
  await t.delivery.flush()
  expect(t.sends.map((s) => s.ids)).toEqual([['b']])
  await vi.advanceTimersByTimeAsync(5000)
  expect(t.sends.map((s) => s.ids)).toEqual([['b'], ['a']])
})

describe("other tabs' calls", () => {
  /** A call another tab stored (at its add time) and may still send itself. */
  const foreign = (kv: KV, id: string, at: number | undefined) =>
    createOutbox(kv).add({ call: { type: 'track', event: 'E', messageId: id, timestamp: new Date(at ?? Date.now()).toISOString() }, seq: 1, ...(at === undefined ? {} : { at }) })

  it('are left alone for FOREIGN_GRACE_MS after they were stored; own calls go at once', async () => {
    expect(FOREIGN_GRACE_MS).toBe(5000)
    const t = setup({ flushIntervalMs: 60000 })
    await foreign(t.kv, 'theirs', Date.now())
    await t.add('mine')
    await t.delivery.flush()
    expect(t.sends.map((s) => s.ids)).toEqual([['mine']])
    await vi.advanceTimersByTimeAsync(FOREIGN_GRACE_MS - 1)
    expect(t.sends.map((s) => s.ids)).toEqual([['mine']])
    // the grace ends: looked at again without anyone asking for a flush
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends.map((s) => s.ids)).toEqual([['mine'], ['theirs']])
    expect(await t.outbox.all()).toEqual([])
  })

  it('the grace counts from when the other tab stored the call', async () => {
    const t = setup({ flushIntervalMs: 60000 })
    await foreign(t.kv, 'recent', Date.now() - 3000)
    await t.delivery.flush()
    expect(t.sends).toEqual([])
    await vi.advanceTimersByTimeAsync(1999)
    expect(t.sends).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(t.sends.map((s) => s.ids)).toEqual([['recent']])
  })

  it('calls stored longer ago than the grace (a page that is gone) are sent at once', async () => {
    const t = setup()
    await foreign(t.kv, 'orphan', Date.now() - FOREIGN_GRACE_MS)
    await t.delivery.flush()
    expect(t.sends.map((s) => s.ids)).toEqual([['orphan']])
  })

  it('calls without a stored time (an earlier version) are sent at once', async () => {
    const t = setup()
    await foreign(t.kv, 'legacy', undefined)
    await t.delivery.flush()
    expect(t.sends.map((s) => s.ids)).toEqual([['legacy']])
  })

  it('a foreign call in its grace does not hold back own calls of the same batch', async () => {
    const t = setup({ flushAt: 2 })
    await t.add('a')
    await foreign(t.kv, 'theirs', Date.now())
    await t.add('b')
    expect(t.sends.map((s) => s.ids)).toEqual([['a', 'b']])
  })
})

describe('receipts: a delivered call is never sent again', () => {
  it('a receipt is written before the removal, and the lease released and the delivery announced at once', async () => {
    const gate = deferred()
    const t = setup({ wrapKV: (kv) => ({ ...kv, del: async (keys) => (await gate.promise, kv.del(keys)) }) })
    await t.add('a')
    const flushed = t.delivery.flush()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.delivered()).toEqual(['a'])
    // answered 200, still stored: the receipt (in localStorage, as other tabs see it) keeps it from going again
    expect(createLeases(t.ls, Date.now, 'onsite:sent').held().has('a')).toBe(true)
    expect(t.leases.held().size).toBe(0)
    expect(t.announce).toHaveBeenCalledExactlyOnceWith(['a'])
    gate.resolve()
    await flushed
    expect(await t.kv.entries()).toEqual([])
  })

  it('a call still stored after its delivery (the removal failed) is removed by the next read, not sent', async () => {
    let failDeletes = 1
    const t = setup({
      wrapKV: (kv) => ({ ...kv, del: async (keys) => (failDeletes-- > 0 ? Promise.reject(new Error('delete failed')) : kv.del(keys)) }),
    })
    await t.add('a')
    await t.delivery.flush()
    expect(t.delivered()).toEqual(['a'])
    expect((await t.kv.entries()).map(([k]) => k)).toEqual(['a'])
    // another page of this browser reads the store
    const next = setup()
    await createOutbox(next.kv).add({ call: { type: 'track', messageId: 'a', timestamp: new Date().toISOString() }, seq: 1, at: Date.now() - 10 * FOREIGN_GRACE_MS })
    await next.receipts.take(['a'], RECEIPT_MS)
    await next.delivery.flush()
    expect(next.sends).toEqual([])
    expect(await next.kv.entries()).toEqual([])
  })
})

describe('clocks', () => {
  it('a lease written by a clock since set back (further away than any lease) is not trusted', async () => {
    const t = setup()
    await t.add('a')
    t.leases.take(['a'], 2 * 3600_000)
    expect(t.leases.held().size).toBe(1) // this test's leases trust anything (no maxMs)
    const bounded = createLeases(t.ls, Date.now, 'onsite:leases', SEND_LEASE_MS + UNLOAD_LEASE_MS)
    expect(bounded.held().size).toBe(0)
  })

  it("another tab's call stored in the future (a clock set back since) is sent at once", async () => {
    const t = setup()
    await createOutbox(t.kv).add({ call: { type: 'track', messageId: 'future', timestamp: new Date().toISOString() }, seq: 1, at: Date.now() + 2 * 3600_000 })
    await t.delivery.flush()
    expect(t.sends.map((s) => s.ids)).toEqual([['future']])
  })

  it('wake(): a lease another tab holds is looked at when it expires, with no call of this tab', async () => {
    const t = setup({ flushIntervalMs: 60_000 })
    await createOutbox(t.kv).add({ call: { type: 'track', messageId: 'theirs', timestamp: new Date().toISOString() }, seq: 1, at: Date.now() - 10_000 })
    t.leases.take(['theirs'], SEND_LEASE_MS)
    t.delivery.wake()
    await vi.advanceTimersByTimeAsync(SEND_LEASE_MS - 1)
    expect(t.sends).toEqual([])
    await vi.advanceTimersByTimeAsync(100)
    expect(t.sends.map((s) => s.ids)).toEqual([['theirs']])
  })
})

it('a call only memory took (storage full) is sent, and the risk said once', async () => {
  const t = setup({ flushAt: 1, wrapKV: (kv) => ({ ...kv, set: async () => false }) })
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  await t.add('a')
  await t.add('b')
  expect(warn.mock.calls.map((c) => c[0])).toEqual(['[onsite] storage refused the queue (full or blocked): calls not yet delivered can be lost if the page unloads'])
  warn.mockRestore()
  await vi.advanceTimersByTimeAsync(0)
  expect(t.delivered()).toEqual(['a', 'b'])
})
