import { describe, expect, it } from 'vitest'
import { batchBody, eventProperties, parseCall } from '../../../src/capture/schema.ts'
import { validateEvent } from '../../../src/capture/validate.ts'

const base = { messageId: 'onsite-1', anonymousId: 'a-1', timestamp: '2024-06-11T10:00:00.000Z', context: { library: { name: 'onsite' } } }

describe('parseCall', () => {
  // [label, call, a fragment of the error or '' when the call is fine]
  const CASES: [string, unknown, string][] = [
    ['a track call', { ...base, type: 'track', event: 'Product Viewed', properties: { product_id: 'p1', price: 49, currency: 'USD' } }, ''],
    ['a custom track call without properties', { ...base, type: 'track', event: 'Signed Up' }, ''],
    ['a track call with only a userId', { ...base, anonymousId: undefined, userId: 'u-1', type: 'track', event: 'X', properties: {} }, ''],
    ['a page call', { ...base, type: 'page', name: 'Home', properties: { url: 'https://shop.test/' } }, ''],
    ['an identify call', { ...base, userId: 'u-1', type: 'identify', traits: { email: 'a@b.test' } }, ''],
    ['an alias call', { ...base, type: 'alias', previousId: 'a-1', userId: 'u-1' }, ''],
    ['a track call with sentAt', { ...base, sentAt: '2024-06-11T10:00:01.000Z', type: 'track', event: 'X' }, ''],
    ['a track call with neither id', { ...base, anonymousId: undefined, type: 'track', event: 'X' }, 'anonymousId or userId is required'],
    ['a page call with neither id', { ...base, anonymousId: undefined, type: 'page' }, 'anonymousId or userId is required'],
    ['an identify call with neither id', { ...base, anonymousId: undefined, type: 'identify', traits: {} }, 'anonymousId or userId is required'],
    ['an empty anonymousId', { ...base, anonymousId: '', type: 'track', event: 'X' }, 'anonymousId'],
    // analytics.js-style libraries (Customer.io's own) send userId: null for an anonymous visitor
    ['a track call with userId null', { ...base, userId: null, type: 'track', event: 'X' }, ''],
    ['a track call with both ids null', { ...base, anonymousId: null, userId: null, type: 'track', event: 'X' }, 'anonymousId or userId is required'],
    ['a string price', { ...base, type: 'track', event: 'Product Viewed', properties: { product_id: 'p1', price: '49.00', currency: 'USD' } }, 'properties.price'],
    ['money without currency', { ...base, type: 'track', event: 'Product Viewed', properties: { product_id: 'p1', price: 49 } }, 'properties.currency'],
    ['a missing order_id', { ...base, type: 'track', event: 'Order Completed', properties: { total: 1, currency: 'USD' } }, 'properties.order_id'],
    ['an empty event name', { ...base, type: 'track', event: '' }, 'event'],
    ['a missing messageId', { ...base, messageId: undefined, type: 'track', event: 'X' }, 'messageId'],
    ['a timestamp that is not a date', { ...base, timestamp: 'yesterday', type: 'track', event: 'X' }, 'timestamp: must be an ISO 8601 date'],
    ['an alias without previousId', { ...base, type: 'alias', userId: 'u-1' }, 'previousId'],
    ['traits that are not an object', { ...base, type: 'identify', traits: 'x' }, 'traits'],
    ['an unknown type', { ...base, type: 'purchase' }, 'unknown call type "purchase"'],
    ['no type', { ...base }, 'unknown call type undefined'],
    ['null', null, 'unknown call type'],
  ]

  it.each(CASES)('%s', (_label, call, fragment) => {
    const r = parseCall(call)
    if (!fragment) {
      expect(r).toMatchObject({ ok: true })
      return
    }
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toContain(fragment)
  })

  it('fills in empty properties on a track call', () => {
    const r = parseCall({ ...base, type: 'track', event: 'X' })
    expect(r.ok && r.call.properties).toEqual({})
  })

  it('keeps unknown properties of a semantic event', () => {
    const r = parseCall({ ...base, type: 'track', event: 'Product Viewed', properties: { product_id: 'p1', color: 'red' } })
    expect(r.ok && r.call.properties).toEqual({ product_id: 'p1', color: 'red' })
  })
})

describe('batchBody', () => {
  it.each([
    [{ batch: [{}], writeKey: 'wk', sentAt: '2024-06-11T10:00:00.000Z' }, true],
    [{ batch: [{}] }, true],
    [{ batch: [] }, false],
    [{ batch: [{}], sentAt: 'now' }, false],
    [{ writeKey: 'wk' }, false],
  ])('%j -> %s', (body, ok) => {
    expect(batchBody.safeParse(body).success).toBe(ok)
  })
})

describe('eventProperties on products nested in products', () => {
  // taxonomy.ts: `p` is "an array of objects whose properties follow this same table", and validate.ts
  // checks nested products that way. schema.ts builds the product item without `products`, yet its
  // hasMoney() walks nested `products` assuming an array: a non-array value makes safeParse throw.
  it('does not throw on a product whose own products is not an array', () => {
    const props = { products: [{ product_id: 'a', products: 'x' }] }
    expect(() => eventProperties('Cart Viewed').safeParse(props)).not.toThrow()
  })

  it('agrees with validateEvent on a bad price two levels down', () => {
    const props = { currency: 'USD', products: [{ product_id: 'a', products: [{ price: '5' }] }] }
    expect(validateEvent('Cart Viewed', props)).not.toBe('')
    expect(eventProperties('Cart Viewed').safeParse(props).success).toBe(false)
  })
})
