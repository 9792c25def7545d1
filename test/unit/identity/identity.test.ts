import { describe, expect, it } from 'vitest'
import type { Cookies } from '../../../src/identity/cookie.ts'
import { AID_COOKIE, createIdentity } from '../../../src/identity/identity.ts'
import { createKV, type KV } from '../../../src/delivery/storage.ts'
import { MemStorage } from '../fakes.ts'

/** One browser: a cookie jar, localStorage and a KV that outlive page loads. */
const browser = () => {
  const jar = new Map<string, string>()
  const cookies: Cookies = {
    get: (name) => jar.get(name) ?? '',
    set: (name, value) => void jar.set(name, value),
    del: (name) => void jar.delete(name),
  }
  const ls = new MemStorage()
  const kv: KV = createKV('id', {})
  let n = 0
  const ids: string[] = []
  const newId = () => {
    const id = `id-${++n}`
    ids.push(id)
    return id
  }
  /** A page load. */
  const page = () => createIdentity({ cookies, kv, localStorage: ls, newId })
  return { jar, ls, kv, ids, page }
}

const mirrors = async (b: ReturnType<typeof browser>) => ({
  cookie: b.jar.get(AID_COOKIE),
  localStorage: b.ls.getItem('onsite:aid'),
  kv: await b.kv.get<string>('aid'),
})

describe('anonymous id', () => {
  it('a new visitor gets a fresh id, mirrored to all three stores by restore()', async () => {
    const b = browser()
    const id = b.page()
    expect(id.anonymousId()).toBe('id-1')
    expect(id.userId()).toBeUndefined()
    await id.restore()
    expect(id.anonymousId()).toBe('id-1')
    expect(await mirrors(b)).toEqual({ cookie: 'id-1', localStorage: 'id-1', kv: 'id-1' })
  })

  it('the next page load keeps it', async () => {
    const b = browser()
    await b.page().restore()
    const again = b.page()
    expect(again.anonymousId()).toBe('id-1')
    expect(b.ids).toEqual(['id-1'])
  })

  it.each([
    ['the cookie alone', (b: ReturnType<typeof browser>) => (b.ls.clear(), b.kv.clear())],
    ['localStorage alone', (b: ReturnType<typeof browser>) => (b.jar.clear(), b.kv.clear())],
  ])('is restored from %s, at once, and mirrored back everywhere', async (_label, wipe) => {
    const b = browser()
    await b.page().restore()
    await wipe(b)
    const id = b.page()
    expect(id.anonymousId()).toBe('id-1')
    await id.restore()
    expect(id.anonymousId()).toBe('id-1')
    expect(b.ids).toEqual(['id-1'])
    expect(await mirrors(b)).toEqual({ cookie: 'id-1', localStorage: 'id-1', kv: 'id-1' })
  })

  it('is restored from the KV alone (cookie and localStorage wiped) after restore()', async () => {
    const b = browser()
    await b.page().restore()
    b.jar.clear()
    b.ls.clear()
    const id = b.page()
    // the synchronous answer is a placeholder until the KV has been read
    expect(id.anonymousId()).toBe('id-2')
    await id.restore()
    expect(id.anonymousId()).toBe('id-1')
    expect(await mirrors(b)).toEqual({ cookie: 'id-1', localStorage: 'id-1', kv: 'id-1' })
  })

  it('works without localStorage', async () => {
    const jar = new Map<string, string>()
    const cookies: Cookies = { get: (n) => jar.get(n) ?? '', set: (n, v) => void jar.set(n, v), del: (n) => void jar.delete(n) }
    const id = createIdentity({ cookies, kv: createKV('id', {}), newId: () => 'x' })
    await id.restore()
    expect(jar.get(AID_COOKIE)).toBe('x')
  })

  it('a localStorage that throws is tolerated', async () => {
    const ls = new Proxy(new MemStorage(), {
      get() {
        throw new DOMException('denied', 'SecurityError')
      },
    })
    const jar = new Map<string, string>([[AID_COOKIE, 'from-cookie']])
    const cookies: Cookies = { get: (n) => jar.get(n) ?? '', set: (n, v) => void jar.set(n, v), del: (n) => void jar.delete(n) }
    const id = createIdentity({ cookies, kv: createKV('id', {}), localStorage: ls, newId: () => 'new' })
    expect(id.anonymousId()).toBe('from-cookie')
    await expect(id.setPerson({ userId: 'u1' })).resolves.toBeUndefined()
    expect(id.userId()).toBe('u1')
  })
})

describe('userId', () => {
  it('setPerson persists across page loads (via localStorage)', async () => {
    const b = browser()
    const first = b.page()
    await first.restore()
    await first.setPerson({ userId: 'cust-42' })
    expect(JSON.parse(b.ls.getItem('onsite:who')!)).toEqual({ userId: 'cust-42' })
    expect(await b.kv.get('who')).toEqual({ userId: 'cust-42' })
    const next = b.page()
    expect(next.userId()).toBe('cust-42')
    await next.restore()
    expect(next.userId()).toBe('cust-42')
  })

  it('setPerson persists via the KV when cookie and localStorage were wiped', async () => {
    const b = browser()
    const first = b.page()
    await first.restore()
    await first.setPerson({ userId: 'cust-42' })
    b.jar.clear()
    b.ls.clear()
    const next = b.page()
    expect(next.userId()).toBeUndefined()
    await next.restore()
    expect(next.userId()).toBe('cust-42')
    expect(next.anonymousId()).toBe('id-1')
  })

  it('keeps the userId when the cookie survives but localStorage was cleared', async () => {
    const b = browser()
    const first = b.page()
    await first.restore()
    await first.setPerson({ userId: 'cust-42' })
    b.ls.clear()
    const next = b.page()
    await next.restore()
    expect(next.userId()).toBe('cust-42')
  })

  it('wipe() removes the cookie, the localStorage mirrors and the KV', async () => {
    const b = browser()
    const id = b.page()
    await id.restore()
    await id.setPerson({ userId: 'u' })
    await id.wipe()
    expect(b.jar.size).toBe(0)
    expect(b.ls.length).toBe(0)
    expect(await b.kv.entries()).toEqual([])
  })
})

describe('reset', () => {
  it('gives a new anonymous id and clears the userId, in every store', async () => {
    const b = browser()
    const id = b.page()
    await id.restore()
    await id.setPerson({ userId: 'u1' })
    await id.reset()
    expect(id.anonymousId()).toBe('id-2')
    expect(id.userId()).toBeUndefined()
    expect(await mirrors(b)).toEqual({ cookie: 'id-2', localStorage: 'id-2', kv: 'id-2' })
    expect(b.ls.getItem('onsite:who')).toBe('{}')
    expect(await b.kv.get('who')).toEqual({})
    const next = b.page()
    await next.restore()
    expect([next.anonymousId(), next.userId()]).toEqual(['id-2', undefined])
  })
})

describe('at rest: no email or phone in clear', () => {
  it('a person stored in clear by an earlier version is kept as fingerprints, and rewritten so', async () => {
    const { remembered } = await import('../../../src/util/hash.ts')
    const b = browser()
    b.ls.setItem('onsite:aid', 'aid-old')
    b.ls.setItem('onsite:who', JSON.stringify({ userId: 'u1', traits: { email: 'jane@x.io', phone: '+14155550123' }, sentWith: 'aid-old' }))
    const id = b.page()
    expect(id.person().traits).toEqual({ email: remembered('jane@x.io'), phone: remembered('+14155550123') })
    await id.restore()
    expect(b.ls.getItem('onsite:who')).not.toMatch(/jane|4155550123/)
    expect(JSON.stringify(await b.kv.get('who'))).not.toMatch(/jane|4155550123/)
  })
})
