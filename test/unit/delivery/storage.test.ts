import { afterEach, describe, expect, it, vi } from 'vitest'
import { browserBackends, createKV, localTier } from '../../../src/delivery/storage.ts'
import { MemStorage, throwingStorage } from '../fakes.ts'

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

const sorted = <T>(xs: [string, T][]) => [...xs].sort(([a], [b]) => (a < b ? -1 : 1))

describe('createKV in memory (no backends)', () => {
  it('set, get, entries, del, clear', async () => {
    const kv = createKV('t', {})
    expect(await kv.get('a')).toBeUndefined()
    await kv.set('a', { n: 1 })
    await kv.set('b', 'two')
    await kv.set('a', { n: 3 })
    expect(await kv.get('a')).toEqual({ n: 3 })
    expect(sorted(await kv.entries())).toEqual([
      ['a', { n: 3 }],
      ['b', 'two'],
    ])
    await kv.del(['a', 'missing'])
    expect(await kv.get('a')).toBeUndefined()
    expect(await kv.entries()).toEqual([['b', 'two']])
    await kv.clear()
    expect(await kv.entries()).toEqual([])
  })

  it('del([]) is a no-op', async () => {
    const kv = createKV('t', {})
    await kv.set('a', 1)
    await kv.del([])
    expect(await kv.get('a')).toBe(1)
  })

  it('two memory stores do not share values', async () => {
    const a = createKV('t', {})
    const b = createKV('t', {})
    await a.set('k', 1)
    expect(await b.get('k')).toBeUndefined()
  })
})

describe('createKV on localStorage', () => {
  it('values persist across two instances on the same Storage, under a per-name prefix', async () => {
    const ls = new MemStorage()
    const first = createKV('queue', { localStorage: ls })
    await first.set('m1', { call: { messageId: 'm1' }, seq: 1 })
    await first.set('m2', [1, 2])
    expect(ls.dump()).toEqual({ 'onsite:queue:m1': '{"call":{"messageId":"m1"},"seq":1}', 'onsite:queue:m2': '[1,2]' })

    const second = createKV('queue', { localStorage: ls })
    expect(await second.get('m1')).toEqual({ call: { messageId: 'm1' }, seq: 1 })
    expect(sorted(await second.entries())).toEqual([
      ['m1', { call: { messageId: 'm1' }, seq: 1 }],
      ['m2', [1, 2]],
    ])
    await second.del(['m1'])
    expect(await first.get('m1')).toBeUndefined()
  })

  it('entries() lists only its own prefix', async () => {
    const ls = new MemStorage()
    ls.setItem('unrelated', '"x"')
    ls.setItem('onsite:lock:send', 'a|1')
    await createKV('id', { localStorage: ls }).set('aid', 'A')
    const queue = createKV('queue', { localStorage: ls })
    await queue.set('m1', 1)
    expect(await queue.entries()).toEqual([['m1', 1]])
    await queue.clear()
    expect(ls.dump()).toEqual({ unrelated: '"x"', 'onsite:lock:send': 'a|1', 'onsite:id:aid': '"A"' })
  })

  it('a setItem that throws QuotaExceededError falls back to memory without throwing', async () => {
    const ls = new MemStorage()
    ls.failWrite = () => true
    const kv = createKV('q', { localStorage: ls })
    // false: only memory took it
    await expect(kv.set('a', { big: true })).resolves.toBe(false)
    expect(await kv.get('a')).toEqual({ big: true })
    expect(await kv.entries()).toEqual([['a', { big: true }]])
    expect(ls.length).toBe(0)
    await kv.set('b', 2)
    expect(await kv.get('b')).toBe(2)
  })

  it('a Storage whose every method throws (sandboxed iframe) still works from memory', async () => {
    const broken = new Proxy(new MemStorage(), {
      get() {
        throw new DOMException('denied', 'SecurityError')
      },
    })
    const kv = createKV('q', { localStorage: broken })
    await kv.set('a', 1)
    expect(await kv.get('a')).toBe(1)
    expect(await kv.entries()).toEqual([['a', 1]])
    await kv.del(['a'])
    expect(await kv.get('a')).toBeUndefined()
  })

  it('what localStorage held before it filled up is still read', async () => {
    const ls = new MemStorage()
    const kv = createKV('q', { localStorage: ls })
    await kv.set('old', 1)
    ls.failWrite = () => true
    await kv.set('new', 2)
    expect(sorted(await kv.entries())).toEqual([
      ['new', 2],
      ['old', 1],
    ])
  })

  // Once localStorage is full, writes go to memory, but get()/entries() return the first tier that has
  // the key: an older value still in localStorage shadows the newer one in memory.
  it('after localStorage fills up, get() returns the value written last, not a stale one', async () => {
    const ls = new MemStorage()
    const kv = createKV('id', { localStorage: ls })
    await kv.set('aid', 'first')
    ls.failWrite = () => true
    await kv.set('aid', 'second')
    expect(await kv.get('aid')).toBe('second')
  })

  // A write that failed while another was under way in the same tier marked the tier full; the other
  // write then "cleaned" its own fresh copy out of it, and the value was nowhere (an event tracked right
  // after one IndexedDB could not clone was lost without a word).
  it('a write that succeeds while another one fails in the same tier keeps its value', async () => {
    const ls = new MemStorage()
    ls.failWrite = (k) => k.endsWith(':bad')
    const kv = createKV('q', { localStorage: ls })
    await Promise.all([kv.set('bad', 1), kv.set('good', 2)])
    expect(await kv.get('good')).toBe(2)
    expect(await kv.get('bad')).toBe(1)
    expect(ls.getItem('onsite:q:good')).toBe('2')
  })

  it('localTier reads of a corrupt value do not throw out of the KV', async () => {
    const ls = new MemStorage()
    ls.setItem('onsite:q:bad', '{not json')
    const kv = createKV('q', { localStorage: ls })
    await expect(kv.get('bad')).resolves.toBeUndefined()
    await expect(kv.entries()).resolves.toEqual([])
    await expect(localTier(ls, 'onsite:q:').get('bad')).resolves.toBeUndefined()
    ls.setItem('onsite:q:good', '1')
    await expect(kv.entries()).resolves.toEqual([['good', 1]])
  })
})

describe('browserBackends', () => {
  it('returns what the window has', () => {
    const ls = new MemStorage()
    const idb = {} as IDBFactory
    expect(browserBackends({ indexedDB: idb, localStorage: ls } as unknown as Window)).toEqual({ indexedDB: idb, localStorage: ls })
  })

  it('an indexedDB getter that throws is skipped; localStorage is still read', () => {
    const ls = new MemStorage()
    const w = {
      get indexedDB(): IDBFactory {
        throw new DOMException('denied', 'SecurityError')
      },
      localStorage: ls,
    }
    let b: ReturnType<typeof browserBackends> | undefined
    expect(() => (b = browserBackends(w as unknown as Window))).not.toThrow()
    expect(b!.indexedDB).toBeUndefined()
    expect(b!.localStorage).toBe(ls)
  })

  it('both getters throwing gives no backends', () => {
    const w = {
      get indexedDB(): IDBFactory {
        throw new Error('no')
      },
      get localStorage(): Storage {
        throw new Error('no')
      },
    }
    expect(browserBackends(w as unknown as Window)).toEqual({})
  })
})

// The tier opens databases through Backends.indexedDB; the fake is the global too, so nothing can reach a real one.
describe('createKV with a failing IndexedDB', () => {
  it('an IDBFactory whose open() throws falls to localStorage', async () => {
    const open = vi.fn(() => {
      throw new DOMException('blocked', 'InvalidStateError')
    })
    const idb = { open } as unknown as IDBFactory
    vi.stubGlobal('indexedDB', idb)
    const ls = new MemStorage()
    const kv = createKV('q', { indexedDB: idb, localStorage: ls })
    await kv.set('a', 1)
    expect(open).toHaveBeenCalledWith('onsite-q')
    expect(ls.dump()).toEqual({ 'onsite:q:a': '1' })
    expect(await kv.get('a')).toBe(1)
    expect(await kv.entries()).toEqual([['a', 1]])
  })

  it('an IDBFactory whose open() errors asynchronously falls to memory when there is no localStorage', async () => {
    const request = {} as { onerror?: () => void; error?: unknown; result?: unknown }
    const idb = {
      open: () => {
        queueMicrotask(() => {
          request.error = new DOMException('private mode', 'UnknownError')
          request.onerror?.()
        })
        return request
      },
    } as unknown as IDBFactory
    vi.stubGlobal('indexedDB', idb)
    const kv = createKV('q', { indexedDB: idb })
    await kv.set('a', 'x')
    expect(await kv.get('a')).toBe('x')
  })

  it('an open() that never settles (Safari) times out after 2 s and the write lands in localStorage', async () => {
    vi.useFakeTimers()
    const idb = { open: () => ({}) } as unknown as IDBFactory
    vi.stubGlobal('indexedDB', idb)
    const ls = new MemStorage()
    const kv = createKV('q', { indexedDB: idb, localStorage: ls })
    let done = false
    const write = kv.set('a', 1).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(1999)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await write
    expect(ls.dump()).toEqual({ 'onsite:q:a': '1' })
    // later writes skip the stuck tier at once
    await kv.set('b', 2)
    expect(ls.getItem('onsite:q:b')).toBe('2')
  })
})

describe('KV.del reports a delete that did not happen', () => {
  /** localStorage that takes writes but refuses to remove (a broken or patched Storage). */
  const noRemove = () => {
    const ls = new MemStorage()
    ls.removeItem = () => {
      throw new DOMException('denied', 'SecurityError')
    }
    return ls
  }

  it('rejects when a tier that holds writes fails to delete, after trying every tier', async () => {
    const ls = noRemove()
    const kv = createKV('q', { localStorage: ls })
    await kv.set('a', 1)
    expect(ls.dump()).toEqual({ 'onsite:q:a': '1' })
    await expect(kv.del(['a'])).rejects.toThrow('delete failed')
    // the rejection is truthful: the value is still stored
    expect(await kv.get('a')).toBe(1)
  })

  it('clear() rejects too when a writable tier cannot delete', async () => {
    const kv = createKV('q', { localStorage: noRemove() })
    await kv.set('a', 1)
    await expect(kv.clear()).rejects.toThrow()
  })

  it('the memory tier is still deleted from when another tier fails', async () => {
    const ls = new MemStorage()
    const kv = createKV('q', { localStorage: ls })
    ls.failWrite = (k) => k.endsWith(':m') // "m" lands in memory; localStorage now takes no writes
    await kv.set('m', 1)
    expect(ls.length).toBe(0)
    ls.removeItem = () => {
      throw new Error('broken')
    }
    // localStorage failed a write, so its failure to delete does not count
    await expect(kv.del(['m'])).resolves.toBeUndefined()
    expect(await kv.get('m')).toBeUndefined()
  })

  it('does not reject for a sandboxed localStorage whose every method throws (its writes failed too)', async () => {
    const kv = createKV('q', { localStorage: throwingStorage() })
    await kv.set('a', 1)
    await expect(kv.del(['a'])).resolves.toBeUndefined()
    expect(await kv.get('a')).toBeUndefined()
    await expect(kv.clear()).resolves.toBeUndefined()
  })

  it('does not reject for a full localStorage whose removeItem also fails', async () => {
    const ls = new MemStorage()
    ls.failWrite = () => true
    ls.removeItem = () => {
      throw new DOMException('denied', 'SecurityError')
    }
    const kv = createKV('q', { localStorage: ls })
    await kv.set('a', 1)
    await expect(kv.del(['a'])).resolves.toBeUndefined()
    expect(await kv.entries()).toEqual([])
  })

  it('a tier that never failed a write counts even if this page never wrote to it', async () => {
    const ls = noRemove()
    ls.setItem('onsite:q:old', '1') // left by an earlier page
    const kv = createKV('q', { localStorage: ls })
    await expect(kv.del(['old'])).rejects.toThrow('delete failed')
  })
})

describe('createKV: what outlives the page', () => {
  it('set() says whether storage that outlives the page took the value', async () => {
    const ls = new MemStorage()
    expect(await createKV('q', { localStorage: ls }).set('a', 1)).toBe(true)
    ls.failWrite = () => true
    expect(await createKV('q2', { localStorage: ls }).set('b', 1)).toBe(false)
    expect(await createKV('q3', {}).set('c', 1)).toBe(false)
  })

  it('spill() writes to localStorage synchronously, and says when it could not', () => {
    const ls = new MemStorage()
    const kv = createKV('q', { localStorage: ls })
    expect(kv.spill('a', { call: 1 })).toBe(true)
    expect(ls.getItem('onsite:q:a')).toBe('{"call":1}')
    ls.failWrite = () => true
    expect(kv.spill('b', 1)).toBe(false)
    expect(createKV('q', {}).spill('c', 1)).toBe(false)
  })
})


describe('after consent is withdrawn (open() false) nothing is written', () => {
  it('gatedStorage drops writes, keeps reads and removals', async () => {
    const { gatedStorage } = await import('../../../src/delivery/storage.ts')
    const mem = new MemStorage()
    let open = true
    const ls = gatedStorage(mem, () => open)!
    ls.setItem('onsite:a', '1')
    open = false
    ls.setItem('onsite:b', '2')
    expect(ls.getItem('onsite:a')).toBe('1')
    expect([ls.length, ls.key(0)]).toEqual([1, 'onsite:a'])
    ls.removeItem('onsite:a')
    expect(mem.dump()).toEqual({})
  })

  it('a KV whose backends are closed takes no set and no spill', async () => {
    const mem = new MemStorage()
    let open = true
    const kv = createKV('t', { localStorage: mem, open: () => open })
    expect(await kv.set('a', 1)).toBe(true)
    open = false
    expect(await kv.set('b', 2)).toBe(false)
    expect(kv.spill('c', 3)).toBe(false)
    await kv.clear()
    expect(mem.dump()).toEqual({})
    expect(await kv.get('b')).toBeUndefined()
  })
})
