// A bounded LRU with an age limit, in front of the store. Bounded so memory stays flat however many
// people visit; aged so that instances sharing one database (whose webhooks land on another instance)
// serve a person's flags at most `ttlMs` stale.

export interface Lru<V> {
  get(key: string, now?: number): V | undefined
  set(key: string, value: V, now?: number): void
  delete(key: string): void
  readonly size: number
}

export const createLru = <V>(max: number, ttlMs: number): Lru<V> => {
  // a Map iterates in insertion order: re-inserting on read keeps the least recently used first
  const map = new Map<string, { v: V; at: number }>()
  return {
    get(key, now = Date.now()) {
      const e = map.get(key)
      if (!e) return undefined
      map.delete(key)
      if (now - e.at > ttlMs) return undefined
      map.set(key, e)
      return e.v
    },
    set(key, v, now = Date.now()) {
      if (max <= 0) return
      map.delete(key)
      map.set(key, { v, at: now })
      if (map.size > max) map.delete(map.keys().next().value!)
    },
    delete: (key) => void map.delete(key),
    get size() {
      return map.size
    },
  }
}
