// Pure half of Shopify cart capture: reading /cart.js and the storefront's product events into event
// properties, and the diff of two carts that is the only thing allowed to emit Product Added/Removed
// (so an add seen by a storefront event, by the fetch observer and by a page load is counted once; an
// observed add call only says which part of the diff was its own). Nothing here touches the DOM, storage
// or the network.
import { isObj, str, text } from '../util/check.ts'
import { CURRENCY } from '../capture/taxonomy.ts'
import { fingerprint } from '../util/hash.ts'
import { cartProducts } from './cart-products.ts'

export type Props = Record<string, unknown>

/** One cart line as remembered: identity key, quantity, and the product properties of its events. */
export interface Line {
  k: string
  q: number
  p: Props
}
/** The last cart seen. `token` never carries the `?key=` secret: it is a cart id, not a credential. */
export interface Snapshot {
  v: 1
  token: string
  currency: string
  value: number
  lines: Line[]
}
export interface Change {
  event: 'Product Added' | 'Product Removed'
  props: Props
}
/** What one observed add call says it added to one line: the line's key and the quantity. */
export interface Claim {
  k: string
  q: number
}

/**
 * The cart id to send: the token without its `?key=` part, which is a secret that lets its holder
 * read and change the cart (https://shopify.dev/changelog/cart-token-in-ajax-api-response-now-includes-key-param).
 */
export const stripToken = (token: unknown): string => (str(token) ? token.split('?')[0]! : '')

/** Integer minor units (cart.js uses *100 for every currency, JPY too) to major units: 1999 -> 19.99. */
const money = (minor: number): number => Math.round(minor) / 100

const id = (v: unknown): string => (typeof v == 'number' && Number.isFinite(v) ? String(v) : text(v) ? v : '')

/** A Storefront API GID (`gid://shopify/ProductVariant/42`) or a plain id, as the numeric id string. */
export const gidNumber = (v: unknown): string => id(v).replace(/^gid:\/\/shopify\/\w+\//, '').split('?')[0]!

/** An absolute http(s) URL from a cart.js path or a protocol-relative CDN address, or undefined. */
const absolute = (v: unknown, origin: string): string | undefined => {
  if (!text(v)) return
  try {
    const u = new URL(v.startsWith('//') ? 'https:' + v : v, origin)
    return /^https?:$/.test(u.protocol) ? u.href : undefined
  } catch {}
}

/** JSON with sorted keys, so `{a, b}` and `{b, a}` are the same line properties. */
const stable = (v: unknown): string =>
  isObj(v) ? '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + stable(v[k])).join(',') + '}' : JSON.stringify(v) ?? ''

/** Drops undefined and empty-string values so events carry only what is known. */
const compact = (o: Props): Props => {
  for (const k in o) if (o[k] === undefined || o[k] === '') delete o[k]
  return o
}

const read = (o: unknown, k: string): unknown => (isObj(o) ? o[k] : undefined)

const variantTitle = (v: unknown): string | undefined => (text(v) && v !== 'Default Title' ? v : undefined)

/**
 * A cart line's identity, or '' when it has no variant: the variant id, the selling plan (a subscription and
 * a one-time purchase of one variant are two lines; the plan joins the key only when there is one, so
 * snapshots saved before it keep their keys), and the line properties (an engraving, a gift note), which
 * tell lines apart but only as a fingerprint: the snapshot sits in localStorage, never the shopper's text.
 */
export const lineKey = (it: Props): string => {
  const variant = id(it.variant_id ?? it.id)
  const plan = id(read(read(it.selling_plan_allocation, 'selling_plan'), 'id'))
  return variant && variant + (plan ? '@' + plan : '') + '|' + (isObj(it.properties) && Object.keys(it.properties).length ? fingerprint(stable(it.properties)) : '')
}

/**
 * A /cart.js response as a Snapshot, or undefined when it is not one (HTML, an error body, a changed
 * format): a cart we cannot read whole must not be diffed, or every line we failed to read would look
 * removed. Lines are keyed by variant id (+ selling plan) + properties, not by `key`, which changes when properties or
 * discounts change (REFERENCE.md); lines sharing a key (a discount splitting a line) are summed.
 */
export const parseCart = (json: unknown, origin: string): Snapshot | undefined => {
  if (!isObj(json) || !Array.isArray(json.items) || !str(json.currency) || !CURRENCY.test(json.currency)) return
  const byKey = new Map<string, Line & { minor: number }>()
  for (const it of json.items as unknown[]) {
    if (!isObj(it)) return
    const k = lineKey(it)
    // final_price: the unit price after line-level discounts, what the shopper pays per unit; `price` is
    // the list price (https://shopify.dev/docs/api/liquid/objects/line_item). Cart-level discounts are not
    // split per line in cart.js, so no per-unit figure has them.
    const unit = it.final_price ?? it.price
    const q = it.quantity
    if (!k || !Number.isSafeInteger(q) || q < 0 || typeof unit != 'number' || !Number.isFinite(unit) || unit < 0) return
    const prev = byKey.get(k)
    if (prev) {
      prev.q += q
      prev.minor += unit * q
      continue
    }
    const p = compact({
      product_id: id(it.product_id),
      variant_id: id(it.variant_id ?? it.id),
      sku: str(it.sku) ? it.sku : undefined,
      name: text(it.product_title) ? it.product_title : str(it.title) ? it.title : undefined,
      variant: it.product_has_only_default_variant === true ? undefined : variantTitle(it.variant_title),
      url: absolute(it.url, origin),
      image_url: absolute(it.image, origin) ?? absolute(isObj(it.featured_image) ? it.featured_image.url : undefined, origin),
    })
    byKey.set(k, { k, q, p, minor: unit * q })
  }
  const lines: Line[] = []
  for (const { k, q, p, minor } of byKey.values()) {
    if (!q) continue
    // One line: its final_price exactly. Summed lines: the average the shopper pays per unit.
    p.price = money(minor / q)
    lines.push({ k, q, p })
  }
  const total = json.total_price
  const value = typeof total == 'number' && Number.isFinite(total) && total >= 0 ? money(total) : 0
  return { v: 1, token: stripToken(json.token), currency: json.currency, value, lines }
}

/** A stored snapshot, or undefined when absent or not one (corrupted by hand or by another script). */
export const readSnapshot = (raw: string | null): Snapshot | undefined => {
  try {
    const s: unknown = JSON.parse(raw!)
    const ok =
      isObj(s) && s.v === 1 && str(s.token) && str(s.currency) && typeof s.value == 'number' && Array.isArray(s.lines) &&
      s.lines.every((l: unknown) => isObj(l) && str(l.k) && Number.isSafeInteger(l.q) && l.q > 0 && isObj(l.p))
    return ok ? (s as Snapshot) : undefined
  } catch {}
}

/**
 * A change's properties: the line's product, the quantity changed, and the cart after the change (its id,
 * value and lines). A line gone from the cart keeps its price and currency as they were when it was last
 * seen; the cart's value joins it only in the same currency.
 */
const changeProps = (l: Line, quantity: number, from: Snapshot, next: Snapshot): Props =>
  compact({
    ...l.p, quantity, currency: from.currency, cart_id: next.token,
    ...(from.currency == next.currency ? { value: next.value, products: cartProducts(next.lines) } : {}),
  })

/**
 * Splits the quantity `d` added to line `l` among the calls that claim it, each its own Product Added, in
 * the order they were answered; what no call claims is one more (a change made elsewhere: another tab,
 * the Storefront API, a cart page form), unless `prev` is unknown.
 */
const additions = (out: Change[], l: Line, d: number, claims: Claim[], next: Snapshot, known: boolean) => {
  for (const c of claims) {
    const q = c.k == l.k ? Math.min(c.q, d) : 0
    if (q > 0) out.push({ event: 'Product Added', props: changeProps(l, q, next, next) })
    d -= q
  }
  if (known && d > 0) out.push({ event: 'Product Added', props: changeProps(l, d, next, next) })
}

/**
 * What changed from `prev` to `next`; `claims` are the observed add calls answered before `next` was read.
 * No `prev` (first load ever): only what a call says it added, since nothing else is known. A new token
 * means the old cart ended (an order was placed, it expired, Shopify reissued the token): its lines were
 * bought or abandoned, not removed, so only additions over the old lines count; that also keeps a reissued
 * token on an unchanged cart from re-announcing every line. A claim the diff does not see (another tab
 * already announced that add) is dropped: the diff is what emits.
 */
export const diffCarts = (prev: Snapshot | undefined, next: Snapshot, claims: Claim[] = []): Change[] => {
  const sameCart = prev?.token === next.token
  const before = new Map(prev?.lines.map((l) => [l.k, l]))
  const out: Change[] = []
  for (const l of next.lines) {
    const d = l.q - (before.get(l.k)?.q ?? 0)
    if (d > 0) additions(out, l, d, claims, next, !!prev)
    else if (d < 0 && sameCart) out.push({ event: 'Product Removed', props: changeProps(l, -d, next, next) })
  }
  if (prev && sameCart) {
    const now = new Set(next.lines.map((l) => l.k))
    for (const l of prev.lines) if (!now.has(l.k)) out.push({ event: 'Product Removed', props: changeProps(l, l.q, prev, next) })
  }
  return out
}

/** Cart Viewed: the whole cart as it is now. */
export const cartViewedProps = (s: Snapshot): Props =>
  compact({ cart_id: s.token, products: cartProducts(s.lines), value: s.value, currency: s.currency })

const PRODUCT_KEYS = ['product_id', 'variant_id', 'sku', 'name', 'variant', 'price', 'currency', 'url', 'image_url']

/** Product Viewed from the product props the snippet rendered (passed as given: track() checks them). */
export const snippetProduct = (p: unknown): Props | undefined => {
  if (!isObj(p)) return
  const out: Props = {}
  for (const k of PRODUCT_KEYS) if (p[k] != null && p[k] !== '') out[k] = p[k]
  return out.product_id == null ? undefined : out
}

/**
 * Product Viewed from a `shopify:product:view` event, read defensively: the standard events library puts
 * the payload on the event itself (`event.product`), hand-made ones often use `detail`. The payload follows
 * the Storefront API (GIDs, MoneyV2 `{amount, currencyCode}` in major units) and `selectedVariant` may be
 * null (https://shopify.dev/docs/api/storefront-events-and-actions/events/product-view). Cards in a grid,
 * search results and recommendations also fire it: those are impressions, not a product viewed, so only
 * the `page` and `dialog` (quick view) contexts count, and a payload without context (the Liquid filter
 * leaves it null).
 */
export const eventProduct = (e: unknown, origin: string, root: string): Props | undefined => {
  const d = read(e, 'detail')
  const product = read(e, 'product') ?? read(d, 'product')
  const context = read(e, 'context') ?? read(d, 'context')
  if (context != null && context !== 'page' && context !== 'dialog') return
  const product_id = gidNumber(read(product, 'id'))
  if (!product_id) return
  const v = read(product, 'selectedVariant')
  const price = read(v, 'price')
  // Only a MoneyV2: a bare number could be major or minor units, and a wrong price is worse than none.
  const raw = read(price, 'amount')
  const amount = typeof raw == 'number' || text(raw) ? Number(raw) : NaN
  const currency = read(price, 'currencyCode')
  const handle = read(product, 'handle')
  const hasPrice = Number.isFinite(amount) && amount >= 0 && str(currency) && CURRENCY.test(currency)
  return compact({
    product_id,
    variant_id: gidNumber(read(v, 'id')),
    sku: str(read(v, 'sku')) ? read(v, 'sku') : undefined,
    name: str(read(product, 'title')) ? read(product, 'title') : undefined,
    variant: variantTitle(read(v, 'title')),
    price: hasPrice ? amount : undefined,
    currency: hasPrice ? currency : undefined,
    url: absolute(read(product, 'url'), origin) ?? (text(handle) ? absolute(root + 'products/' + encodeURIComponent(handle), origin) : undefined),
    image_url: absolute(read(read(v, 'image'), 'url') ?? read(read(product, 'featuredImage'), 'url'), origin),
  })
}
