// Only one tab sends the shared outbox at a time (Web Locks: released even when a tab crashes). Where
// Web Locks are missing (Safari before 15.4) every tab sends: each sends its own calls, leaves other
// tabs' fresh ones alone (delivery.ts) and skips leased ones, and the messageId lets the server drop what
// still goes twice. A localStorage lock cost ~350 B gzip for a browser share that rounds to zero.
import { loadJSON, saveJSON } from './storage.ts'

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
 * Calls being sent right now, by any tab, and calls sent at pagehide whose answer no page will read.
 * Kept in localStorage because pagehide must decide synchronously what not to send twice.
 */
export const createLeases = (ls: Storage | undefined, now: () => number) => {
  const key = 'onsite:leases'
  let memory: Record<string, number> = {}
  // This tab's copy stands in when storage is missing, refuses reads, or never took a write (quota).
  const load = (): Record<string, number> => loadJSON(ls, key) ?? memory
  const save = (m: Record<string, number>) => {
    const t = now()
    for (const id in m) if (m[id]! <= t) delete m[id]
    saveJSON(ls, key, (memory = m))
  }
  return {
    take(ids: string[], ms: number): void {
      const m = load()
      for (const id of ids) m[id] = now() + ms
      save(m)
    },
    release(ids: string[]): void {
      const m = load()
      for (const id of ids) delete m[id]
      save(m)
    },
    /** Leases not expired: id -> when it expires. */
    held(): Map<string, number> {
      const t = now()
      const m = load()
      return new Map(Object.keys(m).filter((id) => m[id]! > t).map((id) => [id, m[id]!]))
    },
  }
}
export type Leases = ReturnType<typeof createLeases>
