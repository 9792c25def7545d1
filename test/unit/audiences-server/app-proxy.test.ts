// @vitest-environment node
// Shopify App Proxy signatures, checked against the two examples in Shopify's "Authenticate app proxies".
import { describe, expect, it } from 'vitest'
import { proxyMessage, verifyAppProxy } from '../../../src/audiences-server/app-proxy.ts'

const DOC = 'extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555'
const SIGNED = `${DOC}&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb`
const ANONYMOUS = `${DOC.replace('logged_in_customer_id=1', 'logged_in_customer_id=')}&signature=e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb`
const AT = 1317327555 * 1000

describe('verifyAppProxy', () => {
  it('builds the message from sorted key=value pairs, repeated keys joined by commas', () => {
    expect(proxyMessage(new URLSearchParams(SIGNED))).toBe('extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviewsshop=shop-name.myshopify.comtimestamp=1317327555')
  })

  it("accepts Shopify's documented requests, logged in and not", async () => {
    expect(await verifyAppProxy(new URLSearchParams(SIGNED), 'hush', 300, AT)).toEqual({ ok: true, customerId: '1', shop: 'shop-name.myshopify.com' })
    expect(await verifyAppProxy(new URLSearchParams(ANONYMOUS), 'hush', 300, AT + 299_000)).toEqual({ ok: true, customerId: '', shop: 'shop-name.myshopify.com' })
  })

  it('refuses another secret, any altered parameter, a second signature and a stale timestamp', async () => {
    const no = async (q: string, secret = 'hush', now = AT) => {
      const r = await verifyAppProxy(new URLSearchParams(q), secret, 300, now)
      return r.ok ? 'ok' : r.error
    }
    expect(await no(SIGNED, 'hush2')).toBe('App Proxy signature does not match')
    expect(await no(SIGNED.replace('logged_in_customer_id=1', 'logged_in_customer_id=2'))).toBe('App Proxy signature does not match')
    expect(await no(SIGNED.replace('extra=2', 'extra=3'))).toBe('App Proxy signature does not match')
    expect(await no(SIGNED + '&added=1')).toBe('App Proxy signature does not match')
    expect(await no(SIGNED + '&signature=' + '0'.repeat(64))).toBe('App Proxy signature missing')
    expect(await no(DOC)).toBe('App Proxy signature missing')
    expect(await no(SIGNED, 'hush', AT + 301_000)).toBe('App Proxy request is stale')
    expect(await no(SIGNED, 'hush', AT - 301_000)).toBe('App Proxy request is stale')
  })
})
