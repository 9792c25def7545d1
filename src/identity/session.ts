// Sessions: 30 minutes without a call ends one (the convention of GA and Segment's session plugins).
// `returning` says whether this browser was seen before the session began, so returning sessions can be
// targeted and measured. Kept in localStorage so tabs share it; in memory when storage is refused.
import { loadJSON, saveJSON } from '../util/json.ts'

export const SESSION_MS = 30 * 60000
const KEY = 'onsite:session'

export interface Session {
  id: string
  returning: boolean
}
interface Stored extends Session {
  last: number
}

export const createSession = (ls: Storage | undefined, newId: () => string, seenBefore: boolean) => {
  let mem: Stored | undefined
  // The newer of the shared copy (other tabs write it) and this tab's own (newer when storage refuses writes).
  const load = (): Stored | undefined => {
    const s = loadJSON<Stored>(ls, KEY)
    return s && typeof s.id === 'string' && typeof s.last === 'number' && !(mem && mem.last > s.last) ? s : mem
  }
  const store = (s?: Stored) => {
    mem = s
    saveJSON(ls, KEY, s)
  }
  return {
    /** The session of a call made at `at` (ms), starting a new one after 30 minutes of inactivity. */
    touch(at: number): Session {
      const cur = load()
      // A replayed call older than the last activity belongs to the current session and does not move it back.
      const live = cur && at - cur.last < SESSION_MS
      const s: Stored = live ? { ...cur, last: Math.max(cur.last, at) } : { id: newId(), returning: !!cur || seenBefore, last: at }
      store(s)
      return { id: s.id, returning: s.returning }
    },
    /** A new person (reset): the next call starts a new session. */
    end(): void {
      store()
    },
  }
}
export type Sessions = ReturnType<typeof createSession>
