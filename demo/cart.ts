// A Shopify-compatible cart, one per visitor, so onsite's cart capture meets the API it meets on a real
// store: /cart.js and /cart/{add,change,update,clear}(.js) with Shopify's shapes
// (https://shopify.dev/docs/api/ajax/reference/cart): money in cents, a token that carries a `?key=`
// secret (https://shopify.dev/changelog/cart-token-in-ajax-api-response-now-includes-key-param), line
// keys that change with the line's properties, and Cart Error bodies with a status.
import { createHash, randomBytes } from 'node:crypto'
import { CURRENCY, findVariant, isDefaultVariant } from './catalog.ts'

export interface Line {
  variantId: number
  quantity: number
  properties: Record<string, string>
}
export interface Cart {
  /** The id part of the token (the `cart` cookie holds it). */
  id: string
  key: string
  lines: Line[]
  note: string
  attributes: Record<string, string>
  /** Set when the cart first reaches the checkout; the pixel's Checkout Started is keyed by it. */
  checkoutToken?: string
}
export interface CartError {
  status: number
  message: string
  description: string
}
export type Outcome<T> = { ok: T } | { error: CartError }

const fail = (status: number, description: string): { error: CartError } => ({ error: { status, message: 'Cart Error', description } })

export const newCart = (): Cart => ({ id: 'c1-' + randomBytes(16).toString('hex'), key: randomBytes(10).toString('hex'), lines: [], note: '', attributes: {} })

/** Shopify's line key: the variant id and a hash of what makes the line distinct (its properties). */
export const lineKey = (l: Pick<Line, 'variantId' | 'properties'>): string =>
  `${l.variantId}:${createHash('md5').update(JSON.stringify(Object.entries(l.properties).sort())).digest('hex')}`

const strings = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (x != null && x !== '') out[k] = String(x)
  return out
}

const int = (v: unknown, d: number): number => {
  if (v === undefined || v === null || v === '') return d
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN
  return Number.isSafeInteger(n) ? n : NaN
}

/** One line as /cart.js lists it. */
export const itemJson = (l: Line, origin: string) => {
  const { product: p, variant: v } = findVariant(l.variantId)!
  const plain = isDefaultVariant(v)
  const image = `${origin}/images/${p.handle}.svg`
  return {
    id: v.id, properties: l.properties, quantity: l.quantity, variant_id: v.id, key: lineKey(l),
    title: plain ? p.title : `${p.title} - ${v.title}`,
    price: v.price, original_price: v.price, discounted_price: v.price,
    line_price: v.price * l.quantity, original_line_price: v.price * l.quantity,
    total_discount: 0, discounts: [], sku: v.sku, grams: 0, vendor: p.vendor, taxable: true,
    product_id: p.id, product_has_only_default_variant: p.variants.length === 1 && plain, gift_card: false,
    final_price: v.price, final_line_price: v.price * l.quantity,
    url: `/products/${p.handle}?variant=${v.id}`,
    featured_image: { aspect_ratio: 1, alt: p.title, height: 600, url: image, width: 600 },
    image, handle: p.handle, requires_shipping: true, product_type: p.type, product_title: p.title,
    product_description: p.description, variant_title: plain ? null : v.title, variant_options: [v.title],
    options_with_values: [{ name: p.option, value: v.title }],
    line_level_discount_allocations: [], line_level_total_discount: 0,
  }
}

export const subtotal = (c: Cart): number => c.lines.reduce((n, l) => n + findVariant(l.variantId)!.variant.price * l.quantity, 0)

/** The cart as GET /cart.js answers it. */
export const cartJson = (c: Cart, origin: string) => {
  const total = subtotal(c)
  return {
    token: `${c.id}?key=${c.key}`, note: c.note, attributes: c.attributes,
    original_total_price: total, total_price: total, total_discount: 0, total_weight: 0,
    item_count: c.lines.reduce((n, l) => n + l.quantity, 0),
    items: c.lines.map((l) => itemJson(l, origin)),
    requires_shipping: c.lines.length > 0, currency: CURRENCY, items_subtotal_price: total,
    cart_level_discount_applications: [],
  }
}

const inCart = (c: Cart, variantId: number) => c.lines.filter((l) => l.variantId === variantId).reduce((n, l) => n + l.quantity, 0)

/** Sets a line's quantity (0 removes it) after checking stock; the cart is unchanged on error. */
const setQuantity = (c: Cart, line: Line, quantity: number): CartError | undefined => {
  const { product: p, variant: v } = findVariant(line.variantId)!
  if (v.inventory !== undefined && quantity > line.quantity && inCart(c, v.id) - line.quantity + quantity > v.inventory)
    return fail(422, `You can't add more ${p.title} - ${v.title} to the cart.`).error
  if (quantity === 0) c.lines.splice(c.lines.indexOf(line), 1)
  else line.quantity = quantity
  return undefined
}

/** POST /cart/add.js: `{id, quantity, properties}` or `{items: [...]}`; returns the lines added to. */
export const add = (c: Cart, body: Record<string, unknown>): Outcome<Line[]> => {
  const raw = Array.isArray(body.items) ? body.items : body.items && typeof body.items === 'object' ? Object.values(body.items) : [body]
  if (!raw.length) return fail(422, 'Parameter Missing or Invalid: Required parameter missing or invalid: items')
  const before = structuredClone(c.lines)
  const touched: Line[] = []
  for (const it of raw as Record<string, unknown>[]) {
    const found = findVariant(it?.id)
    if (!found) return (c.lines = before), fail(404, 'Cannot find variant')
    const quantity = int(it.quantity, 1)
    if (!(quantity >= 1)) return (c.lines = before), fail(422, 'Quantity must be 1 or more')
    const properties = strings(it.properties)
    const key = lineKey({ variantId: found.variant.id, properties })
    let line = c.lines.find((l) => lineKey(l) === key)
    if (!line) c.lines.push((line = { variantId: found.variant.id, quantity: 0, properties }))
    const err = setQuantity(c, line, line.quantity + quantity)
    if (err) return (c.lines = before), { error: err }
    if (!touched.includes(line)) touched.push(line)
  }
  return { ok: touched }
}

/** POST /cart/change.js: one line, by `line` (1-based), `id` (line key or variant id); `quantity` 0 removes. */
export const change = (c: Cart, body: Record<string, unknown>): Outcome<Cart> => {
  const n = int(body.line, 0)
  const id = body.id === undefined ? '' : String(body.id)
  const line = n > 0 ? c.lines[n - 1] : id.includes(':') ? c.lines.find((l) => lineKey(l) === id) : c.lines.find((l) => String(l.variantId) === id)
  if (!line) return fail(400, 'no valid id or line parameter')
  if (body.properties !== undefined) line.properties = strings(body.properties)
  const quantity = int(body.quantity, line.quantity)
  if (!(quantity >= 0)) return fail(422, 'Quantity must be 0 or more')
  const err = setQuantity(c, line, quantity)
  return err ? { error: err } : { ok: c }
}

/** POST /cart/update.js: `updates` by variant id or line key (an object), or by line (an array); note; attributes. */
export const update = (c: Cart, body: Record<string, unknown>): Outcome<Cart> => {
  const u = body.updates
  const pairs: [Line | number, number][] = []
  if (Array.isArray(u)) u.forEach((q, i) => c.lines[i] && pairs.push([c.lines[i]!, int(q, NaN)]))
  else if (u && typeof u === 'object') {
    for (const [k, q] of Object.entries(u)) {
      const line = c.lines.find((l) => (k.includes(':') ? lineKey(l) === k : String(l.variantId) === k))
      if (line) pairs.push([line, int(q, NaN)])
      else if (findVariant(k)) pairs.push([findVariant(k)!.variant.id, int(q, NaN)])
      else return fail(404, 'Cannot find variant')
    }
  }
  if (pairs.some(([, q]) => !(q >= 0))) return fail(422, 'Quantity must be 0 or more')
  const before = structuredClone(c.lines)
  for (const [target, q] of pairs) {
    let line = typeof target === 'number' ? c.lines.find((l) => l.variantId === target && !Object.keys(l.properties).length) : target
    if (!line && q === 0) continue
    if (!line) c.lines.push((line = { variantId: target as number, quantity: 0, properties: {} }))
    const err = setQuantity(c, line, q)
    if (err) return (c.lines = before), { error: err }
  }
  if (typeof body.note === 'string') c.note = body.note
  if (body.attributes !== undefined) Object.assign(c.attributes, strings(body.attributes))
  return { ok: c }
}

export const clear = (c: Cart): Cart => ((c.lines = []), c)

/** The JSON answer of POST /cart/{add,change,update,clear}.js with these parameters; the cart changes in place. */
export const cartAction = (c: Cart, action: string, p: Record<string, unknown>, origin: string): { status: number; body: unknown } => {
  if (action === 'add') {
    const r = add(c, p)
    if ('error' in r) return { status: r.error.status, body: r.error }
    // `items: [...]` is answered with `{items}`, a single `id` with its line alone
    return { status: 200, body: p.items !== undefined ? { items: r.ok.map((l) => itemJson(l, origin)) } : itemJson(r.ok[0]!, origin) }
  }
  const r = action === 'change' ? change(c, p) : action === 'update' ? update(c, p) : { ok: clear(c) }
  return 'error' in r ? { status: r.error.status, body: r.error } : { status: 200, body: cartJson(c, origin) }
}
