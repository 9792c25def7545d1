import { describe, expect, it } from 'vitest'
import { eventProperties } from '../../../src/capture/schema.ts'
import { EVENTS, PROPS, type PropType } from '../../../src/capture/taxonomy.ts'
import { validateEvent } from '../../../src/capture/validate.ts'
import { mulberry32 } from '../fakes.ts'

// [label, event, properties, a fragment of the refusal or '' when the call must pass]
const CASES: [string, unknown, unknown, string][] = [
  ['a valid product view', 'Product Viewed', { product_id: 'p1', price: 49, currency: 'USD' }, ''],
  ['a numeric product id (Shopify)', 'Product Viewed', { product_id: 7012345, price: 0, currency: 'EUR' }, ''],
  ['no amounts, so no currency needed', 'Product Viewed', { product_id: 'p1', name: 'Tee' }, ''],
  ['null and undefined values are skipped', 'Product Viewed', { product_id: 'p1', price: null, sku: undefined }, ''],
  ['a string price', 'Product Viewed', { product_id: 'p1', price: '49.00', currency: 'USD' }, 'price must be a number'],
  ['a NaN price', 'Product Viewed', { product_id: 'p1', price: NaN, currency: 'USD' }, 'price must be'],
  ['an Infinity price', 'Product Viewed', { product_id: 'p1', price: Infinity, currency: 'USD' }, 'price must be'],
  ['a negative price', 'Product Viewed', { product_id: 'p1', price: -1, currency: 'USD' }, 'price must be'],
  ['money without currency', 'Product Viewed', { product_id: 'p1', price: 49 }, 'no currency'],
  ['money with a null currency', 'Product Viewed', { product_id: 'p1', price: 49, currency: null }, 'no currency'],
  ['money in products[] without currency', 'Cart Viewed', { products: [{ product_id: 'p1', price: 5 }] }, 'no currency'],
  ['a lowercase currency', 'Product Viewed', { product_id: 'p1', price: 49, currency: 'usd' }, 'currency must be an ISO 4217'],
  ['a fractional quantity', 'Product Added', { product_id: 'p1', quantity: 1.5 }, 'quantity must be an integer'],
  ['a negative quantity', 'Product Added', { product_id: 'p1', quantity: -1 }, 'quantity must be an integer'],
  ['a missing product_id', 'Product Added', { quantity: 1 }, 'needs product_id'],
  ['a null product_id', 'Product Added', { product_id: null }, 'needs product_id'],
  ['an empty product_id', 'Product Added', { product_id: '' }, 'product_id must be a non-empty string'],
  ['a missing order_id', 'Order Completed', { total: 10, currency: 'USD' }, 'needs order_id'],
  ['a complete order', 'Order Completed', { order_id: 1001, total: 10, currency: 'USD', products: [{ product_id: 'a', price: 10, quantity: 1 }] }, ''],
  ['a products[] item with a string price', 'Order Completed', { order_id: 1, currency: 'USD', products: [{ product_id: 'a', price: '10' }] }, 'products[0].price must be'],
  ['products that is not an array', 'Cart Viewed', { products: { product_id: 'a' } }, 'products must be an array'],
  ['a products[] item that is not an object', 'Cart Viewed', { products: ['a'] }, 'products must be an array'],
  ['a search without query', 'Products Searched', {}, 'needs query'],
  ['a custom event with anything', 'Signed Up', { price: '49.00', currency: 'usd', quantity: 1.5, x: [1, { y: null }] }, ''],
  ['a custom event with no properties', 'Newsletter Opened', {}, ''],
  ['properties that are an array', 'Signed Up', [], 'properties must be a plain object'],
  ['properties that are a string', 'Product Viewed', 'p1', 'properties must be a plain object'],
  ['properties that are null', 'Signed Up', null, 'properties must be a plain object'],
  ['an empty event name', '', {}, 'event name must be a non-empty string'],
  ['a blank event name', '   ', {}, 'event name must be a non-empty string'],
  ['an event name that is not a string', 42, {}, 'event name must be a non-empty string'],
]

describe('validateEvent', () => {
  it.each(CASES)('%s', (_label, event, props, fragment) => {
    const why = validateEvent(event, props)
    if (fragment) expect(why).toContain(fragment)
    else expect(why).toBe('')
  })

  it('names the event in the refusal', () => {
    expect(validateEvent('Product Viewed', { product_id: 'p1', price: '49.00', currency: 'USD' })).toMatch(/^"Product Viewed": price/)
  })

  it('the zod schema agrees on every row of the table that has a valid event name', () => {
    for (const [label, event, props, fragment] of CASES) {
      if (typeof event !== 'string' || !event.trim()) continue
      expect(eventProperties(event).safeParse(props).success, label).toBe(fragment === '')
    }
  })
})

// ---- agreement corpus: the bundle's hand-written checks vs the zod schemas, both built from taxonomy.ts

const GOOD: Record<PropType, unknown[]> = {
  m: [0, 12.5, 49, 1e6],
  q: [0, 1, 3, 100],
  i: ['p-1', 42, 0, -7, 1.5],
  s: ['', 'Blue', 'https://shop.test/a.png'],
  c: ['USD', 'EUR', 'JPY'],
  p: [[], [{}]],
}
const BAD: Record<PropType, unknown[]> = {
  m: ['49.00', NaN, Infinity, -Infinity, -1, -0.01, true, {}, []],
  q: [1.5, -1, '2', NaN, Infinity, false],
  i: ['', NaN, Infinity, true, {}, []],
  s: [1, true, {}, []],
  c: ['usd', 'US', 'USDD', 5, '', ' USD'],
  p: ['x', {}, [1], [[]], [null], 3],
}
const CUSTOM_KEYS = ['color', 'size', 'foo']
const CUSTOM_VALUES: unknown[] = ['x', -3, NaN, null, [], { price: 'nope' }]
// Nested products inside a product are left out: the two sides treat them differently (see schema.test.ts).
const PRODUCT_KEYS = Object.keys(PROPS).filter((k) => PROPS[k] !== 'p')

const corpus = (seed: number, n: number): [string, unknown][] => {
  const rnd = mulberry32(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const good = (type: PropType): unknown => {
    const r = rnd()
    if (r < 0.05) return null
    if (r < 0.08) return undefined
    // a real products array, its items drawn from the same table
    if (type === 'p' && r < 0.7) return Array.from({ length: Math.floor(rnd() * 3) + 1 }, () => object(PRODUCT_KEYS, 3))
    return pick(GOOD[type])
  }
  const object = (keys: string[], maxKeys: number): Record<string, unknown> => {
    const o: Record<string, unknown> = {}
    const count = Math.floor(rnd() * (maxKeys + 1))
    for (let k = 0; k < count; k++) {
      if (rnd() < 0.15) o[pick(CUSTOM_KEYS)] = pick(CUSTOM_VALUES)
      else {
        const key = pick(keys)
        o[key] = good(PROPS[key]!)
      }
    }
    return o
  }
  const names = [...Object.keys(EVENTS), 'Signed Up', 'Quiz Completed']
  const out: [string, unknown][] = []
  for (let n0 = 0; n0 < n; n0++) {
    const event = pick(names)
    if (rnd() < 0.04) {
      out.push([event, pick([null, [], 'props', 7, [{ product_id: 'a' }]])])
      continue
    }
    // a valid-looking call: usually what the event requires, usually a currency...
    const props = object(Object.keys(PROPS), 5)
    for (const key of EVENTS[event] ?? []) if (rnd() < 0.9) props[key] = pick(GOOD[PROPS[key]!])
    const r = rnd()
    if (r < 0.1) props.currency = pick([null, undefined])
    else if (r < 0.8) props.currency = pick(GOOD.c)
    // ...then, half the time, exactly one bad value, at the top level or inside a product
    if (rnd() < 0.5) {
      const products = props.products
      if (Array.isArray(products) && products.length && rnd() < 0.4) {
        const key = pick(PRODUCT_KEYS)
        ;(products[Math.floor(rnd() * products.length)] as Record<string, unknown>)[key] = pick(BAD[PROPS[key]!])
      } else {
        const key = pick(Object.keys(PROPS))
        props[key] = pick(BAD[PROPS[key]!])
      }
    }
    out.push([event, props])
  }
  return out
}

describe('validateEvent and the zod schemas agree', () => {
  const cases = corpus(20240611, 320)
  const schemas = new Map<string, ReturnType<typeof eventProperties>>()
  const schema = (event: string) => schemas.get(event) ?? schemas.set(event, eventProperties(event)).get(event)!

  it('on a seeded corpus of 320 generated calls', () => {
    const disagreements: string[] = []
    let passed = 0
    for (const [event, props] of cases) {
      const bundle = validateEvent(event, props) === ''
      const zod = schema(event).safeParse(props).success
      if (bundle) passed++
      if (bundle !== zod) disagreements.push(`${event} ${JSON.stringify(props)}: validateEvent ${bundle}, zod ${zod}`)
    }
    expect(disagreements).toEqual([])
    // the corpus must exercise both outcomes, or agreement proves nothing
    expect(passed).toBeGreaterThan(cases.length * 0.25)
    expect(passed).toBeLessThan(cases.length * 0.75)
  })

  it('the corpus reaches every property and every semantic event', () => {
    const keys = new Set<string>()
    const visit = (o: unknown) => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) return
      for (const [k, v] of Object.entries(o)) {
        keys.add(k)
        if (Array.isArray(v)) v.forEach(visit)
      }
    }
    for (const [, props] of cases) visit(props)
    for (const key of Object.keys(PROPS)) expect(keys, key).toContain(key)
    const events = new Set(cases.map(([e]) => e))
    for (const e of Object.keys(EVENTS)) expect(events, e).toContain(e)
  })

  // Number.isInteger(2 ** 53) is true; zod 4's .int() only accepts safe integers.
  it('on integers beyond Number.MAX_SAFE_INTEGER (zod .int() refuses them, validateEvent accepts)', () => {
    const props = { product_id: 'p1', quantity: 2 ** 53 }
    expect(validateEvent('Product Added', props) === '').toBe(eventProperties('Product Added').safeParse(props).success)
  })
})

describe('names of Object.prototype members', () => {
  it('are custom events and unknown properties, never a crash', () => {
    expect(validateEvent('constructor', {})).toBe('')
    expect(validateEvent('toString', { x: 1 })).toBe('')
    expect(validateEvent('Order Completed', { order_id: 1, constructor: 2, hasOwnProperty: 'x' })).toBe('')
    expect(eventProperties('constructor').safeParse({}).success).toBe(true)
  })
})
