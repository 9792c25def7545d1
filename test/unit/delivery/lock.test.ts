import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createLeases, createLock } from '../../../src/delivery/lock.ts'
import { deferred, MemStorage } from '../fakes.ts'

/** Web Locks with `ifAvailable`: the callback gets null when the name is held. */
const fakeLocks = () => {
  const held = new Set<string>()
  const locks = {
    async request(name: string, opts: { ifAvailable?: boolean }, cb: (lock: unknown) => Promise<unknown>): Promise<unknown> {
      if (held.has(name)) {
        if (opts.ifAvailable) return cb(null)
        throw new Error('queueing not faked')
      }
      held.add(name)
      try {
        return await cb({ name, mode: 'exclusive' })
      } finally {
        held.delete(name)
      }
    },
  }
  return { held, nav: { locks } as unknown as Navigator }
}

describe('createLock with Web Locks', () => {
  it('only one of two concurrent holders runs; the name is free again after', async () => {
    const { nav, held } = fakeLocks()
    const tabA = createLock('send', nav)
    const tabB = createLock('send', nav)
    const gate = deferred()
    const ran: string[] = []
    const a = tabA(async () => {
      ran.push('A')
      await gate.promise
    })
    const b = tabB(async () => void ran.push('B'))
    expect(await b).toBe(false)
    expect(held.has('send')).toBe(true)
    gate.resolve()
    expect(await a).toBe(true)
    expect(ran).toEqual(['A'])
    expect(held.has('send')).toBe(false)
    expect(await tabB(async () => void ran.push('B'))).toBe(true)
    expect(ran).toEqual(['A', 'B'])
  })

  it('different names do not exclude each other', async () => {
    const { nav } = fakeLocks()
    const gate = deferred()
    const a = createLock('one', nav)(() => gate.promise)
    expect(await createLock('two', nav)(async () => {})).toBe(true)
    gate.resolve()
    await a
  })

  it('a LockManager that rejects counts as not held, without throwing', async () => {
    const nav = { locks: { request: () => Promise.reject(new DOMException('x', 'SecurityError')) } } as unknown as Navigator
    const fn = vi.fn(async () => {})
    expect(await createLock('send', nav)(fn)).toBe(false)
    expect(fn).not.toHaveBeenCalled()
  })
})

describe('createLock without Web Locks', () => {
  it('runs the function and reports it ran', async () => {
    const fn = vi.fn(async () => {})
    expect(await createLock('send', {} as Navigator)(fn)).toBe(true)
    expect(await createLock('send', undefined)(fn)).toBe(true)
    expect(fn).toHaveBeenCalledTimes(2)
  })
})

describe('createLeases', () => {
  const ids = (l: ReturnType<typeof createLeases>) => new Set(l.held().keys())
  let clock = 5_000
  const now = () => clock
  beforeEach(() => {
    clock = 5_000
  })

  it('take, held, release', () => {
    const leases = createLeases(new MemStorage(), now)
    expect(ids(leases)).toEqual(new Set())
    leases.take(['a', 'b'], 1000)
    leases.take(['c'], 5000)
    expect(ids(leases)).toEqual(new Set(['a', 'b', 'c']))
    leases.release(['b', 'missing'])
    expect(ids(leases)).toEqual(new Set(['a', 'c']))
  })

  it('held() tells when each lease ends', () => {
    const leases = createLeases(new MemStorage(), now)
    leases.take(['a'], 1000)
    expect(leases.held().get('a')).toBe(clock + 1000)
  })

  it('a lease expires after its time', () => {
    const leases = createLeases(new MemStorage(), now)
    leases.take(['a'], 1000)
    leases.take(['b'], 3000)
    clock += 999
    expect(ids(leases)).toEqual(new Set(['a', 'b']))
    clock += 1
    expect(ids(leases)).toEqual(new Set(['b']))
    clock += 2000
    expect(ids(leases)).toEqual(new Set())
  })

  it('is shared by the tabs of one localStorage, and expired ids are pruned on write', () => {
    const ls = new MemStorage()
    const tabA = createLeases(ls, now)
    const tabB = createLeases(ls, now)
    tabA.take(['a'], 1000)
    expect(ids(tabB)).toEqual(new Set(['a']))
    clock += 1000
    tabB.take(['b'], 1000)
    expect(JSON.parse(ls.getItem('onsite:leases')!)).toEqual({ b: clock + 1000 })
    tabB.release(['b'])
    expect(ids(tabA)).toEqual(new Set())
  })

  it('works in memory without localStorage, and survives a corrupt or throwing one', () => {
    const mem = createLeases(undefined, now)
    mem.take(['a'], 1000)
    expect(ids(mem)).toEqual(new Set(['a']))

    const ls = new MemStorage()
    ls.setItem('onsite:leases', '{oops')
    const corrupt = createLeases(ls, now)
    expect(ids(corrupt)).toEqual(new Set())
    corrupt.take(['x'], 1000)
    expect(ids(corrupt)).toEqual(new Set(['x']))

    const full = new MemStorage()
    full.failWrite = () => true
    const quota = createLeases(full, now)
    expect(() => quota.take(['y'], 1000)).not.toThrow()
  })

  it('does not trust an expiry further away than maxMs: it was written by a clock since set back', () => {
    const ls = new MemStorage()
    let t = 1_000_000
    const leases = createLeases(ls, () => t, 'onsite:leases', 30_000)
    leases.take(['a'], 20_000)
    expect(ids(leases)).toEqual(new Set(['a']))
    t -= 2 * 3600_000 // the clock goes back 2 h: the lease now looks 2 h away
    expect(ids(leases)).toEqual(new Set())
  })

  it('keeps at most `cap` ids, the ones that expire last', () => {
    const ls = new MemStorage()
    let t = 0
    const receipts = createLeases(ls, () => t, 'onsite:sent', Infinity, 3)
    for (const id of ['a', 'b', 'c', 'd']) (t += 10), receipts.take([id], 1000)
    expect(ids(receipts)).toEqual(new Set(['b', 'c', 'd']))
  })
})

