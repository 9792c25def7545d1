// Adopting the anonymous id Customer.io's library left (ajs_anonymous_id): on the first page onsite runs,
// only when onsite has none of its own, only an id-shaped value, and nothing before consent.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createKV, type KV } from '../../../src/delivery/storage.ts'
import { ajsId, AJS_AID, foreignAnonymousId } from '../../../src/identity/adopt.ts'
import type { Cookies } from '../../../src/identity/cookie.ts'
import { AID_COOKIE, createIdentity } from '../../../src/identity/identity.ts'
import { bundled, createOnsite } from '../../../src/index.ts'
import { captureErrors, MemStorage, stubPage, unstubPage } from '../fakes.ts'

const UUID = '3f2c9a4e-8b1d-4e7a-9c55-0d6f1e2a7b90'

const browser = () => {
  const jar = new Map<string, string>()
  const cookies: Cookies = { get: (n) => jar.get(n) ?? '', set: (n, v) => void jar.set(n, v), del: (n) => void jar.delete(n) }
  const ls = new MemStorage()
  const kv: KV = createKV('id', {})
  let n = 0
  const page = () => createIdentity({ cookies, kv, localStorage: ls, newId: () => `own-${++n}` })
  return { jar, ls, kv, page }
}

describe('ajsId', () => {
  it.each([
    [UUID, UUID],
    [JSON.stringify(UUID), UUID],
    ['anon_12345678', 'anon_12345678'],
  ])('takes %s', (raw, id) => expect(ajsId(raw)).toBe(id))

  it.each([
    ['', 'empty'],
    ['null', 'JSON null, and too short'],
    ['"undefined"', 'too short: one id for many browsers'],
    ['"abc', 'broken JSON'],
    ['{"id":"3f2c9a4e-8b1d"}', 'an object'],
    ['"' + 'a'.repeat(200) + '"', 'too long'],
    ['3f2c9a4e 8b1d 4e7a', 'a space'],
    ['"><script>alert(1)</script>', 'markup'],
    ['%22' + UUID + '%22', 'still encoded'],
  ])('refuses %s (%s)', (raw) => expect(ajsId(raw)).toBe(''))
})

describe('foreignAnonymousId', () => {
  it('reads localStorage (JSON-quoted, as the library writes it) before the cookie, like the library', () => {
    const b = browser()
    b.jar.set(AJS_AID, 'cookie-id-12345')
    const cookies = { get: (n: string) => b.jar.get(n) ?? '' } as Cookies
    expect(foreignAnonymousId(cookies, b.ls)).toBe('cookie-id-12345')
    b.ls.setItem(AJS_AID, JSON.stringify(UUID))
    expect(foreignAnonymousId(cookies, b.ls)).toBe(UUID)
  })

  it('falls back to the cookie when localStorage holds a hostile value or throws', () => {
    const cookies = { get: () => UUID } as unknown as Cookies
    const ls = new MemStorage()
    ls.setItem(AJS_AID, '"$&<>"')
    expect(foreignAnonymousId(cookies, ls)).toBe(UUID)
    const throwing = { getItem: () => { throw new DOMException('insecure', 'SecurityError') } } as unknown as Storage
    expect(foreignAnonymousId(cookies, throwing)).toBe(UUID)
    expect(foreignAnonymousId({ get: () => '' } as unknown as Cookies, undefined)).toBe('')
  })
})

describe('createIdentity adopts ajs_anonymous_id', () => {
  it('on a first visit with onsite, from the cookie, and makes it its own everywhere', async () => {
    const b = browser()
    b.jar.set(AJS_AID, UUID)
    const id = b.page()
    expect(id.anonymousId()).toBe(UUID)
    expect(id.known()).toBe(true)
    await id.restore()
    expect(b.jar.get(AID_COOKIE)).toBe(UUID)
    expect(b.ls.getItem('onsite:aid')).toBe(UUID)
    expect(await b.kv.get('aid')).toBe(UUID)
    // the other library's copy is left as it was
    expect(b.jar.get(AJS_AID)).toBe(UUID)
  })

  it('from localStorage, JSON-quoted', () => {
    const b = browser()
    b.ls.setItem(AJS_AID, JSON.stringify(UUID))
    expect(b.page().anonymousId()).toBe(UUID)
  })

  it('a hostile value is ignored: a new id of its own', () => {
    const b = browser()
    b.jar.set(AJS_AID, 'x')
    b.ls.setItem(AJS_AID, '"a b c d e f g h"')
    const id = b.page()
    expect(id.anonymousId()).toBe('own-1')
    expect(id.known()).toBe(false)
  })

  it('never overrides an id onsite has: in the cookie, in localStorage, or only in IndexedDB', async () => {
    const b = browser()
    await b.page().restore()
    b.jar.set(AJS_AID, UUID)
    expect(b.page().anonymousId()).toBe('own-1')
    // cookie and localStorage wiped (Safari's 7 days), IndexedDB kept it: restore() brings it back
    b.jar.delete(AID_COOKIE)
    b.ls.removeItem('onsite:aid')
    const again = b.page()
    await again.restore()
    expect(again.anonymousId()).toBe('own-1')
    expect(b.jar.get(AID_COOKIE)).toBe('own-1')
  })

  it('a reset (a different person) starts a new id, never the adopted one again', async () => {
    const b = browser()
    b.jar.set(AJS_AID, UUID)
    const id = b.page()
    await id.reset()
    expect(id.anonymousId()).toBe('own-1')
    expect(b.page().anonymousId()).toBe('own-1')
  })
})

describe('through createOnsite()', () => {
  const bodies: any[] = []
  const fetchOk = vi.fn<typeof fetch>()
  const sent = () => bodies.flatMap((b) => b.batch as Record<string, any>[])
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
  beforeEach(() => {
    bodies.length = 0
    stubPage(fetchOk, (_u, _i, body) => bodies.push(body))
    captureErrors()
  })
  afterEach(() => {
    document.cookie = `${AJS_AID}=; max-age=0; path=/`
    unstubPage()
  })

  it('calls carry the adopted id; nothing is read or written while consent is pending', async () => {
    document.cookie = `${AJS_AID}=${UUID}; path=/`
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_adopt', consent: 'pending' })
    api.page()
    await pause(50)
    expect(api.anonymousId()).toBe('')
    expect(document.cookie).not.toContain(AID_COOKIE)
    expect(Object.keys(localStorage).filter((k) => k.startsWith('onsite'))).toEqual([])
    api.consent('granted')
    await api.flush()
    expect(api.anonymousId()).toBe(UUID)
    expect(sent().map((c) => c.anonymousId)).toEqual([UUID])
    expect(document.cookie).toContain(`${AID_COOKIE}=${UUID}`)
    await api.consent('denied')
  })
})
