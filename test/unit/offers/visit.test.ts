import { describe, expect, it } from 'vitest'
import { createHistory } from '../../../src/offers/history.ts'
import { deviceOf, landingOf, visitOf } from '../../../src/offers/visit.ts'
import { MemStorage } from '../fakes.ts'

const page = (url: string, referrer = '', device: Partial<{ coarse: boolean; short: number; mobile: boolean }> = {}) => {
  const u = new URL(url)
  return {
    location: { search: u.search, hostname: u.hostname, pathname: u.pathname },
    document: { referrer },
    matchMedia: (q: string) => ({ matches: q === '(pointer: coarse)' && !!device.coarse }),
    screen: { width: device.short ?? 1440, height: 900 },
    navigator: device.mobile === undefined ? {} : { userAgentData: { mobile: device.mobile } },
  } as unknown as Window
}

describe('the visit an offer can target', () => {
  it('landing: the UTM values (cut to 100 characters), the referrer host (not the store itself), the path; no other parameter', () => {
    const w = page(`https://shop.example/collections/sale?utm_source=Newsletter&utm_campaign=${'x'.repeat(150)}&token=secret&utm_medium=`, 'https://L.Instagram.com/path?q=1')
    expect(landingOf(w)).toEqual({ utm: { source: 'Newsletter', campaign: 'x'.repeat(100) }, referrer: 'l.instagram.com', landingPath: '/collections/sale' })
    expect(landingOf(page('https://shop.example/', 'https://shop.example/products/a')).referrer).toBe('')
    expect(landingOf(page('https://shop.example/', 'not a url')).referrer).toBe('')
  })

  it('is the first page of the session for every later page of it; a new session has a new landing', () => {
    const history = createHistory(new MemStorage())
    const first = visitOf(page('https://shop.example/?utm_source=ads', 'https://google.com/'), history, 's1')
    const later = visitOf(page('https://shop.example/products/a'), history, 's1')
    expect(later).toEqual(first)
    expect(first).toMatchObject({ utm: { source: 'ads' }, referrer: 'google.com', landingPath: '/' })
    expect(visitOf(page('https://shop.example/cart'), history, 's2')).toMatchObject({ utm: {}, landingPath: '/cart' })
  })

  it('device: coarse pointer with a short side under 600 px is a phone, 600+ a tablet, a fine pointer a desktop; userAgentData.mobile wins', () => {
    expect(deviceOf(page('https://s.example/', '', { coarse: true, short: 390 }))).toBe('mobile')
    expect(deviceOf(page('https://s.example/', '', { coarse: true, short: 820 }))).toBe('tablet')
    expect(deviceOf(page('https://s.example/', '', { coarse: false }))).toBe('desktop')
    expect(deviceOf(page('https://s.example/', '', { coarse: false, mobile: true }))).toBe('mobile')
    expect(deviceOf({ get matchMedia() { throw new Error('hostile') } } as unknown as Window)).toBe('desktop')
  })
})
