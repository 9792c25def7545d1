import { describe, expect, it } from 'vitest'
import { checkTargeting, type Targeting, type Visit } from '../../../src/offers/targeting.ts'
import { NO_TARGETING } from '../../offer-fixture.ts'

const NOW = Date.UTC(2026, 10, 28, 12)
const VISIT: Visit = { utm: { source: 'Newsletter', campaign: 'bfcm-2026' }, referrer: 'l.instagram.com', landingPath: '/collections/sale', device: 'mobile' }
const CART = { value: 60, items: 2 }
const t = (over: Partial<Targeting>): Targeting => ({ ...NO_TARGETING, ...over })
const check = (over: Partial<Targeting>, visit = VISIT, cart = CART, now = NOW) => checkTargeting(t(over), visit, cart, now)

describe('checkTargeting', () => {
  it('no targeting: everything matches, nothing to explain', () => {
    expect(check({})).toEqual([[], []])
  })

  it('UTM values: globs, case-insensitive, every given key must match; a missing value is ""', () => {
    expect(check({ utm: { source: ['newsletter'], campaign: ['bfcm*'] } })).toEqual([[], ['utm_source:Newsletter', 'utm_campaign:bfcm-2026']])
    expect(check({ utm: { medium: ['email'] } })[0]).toEqual(['targeting: utm_medium "" matches none of [email]'])
    expect(check({ utm: { source: ['google'] } })[0]).toEqual(['targeting: utm_source "Newsletter" matches none of [google]'])
  })

  it('referrer host, landing path and device', () => {
    expect(check({ referrers: ['*instagram.com'], landingPaths: ['/collections/*'], devices: ['mobile', 'tablet'] })).toEqual([[], ['referrer:l.instagram.com', 'landing:/collections/sale', 'device:mobile']])
    expect(check({ referrers: [''] }, { ...VISIT, referrer: '' })[1]).toEqual(['referrer:'])
    expect(check({ devices: ['desktop'] })[0]).toEqual(['targeting: device "mobile" matches none of [desktop]'])
    expect(check({ landingPaths: ['/'] })[0]).toEqual(['targeting: landing "/collections/sale" matches none of [/]'])
  })

  it('cart value and items: min inclusive, max inclusive, 0 = no bound', () => {
    const cart = { minValue: 50, maxValue: 0, minItems: 0, maxItems: 0 }
    expect(check({ cart })).toEqual([[], ['cart_value:60']])
    expect(check({ cart: { ...cart, minValue: 61 } })[0]).toEqual(['targeting: cart value 60 < 61'])
    expect(check({ cart: { ...cart, minValue: 0, maxValue: 59 } })[0]).toEqual(['targeting: cart value 60 > 59'])
    expect(check({ cart: { ...cart, minValue: 0, minItems: 1, maxItems: 2 } })).toEqual([[], ['cart_items:2']])
    expect(check({ cart: { ...cart, minItems: 1 } }, VISIT, { value: 0, items: 0 })[0]).toEqual(['targeting: cart value 0 < 50', 'targeting: cart items 0 < 1'])
  })

  it('schedule: from start (inclusive) to end (exclusive)', () => {
    const start = '2026-11-27T05:00:00Z'
    const end = '2026-12-01T05:00:00Z'
    expect(check({ start, end })[0]).toEqual([])
    expect(check({ start, end }, VISIT, CART, Date.parse(start) - 1)[0]).toEqual([`schedule: starts ${start}`])
    expect(check({ start, end }, VISIT, CART, Date.parse(start))[0]).toEqual([])
    expect(check({ start, end }, VISIT, CART, Date.parse(end))[0]).toEqual([`schedule: ended ${end}`])
  })
})
