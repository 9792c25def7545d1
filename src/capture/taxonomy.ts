// The event taxonomy: Customer.io's ecommerce semantic events (Segment ecommerce spec v2) and the
// type of every snake_case property they use. This table is the single source of truth: the bundle's
// checks (`validate.ts`) and the zod schemas used by the collector and the tests (`schema.ts`) are both
// built from it, and a test feeds both the same inputs to prove they agree.
// Why not zod in the bundle: `zod/mini` alone is ~7 KB gzip, more than this whole core's budget.
// https://customer.io/docs/cdp/sources/source-spec/ecommerce-events/

/**
 * Property types, by name (a name means the same thing on every event, as in the spec):
 * - `m` money: a finite number >= 0 in major units (12.5 means 12.50); needs `currency` on the event
 * - `q` quantity: an integer >= 0
 * - `i` id: a non-empty string or a finite number (Shopify ids are numbers)
 * - `s` string
 * - `c` ISO 4217 currency code
 * - `p` products: an array of objects whose properties follow this same table
 */
export type PropType = 'm' | 'q' | 'i' | 's' | 'c' | 'p'

export const PROPS: Readonly<Record<string, PropType>> = {
  product_id: 'i', sku: 's', name: 's', variant: 's', category: 's', brand: 's',
  price: 'm', quantity: 'q', position: 'q', currency: 'c', value: 'm', url: 's', image_url: 's',
  coupon: 's', cart_id: 'i', order_id: 'i', checkout_id: 'i', affiliation: 's',
  total: 'm', subtotal: 'm', revenue: 'm', shipping: 'm', tax: 'm', discount: 'm',
  products: 'p', list_id: 's', query: 's', promotion_id: 'i', creative: 's', step: 'q',
  shipping_method: 's', payment_method: 's', coupon_id: 'i', coupon_name: 's', wishlist_id: 'i',
}

/** Semantic events and the properties each one requires. Any other event name is custom and passes through. */
export const EVENTS: Readonly<Record<string, readonly string[]>> = {
  'Products Searched': ['query'],
  'Product List Viewed': [],
  'Product List Filtered': [],
  'Product Clicked': ['product_id'],
  'Product Viewed': ['product_id'],
  'Product Added': ['product_id'],
  'Product Removed': ['product_id'],
  'Product Added to Wishlist': ['product_id'],
  'Cart Viewed': [],
  'Checkout Started': [],
  'Checkout Step Viewed': [],
  'Checkout Step Completed': [],
  'Payment Info Entered': [],
  'Order Completed': ['order_id'],
  'Order Updated': ['order_id'],
  'Order Refunded': ['order_id'],
  'Order Cancelled': ['order_id'],
  'Coupon Entered': [],
  'Coupon Applied': [],
  'Coupon Denied': [],
  'Coupon Removed': [],
  'Promotion Viewed': [],
  'Promotion Clicked': [],
}

export const CURRENCY = /^[A-Z]{3}$/

/** Hard limits of Customer.io's API: over them it answers 200 and silently drops the data (REFERENCE.md). */
export const MAX_CALL_BYTES = 32 * 1024
export const MAX_BATCH_BYTES = 500 * 1024

/** Own entries only: "constructor" or "toString" must not find Object.prototype's members. */
export const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined
