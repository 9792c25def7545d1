// The read path: a person's flags from the cache, else the store, else (never heard of, or pulled longer
// ago than the pull TTL) the App API. Only the exposed segments are answered; an exited one is false.
import type { Lru } from './cache.ts'
import type { Puller } from './pull.ts'
import type { PersonState, Store } from './store.ts'

export interface Answer {
  flags: Record<string, boolean>
  /** unix ms of the newest exposed fact, or null when there is none */
  syncedAt: number | null
}

export interface LookupOptions {
  store: Store
  cache: Lru<PersonState>
  puller?: Puller | undefined
  exposed: string[]
  pullTtlMs: number
  pullWaitMs: number
  now: () => number
}

/** The answer for `state`: only `exposed` segments leave. */
export const answer = (state: PersonState, exposed: string[]): Answer => {
  const flags: Record<string, boolean> = Object.create(null)
  let newest = -1
  for (const seg of exposed) {
    const row = state.rows[seg]
    if (!row) continue
    flags[seg] = row.member
    newest = Math.max(newest, row.at)
  }
  return { flags, syncedAt: newest < 0 ? null : newest * 1000 }
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  new Promise((done) => {
    const t = setTimeout(done, ms)
    void p.then((v) => (clearTimeout(t), done(v)), () => (clearTimeout(t), done(undefined)))
  })

export interface Lookup {
  (person: string): Promise<Answer>
  /** Forget `people` (their rows just changed). */
  invalidate(people: Iterable<string>): void
}

export const createLookup = (o: LookupOptions): Lookup => {
  // a read that started before a write must not put the pre-write state into the cache
  let writes = 0
  const load = async (person: string): Promise<PersonState> => {
    const hit = o.cache.get(person)
    if (hit) return hit
    const seen = writes
    const state = await o.store.read(person)
    if (seen === writes) o.cache.set(person, state)
    return state
  }
  const refresh = (person: string) => {
    const seen = writes
    return o.puller!.pull(person).then((s) => {
      if (s && seen === writes) o.cache.set(person, s)
      return s
    })
  }
  const lookup = (async (person: string) => {
    const state = await load(person)
    const known = Object.keys(state.rows).length > 0
    const stale = state.pulledAt === null ? !known : o.now() - state.pulledAt > o.pullTtlMs
    if (!o.puller || !stale) return answer(state, o.exposed)
    const pulling = refresh(person)
    // somebody known is answered at once (the pull refreshes the cache); a stranger waits a little for it
    if (known) return answer(state, o.exposed)
    return answer((await within(pulling, o.pullWaitMs)) ?? state, o.exposed)
  }) as Lookup
  lookup.invalidate = (people) => {
    writes++
    for (const p of people) o.cache.delete(p)
  }
  return lookup
}
