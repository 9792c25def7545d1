import { describe, expect, it, vi } from 'vitest'
import { callContext, pageInfo } from '../../../src/capture/context.ts'
import { LIBRARY } from '../../../src/version.ts'

const fakeWindow = {
  location: { href: 'https://shop.example/products/tee?utm_source=mail#top', pathname: '/products/tee', search: '?utm_source=mail' },
  document: { referrer: 'https://mail.example/', title: 'Tee – Shop' },
  navigator: { userAgent: 'UA/1.0', language: 'fr-FR' },
} as unknown as Window

describe('context', () => {
  it('pageInfo reads the page as it is now', () => {
    expect(pageInfo(fakeWindow)).toEqual({
      url: 'https://shop.example/products/tee?utm_source=mail#top',
      path: '/products/tee',
      referrer: 'https://mail.example/',
      title: 'Tee – Shop',
      search: '?utm_source=mail',
    })
  })

  it('callContext carries page, userAgent, locale, the library and the campaign (no time zone: ICU costs ~17 ms on a first call)', () => {
    expect(callContext(fakeWindow)).toEqual({
      page: pageInfo(fakeWindow),
      userAgent: 'UA/1.0',
      locale: 'fr-FR',
      library: { name: 'onsite', version: LIBRARY.version },
      campaign: { source: 'mail' },
    })
  })

  it('has no campaign when the URL names none, and never touches Intl.DateTimeFormat', () => {
    const w = { ...fakeWindow, location: { href: 'https://shop.example/?q=tee', pathname: '/', search: '?q=tee' } } as unknown as Window
    const spy = vi.spyOn(Intl, 'DateTimeFormat')
    try {
      const ctx = callContext(w)
      expect(Object.keys(ctx).sort()).toEqual(['library', 'locale', 'page', 'userAgent'])
      expect(spy).not.toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
  })

  it('reports the canonical page, as analytics.js does, with the query the shopper landed with', () => {
    document.head.innerHTML = '<link rel="canonical" href="https://shop.example/products/tee">'
    try {
      history.replaceState(null, '', '/collections/summer/products/tee?utm_source=ig&variant=2')
      const search = '?utm_source=ig&variant=2'
      expect(pageInfo(window)).toMatchObject({ path: '/products/tee', url: 'https://shop.example/products/tee' + search, search })
      // a canonical with its own query (page 2 of a collection) is the URL as it is
      document.head.innerHTML = '<link rel="canonical" href="/collections/summer?page=2">'
      expect(pageInfo(window)).toMatchObject({ path: '/collections/summer', url: location.origin + '/collections/summer?page=2' })
      // and it is redacted like the page's own URL
      document.head.innerHTML = '<link rel="canonical" href="https://shop.example/account/reset/61046/5a1f9cq">'
      expect(pageInfo(window)).toMatchObject({ path: '/account/reset/[redacted]', url: 'https://shop.example/account/reset/[redacted]' + search })
    } finally {
      document.head.innerHTML = ''
      history.replaceState(null, '', '/')
    }
  })

  it("works on happy-dom's window", () => {
    const ctx = callContext(window)
    expect(ctx.page).toMatchObject({ url: location.href, path: location.pathname })
    expect(ctx.library).toBe(LIBRARY)
  })
})
