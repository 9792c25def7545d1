import { describe, expect, it } from 'vitest'
import { callContext, pageInfo } from '../../../src/capture/context.ts'
import { isSecretParam, REDACTED, redactPath, redactUrl } from '../../../src/capture/redact.ts'

const R = REDACTED

describe('redactUrl', () => {
  it.each([
    ['https://s.example/account/reset/6104/5a1f-abc?syclid=1', `https://s.example/account/reset/${R}?syclid=1`],
    ['/fr/account/activate/6104/tok', `/fr/account/activate/${R}`],
    ['/account/login/multipass/eyJhbGci', `/account/login/multipass/${R}`],
    ['/checkouts/cn/Z2NwLXVz/thank-you', `/checkouts/cn/${R}/thank-you`],
    ['/5678/orders/9a8b7c6d', `/5678/orders/${R}`],
    ['/account/invitation/abc', `/account/invitation/${R}`],
  ])('cuts the secret segments of %s', (url, out) => expect(redactUrl(url)).toBe(out))

  it.each([
    ['?token=abc', `?token=${R}`],
    ['?key=abc&x=1', `?key=${R}&x=1`],
    ['?code=4/0Ab&state=xyz', `?code=${R}&state=${R}`],
    ['?password=hunter2', `?password=${R}`],
    ['?signature=f00&expires=1', `?signature=${R}&expires=1`],
    ['?reset_token=a&api-key=b&X-Amz-Signature=c', `?reset_token=${R}&api-key=${R}&X-Amz-Signature=${R}`],
    ['#access_token=ya29&token_type=Bearer&id_token=eyJx', `#access_token=${R}&token_type=Bearer&id_token=${R}`],
    ['?email=jane%40example.com', `?email=${R}`],
    ['?to=jane@example.com&ref=x', `?to=${R}&ref=x`],
    ['?t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', `?t=${R}`],
  ])('replaces the secret value of %s, keeping its name', (q, out) => expect(redactUrl('https://s.example/p' + q)).toBe('https://s.example/p' + out))

  it('keeps UTM, click ids and everything else byte for byte', () => {
    const url = 'https://s.example/products/tee?utm_source=email&utm_campaign=spring%20sale&gclid=Cj0K&fbclid=IwAR&msclkid=x&ttclid=y&variant=42&q=a+b&flag#reviews'
    expect(redactUrl(url)).toBe(url)
    expect(redactUrl('/collections/orders-and-more')).toBe('/collections/orders-and-more')
    expect(redactUrl('?monkey=1&keyboard=2&passport=3&encode=4')).toBe('?monkey=1&keyboard=2&passport=3&encode=4')
  })

  it('redacts only the secret value among others, without re-encoding them', () => {
    expect(redactUrl('/p?a=%20b&token=x&c=d+e&e')).toBe(`/p?a=%20b&token=${R}&c=d+e&e`)
  })

  it("adds the brand's own names (config.redactParams, lowercase)", () => {
    expect(redactUrl('/p?ref=abc&promo=x', ['promo'])).toBe(`/p?ref=abc&promo=${R}`)
    expect(isSecretParam('Promo', 'x', ['promo'])).toBe(true)
    expect(isSecretParam('promo', 'x', [])).toBe(false)
  })

  it('leaves an empty value and a URL without secrets alone', () => {
    expect(redactUrl('')).toBe('')
    expect(redactUrl('/p?token=')).toBe('/p?token=')
    expect(redactPath('/products/tee')).toBe('/products/tee')
  })
})

describe('the page context is redacted before any call is built', () => {
  const w = {
    location: { href: 'https://s.example/account/reset/1/tok?key=k&utm_source=mail', pathname: '/account/reset/1/tok', search: '?key=k&utm_source=mail' },
    document: { referrer: 'https://idp.example/cb#access_token=zzz', title: 'Reset' },
    navigator: { userAgent: 'UA', language: 'en' },
  } as unknown as Window

  it('url, path, search and referrer', () => {
    const page = pageInfo(w)
    expect(page).toEqual({
      url: `https://s.example/account/reset/${R}?key=${R}&utm_source=mail`,
      path: `/account/reset/${R}`,
      search: `?key=${R}&utm_source=mail`,
      referrer: `https://idp.example/cb#access_token=${R}`,
      title: 'Reset',
    })
    expect(JSON.stringify(callContext(w, ['utm_source']))).not.toMatch(/1\/tok|zzz|key=k|=mail/)
  })
})
