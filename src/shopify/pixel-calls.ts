// The calls one Shopify checkout event makes: an identify when there is an email or customer id, and
// Checkout Started or Order Completed, in the storefront's wire format.
// Shapes: https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed
import { isObj } from '../util/check.ts'
import { at, bare, checkoutProperties, checkoutTraits, id, text } from './pixel-map.ts'
import type { PixelConfig } from './pixel-config.ts'
import { debug, error, warn } from '../util/log.ts'
import type { Call } from '../delivery/outbox.ts'
import type { Attribution } from '../offers/attribution.ts'
import { scrubPII } from '../capture/traits.ts'
import { redactPath } from '../capture/redact.ts'
import { validateEvent, type Props } from '../capture/validate.ts'
import { VERSION } from '../version.ts'

const LIBRARY = { name: 'onsite-pixel', version: VERSION }
// 0: identify only; 1: Checkout Started; 2: Order Completed
export const EVENTS: Record<string, number> = { checkout_started: 1, checkout_contact_info_submitted: 0, checkout_completed: 2 }

/** FNV-1a over UTF-16 code units (decide.ts hashes UTF-8 and needs TextEncoder): a short, stable digest for messageIds. */
const hash = (s: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return (h >>> 0).toString(36)
}
export const newId = (): string => {
  try {
    return crypto.randomUUID()
  } catch {
    return Date.now().toString(36) + Math.random().toString(36).slice(2)
  }
}

const pageContext = (e: unknown, init: unknown): Props => {
  const doc = at(e, 'context', 'document') ?? at(init, 'context', 'document')
  const nav = at(e, 'context', 'navigator') ?? at(init, 'context', 'navigator')
  // No query or hash: checkout and order status URLs carry access keys.
  const cut = (u: string | undefined) => u && redactPath(u)
  const url = cut(bare(at(doc, 'location', 'href')))
  // scrubbed like the storefront's page context: a thank-you title may carry the email
  const page = url && scrubPII({ url, path: cut(text(at(doc, 'location', 'pathname'))), referrer: bare(at(doc, 'referrer')), title: text(at(doc, 'title')) })[0]
  return { library: LIBRARY, page, userAgent: text(at(nav, 'userAgent')), locale: text(at(nav, 'language')) }
}

/** A checkout event, read at once (its warnings too); its calls are made once the anonymous id is known. */
export interface Checkout {
  /** the time of the order, for Order Completed */
  orderAt: number | undefined
  /** `decisions`: the storefront's offer decisions still in their window (attribution.ts). */
  calls(anonymousId: string, decisions?: Attribution[]): Call[]
}

export const readCheckout = (name: string, e: unknown, init: unknown, config: PixelConfig, now: () => number): Checkout | undefined => {
  const kind = EVENTS[name]!
  const c = at(e, 'data', 'checkout')
  if (!isObj(c)) return void warn(`${name}: the event has no checkout; skipped`)
  const t = Date.parse(text(at(e, 'timestamp')) ?? '')
  const ms = Number.isFinite(t) ? t : now()
  const token = id(at(c, 'token'))
  const orderId = id(at(c, 'order', 'id'))
  const key = token ?? orderId ?? text(at(e, 'id')) ?? newId()
  const customer = at(init, 'data', 'customer')
  const traits = checkoutTraits(c, customer, config.defaultCountry)
  const email = traits.email as string | undefined
  if (at(c, 'email') != null && !email) warn(`${name}: the checkout email is not an email address; it is left out`)
  // The storefront's userId for a signed-in customer is Liquid's numeric customer.id.
  const userId = id(at(customer, 'id')) ?? (config.identifyBy == 'email' ? email : undefined)
  const calls = (anonymousId: string, decisions: Attribution[] = []): Call[] => {
    const make = (type: string, messageId: string, fields: Props): Call => ({
      type, messageId, anonymousId, userId, timestamp: new Date(ms).toISOString(), context: pageContext(e, init), ...fields,
    })
    const calls: Call[] = []
    // The digest makes a new email, phone or id a new identify, and the same one a replay of it.
    if (email || userId) calls.push(make('identify', `onsite-px-identify-${key}-${hash(JSON.stringify([anonymousId, userId, traits]))}`, { traits }))
    else debug(`${name}: no email or customer id yet; identify skipped`)
    if (kind) {
      const event = kind > 1 ? 'Order Completed' : 'Checkout Started'
      if (kind > 1 && !orderId) warn(`${name} has no order.id: order_id is the checkout token`)
      const [properties, removed] = scrubPII(kind > 1 ? { order_id: orderId ?? token, ...checkoutProperties(c) } : checkoutProperties(c))
      if (removed.length) warn(`${event}: removed ${removed.join(', ')}: emails and phone numbers stay out of event properties`)
      const why = validateEvent(event, properties)
      if (why) error(`${event} not sent: ${why}`)
      else {
        if (decisions.length) properties.onsite_offers = decisions
        calls.push(make('track', `onsite-px-${kind > 1 ? 'order-' + (orderId ?? key) : 'checkout-' + key}`, { event, properties }))
      }
    }
    return calls
  }
  return { orderAt: kind > 1 ? ms : undefined, calls }
}
