// The Shopify checkout pixel. Checkout pages run no theme scripts, so `Checkout Started` and `Order Completed`
// can only come from a Web Pixel (REFERENCE.md, Shopify). This turns Shopify's checkout events into the calls
// the storefront bundle sends (same endpoint, same wire format), joined to the storefront's anonymous id
// through its first-party cookie. Everything Shopify gives a pixel is a parameter, so tests and the demo pass
// their own; every field is read as possibly missing or hostile, and nothing here throws into the sandbox.
// Shapes: https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed
import { check, isObj, oneOf, own, str } from '../util/check.ts'
import { apiHostOf, secretReason } from '../config.ts'
import { ORDER_COOKIE } from '../identity/cookie.ts'
import { AID_COOKIE } from '../identity/identity.ts'
import { at, bare, checkoutProperties, checkoutTraits, id, list, text } from './pixel-map.ts'
import { debug, error, setVerbose, warn } from '../util/log.ts'
import type { Call } from '../delivery/outbox.ts'
import { MAX_CALL_BYTES } from '../capture/taxonomy.ts'
import { scrubPII } from '../capture/traits.ts'
import { byteLength, chunk, createTransport } from '../delivery/transport.ts'
import { validateEvent, type Props } from '../capture/validate.ts'
import { VERSION } from '../version.ts'

export interface PixelEnv {
  /** Shopify's `analytics`: `subscribe(eventName, callback)`. */
  analytics: unknown
  /** Shopify's `browser`: `cookie.get/set`, `localStorage.getItem/setItem/removeItem`, all async. */
  browser: unknown
  /** Shopify's `init`: `context`, `data.customer`, `customerPrivacy`. */
  init: unknown
  /** `api.customerPrivacy` (custom pixels) or `customerPrivacy` (app pixels): `subscribe('visitorConsentCollected', cb)`. */
  customerPrivacy?: unknown
  fetch: typeof fetch
  now: () => number
}
export interface Pixel {
  /** Settles once the calls left by an earlier page are loaded. */
  ready: Promise<void>
  /** Sends what is queued now (nothing while consent is withheld). */
  flush(): Promise<void>
}

export { checkoutProperties, checkoutTraits, ORDER_COOKIE }
const KEY = 'onsite_px'
const LIBRARY = { name: 'onsite-pixel', version: VERSION }
const MAX_AGE_MS = 7 * 86400000
const MAX_TRIES = 5
const KEEP_SENT = 50
// 0: identify only; 1: Checkout Started; 2: Order Completed
const EVENTS: Record<string, number> = { checkout_started: 1, checkout_contact_info_submitted: 0, checkout_completed: 2 }

/** Calls o.m(...a) as a promise: a missing method or a throw rejects instead of throwing. */
const invoke = (o: unknown, m: string, ...a: unknown[]): Promise<any> => new Promise((done) => done(at(o, m).apply(o, a)))
/** FNV-1a over UTF-16 code units (decide.ts hashes UTF-8 and needs TextEncoder): a short, stable digest for messageIds. */
const hash = (s: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return (h >>> 0).toString(36)
}
const newId = (): string => {
  try {
    return crypto.randomUUID()
  } catch {
    return Date.now().toString(36) + Math.random().toString(36).slice(2)
  }
}

/** A callback that never throws into Shopify's event bus. */
const guard =
  (f: (e: unknown) => unknown) =>
  (e: unknown): void => {
    try {
      void f(e)
    } catch (err) {
      error('pixel: ' + err)
    }
  }

const pageContext = (e: unknown, init: unknown): Props => {
  const doc = at(e, 'context', 'document') ?? at(init, 'context', 'document')
  const nav = at(e, 'context', 'navigator') ?? at(init, 'context', 'navigator')
  // No query or hash: checkout and order status URLs carry access keys.
  const url = bare(at(doc, 'location', 'href'))
  // scrubbed like the storefront's page context: a thank-you title may carry the email (security review)
  const page = url && scrubPII({ url, path: text(at(doc, 'location', 'pathname')), referrer: bare(at(doc, 'referrer')), title: text(at(doc, 'title')) })[0]
  return { library: LIBRARY, page, userAgent: text(at(nav, 'userAgent')), locale: text(at(nav, 'language')) }
}

export interface PixelConfig {
  writeKey: string
  apiHost: string
  debug: boolean
  identifyBy: string
  defaultCountry: string
}

/**
 * The storefront's config rules (config.ts), for the keys a pixel has: a storefront-only key (flushAt,
 * consent, offers...) is reported as unknown rather than silently doing nothing. Undefined when fatal.
 */
export const pixelConfig = (input: unknown, base: string): PixelConfig | undefined => {
  const key = isObj(input) && str(input.writeKey) ? input.writeKey.trim() : ''
  const why = key ? secretReason(key) : 'is missing'
  if (why) return void error(`config.writeKey ${why}: use your JavaScript source's write key. Nothing will be sent.`)
  const c = check({
    writeKey: '',
    region: oneOf(['us', 'eu']),
    apiHost: 0,
    debug: false,
    identifyBy: oneOf(['anonymous', 'email']),
    defaultCountry: [(v) => str(v) && /^[a-z]{2}$/i.test(v), 'an ISO 3166 code such as "US"', 'US'],
  }, input, 'config')
  c.writeKey = key
  c.apiHost = apiHostOf(own(input).apiHost, c.region, base)
  delete c.region
  return c
}

/**
 * Starts the pixel: subscribes to the checkout events, resends what an earlier page left unsent, and returns
 * a handle, or undefined when the config is fatally wrong (a missing or secret writeKey: the reason is printed).
 */
export const startPixel = (env: PixelEnv, input: unknown): Pixel | undefined => {
  const { analytics, browser, init } = env
  const config = pixelConfig(input, text(at(init, 'context', 'document', 'location', 'href')) ?? '')
  if (!config) return
  setVerbose(config.debug)
  if (typeof at(analytics, 'subscribe') != 'function') return void error("pixel: Shopify's analytics API is missing: paste this code as a custom pixel (Settings > Customer events)")
  const transport = createTransport({ fetch: env.fetch, apiHost: config.apiHost, now: env.now })
  const storage = at(browser, 'localStorage')
  const cookie = at(browser, 'cookie')
  // Shopify runs a custom pixel only with the permission the merchant chose for it; a pixel set to "not
  // required" still sees the visitor's choice here: without analytics consent, calls wait in memory only.
  // https://shopify.dev/docs/api/web-pixels-api/pixel-privacy
  // Fails closed: no customerPrivacy in init (a sandbox change) is no consent, not consent (security review).
  let allowed = at(init, 'customerPrivacy', 'analyticsProcessingAllowed') === true
  let queue: Call[] = []
  let sent: string[] = []
  const seen = new Set<string>()
  let failures = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined
  let again = false
  let saving: Promise<unknown> = Promise.resolve()
  // Writes run in order, each with the state of its turn; the last one wins.
  const write = (f: () => unknown) => void (saving = saving.then(f).catch(() => {}))
  const save = () => write(() => allowed && invoke(storage, 'setItem', KEY, JSON.stringify({ q: queue, s: sent.slice(-KEEP_SENT) })))

  const ready = invoke(storage, 'getItem', KEY)
    .then((raw) => {
      const saved = JSON.parse(raw)
      const calls = list(at(saved, 'q')).filter((c): c is Call => str(at(c, 'messageId')) && str(at(c, 'type')) && str(at(c, 'timestamp')))
      const fresh = calls.filter((c) => Date.parse(c.timestamp) > env.now() - MAX_AGE_MS)
      if (fresh.length < calls.length) error(`dropped ${calls.length - fresh.length} call(s): older than 7 days`), save()
      sent = list(at(saved, 's')).filter(str)
      for (const c of [...sent, ...fresh.map((c) => c.messageId)]) seen.add(c)
      queue = fresh
    })
    .catch(() => {})
  const aid: Promise<string> = invoke(cookie, 'get', AID_COOKIE)
    .catch(() => '')
    .then((v) => {
      let s = text(v)
      try {
        s = s && decodeURIComponent(s)
      } catch {}
      if (s && s.length <= 200) return s
      debug(`no ${AID_COOKIE} cookie from the storefront (blocked or expired): this checkout gets a new anonymous id`)
      return newId()
    })

  const sendAll = async (): Promise<void> => {
    if (!allowed || timer || !queue.length) return
    for (const c of chunk(queue, config.writeKey, new Date(env.now()).toISOString())) {
      const r = await transport.send(c, c.bytes <= transport.keepaliveRoom())
      if (!r.ok && (r.kind == 'retry' || r.kind == 'config')) {
        if (++failures >= MAX_TRIES) return warn(`sending failed ${failures}x (${r.status ? 'HTTP ' + r.status : 'network error'}); ${queue.length} call(s) kept for the next page`)
        const wait = Math.min(60000, r.retryAfterMs ?? 1000 * 2 ** (failures - 1))
        debug(`send failed; next try in ${wait} ms`)
        timer = setTimeout(() => {
          timer = undefined
          void flush()
        }, wait)
        return
      }
      queue = queue.filter((x) => !c.ids.includes(x.messageId))
      if (r.ok) sent.push(...c.ids), (failures = 0)
      else error(`dropped ${c.ids.length} call(s): ${config.apiHost} refused them with HTTP ${r.status}`)
      save()
    }
  }
  const flush = (): Promise<void> => {
    if (running) return (again = true), running
    // `running` is cleared in the same turn the loop ends, so a flush() arriving later starts a new loop.
    return (running = (async () => {
      try {
        do {
          again = false
          await sendAll()
        } while (again)
      } finally {
        running = undefined
      }
    })())
  }

  const onEvent = async (name: string, e: unknown): Promise<void> => {
    const kind = EVENTS[name]!
    const c = at(e, 'data', 'checkout')
    if (!isObj(c)) return warn(`${name}: the event has no checkout; skipped`)
    const t = Date.parse(text(at(e, 'timestamp')) ?? '')
    const ms = Number.isFinite(t) ? t : env.now()
    const token = id(at(c, 'token'))
    const orderId = id(at(c, 'order', 'id'))
    const key = token ?? orderId ?? text(at(e, 'id')) ?? newId()
    const customer = at(init, 'data', 'customer')
    const traits = checkoutTraits(c, customer, config.defaultCountry)
    const email = traits.email as string | undefined
    if (at(c, 'email') != null && !email) warn(`${name}: the checkout email is not an email address; it is left out`)
    // The storefront's userId for a signed-in customer is Liquid's numeric customer.id.
    const userId = id(at(customer, 'id')) ?? (config.identifyBy == 'email' ? email : undefined)
    const anonymousId = await aid
    await ready
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
      else calls.push(make('track', `onsite-px-${kind > 1 ? 'order-' + (orderId ?? key) : 'checkout-' + key}`, { event, properties }))
    }
    if (kind > 1) (orderAt = ms), orderCookie()
    for (const call of calls) {
      const size = byteLength(JSON.stringify(call))
      if (size > MAX_CALL_BYTES) error(`${call.event ?? call.type} dropped: ${size} bytes, over Customer.io's 32 KB per call`)
      // A replayed Shopify event: the collector and Customer.io dedupe on messageId, but it need not leave at all.
      else if (seen.has(call.messageId)) debug(`${call.messageId} already sent`)
      else seen.add(call.messageId), queue.push(call), debug(`${call.event ?? call.type} queued`)
    }
    // Sent at once (keepalive), stored meanwhile: the thank-you page may close any moment.
    save()
    await flush()
  }

  // For the storefront's offers ("fresh beats stale"); the full cookie string, as browser.cookie.set takes
  // one (path=/ reaches every page). Set once consent allows, also when it comes after the order (QA).
  let orderAt: number | undefined
  const orderCookie = () => orderAt && allowed && invoke(cookie, 'set', `${ORDER_COOKIE}=${orderAt}; path=/; max-age=2592000; SameSite=Lax`).catch(() => {})

  const onConsent = (e: unknown) => {
    const v = at(e, 'customerPrivacy', 'analyticsProcessingAllowed')
    if (typeof v != 'boolean' || v == allowed) return
    allowed = v
    debug(`analytics consent ${v ? 'given: sending' : 'withdrawn: queued calls discarded'}`)
    if (v) return orderCookie(), save(), void flush()
    queue = []
    clearTimeout(timer)
    timer = undefined
    write(() => invoke(storage, 'removeItem', KEY))
  }
  invoke(env.customerPrivacy, 'subscribe', 'visitorConsentCollected', guard(onConsent)).catch(() => {})
  for (const name in EVENTS) {
    invoke(analytics, 'subscribe', name, guard((e) => onEvent(name, e).catch((err) => error(`${name}: ${err}`)))).catch((err) => error(`could not subscribe to ${name}: ${err}`))
  }
  void ready.then(flush)
  return { ready, flush: () => ready.then(flush) }
}
