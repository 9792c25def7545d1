// Only one tab sends the shared outbox at a time, so two tabs never deliver the same call twice.
// Web Locks where the browser has them (released even when a tab crashes); elsewhere a lease in
// localStorage that expires, so a tab that died holding it blocks the others for seconds, not forever.

export type Lock = (fn: () => Promise<void>) => Promise<boolean>

const LEASE_MS = 30000

export const createLock = (name: string, nav: Navigator | undefined, ls: Storage | undefined, owner: string, now: () => number): Lock => {
  const locks = (nav as { locks?: LockManager } | undefined)?.locks
  if (locks && typeof locks.request === 'function') {
    return (fn) =>
      (locks.request(name, { ifAvailable: true }, async (held) => {
        if (!held) return false
        await fn()
        return true
      }) as unknown as Promise<boolean>).catch(() => false)
  }
  const key = 'onsite:lock:' + name
  const read = (): [string, number] => {
    const [who = '', until = '0'] = (ls?.getItem(key) || '').split('|')
    return [who, +until]
  }
  return async (fn) => {
    try {
      if (ls) {
        const [who, until] = read()
        if (who && who !== owner && until > now()) return false
        ls.setItem(key, `${owner}|${now() + LEASE_MS}`)
        // Two tabs may write at once; the later write wins and the other backs off.
        await new Promise((r) => setTimeout(r, 20))
        if (read()[0] !== owner) return false
      }
    } catch {
      // no usable localStorage: storage falls back to memory too, so nothing is shared to guard
    }
    try {
      await fn()
    } finally {
      try {
        if (ls && read()[0] === owner) ls.removeItem(key)
      } catch {}
    }
    return true
  }
}

/**
 * Calls being sent right now, by any tab, and calls sent at pagehide whose answer no page will read.
 * Kept in localStorage because pagehide must decide synchronously what not to send twice.
 */
export const createLeases = (ls: Storage | undefined, now: () => number) => {
  const key = 'onsite:leases'
  let memory: Record<string, number> = {}
  const load = (): Record<string, number> => {
    try {
      return ls ? JSON.parse(ls.getItem(key) || '{}') : memory
    } catch {
      return memory
    }
  }
  const save = (m: Record<string, number>) => {
    const t = now()
    for (const id in m) if (m[id]! <= t) delete m[id]
    memory = m
    try {
      ls?.setItem(key, JSON.stringify(m))
    } catch {}
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
