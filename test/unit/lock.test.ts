import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLeases, createLock } from '../../src/lock.ts'
import { deferred, MemStorage } from './fakes.ts'

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
    const tabA = createLock('send', nav, undefined, 'A', Date.now)
    const tabB = createLock('send', nav, undefined, 'B', Date.now)
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
    const a = createLock('one', nav, undefined, 'A', Date.now)(() => gate.promise)
    expect(await createLock('two', nav, undefined, 'A', Date.now)(async () => {})).toBe(true)
    gate.resolve()
    await a
  })

  it('a LockManager that rejects counts as not held, without throwing', async () => {
    const nav = { locks: { request: () => Promise.reject(new DOMException('x', 'SecurityError')) } } as unknown as Navigator
    const fn = vi.fn(async () => {})
    expect(await createLock('send', nav, new MemStorage(), 'A', Date.now)(fn)).toBe(false)
    expect(fn).not.toHaveBeenCalled()
  })
})

describe('createLock on localStorage (no Web Locks)', () => {
  let clock = 1_000_000
  const now = () => clock
  beforeEach(() => {
    vi.useFakeTimers()
    clock = 1_000_000
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Starts `lock(fn)` and lets its 20 ms write-settle delay pass. */
  const start = async (lock: ReturnType<typeof createLock>, fn: () => Promise<void>) => {
    let result: boolean | undefined
    const p = lock(fn).then((r) => (result = r))
    await vi.advanceTimersByTimeAsync(25)
    return { p, result: () => result }
  }

  it('the second owner gets false while the first holds it, true after release', async () => {
    const ls = new MemStorage()
    const gate = deferred()
    const a = await start(createLock('send', undefined, ls, 'A', now), () => gate.promise)
    expect(ls.getItem('onsite:lock:send')).toBe(`A|${clock + 30000}`)

    const fnB = vi.fn(async () => {})
    const b = await start(createLock('send', {} as Navigator, ls, 'B', now), fnB)
    expect(b.result()).toBe(false)
    expect(fnB).not.toHaveBeenCalled()

    gate.resolve()
    await a.p
    expect(a.result()).toBe(true)
    expect(ls.getItem('onsite:lock:send')).toBeNull()

    const again = await start(createLock('send', undefined, ls, 'B', now), fnB)
    expect(again.result()).toBe(true)
    expect(fnB).toHaveBeenCalledTimes(1)
  })

  it('a lease left by a tab that died expires after 30 s', async () => {
    const ls = new MemStorage()
    await start(createLock('send', undefined, ls, 'A', now), () => new Promise(() => {})) // never finishes
    const lockB = createLock('send', undefined, ls, 'B', now)
    clock += 29_999
    expect((await start(lockB, async () => {})).result()).toBe(false)
    clock += 2
    expect((await start(lockB, async () => {})).result()).toBe(true)
  })

  it('the same owner may take its own lease again', async () => {
    const ls = new MemStorage()
    ls.setItem('onsite:lock:send', `A|${clock + 10000}`)
    expect((await start(createLock('send', undefined, ls, 'A', now), async () => {})).result()).toBe(true)
  })

  it('two tabs racing for a free lease: the later write wins, only one runs', async () => {
    const ls = new MemStorage()
    // tab B read the lease before tab A's write reached it (tabs are separate threads)
    let stale = true
    const viewB = {
      getItem: (k: string) => (stale ? ((stale = false), null) : ls.getItem(k)),
      setItem: (k: string, v: string) => ls.setItem(k, v),
      removeItem: (k: string) => ls.removeItem(k),
    } as unknown as Storage
    const ran: string[] = []
    const pa = createLock('send', undefined, ls, 'A', now)(async () => void ran.push('A'))
    const pb = createLock('send', undefined, viewB, 'B', now)(async () => void ran.push('B'))
    await vi.advanceTimersByTimeAsync(25)
    expect([await pa, await pb]).toEqual([false, true])
    expect(ran).toEqual(['B'])
  })

  it('releases the lease when fn throws, and lets the error through', async () => {
    const ls = new MemStorage()
    const p = createLock('send', undefined, ls, 'A', now)(async () => {
      throw new Error('boom')
    })
    const settled = expect(p).rejects.toThrow('boom')
    await vi.advanceTimersByTimeAsync(25)
    await settled
    expect(ls.getItem('onsite:lock:send')).toBeNull()
  })

  it('without any storage it just runs', async () => {
    const fn = vi.fn(async () => {})
    expect(await createLock('send', undefined, undefined, 'A', now)(fn)).toBe(true)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('a localStorage that throws does not stop the send', async () => {
    const ls = new MemStorage()
    ls.getItem = () => {
      throw new DOMException('denied', 'SecurityError')
    }
    const fn = vi.fn(async () => {})
    expect(await createLock('send', undefined, ls, 'A', now)(fn)).toBe(true)
    expect(fn).toHaveBeenCalledTimes(1)
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
})
