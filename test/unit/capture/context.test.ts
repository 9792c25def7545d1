import { describe, expect, it } from 'vitest'
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

  it('callContext carries page, userAgent, locale and the library', () => {
    expect(callContext(fakeWindow)).toEqual({
      page: pageInfo(fakeWindow),
      userAgent: 'UA/1.0',
      locale: 'fr-FR',
      library: { name: 'onsite', version: LIBRARY.version },
    })
  })

  it("works on happy-dom's window", () => {
    const ctx = callContext(window)
    expect(ctx.page).toMatchObject({ url: location.href, path: location.pathname })
    expect(ctx.library).toBe(LIBRARY)
  })
})
