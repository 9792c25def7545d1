// @vitest-environment node
// Visitor tokens: the format a brand's server, the CLI or Shopify Liquid mints, and what is refused.
import { createHmac } from 'node:crypto'
import { Liquid } from 'liquidjs'
import { describe, expect, it } from 'vitest'
import { hmacHex, hmacVerify, safeEqual, webHmacHex, webHmacVerify } from '../../../src/audiences-server/hmac.ts'
import { MAX_ID, signVisitor, verifyVisitor } from '../../../src/audiences-server/token.ts'

const SECRET = 'token-secret-0123456789'
const NOW = Date.parse('2026-06-01T00:00:00Z')

describe('visitor tokens', () => {
  it('are <id>.<expiry>.<hex HMAC-SHA256(secret, "<id>.<expiry>")>', async () => {
    const t = await signVisitor('cust-1', SECRET, 3600, NOW)
    const exp = NOW / 1000 + 3600
    expect(t).toBe(`cust-1.${exp}.${createHmac('sha256', SECRET).update(`cust-1.${exp}`).digest('hex')}`)
    expect(await verifyVisitor(t, SECRET, NOW)).toEqual({ ok: true, id: 'cust-1', exp })
  })

  it('hmacHex prints what Shopify Liquid hmac_sha256 prints (its documented example)', async () => {
    expect(await hmacHex('Polina', 'Polyjuice')).toBe('8e0d5d65cff1242a4af66c8f4a32854fd5fb80edcc8aabe9b302b29c7c71dc20')
  })

  it('Web Crypto (edge runtimes) and node:crypto agree, and both refuse a wrong MAC', async () => {
    const mac = await webHmacHex('Polina', 'Polyjuice')
    expect(mac).toBe(await hmacHex('Polina', 'Polyjuice'))
    for (const verify of [hmacVerify, webHmacVerify]) {
      expect(await verify('Polina', 'Polyjuice', mac)).toBe(true)
      expect(await verify('Polina', 'Polyjuice', mac.toUpperCase())).toBe(true)
      expect(await verify('Polina', 'Polyjuicf', mac)).toBe(false)
      expect(await verify('Polina', 'Polyjuice', mac.slice(0, 62) + (mac.endsWith('0') ? '1' : '0') + mac.slice(63))).toBe(false)
      expect(await verify('Polina', 'Polyjuice', mac.slice(2))).toBe(false)
      expect(await verify('Polina', 'Polyjuice', 'zz' + mac.slice(2))).toBe(false)
    }
  })

  it('carries ids with dots (read from the right)', async () => {
    const t = await signVisitor('jane.doe@example.com', SECRET, 60, NOW)
    expect(await verifyVisitor(t, SECRET, NOW)).toMatchObject({ ok: true, id: 'jane.doe@example.com' })
  })

  it('refuses forged, altered, expired and malformed tokens', async () => {
    const t = await signVisitor('cust-1', SECRET, 60, NOW)
    const [id, exp, mac] = t.split('.')
    const no = async (token: unknown, now = NOW) => {
      const v = await verifyVisitor(token, SECRET, now)
      expect(v.ok).toBe(false)
      return v.ok ? '' : v.error
    }
    expect(await no(await signVisitor('cust-1', 'some-other-secret-0123', 60, NOW))).toBe('token signature does not match')
    expect(await no(`cust-2.${exp}.${mac}`)).toBe('token signature does not match')
    expect(await no(`${id}.${Number(exp) + 1}.${mac}`)).toBe('token signature does not match')
    expect(await no(t, NOW + 60_000)).toBe('token expired')
    expect((await verifyVisitor(`${id}.${exp}.${mac!.toUpperCase()}`, SECRET, NOW)).ok).toBe(true) // hex in either case
    for (const bad of ['', 'cust-1', `cust-1.${mac}`, `.${exp}.${mac}`, `cust-1.12x.${mac}`, `cust-1.${exp}.${mac!.slice(1)}`, `cust-1.${exp}.${mac}0`, 42, null, 'x'.repeat(MAX_ID + 1) + `.${exp}.${mac}`, `a\nb.${exp}.${mac}`])
      expect(await no(bad)).toBe('token is not <id>.<expiry>.<hex signature>')
  })

  it('signVisitor refuses an empty id, a bad ttl or an empty secret', async () => {
    await expect(signVisitor('', SECRET, 60)).rejects.toThrow(/id/)
    await expect(signVisitor('x', SECRET, 0)).rejects.toThrow(/ttlSeconds/)
    await expect(signVisitor('x', SECRET, 1.5)).rejects.toThrow(/ttlSeconds/)
    await expect(signVisitor('x', '', 60)).rejects.toThrow(/secret/)
  })

  it('the README\'s Liquid recipe mints a token verifyVisitor accepts', async () => {
    const liquid = new Liquid()
    // Shopify's hmac_sha256 filter (liquidjs does not ship it): hex HMAC-SHA256, the key as the argument
    liquid.registerFilter('hmac_sha256', (msg: string, key: string) => createHmac('sha256', key).update(String(msg)).digest('hex'))
    // the recipe exactly as the README gives it
    const recipe = `{%- if customer -%}
  {%- assign onsite_exp = 'now' | date: '%s' | plus: 86400 -%}
  {%- capture onsite_payload %}{{ customer.id }}.{{ onsite_exp }}{% endcapture -%}
  {%- assign onsite_sig = onsite_payload | hmac_sha256: settings.onsite_token_secret -%}
  {%- assign onsite_token = onsite_payload | append: '.' | append: onsite_sig -%}
{%- endif -%}
{{ onsite_token }}`
    const token = (await liquid.parseAndRender(recipe, { customer: { id: 7351842 }, settings: { onsite_token_secret: SECRET } })).trim()
    expect(await verifyVisitor(token, SECRET)).toMatchObject({ ok: true, id: '7351842' })
  })

  it('safeEqual compares strings', async () => {
    expect(await safeEqual('abc', 'abc')).toBe(true)
    expect(await safeEqual('abc', 'abd')).toBe(false)
    expect(await safeEqual('abc', 'abcd')).toBe(false)
  })
})
