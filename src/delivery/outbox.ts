// The write-ahead outbox: every call is persisted before it is sent and removed only after a 2xx, so
// a reload, a closed tab or a crash in the middle of a send loses nothing. The calls this tab made and
// has not seen delivered are also kept in memory, for the synchronous send at pagehide.
import type { KV } from './storage.ts'

export type Call = Record<string, unknown> & { messageId: string; timestamp: string; type: string }
export interface Entry {
  call: Call
  /** creation order within a page, to keep calls with the same timestamp in order */
  seq: number
  /** when it was stored (ms) */
  at?: number
}

const order = (a: Entry, b: Entry) => (a.call.timestamp < b.call.timestamp ? -1 : a.call.timestamp > b.call.timestamp ? 1 : a.seq - b.seq)

export const createOutbox = (kv: KV) => {
  const mine = new Map<string, Entry>()
  const stored = new Set<string>()
  // stored where it outlives the page (not memory only)
  const durable = new Set<string>()
  return {
    /** Resolves true once the call is in storage that outlives the page, false when only memory has it. */
    async add(entry: Entry): Promise<boolean> {
      const id = entry.call.messageId
      mine.set(id, entry)
      const lasting = await kv.set(id, entry)
      if (mine.has(id)) stored.add(id), lasting && durable.add(id)
      return lasting
    },
    /**
     * The page is going away: this tab's calls whose write has not finished (IndexedDB commits after
     * pagehide, or never) are written to localStorage now, synchronously. Returns how many could not be.
     */
    spill(): number {
      let lost = 0
      for (const [id, e] of mine) if (!durable.has(id)) kv.spill(id, e) ? durable.add(id) : lost++
      return lost
    },
    owns: (id: string): boolean => mine.has(id),
    /** This tab's undelivered calls, synchronously. */
    mine: (): Entry[] => [...mine.values()].sort(order),
    /** Every undelivered call of every tab (and earlier pages), oldest first. */
    async all(): Promise<Entry[]> {
      const merged = new Map<string, Entry>()
      // Only a call stored before the read began can be missing because another tab delivered it.
      const before = new Set(stored)
      for (const [id, e] of await kv.entries<Entry>()) if (e && e.call) merged.set(id, e)
      for (const [id, e] of mine) {
        // stored but gone from storage: another tab delivered it
        if (!before.has(id)) merged.set(id, e)
        else if (!merged.has(id)) this.forget([id])
      }
      return [...merged.values()].sort(order)
    },
    remove(ids: string[]): Promise<void> {
      this.forget(ids)
      return kv.del(ids)
    },
    /** Another tab delivered these. */
    forget(ids: string[]): void {
      for (const id of ids) mine.delete(id), stored.delete(id), durable.delete(id)
    },
    clear(): Promise<void> {
      mine.clear()
      return kv.clear()
    },
  }
}
export type Outbox = ReturnType<typeof createOutbox>
