import { describe, expect, it } from 'vitest'
import { cartViewedProps, diffCarts, eventProduct, gidNumber, parseCart, readSnapshot, snippetProduct, stripToken, type Snapshot } from '../../../src/shopify/cart-diff.ts'
import { validateEvent } from '../../../src/capture/validate.ts'
import { MAX_PRODUCTS, MAX_PRODUCTS_BYTES } from '../../../src/shopify/cart-products.ts'

const ORIGIN = 'https://shop.example'

/** A /cart.js line as Shopify returns it (fields trimmed to the ones a theme reads). */
const line = (o: Record<string, unknown> = {}) => ({
  id: 111,
  variant_id: 111,
  product_id: 1001,
  key: '111:aa11',
  title: 'Tee - S',
  product_title: 'Tee',
  variant_title: 'S',
  product_has_only_default_variant: false,
  sku: 'TEE-S',
  quantity: 1,
  price: 1999,
  original_price: 1999,
  discounted_price: 1999,
  final_price: 1999,
  line_price: 1999,
  final_line_price: 1999,
  properties: null,
  url: '/products/tee?variant=111',
  image: 'https://cdn.shopify.com/s/files/tee.jpg?v=1',
  featured_image: { url: 'https://cdn.shopify.com/s/files/tee.jpg?v=1', alt: 'Tee' },
  ...o,
})
const cart = (items: unknown[], o: Record<string, unknown> = {}) => ({
  token: 'c1-7a2abe82733a34e84aa472d57fb5c3c1?key=824bdj25mhg1242bdb385',
  note: null,
  attributes: {},
  total_price: items.reduce((s: number, i: any) => s + i.final_line_price, 0),
  item_count: items.length,
  items,
  currency: 'USD',
  ...o,
})
const snap = (items: unknown[], o: Record<string, unknown> = {}): Snapshot => parseCart(cart(items, o), ORIGIN)!

describe('stripToken', () => {
  it('drops the ?key= secret and keeps the token', () => {
    expect(stripToken('c1-7a2abe82733a34e84aa472d57fb5c3c1?key=824bdj25mhg1242bdb385')).toBe('c1-7a2abe82733a34e84aa472d57fb5c3c1')
    expect(stripToken('c1-7a2abe82733a34e84aa472d57fb5c3c1')).toBe('c1-7a2abe82733a34e84aa472d57fb5c3c1')
    expect(stripToken(null)).toBe('')
    expect(stripToken(42)).toBe('')
  })
})

describe('gidNumber', () => {
  it('reads Storefront API GIDs and plain ids', () => {
    expect(gidNumber('gid://shopify/ProductVariant/42')).toBe('42')
    expect(gidNumber('gid://shopify/Product/7')).toBe('7')
    expect(gidNumber(42)).toBe('42')
    expect(gidNumber('42')).toBe('42')
    expect(gidNumber(undefined)).toBe('')
    expect(gidNumber(NaN)).toBe('')
  })
})

/** The event properties of line() as parseCart reads them. */
const TEE_S = {
  product_id: '1001',
  variant_id: '111',
  sku: 'TEE-S',
  name: 'Tee',
  variant: 'S',
  price: 19.99,
  url: 'https://shop.example/products/tee?variant=111',
  image_url: 'https://cdn.shopify.com/s/files/tee.jpg?v=1',
}

describe('parseCart', () => {
  it('reads a line into event properties: ids as strings, money / 100, absolute url', () => {
    const s = snap([line()])
    expect(s.token).toBe('c1-7a2abe82733a34e84aa472d57fb5c3c1')
    expect(s.currency).toBe('USD')
    expect(s.value).toBe(19.99)
    expect(s.lines).toEqual([
      {
        k: '111|',
        q: 1,
        p: TEE_S,
      },
    ])
  })

  it('keeps exact decimals for every currency (minor units * 100, JPY too)', () => {
    expect(snap([line({ final_price: 1 })]).lines[0]!.p.price).toBe(0.01)
    expect(snap([line({ final_price: 10 })]).lines[0]!.p.price).toBe(0.1)
    expect(snap([line({ final_price: 123456789 })]).lines[0]!.p.price).toBe(1234567.89)
    expect(snap([line({ final_price: 150000 })], { currency: 'JPY' }).lines[0]!.p.price).toBe(1500)
  })

  it('uses final_price (what the shopper pays per unit), not the list price', () => {
    expect(snap([line({ price: 2500, original_price: 2500, final_price: 2000 })]).lines[0]!.p.price).toBe(20)
  })

  it('falls back to price when final_price is missing', () => {
    const { final_price: _, ...old } = line({ price: 1500 })
    expect(snap([old]).lines[0]!.p.price).toBe(15)
  })

  it('leaves out "Default Title" and the variant of a product that has only the default one', () => {
    expect(snap([line({ variant_title: 'Default Title' })]).lines[0]!.p.variant).toBeUndefined()
    expect(snap([line({ variant_title: 'S', product_has_only_default_variant: true })]).lines[0]!.p.variant).toBeUndefined()
    expect(snap([line({ variant_title: null })]).lines[0]!.p.variant).toBeUndefined()
  })

  it('leaves out an empty sku and makes a protocol-relative image https', () => {
    const p = snap([line({ sku: '', image: '//cdn.shopify.com/tee.jpg' })]).lines[0]!.p
    expect(p.sku).toBeUndefined()
    expect(p.image_url).toBe('https://cdn.shopify.com/tee.jpg')
  })

  it('refuses a javascript: url', () => {
    expect(snap([line({ url: 'javascript:alert(1)' })]).lines[0]!.p.url).toBeUndefined()
  })

  it('keys lines by variant + properties, whatever the order of the properties', () => {
    const a = snap([line({ key: 'k1', properties: { engraving: 'A', gift: 'yes' } })]).lines[0]!.k
    const b = snap([line({ key: 'k2', properties: { gift: 'yes', engraving: 'A' } })]).lines[0]!.k
    const c = snap([line({ key: 'k3', properties: { engraving: 'B', gift: 'yes' } })]).lines[0]!.k
    expect(a).toBe(b)
    expect(a).not.toBe(c)
    // no properties and empty properties are the same line
    expect(snap([line({ properties: {} })]).lines[0]!.k).toBe(snap([line({ properties: null })]).lines[0]!.k)
  })

  it('a subscription line and a one-time line of one variant are two lines; a line without a plan keeps its old key', () => {
    const plan = { selling_plan_allocation: { price: 1799, selling_plan: { id: 6871, name: 'Every month' } } }
    const s = snap([line({ key: 'once', quantity: 1 }), line({ key: 'sub', quantity: 2, ...plan })])
    expect(s.lines.map((l) => [l.k, l.q])).toEqual([['111|', 1], ['111@6871|', 2]])
    const more = snap([line({ key: 'once', quantity: 1 }), line({ key: 'sub', quantity: 3, ...plan })])
    expect(diffCarts(s, more).map((c) => [c.event, c.props.quantity])).toEqual([['Product Added', 1]])
  })

  it('sums lines that share a key (a discount splitting a line) at their average unit price', () => {
    const s = snap([line({ key: 'a', quantity: 2, final_price: 1000, final_line_price: 2000 }), line({ key: 'b', quantity: 1, final_price: 700, final_line_price: 700 })])
    expect(s.lines).toHaveLength(1)
    expect(s.lines[0]!.q).toBe(3)
    expect(s.lines[0]!.p.price).toBe(9)
  })

  it('an empty cart with no token yet', () => {
    expect(parseCart(cart([], { token: null }), ORIGIN)).toEqual({ v: 1, token: '', currency: 'USD', value: 0, lines: [] })
  })

  it.each([
    ['HTML', '<html>Not found</html>'],
    ['null', null],
    ['an array', []],
    ['no items', { token: 't', currency: 'USD' }],
    ['items not an array', { ...cart([]), items: {} }],
    ['no currency', { ...cart([line()]), currency: undefined }],
    ['a lowercase currency', { ...cart([line()]), currency: 'usd' }],
    ['a line without a variant', cart([line({ id: undefined, variant_id: undefined })])],
    ['a line with a negative quantity', cart([line({ quantity: -1 })])],
    ['a line with a fractional quantity', cart([line({ quantity: 1.5 })])],
    ['a line with a string price', cart([line({ final_price: '19.99' })])],
    ['a line that is not an object', cart([line(), 'x'])],
  ])('refuses %s (a cart not read whole must not be diffed)', (_, json) => {
    expect(parseCart(json, ORIGIN)).toBeUndefined()
  })
})

describe('diffCarts', () => {
  const tee = (q: number, o = {}) => line({ quantity: q, final_line_price: 1999 * q, ...o })
  const mug = (q: number, o = {}) =>
    line({ id: 221, variant_id: 221, product_id: 2002, key: '221:bb', product_title: 'Mug', variant_title: null, sku: 'MUG', quantity: q, final_price: 1200, final_line_price: 1200 * q, url: '/products/mug', image: null, featured_image: null, ...o })

  it('says nothing on the first load ever: what changed is unknown', () => {
    expect(diffCarts(undefined, snap([tee(2)]))).toEqual([])
  })

  it('an increase is Product Added with the increase', () => {
    expect(diffCarts(snap([tee(1)]), snap([tee(3)]))).toEqual([
      {
        event: 'Product Added',
        props: {
          ...TEE_S,
          quantity: 2,
          currency: 'USD',
          cart_id: 'c1-7a2abe82733a34e84aa472d57fb5c3c1',
          value: 59.97,
          products: [{ ...TEE_S, quantity: 3 }],
        },
      },
    ])
  })

  it('a new line is Product Added with its quantity', () => {
    const out = diffCarts(snap([tee(1)]), snap([tee(1), mug(2)]))
    expect(out.map((c) => [c.event, c.props.product_id, c.props.quantity])).toEqual([['Product Added', '2002', 2]])
    expect(out[0]!.props.variant).toBeUndefined()
    expect(out[0]!.props.image_url).toBeUndefined()
  })

  it('a decrease is Product Removed with the decrease; a gone line with its whole quantity', () => {
    expect(diffCarts(snap([tee(3), mug(1)]), snap([tee(1), mug(1)])).map((c) => [c.event, c.props.product_id, c.props.quantity])).toEqual([
      ['Product Removed', '1001', 2],
    ])
    expect(diffCarts(snap([tee(3), mug(1)]), snap([mug(1)])).map((c) => [c.event, c.props.product_id, c.props.quantity])).toEqual([['Product Removed', '1001', 3]])
  })

  it('a cleared cart removes every line, at the price it had', () => {
    const out = diffCarts(snap([tee(1), mug(2)]), snap([]))
    expect(out.map((c) => [c.event, c.props.product_id, c.props.quantity, c.props.price])).toEqual([
      ['Product Removed', '1001', 1, 19.99],
      ['Product Removed', '2002', 2, 12],
    ])
  })

  it('nothing when nothing changed, even if the line key or the order changed', () => {
    expect(diffCarts(snap([tee(1), mug(1)]), snap([mug(1, { key: 'new' }), tee(1, { key: 'other' })]))).toEqual([])
  })

  it('a properties change is a removal of the old line and an add of the new one', () => {
    const out = diffCarts(snap([tee(1, { properties: { engraving: 'A' } })]), snap([tee(1, { properties: { engraving: 'B' } })]))
    expect(out.map((c) => c.event)).toEqual(['Product Added', 'Product Removed'])
  })

  it('a new token (order placed, cart expired or reissued) emits additions only', () => {
    const next = { token: 'c1-new?key=zzz' }
    // the old cart's lines were bought or abandoned, not removed
    expect(diffCarts(snap([tee(2)]), snap([], next))).toEqual([])
    // a reissued token on the same lines says nothing
    expect(diffCarts(snap([tee(2)]), snap([tee(2)], next))).toEqual([])
    // what the new cart holds beyond the old one was added
    const out = diffCarts(snap([tee(1)]), snap([tee(3), mug(1)], next))
    expect(out.map((c) => [c.event, c.props.product_id, c.props.quantity, c.props.cart_id])).toEqual([
      ['Product Added', '1001', 2, 'c1-new'],
      ['Product Added', '2002', 1, 'c1-new'],
    ])
  })

  it('the first add to a cart that had no token yet is an add', () => {
    const out = diffCarts(snap([], { token: null }), snap([tee(1)]))
    expect(out.map((c) => [c.event, c.props.quantity])).toEqual([['Product Added', 1]])
  })

  it('every change passes the taxonomy checks of track()', () => {
    const all = [...diffCarts(snap([tee(1), mug(3)]), snap([tee(4)])), ...diffCarts(snap([], { token: null }), snap([mug(1)]))]
    expect(all.length).toBe(3)
    for (const c of all) expect(validateEvent(c.event, c.props)).toBe('')
  })
})

describe('diffCarts with the claims of observed add calls', () => {
  const tee = (q: number, o = {}) => line({ quantity: q, final_line_price: 1999 * q, ...o })
  const K = snap([tee(1)]).lines[0]!.k
  const adds = (prev: Snapshot | undefined, next: Snapshot, claims: { k: string; q: number }[]) =>
    diffCarts(prev, next, claims).map((c) => `${c.event} x${c.props.quantity}`)

  it('two calls of one unit each are two Product Added, not one of two', () => {
    expect(adds(snap([]), snap([tee(2)]), [{ k: K, q: 1 }, { k: K, q: 1 }])).toEqual(['Product Added x1', 'Product Added x1'])
    expect(adds(snap([]), snap([tee(2)]), [])).toEqual(['Product Added x2'])
  })

  it('what no call claims is one more Product Added (a change made elsewhere)', () => {
    expect(adds(snap([tee(1)]), snap([tee(4)]), [{ k: K, q: 1 }])).toEqual(['Product Added x1', 'Product Added x2'])
  })

  it('never more than the cart shows: a claim the diff does not see (another tab announced it) is dropped', () => {
    expect(adds(snap([tee(1)]), snap([tee(2)]), [{ k: K, q: 1 }, { k: K, q: 1 }])).toEqual(['Product Added x1'])
    expect(adds(snap([tee(2)]), snap([tee(2)]), [{ k: K, q: 1 }])).toEqual([])
    expect(adds(snap([]), snap([tee(1)]), [{ k: K, q: 5 }])).toEqual(['Product Added x1'])
  })

  it('a claim on another line does not take this one', () => {
    const engraved = tee(1, { properties: { Engraving: 'A' } })
    const k2 = snap([engraved]).lines[0]!.k
    expect(k2).not.toBe(K)
    expect(adds(snap([]), snap([tee(1), engraved]), [{ k: k2, q: 1 }])).toEqual(['Product Added x1', 'Product Added x1'])
  })

  it('no snapshot (first load ever): only what a call claims', () => {
    expect(adds(undefined, snap([tee(3)]), [{ k: K, q: 1 }])).toEqual(['Product Added x1'])
  })
})

describe('the cart after the change on Product Added / Removed', () => {
  const tee = (q: number, o = {}) => line({ quantity: q, final_line_price: 1999 * q, ...o })
  const mug = (q: number) => line({ id: 221, variant_id: 221, product_id: 2002, key: '221:bb', product_title: 'Mug', variant_title: null, sku: 'MUG', quantity: q, final_price: 1200, final_line_price: 1200 * q, url: '/products/mug', image: null, featured_image: null })

  it('cart_id, value and products[] are the cart after it; each passes track()', () => {
    const [added, removed] = diffCarts(snap([tee(1), mug(2)]), snap([tee(2), mug(1)]))
    const products = [{ ...TEE_S, quantity: 2 }, { product_id: '2002', variant_id: '221', sku: 'MUG', name: 'Mug', price: 12, url: ORIGIN + '/products/mug', quantity: 1 }]
    for (const c of [added!, removed!]) {
      expect(c.props).toMatchObject({ cart_id: 'c1-7a2abe82733a34e84aa472d57fb5c3c1', value: 51.98, currency: 'USD', products })
      expect(validateEvent(c.event, c.props)).toBe('')
    }
  })

  it('the last line removed: an empty products[] and value 0', () => {
    expect(diffCarts(snap([tee(1)]), snap([]))[0]!.props).toMatchObject({ value: 0, products: [] })
  })

  it('a line gone while the cart changed currency keeps its own price and currency, without the cart value', () => {
    const [gone] = diffCarts(snap([tee(1)]), snap([], { currency: 'EUR' }))
    expect(gone!.props).toMatchObject({ currency: 'USD', price: 19.99 })
    expect(gone!.props.value).toBeUndefined()
    expect(gone!.props.products).toBeUndefined()
  })

  it('a cart of many lines: products[] is the first 50, value the whole cart', () => {
    const many = Array.from({ length: 60 }, (_, i) => tee(1, { id: 1000 + i, variant_id: 1000 + i }))
    const props = diffCarts(snap([]), snap(many))[0]!.props
    expect((props.products as unknown[]).length).toBe(MAX_PRODUCTS)
    expect(props.value).toBe(1199.4)
    expect(cartViewedProps(snap(many)).products).toHaveLength(MAX_PRODUCTS)
  })

  it('long names: products[] stops before 16 KB, so the call stays far under 32 KB', () => {
    const name = 'Très long nom de produit '.repeat(40)
    const many = Array.from({ length: 50 }, (_, i) => tee(1, { id: 1000 + i, variant_id: 1000 + i, product_title: name }))
    const props = diffCarts(snap([]), snap(many))[0]!.props
    const n = (props.products as unknown[]).length
    expect(n).toBeGreaterThan(5)
    expect(n).toBeLessThan(50)
    expect(new TextEncoder().encode(JSON.stringify(props.products)).length).toBeLessThanOrEqual(MAX_PRODUCTS_BYTES)
    expect(new TextEncoder().encode(JSON.stringify(props)).length).toBeLessThan(20_000)
  })
})

describe('readSnapshot', () => {
  it('reads back what was saved', () => {
    const s = snap([line()])
    expect(readSnapshot(JSON.stringify(s))).toEqual(s)
  })
  it.each([null, '', 'not json', '[]', '{"v":2,"token":"","currency":"USD","value":0,"lines":[]}', '{"v":1,"token":"t","currency":"USD","value":0,"lines":[{"k":"a","q":0,"p":{}}]}', '{"v":1,"token":"t","currency":"USD","value":0,"lines":[null]}'])(
    'treats %j as no snapshot',
    (raw) => {
      expect(readSnapshot(raw)).toBeUndefined()
    },
  )
})

describe('cartViewedProps', () => {
  it('the whole cart: products with their quantities, value, currency, cart id', () => {
    const props = cartViewedProps(snap([line({ quantity: 2, final_line_price: 3998 })]))
    expect(props).toMatchObject({ cart_id: 'c1-7a2abe82733a34e84aa472d57fb5c3c1', value: 39.98, currency: 'USD' })
    expect(props.products).toEqual([expect.objectContaining({ product_id: '1001', variant_id: '111', price: 19.99, quantity: 2 })])
    expect(validateEvent('Cart Viewed', props)).toBe('')
  })
  it('an empty cart without a token has no cart_id', () => {
    expect(cartViewedProps(snap([], { token: null }))).toEqual({ products: [], value: 0, currency: 'USD' })
  })
})

describe('snippetProduct', () => {
  it('takes the known product keys and skips empty ones', () => {
    expect(snippetProduct({ product_id: '1001', variant_id: '111', name: 'Tee', sku: '', price: 19.99, currency: 'USD', vendor: 'x', image_url: null })).toEqual({
      product_id: '1001',
      variant_id: '111',
      name: 'Tee',
      price: 19.99,
      currency: 'USD',
    })
  })
  it('nothing without a product id', () => {
    expect(snippetProduct({ name: 'Tee' })).toBeUndefined()
    expect(snippetProduct(null)).toBeUndefined()
    expect(snippetProduct('tee')).toBeUndefined()
  })
})

describe('eventProduct', () => {
  // What the standard events library puts on the event (Object.assign(event, payload)), product and
  // variant ids made GIDs by ProductViewEvent.
  const payload = {
    context: 'page',
    selectedOptions: [{ name: 'Size', value: 'S' }],
    product: {
      id: 'gid://shopify/Product/1001',
      title: 'Tee',
      handle: 'tee',
      selectedVariant: { id: 'gid://shopify/ProductVariant/111', title: 'S', sku: 'TEE-S', price: { amount: '19.99', currencyCode: 'USD' }, image: { url: '//cdn.shopify.com/tee.jpg' } },
    },
  }
  const expected = {
    product_id: '1001',
    variant_id: '111',
    sku: 'TEE-S',
    name: 'Tee',
    variant: 'S',
    price: 19.99,
    currency: 'USD',
    url: 'https://shop.example/products/tee',
    image_url: 'https://cdn.shopify.com/tee.jpg',
  }

  it('reads the payload from the event itself', () => {
    const e = Object.assign(new Event('shopify:product:view'), payload)
    expect(eventProduct(e, ORIGIN, '/')).toEqual(expected)
    expect(validateEvent('Product Viewed', expected)).toBe('')
  })

  it('reads it from detail too (a hand-made CustomEvent)', () => {
    expect(eventProduct(new CustomEvent('shopify:product:view', { detail: payload }), ORIGIN, '/')).toEqual(expected)
  })

  it('builds the url under the locale root', () => {
    expect(eventProduct(payload, ORIGIN, '/en-ca/')!.url).toBe('https://shop.example/en-ca/products/tee')
  })

  it('a product without a selected variant (the Liquid filter output) and without context', () => {
    expect(eventProduct({ product: { id: 6786188247105, title: 'Health potion', handle: 'health-potion', selectedVariant: null }, context: null, selectedOptions: [] }, ORIGIN, '/')).toEqual({
      product_id: '6786188247105',
      name: 'Health potion',
      url: 'https://shop.example/products/health-potion',
    })
  })

  it.each(['collection', 'search', 'recommendation'])('a card seen in %s is not a product viewed', (context) => {
    expect(eventProduct({ ...payload, context }, ORIGIN, '/')).toBeUndefined()
  })

  it('a quick view (dialog) is', () => {
    expect(eventProduct({ ...payload, context: 'dialog' }, ORIGIN, '/')?.product_id).toBe('1001')
  })

  it('drops a price it cannot trust: a bare number, no currency, not a number', () => {
    const withPrice = (price: unknown) => eventProduct({ product: { ...payload.product, selectedVariant: { ...payload.product.selectedVariant, price } } }, ORIGIN, '/')!
    expect(withPrice(1999).price).toBeUndefined()
    expect(withPrice({ amount: '19.99' }).price).toBeUndefined()
    expect(withPrice({ amount: 'abc', currencyCode: 'USD' }).price).toBeUndefined()
    expect(withPrice({ amount: 19.99, currencyCode: 'EUR' })).toMatchObject({ price: 19.99, currency: 'EUR' })
  })

  it('nothing without a product id, or from junk', () => {
    expect(eventProduct({ product: { title: 'x' } }, ORIGIN, '/')).toBeUndefined()
    expect(eventProduct(null, ORIGIN, '/')).toBeUndefined()
    expect(eventProduct('x', ORIGIN, '/')).toBeUndefined()
  })
})

describe('line-item properties at rest', () => {
  it('the snapshot keeps a fingerprint of them, never the text; different texts stay two lines', () => {
    const s = snap([line({ properties: { Engraving: 'For Jane, love Sam' } }), line({ properties: { Engraving: 'Happy 40th' } })])
    expect(s.lines).toHaveLength(2)
    expect(JSON.stringify(s)).not.toMatch(/Jane|Sam|40th|Engraving/)
    expect(diffCarts(s, snap([line({ properties: { Engraving: 'Happy 40th' } }), line({ properties: { Engraving: 'For Jane, love Sam' } })]))).toEqual([])
  })
})
