// context.campaign from the landing URL and context.userAgentData from the browser's client hints.
import { describe, expect, it } from 'vitest'
import { campaignOf } from '../../../src/capture/campaign.ts'
import { callContext, userAgentData } from '../../../src/capture/context.ts'
import { REDACTED } from '../../../src/capture/redact.ts'

describe('campaignOf', () => {
  it('maps utm_* as analytics.js does: campaign is name, the others keep their word', () => {
    expect(campaignOf('?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=tee&utm_content=hero&variant=2')).toEqual({
      source: 'newsletter',
      medium: 'email',
      name: 'spring',
      term: 'tee',
      content: 'hero',
    })
    // any utm_ word, as analytics.js passes them all (GA4's utm_id, utm_source_platform)
    expect(campaignOf('?utm_id=42&utm_source_platform=meta')).toEqual({ id: '42', source_platform: 'meta' })
  })

  it('decodes values (+ is a space, %xx), keeps their case, and reads a malformed escape as it is', () => {
    expect(campaignOf('?utm_campaign=Spring%20Sale+2025&utm_source=Insta%C2%B7gram&utm_term=100%')).toEqual({ name: 'Spring Sale 2025', source: 'Insta·gram', term: '100%' })
  })

  it('names are lowercase utm_, as analytics.js and Google Analytics read them', () => {
    expect(campaignOf('?UTM_SOURCE=x&Utm_Medium=y')).toBeUndefined()
    expect(campaignOf('?utm_=x&utm__proto__=y&xutm_source=z')).toBeUndefined()
  })

  it('the last of a repeated name wins; an empty value says nothing', () => {
    expect(campaignOf('?utm_source=a&utm_source=b')).toEqual({ source: 'b' })
    expect(campaignOf('?utm_source=a&utm_source=')).toEqual({ source: 'a' })
    expect(campaignOf('?utm_source=&utm_medium=%20')).toBeUndefined()
    expect(campaignOf('')).toBeUndefined()
    expect(campaignOf('?')).toBeUndefined()
  })

  it('a second ? separates too, as in analytics.js', () => {
    expect(campaignOf('?utm_source=a?utm_medium=b')).toEqual({ source: 'a', medium: 'b' })
  })

  it('adds the ad click ids, lowercased names, even without utm_', () => {
    expect(campaignOf('?gclid=Cj0KCQ&fbclid=IwAR1&msclkid=abc&ttclid=t1&ScCid=s1&q=tee')).toEqual({ gclid: 'Cj0KCQ', fbclid: 'IwAR1', msclkid: 'abc', ttclid: 't1', sccid: 's1' })
  })

  it('an email or phone in a value never leaves, raw or encoded', () => {
    const c = campaignOf('?utm_source=jane@example.com&utm_medium=jane%40example.com&utm_content=hi%20jane%2540example.com&utm_term=%2B14155550123&utm_campaign=spring')
    expect(c).toEqual({ source: REDACTED, medium: REDACTED, content: REDACTED, term: REDACTED, name: 'spring' })
    expect(JSON.stringify(c)).not.toMatch(/jane|4155550123/)
  })

  it('secrets as in the URL: a JWT value, and the brand\'s own parameter names', () => {
    expect(campaignOf('?utm_content=eyJhbGciOi.eyJzdWIiOi.sig&utm_source=a&utm_medium=b', ['utm_medium'])).toEqual({ content: REDACTED, source: 'a', medium: REDACTED })
  })

  it('caps value length and the number of keys', () => {
    const long = campaignOf('?utm_source=' + 'x'.repeat(5000))!
    expect(long.source).toHaveLength(200)
    const many = campaignOf('?' + Array.from({ length: 50 }, (_, i) => `utm_k${i}=v`).join('&'))!
    expect(Object.keys(many)).toHaveLength(20)
  })

  it('a name that is an Object.prototype key is a parameter like any other', () => {
    const c = campaignOf('?utm_constructor=a&utm_tostring=b')!
    expect(JSON.parse(JSON.stringify(c))).toEqual({ constructor: 'a', tostring: 'b' })
  })

  it('stays linear on a hostile 100 KB query', () => {
    const t = performance.now()
    campaignOf('?' + 'utm_source=a@b.co&'.repeat(6000))
    expect(performance.now() - t).toBeLessThan(500)
  })
})

describe('userAgentData', () => {
  const nav = (userAgentData: unknown) => ({ userAgentData }) as unknown as Navigator

  it('sends the low-entropy hints only: brands, mobile, platform', () => {
    const d = { brands: [{ brand: 'Chromium', version: '131' }], mobile: false, platform: 'macOS', getHighEntropyValues: () => Promise.resolve({}), architecture: 'arm' }
    expect(userAgentData(nav(d))).toEqual({ brands: [{ brand: 'Chromium', version: '131' }], mobile: false, platform: 'macOS' })
  })

  it('none when the browser has none (Safari, Firefox) or it is not the shape of one', () => {
    expect(userAgentData(nav(undefined))).toBeUndefined()
    expect(userAgentData(nav({ mobile: true }))).toBeUndefined()
    expect(userAgentData({} as Navigator)).toBeUndefined()
  })

  it('never throws: a throwing getter, a brand whose toString throws', () => {
    const hostile = Object.defineProperty({}, 'userAgentData', {
      get() {
        throw new Error('no')
      },
    }) as Navigator
    expect(userAgentData(hostile)).toBeUndefined()
    const bad = { brands: [{ brand: { toString: () => { throw new Error('x') } }, version: '1' }], mobile: false, platform: 'x' }
    expect(userAgentData(nav(bad))).toBeUndefined()
    expect(() => callContext({ location: { href: 'https://s.example/', pathname: '/', search: '' }, document: { referrer: '', title: '' }, navigator: hostile } as unknown as Window)).not.toThrow()
  })

  it('caps what a page could have put there', () => {
    const d = { brands: Array.from({ length: 50 }, () => ({ brand: 'b'.repeat(1000), version: 1 })), mobile: 'yes', platform: 7 }
    const out = userAgentData(nav(d)) as { brands: { brand: string; version: string }[]; mobile: boolean; platform: string }
    expect(out.brands).toHaveLength(10)
    expect(out.brands[0]).toEqual({ brand: 'b'.repeat(100), version: '1' })
    expect(out.mobile).toBe(false)
    expect(out.platform).toBe('7')
  })

  it('is on the call context when the browser has it', () => {
    const w = { location: { href: 'https://s.example/', pathname: '/', search: '' }, document: { referrer: '', title: '' }, navigator: { userAgent: 'UA', language: 'en', userAgentData: { brands: [], mobile: true, platform: 'Android' } } } as unknown as Window
    expect(callContext(w).userAgentData).toEqual({ brands: [], mobile: true, platform: 'Android' })
  })
})
