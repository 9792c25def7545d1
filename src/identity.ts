// Who the visitor is: a stable anonymous id from the first call, and the userId once known. The
// anonymous id lives in three places (cookie, localStorage, IndexedDB) and is restored from whichever
// survives: Safari caps script-written cookies at 7 days and may wipe storage, rarely all at once.
import type { Cookies } from './cookie.ts'
import type { KV } from './storage.ts'

export const AID_COOKIE = 'onsite_aid'
const AID = 'aid'
const UID = 'uid'

export interface IdentityDeps {
  cookies: Cookies
  kv: KV
  localStorage?: Storage | undefined
  newId: () => string
}

export const createIdentity = ({ cookies, kv, localStorage: ls, newId }: IdentityDeps) => {
  const lsGet = (k: string) => {
    try {
      return ls?.getItem('onsite:' + k) || ''
    } catch {
      return ''
    }
  }
  const lsSet = (k: string, v: string | undefined) => {
    try {
      if (v) ls?.setItem('onsite:' + k, v)
      else ls?.removeItem('onsite:' + k)
    } catch {}
  }
  // The synchronous mirrors answer at once; IndexedDB is only consulted when both were wiped.
  let anonymousId = cookies.get(AID_COOKIE) || lsGet(AID)
  const known = !!anonymousId
  anonymousId ||= newId()
  let userId: string | undefined = lsGet(UID) || undefined

  const save = () => {
    cookies.set(AID_COOKIE, anonymousId)
    lsSet(AID, anonymousId)
    lsSet(UID, userId)
    return Promise.all([kv.set(AID, anonymousId), userId ? kv.set(UID, userId) : kv.del([UID])]).then(() => {})
  }

  /** Settles the ids (IndexedDB may remember what the cookie and localStorage forgot) and mirrors them. */
  const restore = async (): Promise<void> => {
    if (!known) {
      const [aid, uid] = await Promise.all([kv.get<string>(AID), kv.get<string>(UID)])
      if (aid) anonymousId = aid
      if (uid && !userId) userId = uid
    }
    await save()
  }

  return {
    restore,
    anonymousId: () => anonymousId,
    userId: () => userId,
    setUserId(id: string | undefined): Promise<void> {
      userId = id
      return save()
    },
    /** A new person on this browser: new anonymous id, no userId. */
    reset(): Promise<void> {
      anonymousId = newId()
      userId = undefined
      return save()
    },
  }
}
export type Identity = ReturnType<typeof createIdentity>
