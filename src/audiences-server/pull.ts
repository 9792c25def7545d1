// Asks Customer.io's App API which segments a person is in: GET {base}/v1/customers/{id}/segments with
// `Authorization: Bearer <App API key>`, answered {"segments": [{"id": 123, "name": "..."}, ...]} (404: no
// such person). The App API allows about 10 requests a second per workspace, so a token bucket spends at
// most `rate` a second; a 429 (or any failure) pauses every pull for Retry-After or a doubling delay, and
// lookups meanwhile serve what is stored. Lookups of one person share one request.
import type { PersonState, Store } from './store.ts'
import type { Change } from './webhook.ts'

export interface PullOptions {
  apiBase: string
  apiKey: string
  /** Customer.io segment id -> flag name */
  segmentMap: Record<string, string>
  store: Store
  rate: number
  fetch?: typeof fetch
  now?: () => number
  log?: (line: string) => void
}

export interface Puller {
  /** What the store holds for `person` after a pull; null when no pull was made or it failed. */
  pull(person: string): Promise<PersonState | null>
  close(): Promise<void>
}

/** When to try again after a refusal: Retry-After (seconds or an HTTP date), else `fallback` ms. */
export const retryAfterMs = (header: string | null, now: number, fallback: number): number => {
  if (header && /^\d+$/.test(header.trim())) return Math.min(Number(header) * 1000, 3600_000)
  const at = header ? Date.parse(header) : NaN
  return Number.isFinite(at) ? Math.min(Math.max(at - now, 0), 3600_000) : fallback
}

/** The membership of every mapped flag: in it when any segment id mapped to it was listed. */
export const mappedChanges = (person: string, answer: unknown, map: Record<string, string>, at: number): Change[] | null => {
  const list = (answer as { segments?: unknown })?.segments
  if (!Array.isArray(list)) return null
  const ids = new Set(list.map((s) => String((s as { id?: unknown })?.id)))
  const flags = new Map<string, boolean>()
  for (const [id, flag] of Object.entries(map)) flags.set(flag, flags.get(flag) || ids.has(id))
  return [...flags].map(([segment, member]) => ({ person, segment, member, at }))
}

const bucket = (rate: number, now: () => number) => {
  let tokens = rate
  let last = now()
  return () => {
    const t = now()
    tokens = Math.min(rate, tokens + ((t - last) * rate) / 1000)
    last = t
    if (tokens < 1) return false
    tokens--
    return true
  }
}

export const createPuller = (o: PullOptions): Puller => {
  const now = o.now ?? Date.now
  const take = bucket(o.rate, now)
  const inflight = new Map<string, Promise<PersonState | null>>()
  let pausedUntil = 0
  let failures = 0
  const fail = (why: string, wait: number) => {
    failures++
    pausedUntil = now() + wait
    o.log?.(`[onsite-audiences] App API ${why}; pulls paused for ${Math.round(wait / 1000)} s, lookups serve what is stored`)
    return null
  }
  const request = async (person: string): Promise<PersonState | null> => {
    const backoff = Math.min(1000 * 2 ** failures, 60_000)
    try {
      const res = await (o.fetch ?? fetch)(`${o.apiBase}/v1/customers/${encodeURIComponent(person)}/segments`, {
        headers: { authorization: `Bearer ${o.apiKey}`, accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      })
      if (res.status === 429) return fail('answered 429', retryAfterMs(res.headers.get('retry-after'), now(), backoff))
      const at = now()
      const changes = res.status === 404 ? [] : res.ok ? mappedChanges(person, await res.json().catch(() => null), o.segmentMap, Math.floor(at / 1000)) : null
      if (!changes) return fail(res.ok ? 'answered something other than {"segments": [...]}' : `answered ${res.status}`, backoff)
      await o.store.applyPull(person, changes, at)
      failures = 0
      return await o.store.read(person)
    } catch (e) {
      return fail(`request failed (${(e as Error).name})`, backoff)
    }
  }
  return {
    pull(person) {
      const have = inflight.get(person)
      if (have) return have
      if (now() < pausedUntil || !take()) return Promise.resolve(null)
      const p = request(person).finally(() => inflight.delete(person))
      inflight.set(person, p)
      return p
    },
    close: async () => void (await Promise.allSettled([...inflight.values()])),
  }
}
