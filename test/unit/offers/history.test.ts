import { describe, expect, it } from 'vitest'
import { createHistory, recordAct, type HistoryStore, type OfferAct } from '../../../src/offers/history.ts'
import { MemStorage } from '../fakes.ts'

/** What the offers do when the shopper sees, dismisses, submits or is held out of an offer. */
const act = (h: HistoryStore, id: string, a: OfferAct, at: number, sessionId: string, incentive: boolean) =>
  h.edit((x) => recordAct(x, id, a, at, sessionId, incentive))

describe('createHistory', () => {
  it('records only the events decisions read', () => {
    const ls = new MemStorage()
    const h = createHistory(ls)
    h.observe('Newsletter Viewed', 1)
    expect(ls.length).toBe(0)
    h.observe('Product Viewed', 1)
    h.observe('Product Viewed', 2)
    h.observe('Product Added', 3)
    h.observe('Checkout Started', 4)
    h.observe('Order Completed', 5)
    expect(h.get()).toEqual({ productViews: [1, 2], cartAt: 3, checkoutAt: 4, orderAt: 5, cart: { value: 0, items: 0, at: 5 } })
  })

  it('a cart event with a value keeps the cart value and item count (quantities summed); an order empties it', () => {
    const h = createHistory(new MemStorage())
    h.observe('Product Added', 1, { product_id: 'p' })
    expect(h.get().cart).toBeUndefined()
    h.observe('Cart Viewed', 2, { value: 80, currency: 'USD', products: [{ product_id: 'a', quantity: 2 }, { product_id: 'b' }, null] })
    expect(h.get().cart).toEqual({ value: 80, items: 4, at: 2 })
    h.observe('Product Removed', 3, { value: 40, products: [{ product_id: 'a', quantity: 1 }] })
    expect(h.get().cart).toEqual({ value: 40, items: 1, at: 3 })
    h.observe('Order Completed', 4, { order_id: 'o' })
    expect(h.get().cart).toEqual({ value: 0, items: 0, at: 4 })
  })

  it.each(['{"offers":5}', '{"offers":{"o":7}}', '{"productViews":"x"}', '{"session":{"id":"s","offers":3}}'])('a stored value of the wrong shape (%s) starts over instead of throwing', (bad) => {
    const ls = new MemStorage()
    ls.setItem('onsite:history', bad)
    const h = createHistory(ls)
    expect(() => {
      act(h, 'o', 'view', 1, 's', false)
      h.observe('Product Viewed', 2)
    }).not.toThrow()
    expect(h.get().offers?.o?.views).toEqual([1])
  })

  it('keeps the last 20 product views', () => {
    const h = createHistory(new MemStorage())
    for (let i = 0; i < 30; i++) h.observe('Product Viewed', i)
    expect(h.get().productViews).toEqual(Array.from({ length: 20 }, (_, i) => i + 10))
  })

  it('is shared by two tabs through localStorage', () => {
    const ls = new MemStorage()
    createHistory(ls).observe('Cart Viewed', 7)
    expect(createHistory(ls).get().cartAt).toBe(7)
  })

  it('records views, the incentive, dismissals, submissions and the session offers', () => {
    const h = createHistory(new MemStorage())
    act(h, 'a', 'view', 10, 's1', true)
    act(h, 'a', 'view', 11, 's1', true)
    act(h, 'b', 'hold', 12, 's1', false)
    act(h, 'a', 'dismiss', 13, 's1', true)
    act(h, 'c', 'submit', 14, 's1', false)
    expect(h.get()).toEqual({
      offers: { a: { views: [10, 11], dismissedAt: 13 }, b: {}, c: { submittedAt: 14 } },
      incentive: { at: 11, offerId: 'a' },
      session: { id: 's1', offers: ['a', 'b'] },
    })
    act(h, 'b', 'view', 20, 's2', false)
    expect(h.get().session).toEqual({ id: 's2', offers: ['b'] })
  })

  it('works in memory when storage throws, and clear() forgets everything', () => {
    const ls = new MemStorage()
    ls.failWrite = () => true
    const h = createHistory(ls)
    h.observe('Order Completed', 9)
    expect(h.get().orderAt).toBe(9)
    h.clear()
    expect(h.get()).toEqual({})
    const stored = new MemStorage()
    const g = createHistory(stored)
    g.observe('Order Completed', 9)
    g.clear()
    expect(stored.length).toBe(0)
  })

  it('a corrupt stored value reads as empty', () => {
    const ls = new MemStorage()
    ls.setItem('onsite:history', '{nope')
    expect(createHistory(ls).get()).toEqual({})
  })
})
