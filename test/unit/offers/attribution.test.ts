import { describe, expect, it } from 'vitest'
import { ATTRIBUTED, live, remember, type Attribution } from '../../../src/offers/attribution.ts'

const D = 864e5
const NOW = Date.UTC(2026, 11, 4, 12)
const at = (ms: number) => new Date(ms).toISOString()
const entry = (offer_id: string, ms: number, over: Partial<Attribution> = {}): Attribution =>
  ({ offer_id, variant: 'a', group: 'exposed', decision_id: 'd-' + offer_id, decided_at: at(ms), ...over })

describe('attribution', () => {
  it('stamps cart and order events only', () => {
    expect(['Product Added', 'Checkout Started', 'Order Completed'].every((e) => ATTRIBUTED.test(e))).toBe(true)
    expect(['Product Viewed', 'Product Added x', 'offer_seen', 'Cart Viewed'].some((e) => ATTRIBUTED.test(e))).toBe(false)
  })

  it('keeps decisions inside the window, drops older ones and anything of the wrong shape', () => {
    const list = [entry('old', NOW - 8 * D), entry('in', NOW - 6 * D), { offer_id: 'x' }, null, 5, entry('bad', NOW, { group: 'other' as never }), entry('future', NOW + 2 * D)]
    expect(live(list, NOW, 7).map((a) => a.offer_id)).toEqual(['in'])
    expect(live(list, NOW, 5)).toEqual([])
    expect(live('junk', NOW, 7)).toEqual([])
    expect(live({ length: 1, 0: entry('in', NOW) }, NOW, 7)).toEqual([])
  })

  it('the first decision of an offer in the window counts; a later one does not replace it', () => {
    const first = remember(undefined, entry('pop', NOW - D, { decision_id: 'first' }), NOW - D, 7)
    const again = remember(first, entry('pop', NOW, { decision_id: 'second', group: 'held_out' }), NOW, 7)
    expect(again).toEqual([entry('pop', NOW - D, { decision_id: 'first' })])
    // once the first has expired, the next decision is a new one
    expect(remember(first, entry('pop', NOW + 7 * D, { decision_id: 'later' }), NOW + 7 * D, 7).map((a) => a.decision_id)).toEqual(['later'])
  })

  it('keeps at most 20 offers, the newest', () => {
    let list: Attribution[] = []
    for (let i = 0; i < 25; i++) list = remember(list, entry('o' + i, NOW), NOW, 7)
    expect(list).toHaveLength(20)
    expect(list[0]!.offer_id).toBe('o5')
  })
})
