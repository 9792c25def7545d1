// A key-value store that keeps working when storage does not: IndexedDB first, then localStorage,
// then memory. A write that fails in one tier (Safari private mode, quota exceeded, a sandboxed
// iframe, a blocked IndexedDB open) falls to the next, and reads merge every tier, so nothing written
// is lost while the page lives. Nothing here throws.
import { createStore, delMany, entries, get, set, type UseStore } from 'idb-keyval'
import { loadJSON, stringify } from '../util/json.ts'

export interface KV {
  get<T>(key: string): Promise<T | undefined>
  /** Resolves true when the value reached storage that outlives the page, false when only memory took it. */
  set(key: string, value: unknown): Promise<boolean>
  del(keys: string[]): Promise<void>
  entries<T>(): Promise<[string, T][]>
  /** Drops every value in every tier (consent withdrawn). */
  clear(): Promise<void>
  /** Writes to localStorage synchronously (pagehide cannot wait for IndexedDB); false when it refused. */
  spill(key: string, value: unknown): boolean
}

interface Tier {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<void>
  del(keys: string[]): Promise<void>
  entries(): Promise<[string, unknown][]>
}

const memoryTier = (): Tier => {
  const m = new Map<string, unknown>()
  return {
    get: async (k) => m.get(k),
    set: async (k, v) => void m.set(k, v),
    del: async (ks) => ks.forEach((k) => m.delete(k)),
    entries: async () => [...m],
  }
}

/** localStorage, with every key of this store under one prefix so entries() can list them. */
export const localTier = (ls: Storage, prefix: string): Tier => {
  // One value corrupted by hand or by another script must not hide every other key. (A stored null reads
  // as absent: no value of a KV is null.)
  const read = (k: string) => loadJSON(ls, k)
  return {
    get: async (k) => read(prefix + k),
    set: async (k, v) => ls.setItem(prefix + k, stringify(v)),
    del: async (ks) => ks.forEach((k) => ls.removeItem(prefix + k)),
    async entries() {
      const out: [string, unknown][] = []
      for (let i = 0; i < ls.length; i++) {
        const k = ls.key(i)
        const v = k?.startsWith(prefix) ? read(k) : undefined
        if (v !== undefined) out.push([k!.slice(prefix.length), v])
      }
      return out
    },
  }
}

// Safari has shipped IndexedDB opens that never settle (https://bugs.webkit.org/show_bug.cgi?id=226547):
// an operation that takes over 2 s counts as a failure, and the tier is given up for this page so each
// later operation does not wait 2 s again. idb-keyval opens the database when the store is created,
// through the global: both wait for first use.
const idbTier = (name: string): Tier => {
  let store: UseStore | undefined
  // set once an operation timed out: every later one fails at once with it
  let hung: Error | undefined
  const run = <T>(fn: (s: UseStore) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (hung) return reject(hung)
      const timer = setTimeout(() => reject((hung = new Error('IndexedDB timeout'))), 2000)
      const done = (ok: boolean) => (v: unknown) => (clearTimeout(timer), ok ? resolve(v as T) : reject(v))
      try {
        fn((store ??= createStore(name, 'kv'))).then(done(true), done(false))
      } catch (e) {
        done(false)(e)
      }
    })
  return {
    get: (k) => run((s) => get(k, s)),
    set: (k, v) => run((s) => set(k, v, s)),
    del: (ks) => run((s) => delMany(ks, s)),
    entries: () => run((s) => entries(s)),
  }
}

export interface Backends {
  indexedDB?: IDBFactory | undefined
  localStorage?: Storage | undefined
  /** false once consent is withdrawn: KV writes are then skipped (removals still go through). */
  open?: () => boolean
}

/**
 * localStorage that takes no more writes once `open()` is false: after "no", a late answer, timer or
 * add-on must not write again what the wipe removed. Reads and removals go through.
 */
export const gatedStorage = (ls: Storage | undefined, open: () => boolean): Storage | undefined =>
  ls && {
    get length() {
      return ls.length
    },
    key: (i: number) => ls.key(i),
    getItem: (k: string) => ls.getItem(k),
    setItem: (k: string, v: string) => void (open() && ls.setItem(k, v)),
    removeItem: (k: string) => ls.removeItem(k),
    clear: () => ls.clear(),
  }

/** Reads the browser's storage globals without throwing: merely touching them throws in some sandboxes. */
export const browserBackends = (w: Window): Backends => {
  const out: Backends = {}
  try {
    out.indexedDB = w.indexedDB
  } catch {}
  try {
    out.localStorage = w.localStorage
  } catch {}
  return out
}

export const createKV = (name: string, b: Backends): KV => {
  const tiers: Tier[] = []
  const prefix = `onsite:${name}:`
  if (b.indexedDB) tiers.push(idbTier('onsite-' + name))
  if (b.localStorage) tiers.push(localTier(b.localStorage, prefix))
  const memory = memoryTier()
  tiers.push(memory)
  // A tier whose write failed (quota, private mode) takes no more writes this page; reads still merge it,
  // so what it held before is not forgotten.
  const full = new Set<Tier>()
  // A tier that fails a read (a hung IndexedDB) is not trusted with writes either.
  const each = async <T>(fn: (t: Tier) => Promise<T>): Promise<T[]> => {
    const out: T[] = []
    for (const t of tiers) {
      try {
        out.push(await fn(t))
      } catch {
        if (t !== memory) full.add(t)
      }
    }
    return out
  }
  const kv: KV = {
    async get<T>(key: string) {
      for (const v of await each((t) => t.get(key))) if (v !== undefined) return v as T
      return undefined
    },
    async set(key, value) {
      if (b.open?.() === false) return false
      for (const t of tiers) {
        if (full.has(t)) continue
        try {
          await t.set(key, value)
          // Reads take the first tier that has the key: a stale copy in a full tier above would win. Not
          // this tier: it can be marked full by another write that failed while this one was under way.
          for (const f of full) if (f !== t) await f.del([key]).catch(() => {})
          return t !== memory
        } catch {
          if (t !== memory) full.add(t)
        }
      }
      return false
    },
    // A delete that fails in any tier rejects, after trying them all: a delivered call that is still
    // stored must not be reported gone (the sender would release its lease and another page resend it).
    async del(keys) {
      if (!keys.length) return
      // A tier that refused writes (sandboxed, full) holds nothing new: its failure does not count.
      const failed = (await Promise.allSettled(tiers.map((t) => t.del(keys)))).some((r, i) => r.status === 'rejected' && !full.has(tiers[i]!))
      if (failed) throw new Error('delete failed')
    },
    async entries<T>() {
      const seen = new Map<string, T>()
      for (const list of await each((t) => t.entries())) for (const [k, v] of list) if (!seen.has(k)) seen.set(k, v as T)
      return [...seen]
    },
    clear: async () => kv.del((await kv.entries()).map(([k]) => k)),
    spill(key, value) {
      if (b.open?.() === false) return false
      try {
        b.localStorage!.setItem(prefix + key, stringify(value))
        return true
      } catch {
        return false
      }
    },
  }
  return kv
}
