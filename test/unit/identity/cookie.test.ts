import { afterEach, describe, expect, it } from 'vitest'
import { cookieDomain, createCookies } from '../../../src/identity/cookie.ts'

const PUBLIC_SUFFIXES = ['uk', 'co.uk', 'com', 'myshopify.com']

/** A document whose cookie jar refuses cookies on public suffixes, as browsers do. Records every write. */
const fakeDocument = (refused = PUBLIC_SUFFIXES) => {
  const jar = new Map<string, string>()
  const writes: string[] = []
  const doc = {
    get cookie(): string {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    },
    set cookie(line: string) {
      writes.push(line)
      const [pair = '', ...attrs] = line.split(/;\s*/)
      const i = pair.indexOf('=')
      const name = pair.slice(0, i)
      const domain = attrs.find((a) => /^domain=/i.test(a))?.slice(7)
      if (domain !== undefined && refused.includes(domain)) return
      if (attrs.some((a) => /^max-age=(0|-)/i.test(a))) jar.delete(name)
      else jar.set(name, pair.slice(i + 1))
    },
  }
  return { doc: doc as unknown as Document, jar, writes }
}

describe('cookieDomain', () => {
  it.each([
    ['www.shop.co.uk', 'shop.co.uk'],
    ['www.shop.com', 'shop.com'],
    ['a.b.shop.com', 'shop.com'],
  ])('%s -> %j', (hostname, expected) => {
    const { doc, jar } = fakeDocument()
    expect(cookieDomain(doc, hostname)).toBe(expected)
    expect(jar.has('onsite_probe')).toBe(false)
  })

  it('never returns a public suffix (shop.myshopify.com)', () => {
    const { doc, jar } = fakeDocument()
    // '' (host-only) today; 'shop.myshopify.com' would be as good
    expect(['', 'shop.myshopify.com']).toContain(cookieDomain(doc, 'shop.myshopify.com'))
    expect(jar.has('onsite_probe')).toBe(false)
  })

  // The loop stops at i > 0, so the hostname itself is never tried: on an apex (shop.com, shop.co.uk) the id
  // cookie is host-only and www.shop.com / blog.shop.com cannot read it, against the comment on top of
  // cookie.ts ("on the registrable domain so www. and shop. share it"). analytics.js's probe includes it.
  it('an apex host with two labels is its own registrable domain (shop.com)', () => {
    expect(cookieDomain(fakeDocument().doc, 'shop.com')).toBe('shop.com')
  })
  it('an apex host under a two-label suffix is its own registrable domain (shop.co.uk)', () => {
    expect(cookieDomain(fakeDocument().doc, 'shop.co.uk')).toBe('shop.co.uk')
  })

  it('tries the shortest candidate first and stops at the first that sticks', () => {
    const { doc, writes } = fakeDocument()
    cookieDomain(doc, 'x.www.shop.co.uk')
    const probes = writes.filter((w) => w.startsWith('onsite_probe=1')).map((w) => /domain=([^;]+)/.exec(w)![1])
    expect(probes).toEqual(['co.uk', 'shop.co.uk'])
  })

  it.each(['localhost', '127.0.0.1', '192.168.0.10', '::1', '[::1]', 'fe80::1'])('%s -> "" without probing', (hostname) => {
    const { doc, writes } = fakeDocument()
    expect(cookieDomain(doc, hostname)).toBe('')
    expect(writes).toEqual([])
  })

  it('a document whose cookie setter throws gives ""', () => {
    const doc = {
      get cookie() {
        return ''
      },
      set cookie(_: string) {
        throw new DOMException('sandboxed', 'SecurityError')
      },
    } as unknown as Document
    expect(cookieDomain(doc, 'www.shop.com')).toBe('')
  })
})

describe('createCookies', () => {
  it('writes on the registrable domain with Secure on https', () => {
    const { doc, writes } = fakeDocument()
    const cookies = createCookies(doc, 'www.shop.co.uk', true)
    cookies.set('onsite_aid', 'abc', 7)
    const line = writes.at(-1)!
    expect(line).toMatch(/^onsite_aid=abc; max-age=604800; path=\/; SameSite=Lax; Secure; domain=shop.co.uk$/)
    expect(cookies.get('onsite_aid')).toBe('abc')
  })

  it('probes the domain once, however many writes', () => {
    const { doc, writes } = fakeDocument()
    const cookies = createCookies(doc, 'www.shop.com', false)
    cookies.set('a', '1')
    cookies.set('b', '2')
    cookies.del('a')
    expect(writes.filter((w) => w.startsWith('onsite_probe=1'))).toHaveLength(1)
    expect(writes.filter((w) => !w.startsWith('onsite_probe')).every((w) => w.endsWith('; domain=shop.com') && !w.includes('Secure'))).toBe(true)
  })

  describe("on happy-dom's document", () => {
    afterEach(() => {
      for (const name of ['onsite_test', 'onsite_other']) document.cookie = `${name}=; max-age=0; path=/`
    })

    it('get/set/del round trip', () => {
      const cookies = createCookies(document, location.hostname, false)
      expect(cookies.get('onsite_test')).toBe('')
      cookies.set('onsite_test', 'v1')
      cookies.set('onsite_other', 'x')
      expect(cookies.get('onsite_test')).toBe('v1')
      cookies.set('onsite_test', 'v2')
      expect(cookies.get('onsite_test')).toBe('v2')
      cookies.del('onsite_test')
      expect(cookies.get('onsite_test')).toBe('')
      expect(cookies.get('onsite_other')).toBe('x')
    })

    it('encodes values so separators survive', () => {
      const cookies = createCookies(document, location.hostname, false)
      const value = 'a=b; c,d é'
      cookies.set('onsite_test', value)
      expect(cookies.get('onsite_test')).toBe(value)
      expect(document.cookie).not.toContain('a=b; c')
    })

    it('does not confuse a cookie whose name ends the same', () => {
      document.cookie = 'xonsite_test=nope; path=/'
      const cookies = createCookies(document, location.hostname, false)
      expect(cookies.get('onsite_test')).toBe('')
      document.cookie = 'xonsite_test=; max-age=0; path=/'
    })
  })
})

describe('createCookies after consent is withdrawn', () => {
  it('sets nothing once open() is false; deleting still works', () => {
    const { doc, writes } = fakeDocument()
    let open = true
    const c = createCookies(doc, 'shop.example.com', true, () => open)
    c.set('onsite_aid', 'x')
    open = false
    c.set('onsite_aid', 'y')
    c.del('onsite_aid')
    expect(writes.filter((w) => /=y;/.test(w))).toEqual([])
    expect(writes.at(-1)).toMatch(/^onsite_aid=; max-age=0/)
  })
})
