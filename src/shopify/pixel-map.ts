// Shopify checkout -> Segment ecommerce v2: the pure half of the checkout pixel (pixel.ts). Every field of
// Shopify's payload is read as possibly missing or hostile.
// Shapes: https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed
import { gidNumber } from './cart-diff.ts'
import { isObj, str } from '../util/check.ts'
import { CURRENCY } from '../capture/taxonomy.ts'
import { normalizeEmail, normalizePhone } from '../capture/traits.ts'
import type { Props } from '../capture/validate.ts'

/** v.a.b..., or undefined; a throwing getter reads as missing. */
export const at = (v: unknown, ...path: string[]): any => {
  try {
    for (const k of path) v = isObj(v) ? v[k] : undefined
    return v
  } catch {}
}
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
/** A non-blank string, kept exactly as given. */
export const text = (v: unknown): string | undefined => (str(v) && v.trim() ? v : undefined)
export const num = (v: unknown, int?: 1): number | undefined => (typeof v == 'number' && v >= 0 && (int ? Number.isSafeInteger(v) : Number.isFinite(v)) ? v : undefined)
export const money = (m: unknown) => num(at(m, 'amount'))
/** Shopify ids, with a `gid://shopify/Type/` prefix stripped so they match the numeric ids of Liquid and cart.js. */
export const id = (v: unknown): string | undefined => gidNumber(v) || undefined
export const bare = (url: unknown) => text(str(url) ? url.split(/[?#]/)[0] : undefined)
export const product = (line: unknown, cur: boolean): Props => {
  const v = at(line, 'variant')
  const variant = text(at(v, 'title'))
  return {
    product_id: id(at(v, 'product', 'id')),
    variant_id: id(at(v, 'id')),
    sku: text(at(v, 'sku')),
    name: text(at(line, 'title')) ?? text(at(v, 'product', 'title')),
    // Shopify names the only variant of a product "Default Title"
    variant: variant == 'Default Title' ? undefined : variant,
    brand: text(at(v, 'product', 'vendor')),
    category: text(at(v, 'product', 'type')),
    price: cur ? money(at(v, 'price')) : undefined,
    quantity: num(at(line, 'quantity'), 1),
  }
}

/** Segment ecommerce v2 properties of a checkout; amounts only with a valid currency (validate.ts refuses them otherwise). */
export const checkoutProperties = (c: unknown): Props => {
  const cur = [at(c, 'currencyCode'), at(c, 'totalPrice', 'currencyCode')].find((x) => str(x) && CURRENCY.test(x)) as string | undefined
  const m = (v: unknown) => (cur ? money(v) : undefined)
  const lines = list(at(c, 'lineItems'))
  // discountsAmount needs Checkout Extensibility; before it, the line allocations add up the item discounts
  // (a shipping discount is allocated to no line, so it is missing from that fallback: known, rare today).
  const allocated = lines.flatMap((l) => list(at(l, 'discountAllocations')).map((a) => money(at(a, 'amount')))).filter((x) => x !== undefined)
  const codes = list(at(c, 'discountApplications')).filter((a) => at(a, 'type') == 'DISCOUNT_CODE').map((a) => text(at(a, 'title')))
  const [total, subtotal, tax, shipping] = [at(c, 'totalPrice'), at(c, 'subtotalPrice'), at(c, 'totalTax'), at(c, 'shippingLine', 'price')].map(m)
  return {
    checkout_id: id(at(c, 'token')),
    // Segment's ecommerce v2 revenue: what the order earned, without tax and shipping
    revenue: total === undefined ? subtotal : Math.round((total - (tax ?? 0) - (shipping ?? 0)) * 1000) / 1000,
    total,
    subtotal,
    tax,
    shipping,
    discount: m(at(c, 'discountsAmount')) ?? (cur && allocated.length ? Math.round(allocated.reduce((a, b) => a + b, 0) * 1000) / 1000 : undefined),
    coupon: codes.filter(Boolean).join(', ') || undefined,
    currency: cur,
    products: lines.map((l) => product(l, !!cur)),
  }
}

/** Identify traits of the buyer: email, phone, names, and marketing opt-ins given at checkout (only a yes). */
export const checkoutTraits = (c: unknown, customer: unknown, country: string): Props => {
  const addr = at(c, 'billingAddress')
  return {
    email: normalizeEmail(at(c, 'email')) || normalizeEmail(at(customer, 'email')) || undefined,
    phone: normalizePhone(at(c, 'phone'), country) || normalizePhone(at(c, 'smsMarketingPhone'), country) || undefined,
    first_name: text(at(customer, 'firstName')) ?? text(at(addr, 'firstName')),
    last_name: text(at(customer, 'lastName')) ?? text(at(addr, 'lastName')),
    email_consent: at(c, 'buyerAcceptsEmailMarketing') === true || undefined,
    sms_consent: at(c, 'buyerAcceptsSmsMarketing') === true || undefined,
  }
}
