// What one identify should do, as pure functions of the known person and the new input: whether this is
// a different person (reset first, so two people on one device are never merged), and which traits
// actually changed (an identical identify on every page is not sent).
// https://customer.io/docs/cdp/sources/source-spec/identify-spec/
import { own } from '../util/check.ts'
import { remembered } from '../util/hash.ts'
import type { Person, Traits } from './identity.ts'

export interface IdentifyInput {
  userId?: string | undefined
  /** Normalised traits (email lowercased, phone E.164, invalid ones removed). */
  traits: Traits
  /** From a tracked email link: weaker than a login or a typed email. */
  soft?: boolean
}

const differ = (a: unknown, b: unknown): boolean => !!a && !!b && a !== b
const emailOf = (t: Traits | undefined): string | undefined => own(t).email

/**
 * The userId an input resolves to: its own, or with `identifyBy: "email"` the email. A soft id (from a
 * link, possibly a forwarded one) never takes over a person who identified themselves, by a userId or by
 * an email (null: the link is ignored); identifying that browser as the link's person would merge two.
 */
export const resolveUserId = (cur: Person, input: IdentifyInput, identifyBy: string): string | undefined | null => {
  if (input.soft && ((cur.userId && !cur.soft) || emailOf(cur.traits))) return null
  return input.userId ?? (identifyBy === 'email' && !input.soft ? emailOf(input.traits) : undefined)
}

/**
 * Whether the input is someone else than the person known here. Like is compared with like: two
 * userIds, or two emails when neither call has a userId (an email typed by a logged-in customer is
 * theirs). A login or capture after a tracked-link click upgrades the soft id instead.
 */
export const isOtherPerson = (cur: Person, userId: string | undefined, input: IdentifyInput): boolean => {
  if (cur.soft && !input.soft) return false
  const email = emailOf(input.traits)
  return differ(cur.userId, userId) || (!cur.userId && !userId && differ(emailOf(cur.traits), email && remembered(email)))
}

/**
 * The identify to send (traits that changed since the last one sent with this anonymous id, plus the
 * email when this input has it) and the person to remember, traits as fingerprints; no call when
 * nothing changed or nothing is known.
 */
export const planIdentify = (cur: Person, anonymousId: string, userId: string | undefined, input: IdentifyInput): { call?: Traits; person: Person } => {
  const same = cur.sentWith === anonymousId
  const prev = same ? (cur.traits ?? {}) : {}
  const changed: Traits = {}
  const seen: Traits = {}
  for (const k of Object.keys(input.traits)) if ((seen[k] = remembered(input.traits[k])) !== prev[k]) changed[k] = input.traits[k]
  const nextId = userId ?? cur.userId
  const person: Person = { traits: { ...prev, ...seen }, sentWith: anonymousId }
  if (nextId) person.userId = nextId
  if (userId ? input.soft : cur.soft) person.soft = true
  if (same && nextId === cur.userId && !Object.keys(changed).length) return { person }
  const email = emailOf(input.traits)
  const call = email ? { ...changed, email } : changed
  // neither a userId nor a trait (identify({email: "not-an-email"}) after its warning): nothing to say
  return nextId || Object.keys(call).length ? { call, person } : { person }
}
