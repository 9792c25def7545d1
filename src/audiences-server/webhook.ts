// Bodies of Customer.io's "Send webhook" action: one change or an array of them,
//   {"id": "<person id>", "email"?: "...", "segment": "vip", "action": "entered" | "exited", "at": <unix s>}
// Every item is checked before anything is stored, and the first bad one rejects the whole request with
// an error naming its field (`[3].action: ...`), so a half-right batch never half-applies.
import { SEGMENT_NAME } from './config.ts'
import { MAX_ID } from './token.ts'

/** One membership fact: `person` is (member) or is not in `segment` as of `at` (unix s). */
export interface Change {
  person: string
  segment: string
  member: boolean
  at: number
}

export const MAX_ITEMS = 1000
/** Liquid's `{{ 'now' | date: '%s' }}` may arrive in quotes: digits in a string count as a number. */
const seconds = (v: unknown): number => (typeof v == 'string' && /^\d{1,12}$/.test(v) ? Number(v) : typeof v == 'number' ? v : NaN)

const item = (raw: unknown, at: string, now: number, map: Record<string, string>): Change | string => {
  if (typeof raw != 'object' || !raw || Array.isArray(raw)) return `${at || 'body'}: expected an object like {"id", "segment", "action", "at"}`
  const r = raw as Record<string, unknown>
  const name = (k: string) => (at ? `${at}.${k}` : k)
  if (typeof r.id != 'string' || !r.id.trim() || r.id.length > MAX_ID) return `${name('id')}: expected the person's id, a string of 1-${MAX_ID} characters`
  if (r.email != null && (typeof r.email != 'string' || r.email.length > 320)) return `${name('email')}: expected a string of at most 320 characters, or no email`
  if (typeof r.segment != 'string' || !SEGMENT_NAME.test(r.segment)) return `${name('segment')}: expected a segment name of 1-64 letters, digits, _ . : or -`
  if (r.action !== 'entered' && r.action !== 'exited') return `${name('action')}: expected "entered" or "exited"`
  const s = seconds(r.at)
  if (!Number.isInteger(s) || s < 1e9) return `${name('at')}: expected unix seconds, e.g. {{ 'now' | date: '%s' }}`
  if (s > 1e11) return `${name('at')}: expected unix seconds, got what looks like milliseconds`
  if (s > now / 1000 + 3600) return `${name('at')}: is more than an hour in the future`
  // a segment sent by its Customer.io id lands on the same flag as the App API pull
  return { person: r.id, segment: map[r.segment] ?? r.segment, member: r.action === 'entered', at: s }
}

/** The changes in a parsed webhook body, or the first error. */
export const parseWebhook = (body: unknown, now: number, map: Record<string, string> = {}): Change[] | { error: string; status: 400 | 413 } => {
  const many = Array.isArray(body)
  const items = many ? body : [body]
  if (!items.length) return { error: 'body: expected at least one change', status: 400 }
  if (items.length > MAX_ITEMS) return { error: `body: at most ${MAX_ITEMS} changes per request, got ${items.length}`, status: 413 }
  const out: Change[] = []
  for (let i = 0; i < items.length; i++) {
    const c = item(items[i], many ? `[${i}]` : '', now, map)
    if (typeof c == 'string') return { error: c, status: 400 }
    out.push(c)
  }
  return out
}

/** The newest change per (person, segment); on equal `at` the first one given wins. */
export const newestPerKey = (changes: Change[]): Change[] => {
  const best = new Map<string, Change>()
  for (const c of changes) {
    const k = JSON.stringify([c.person, c.segment])
    const have = best.get(k)
    if (!have || c.at > have.at) best.set(k, c)
  }
  return [...best.values()]
}
