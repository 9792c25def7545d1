// The checkout the demo plays. Shopify runs no theme scripts on checkout pages, so onsite.js is absent
// there and the custom pixel sees the checkout only through Web Pixels events; this module builds
// `event.data.checkout` in the documented shape
// (https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed): amounts are decimal
// numbers in major units inside {amount, currencyCode}, ids are strings.
import { randomBytes } from 'node:crypto'
import { CURRENCY, findVariant, isDefaultVariant, major } from './catalog.ts'
import type { Cart, Line } from './cart.ts'
import { WRITE_KEY, type Customer } from './store-config.ts'

/** The code the cart recovery popup reveals. */
export const DISCOUNT_CODE = 'COMEBACK10'
const FREE_SHIPPING_FROM = 5000
const SHIPPING = 500

export interface Order {
  id: string
  name: string
  checkoutToken: string
  email: string
  lines: Line[]
  discountCode: string
  createdAt: number
  customer: Customer | null
}

export interface Totals {
  subtotal: number
  discount: number
  shipping: number
  total: number
}

export const totals = (lines: Line[], code: string): Totals => {
  const items = lines.reduce((n, l) => n + findVariant(l.variantId)!.variant.price * l.quantity, 0)
  const discount = code === DISCOUNT_CODE ? Math.round(items * 0.1) : 0
  const subtotal = items - discount
  const shipping = !lines.length || subtotal >= FREE_SHIPPING_FROM ? 0 : SHIPPING
  return { subtotal, discount, shipping, total: subtotal + shipping }
}

const amount = (cents: number) => ({ amount: major(cents), currencyCode: CURRENCY })

/** `event.data.checkout` of the Web Pixels events, for a cart being checked out or a placed order. */
export const checkoutData = (o: { token: string; lines: Line[]; email: string; discountCode: string; order?: Order }, origin: string) => {
  const t = totals(o.lines, o.discountCode)
  const share = (cents: number) => (t.discount && cents ? Math.round((cents / (t.subtotal + t.discount)) * t.discount) : 0)
  return {
    token: o.token,
    email: o.email || null,
    phone: null,
    currencyCode: CURRENCY,
    buyerAcceptsEmailMarketing: false,
    attributes: [],
    order: o.order ? { id: o.order.id, customer: o.order.customer ? { id: o.order.customer.id, isFirstOrder: true } : null } : null,
    subtotalPrice: amount(t.subtotal),
    totalPrice: amount(t.total),
    totalTax: amount(0),
    shippingLine: { price: amount(t.shipping) },
    discountsAmount: amount(t.discount),
    discountApplications: t.discount
      ? [{ allocationMethod: 'ACROSS', targetSelection: 'ALL', targetType: 'LINE_ITEM', title: DISCOUNT_CODE, type: 'DISCOUNT_CODE', value: { percentage: 10 } }]
      : [],
    lineItems: o.lines.map((l, i) => {
      const { product: p, variant: v } = findVariant(l.variantId)!
      const line = v.price * l.quantity
      return {
        id: `${o.token}-${i + 1}`,
        quantity: l.quantity,
        title: p.title,
        properties: Object.entries(l.properties).map(([key, value]) => ({ key, value })),
        discountAllocations: share(line) ? [{ amount: amount(share(line)), discountApplication: { title: DISCOUNT_CODE, type: 'DISCOUNT_CODE' } }] : [],
        finalLinePrice: amount(line - share(line)),
        variant: {
          id: String(v.id),
          sku: v.sku,
          title: isDefaultVariant(v) ? null : v.title,
          untranslatedTitle: isDefaultVariant(v) ? null : v.title,
          price: amount(v.price),
          image: { src: `${origin}/images/${p.handle}.svg` },
          product: { id: String(p.id), title: p.title, untranslatedTitle: p.title, vendor: p.vendor, type: p.type, url: `/products/${p.handle}` },
        },
      }
    }),
  }
}

export const createOrders = () => {
  const orders = new Map<string, Order>()
  let n = 0
  return {
    /** Places the order for a cart's lines; the caller empties the cart (Shopify starts a new one). */
    place(cart: Cart, checkoutToken: string, email: string, discountCode: string, customer: Customer | null): Order {
      n++
      // Time-based, so a restarted demo never reuses an id whose pixel messageIds the collector has stored.
      const order: Order = {
        id: String(Date.now() * 1000 + (n % 1000)),
        name: `#${1000 + n}`,
        checkoutToken,
        email,
        lines: structuredClone(cart.lines),
        discountCode,
        createdAt: Date.now(),
        customer,
      }
      orders.set(order.id, order)
      return order
    },
    get: (id: string): Order | undefined => orders.get(id),
  }
}

export const newCheckoutToken = (): string => randomBytes(16).toString('hex')

/**
 * What the Web Pixels sandbox of a checkout page gets: the merchant's config line for the pixel, `init.data`
 * (customer, shop), and the events to publish. `contactStep`: "Pay now" first submits the contact step.
 */
export const pixelSandbox = (apiHost: string, origin: string, customer: Customer | null, events: { name: string; checkout: unknown }[], contactStep: boolean) => ({
  config: { writeKey: WRITE_KEY, apiHost, debug: true },
  customer: customer && { id: customer.id, email: customer.email, firstName: null, lastName: null, phone: null, ordersCount: 0 },
  shop: { name: 'Onsite Outfitters', myshopifyDomain: 'onsite-outfitters.myshopify.com', countryCode: 'US', paymentSettings: { currencyCode: CURRENCY }, storefrontUrl: origin },
  events,
  contactStep,
})
