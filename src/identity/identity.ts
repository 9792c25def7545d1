// Who the visitor is: a stable anonymous id from the first call, and the person once known. The
// anonymous id lives in three places (cookie, localStorage, IndexedDB) and is restored from whichever
// survives: Safari caps script-written cookies at 7 days and may wipe storage, rarely all at once.
// Reads and writes of the in-memory state are synchronous, so calls made one after another see the
// identity in the order they were made; persisting is asynchronous and never blocks a call.
import { own } from '../util/check.ts'
import { foreignAnonymousId } from './adopt.ts'
import type { Cookies } from './cookie.ts'
import { remembered } from '../util/hash.ts'
import type { KV } from '../delivery/storage.ts'
import { loadJSON, saveJSON } from '../util/json.ts'

export const AID_COOKIE = 'onsite_aid'
const AID = 'aid'
const WHO = 'who'
const LS_AID = 'onsite:aid'
const LS_WHO = 'onsite:who'

export type Traits = Record<string, unknown>

/** The known person on this browser, and what was last sent about them. */
export interface Person {
  userId?: string
  /** The userId came from a tracked email link (`_cio_id`): a login or capture may replace it without a reset. */
  soft?: boolean
  /** Fingerprints of the traits last sent (util/hash.ts), so an identical identify is not sent again. */
  traits?: Traits
  /** The anonymous id those traits were sent with: a new one (storage wiped) gets everything again. */
  sentWith?: string
}

export interface IdentityDeps {
  cookies: Cookies
  /** The IndexedDB-backed copy; in the script-tag builds it comes with the delivery file (none if it never does). */
  kv: KV | Promise<KV | undefined>
  localStorage?: Storage | undefined
  newId: () => string
}

/**
 * A stored person with every trait as a fingerprint: a browser that kept them in clear (an earlier
 * version) has them replaced at the next save, and "same email?" still compares like with like.
 */
const fromStore = (p: unknown): Person => {
  const person: Person = own(p)
  const t = own(person.traits)
  for (const k in t) if (!(typeof t[k] == 'string' && /^[\da-z]{14}$/.test(t[k]))) t[k] = remembered(t[k])
  if (person.traits) person.traits = { ...t }
  return person
}

export const createIdentity = ({ cookies, kv: given, localStorage: ls, newId }: IdentityDeps) => {
  const kv = Promise.resolve(given)
  // The synchronous mirrors answer at once; IndexedDB is only consulted when they were wiped.
  // (localStorage keeps the id as a plain string, not JSON: ids stored by earlier versions stay readable.)
  let anonymousId = cookies.get(AID_COOKIE)
  try {
    anonymousId ||= ls?.getItem(LS_AID) || ''
  } catch {}
  const mine = !!anonymousId
  // Customer.io's own library's id, only when onsite has none here; an id onsite kept in IndexedDB still
  // wins in restore(), and from then on every copy is onsite's own.
  const adopted = mine ? '' : foreignAnonymousId(cookies, ls)
  anonymousId ||= adopted || newId()
  const who = loadJSON<Person>(ls, LS_WHO)
  const stored = who && typeof who === 'object' ? who : undefined
  let person: Person = fromStore(stored)

  const save = (): Promise<void> => {
    cookies.set(AID_COOKIE, anonymousId)
    try {
      ls?.setItem(LS_AID, anonymousId)
    } catch {}
    saveJSON(ls, LS_WHO, person)
    return kv.then((k) => k && Promise.all([k.set(AID, anonymousId), k.set(WHO, person)])).then(() => {})
  }

  return {
    /** Settles the ids (IndexedDB may remember what the cookie and localStorage forgot) and mirrors them. */
    async restore(): Promise<void> {
      const k = await kv
      const [aid, who] = await Promise.all([mine || !k ? '' : k.get<string>(AID), stored || !k ? undefined : k.get<Person>(WHO)])
      if (aid) anonymousId = aid
      if (who && typeof who === 'object') person = fromStore(who)
      // Mirroring needs no waiting: calls and the offer decision only need the ids in memory.
      void save()
    },
    /** Whether this browser had an anonymous id before this page, onsite's or adopted (a returning visitor). */
    known: (): boolean => mine || !!adopted,
    anonymousId: () => anonymousId,
    userId: () => person.userId,
    person: (): Person => person,
    setPerson(p: Person): Promise<void> {
      person = own(p)
      return save()
    },
    /** A new person on this browser: new anonymous id, nothing carried over. */
    reset(): Promise<void> {
      anonymousId = newId()
      person = own(0)
      return save()
    },
    /** Consent withdrawn: every copy of the ids is removed. */
    wipe(): Promise<void> {
      cookies.del(AID_COOKIE)
      saveJSON(ls, LS_AID)
      saveJSON(ls, LS_WHO)
      return kv.then((k) => k?.clear())
    },
  }
}
export type Identity = ReturnType<typeof createIdentity>
