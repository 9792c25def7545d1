// Reading one observed /cart/add call: which lines it added to (from the answer) and how many units
// (from the request), whatever form the theme posts.
import { describe, expect, it } from 'vitest'
import { addClaims, askedItems } from '../../../src/shopify/cart-adds.ts'
import { parseCart } from '../../../src/shopify/cart-diff.ts'

/** A line item as /cart/add.js answers it (trimmed to what the claims read). */
const item = (variant: number, o: Record<string, unknown> = {}) => ({
  id: variant, variant_id: variant, product_id: 1, key: `${variant}:x`, quantity: 1, price: 100, final_price: 100, title: 'T', properties: null, ...o,
})
/** The key the diff gives the same line in /cart.js. */
const keyOf = (it: Record<string, unknown>) => parseCart({ items: [it], currency: 'USD' }, 'https://shop.example')!.lines[0]!.k

describe('askedItems: the request as the host sent it', () => {
  it('FormData of a product form (Dawn), with and without a quantity', () => {
    const f = new FormData()
    f.append('form_type', 'product')
    f.append('id', '111')
    f.append('quantity', '3')
    f.append('sections', 'cart-drawer,cart-icon-bubble')
    expect(askedItems(f)).toEqual([['111', 3]])
    const bare = new FormData()
    bare.append('id', '111')
    expect(askedItems(bare)).toEqual([['111', 1]])
  })

  it('JSON with items[] or a single id; urlencoded text; URLSearchParams', () => {
    expect(askedItems(JSON.stringify({ items: [{ id: 111, quantity: 2 }, { id: 221 }] }))).toEqual([['111', 2], ['221', 1]])
    expect(askedItems(JSON.stringify({ id: 111, quantity: 4 }))).toEqual([['111', 4]])
    expect(askedItems('id=111&quantity=2')).toEqual([['111', 2]])
    expect(askedItems(new URLSearchParams('id=221&quantity=3'))).toEqual([['221', 3]])
  })

  it('nothing readable: a Blob, a stream, no body; a bad quantity counts 0', () => {
    expect(askedItems(new Blob(['id=1']))).toEqual([])
    expect(askedItems(undefined)).toEqual([])
    expect(askedItems('id=111&quantity=lots')).toEqual([['111', 0]])
  })
})

describe('addClaims', () => {
  it('one line answered: its key, the units asked for', () => {
    const got = item(111, { quantity: 5 })
    expect(addClaims('id=111&quantity=2', got)).toEqual([{ k: keyOf(got), q: 2 }])
  })

  it('items[] answered as {items}: one claim per line; line properties give the key the diff uses', () => {
    const engraved = item(111, { properties: { Engraving: 'For Jane' } })
    const got = { items: [engraved, item(221)] }
    const claims = addClaims(JSON.stringify({ items: [{ id: 111, quantity: 1, properties: { Engraving: 'For Jane' } }, { id: 221, quantity: 3 }] }), got)
    expect(claims).toEqual([{ k: keyOf(engraved), q: 1 }, { k: keyOf(item(221)), q: 3 }])
    expect(claims[0]!.k).not.toBe(keyOf(item(111)))
  })

  it('a request it cannot read: the quantity the answer gives', () => {
    expect(addClaims(undefined, item(111, { quantity: 2 }))).toEqual([{ k: keyOf(item(111)), q: 2 }])
  })

  it('an answer that is not a line (an app answering {}, HTML): no claim, the diff alone decides', () => {
    expect(addClaims('id=111', {})).toEqual([])
    expect(addClaims('id=111', undefined)).toEqual([])
    expect(addClaims('id=111', { items: ['x', null] })).toEqual([])
  })
})
