// Only one tab sends the shared outbox at a time (Web Locks: released even when a tab crashes). Where
// Web Locks are missing (Safari before 15.4) every tab sends: each sends its own calls, leaves other
// tabs' fresh ones alone (delivery.ts) and skips leased ones, and the messageId lets the server drop what
// still goes twice. A localStorage lock cost ~350 B gzip for a browser share that rounds to zero.
import { loadJSON, saveJSON } from '../util/json.ts'

export type Lock = (fn: () => Promise<void>) => Promise<boolean>

export const createLock = (name: string, nav: Navigator | undefined): Lock => {
  const locks = (nav as { locks?: LockManager } | undefined)?.locks
  if (!locks?.request) return (fn) => fn().then(() => true)
  return (fn) =>
    (locks.request(name, { ifAvailable: true }, async (held) => {
      if (!held) return false
      await fn()
      return true
    }) as unknown as Promise<boolean>).catch(() => false)
}

/**
 * Ids with an expiry, shared by the tabs through localStorage because pagehide must decide synchronously:
 * the calls being sent right now or sent at pagehide (leases), and the calls delivered (receipts, which keep
 * a delivered call from being sent again when its removal from IndexedDB did not happen: a hung database, a
 * tab closed mid-write). An expiry further away than `maxMs` was written by a clock that has since been set
 * back: it is not trusted, so a wall-clock jump never stalls delivery. `cap` bounds how many are kept.
 */
export const createLeases = (ls: Storage | undefined, now: () => number, key = 'onsite:leases', maxMs = Infinity, cap = 2000) => {
  let memory: Record<string, number> = {}
  // This tab's copy stands in when storage is missing, refuses reads, or never took a write (quota).
  const load = (): Record<string, number> => loadJSON(ls, key) ?? memory
  const valid = (until: number, t: number) => until > t && until <= t + maxMs
  const save = (m: Record<string, number>) => {
    const t = now()
    let ids = Object.keys(m).filter((id) => valid(m[id]!, t))
    if (ids.length > cap) ids = ids.sort((a, b) => m[a]! - m[b]!).slice(-cap)
    memory = Object.fromEntries(ids.map((id) => [id, m[id]!]))
    saveJSON(ls, key, memory)
  }
  return {
    take(ids: string[], ms: number): void {
      if (!ids.length) return
      const m = load()
      for (const id of ids) m[id] = now() + ms
      save(m)
    },
    release(ids: string[]): void {
      const m = load()
      if (ids.some((id) => id in m)) ids.forEach((id) => delete m[id]), save(m)
    },
    /** Not expired: id -> when it expires. */
    held(): Map<string, number> {
      const t = now()
      const m = load()
      return new Map(Object.keys(m).filter((id) => valid(m[id]!, t)).map((id) => [id, m[id]!]))
    },
  }
}
export type Leases = ReturnType<typeof createLeases>
