import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDelivery, FOREIGN_GRACE_MS, UNLOAD_LEASE_MS } from '../../src/delivery.ts'
import { createLeases, type Lock } from '../../src/lock.ts'
import { createOutbox } from '../../src/outbox.ts'
import { createKV, type KV } from '../../src/storage.ts'
import type { Chunk, Outcome, Transport } from '../../src/transport.ts'
import { captureErrors, deferred, MemStorage } from './fakes.ts'

const T0 = Date.parse('2024-06-11T10:00:00.000Z')
const DAY = 86400000
const OK: Outcome = { ok: true }
const fail = (status: number, retryAfterMs?: number): Outcome =>
  retryAfterMs === undefined ? { ok: false, retry: status === 0 || status >= 500 || status === 408 || status === 429, status } : { ok: false, retry: true, status, retryAfterMs }

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
  const transport: Transport = {
    keepaliveRoom: () => o.room ?? 63 * 1024,
    send: async (c, keepalive) => {
      const record: (typeof sends)[number] = { ids: c.ids, keepalive, at: Date.now(), batch: JSON.parse(c.body).batch }
      sends.push(record)
      const res = await (typeof script === 'function' ? script(c, keepalive) : (script.shift() ?? OK))
      record.ok = res.ok
      return res
    },
  }
  const ls = new MemStorage()
  const leases = createLeases(ls, Date.now)
  const announce = vi.fn<(ids: string[]) => void>()
  const delivery = createDelivery({
    outbox,
    transport,
    lock: o.lock ?? (async (fn) => (await fn(), true)),
    leases,
    writeKey: 'wk',
    flushAt: o.flushAt ?? 20,
    flushIntervalMs: o.flushIntervalMs ?? 1000,
    now: Date.now,
    random: o.random ?? (() => 0.5),
    announce,
  })
  let seq = 0
  const add = (id: string, ageMs = 0) =>
    delivery.add({ call: { type: 'track', event: 'E', messageId: id, timestamp: new Date(Date.now() - ageMs).toISOString() }, seq: ++seq })
  /** ids of successful sends, in order */
  const delivered = () => sends.filter((s) => s.ok).flatMap((s) => s.ids)
  return { delivery, outbox, kv, ls, leases, sends, announce, add, delivered }
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
  ])('with random() = %s the waits are min(60 s, 2^n s) * %s', async (r, factor) => {
    const t = setup({ flushAt: 1, outcomes: () => fail(500), random: () => r })
    await t.add('a')
    await vi.advanceTimersByTimeAsync(400_000)
    const gaps = t.sends.slice(1, 10).map((s, i) => s.at - t.sends[i]!.at)
    const expected = [1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * 1000 * factor)
    expect(gaps).toHaveLength(9)
    gaps.forEach((g, i) => expect(Math.abs(g - expected[i]!), `wait ${i + 1}: ${g} vs ${expected[i]}`).toBeLessThanOrEqual(1))
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000)
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

  it('a 400 on a batch of 3 retries them one by one and drops only the bad one', async () => {
    const t = setup({ flushAt: 3, outcomes: (c) => (c.ids.includes('bad') ? fail(400) : OK) })
    await t.add('a')
    await t.add('bad')
    await t.add('c')
    await vi.advanceTimersByTimeAsync(0)
    expect(t.sends.map((s) => s.ids)).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']])
    expect(t.delivered()).toEqual(['a', 'c'])
    expect(log.messages()).toEqual(['[onsite] dropped 1 call(s): the endpoint refused it with HTTP 400'])
    expect(await t.outbox.all()).toEqual([])
    await vi.advanceTimersByTimeAsync(120_000)
    expect(t.sends).toHaveLength(4)
  })

  it('calls older than 7 days are dropped with a reason, never sent', async () => {
    const t = setup({ flushAt: 3 })
    await t.add('ancient', 8 * DAY)
    await t.add('week', 7 * DAY - 1000)
    await t.add('fresh')
    expect(t.sends.map((s) => s.ids)).toEqual([['week', 'fresh']])
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] dropped 1 call\(s\): older than 7 days/)
    expect(await t.outbox.all()).toEqual([])
  })
})

describe('sendNow (pagehide)', () => {
  it("sends this tab's undelivered calls with keepalive, synchronously", async () => {
    const t = setup()
    await t.add('a')
    await t.add('b')
    t.delivery.sendNow()
    expect(t.sends.map((s) => [s.ids, s.keepalive])).toEqual([[['a', 'b'], true]])
  })

  it('leases them, so a following flush within 15 s does not send them again', async () => {
    const t = setup({ outcomes: [fail(0)] }) // the page went away: no answer is read
    await t.add('a')
    await t.add('b')
    t.delivery.sendNow()
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
    t.delivery.sendNow()
    await vi.advanceTimersByTimeAsync(0)
    expect(await t.outbox.all()).toEqual([])
    expect(t.announce).toHaveBeenCalledWith(['a'])
    expect(t.leases.held().size).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(t.sends).toHaveLength(1)
  })

  it('does not resend calls a flush is sending right now', async () => {
    const pending = deferred<Outcome>()
    const t = setup({ outcomes: (_c, keepalive) => (keepalive ? OK : pending.promise), room: 0 })
    await t.add('a')
    void t.delivery.flush()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.sends).toHaveLength(1)
    t.delivery.sendNow()
    expect(t.sends).toHaveLength(1)
    pending.resolve(OK)
  })

  it('sends nothing when the keepalive budget has no room', async () => {
    const t = setup({ room: 100 })
    await t.add('a')
    t.delivery.sendNow()
    expect(t.sends).toEqual([])
    expect(t.leases.held().size).toBe(0)
  })

  it("leaves other tabs' calls alone", async () => {
    const t = setup()
    await createOutbox(t.kv).add({ call: { type: 'track', messageId: 'other', timestamp: new Date().toISOString() }, seq: 1 })
    await t.add('mine')
    t.delivery.sendNow()
    expect(t.sends.map((s) => s.ids)).toEqual([['mine']])
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

describe('the send lease and the outbox', () => {
  it('is released only after outbox.remove resolves, then the delivery is announced', async () => {
    const gate = deferred()
    const t = setup({ wrapKV: (kv) => ({ ...kv, del: async (keys) => (await gate.promise, kv.del(keys)) }) })
    await t.add('a')
    const flushed = t.delivery.flush()
    await vi.advanceTimersByTimeAsync(0)
    expect(t.delivered()).toEqual(['a'])
    // answered 200, but still stored: the lease keeps other tabs (and pagehide) off it
    expect([...t.leases.held().keys()]).toEqual(['a'])
    expect(t.announce).not.toHaveBeenCalled()
    expect(createLeases(t.ls, Date.now).held().has('a')).toBe(true) // as another tab sees it
    gate.resolve()
    await flushed
    expect(t.leases.held().size).toBe(0)
    expect(t.announce).toHaveBeenCalledExactlyOnceWith(['a'])
    expect(await t.kv.entries()).toEqual([])
  })

  it('is kept when outbox.remove rejects, so no other page resends the call before it runs out', async () => {
    let failDeletes = 1
    const t = setup({
      wrapKV: (kv) => ({ ...kv, del: async (keys) => (failDeletes-- > 0 ? Promise.reject(new Error('delete failed')) : kv.del(keys)) }),
    })
    await t.add('a')
    await t.delivery.flush()
    expect(t.delivered()).toEqual(['a'])
    expect(t.leases.held().has('a')).toBe(true)
    expect(t.announce).not.toHaveBeenCalled()
    expect(log.messages().some((m) => /^\[onsite\] flush failed: .*delete failed/.test(m))).toBe(true)
    // still stored: another tab sees it leased, not free
    const otherTab = createLeases(t.ls, Date.now)
    expect(otherTab.held().has('a')).toBe(true)
    await vi.advanceTimersByTimeAsync(19_999)
    expect(t.sends).toHaveLength(1)
    // the lease ran out: the call is delivered again (deduplicated by messageId) and now removed
    await vi.advanceTimersByTimeAsync(1)
    await t.delivery.flush()
    expect(t.sends.map((s) => s.ids)).toEqual([['a'], ['a']])
    expect(await t.kv.entries()).toEqual([])
    expect(t.leases.held().size).toBe(0)
  })
})
