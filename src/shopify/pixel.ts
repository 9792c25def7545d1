// The Shopify checkout pixel. Checkout pages run no theme scripts, so `Checkout Started` and `Order Completed`
// can only come from a Web Pixel (REFERENCE.md, Shopify). This turns Shopify's checkout events into the calls
// the storefront bundle sends (same endpoint, same wire format), joined to the storefront's anonymous id
// through its first-party cookie. Everything Shopify gives a pixel is a parameter, so tests and the demo pass
// their own; every field is read as possibly missing or hostile, and nothing here throws into the sandbox.
import { ORDER_COOKIE } from '../identity/cookie.ts'
import { HISTORY_KEY, live } from '../offers/attribution.ts'
import { AID_COOKIE } from '../identity/identity.ts'
import { at, checkoutProperties, checkoutTraits, text } from './pixel-map.ts'
import { EVENTS, newId, readCheckout } from './pixel-calls.ts'
import { pixelConfig, type PixelConfig } from './pixel-config.ts'
import { add, discard, flush, load, save, type Queue } from './pixel-queue.ts'
import { guard, invoke } from './pixel-sandbox.ts'
import { debug, error, setVerbose } from '../util/log.ts'
import { createTransport } from '../delivery/transport.ts'

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

export { checkoutProperties, checkoutTraits, ORDER_COOKIE, pixelConfig, type PixelConfig }

interface State extends Queue {
  env: PixelEnv
  /** Shopify's browser.cookie */
  cookie: unknown
  /** settles once the calls left by an earlier page are loaded */
  ready: Promise<void>
  /** the storefront's anonymous id, or a new one */
  aid: Promise<string>
  /** the storefront's offer history (its decisions are stamped on the checkout's events) */
  history: Promise<unknown>
  /** the time of this checkout's order, once there is one */
  orderAt?: number | undefined
}

const anonymousId = (cookie: unknown): Promise<string> =>
  invoke(cookie, 'get', AID_COOKIE)
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

const storedHistory = (storage: unknown): Promise<unknown> =>
  invoke(storage, 'getItem', HISTORY_KEY).then((v) => JSON.parse(text(v) ?? 'null')).catch(() => null)

const createState = (env: PixelEnv, config: PixelConfig): State => {
  const s: Omit<State, 'ready' | 'aid' | 'history'> = {
    env, config, now: env.now,
    transport: createTransport({ fetch: env.fetch, apiHost: config.apiHost, now: env.now }),
    storage: at(env.browser, 'localStorage'),
    cookie: at(env.browser, 'cookie'),
    // Shopify runs a custom pixel only with the permission the merchant chose for it; a pixel set to "not
    // required" still sees the visitor's choice here: without analytics and marketing consent (as on the
    // storefront), calls wait in memory only. https://shopify.dev/docs/api/web-pixels-api/pixel-privacy
    // Fails closed: no customerPrivacy in init (a sandbox change) is no consent, not consent.
    allowed: allows(env.init) === true,
    queue: [], sent: [], seen: new Set(), failures: 0, again: false, saving: Promise.resolve(),
  }
  return Object.assign(s, { ready: load(s), aid: anonymousId(s.cookie), history: storedHistory(s.storage) })
}

// For the storefront's offers ("fresh beats stale"); the full cookie string, as browser.cookie.set takes
// one (path=/ reaches every page). Set once consent allows, also when it comes after the order.
const orderCookie = (s: State) =>
  s.orderAt && s.allowed && invoke(s.cookie, 'set', `${ORDER_COOKIE}=${s.orderAt}; path=/; max-age=2592000; SameSite=Lax`).catch(() => {})

const onEvent = async (s: State, name: string, e: unknown): Promise<void> => {
  const checkout = readCheckout(name, e, s.env.init, s.config, s.env.now)
  if (!checkout) return
  const anonymousId = await s.aid
  const history: any = await s.history
  await s.ready
  const calls = checkout.calls(anonymousId, live(history?.decisions, s.env.now(), s.config.attributionDays))
  if (checkout.orderAt !== undefined) (s.orderAt = checkout.orderAt), orderCookie(s)
  add(s, calls)
  // Sent at once (keepalive), stored meanwhile: the thank-you page may close any moment.
  save(s)
  await flush(s)
}

/** Both purposes allowed: true; either refused: false; no answer in `x`: undefined. */
const allows = (x: unknown): boolean | undefined => {
  const [a, m] = ['analyticsProcessingAllowed', 'marketingAllowed'].map((k) => at(x, 'customerPrivacy', k))
  return typeof a == 'boolean' || typeof m == 'boolean' ? a === true && m === true : undefined
}

const onConsent = (s: State, e: unknown) => {
  const v = allows(e)
  if (v === undefined || v == s.allowed) return
  s.allowed = v
  debug(`consent ${v ? 'given: sending' : 'withdrawn: queued calls discarded'}`)
  if (v) return orderCookie(s), save(s), void flush(s)
  discard(s)
}

const subscribe = (s: State): void => {
  invoke(s.env.customerPrivacy, 'subscribe', 'visitorConsentCollected', guard((e) => onConsent(s, e))).catch(() => {})
  for (const name in EVENTS) {
    invoke(s.env.analytics, 'subscribe', name, guard((e) => onEvent(s, name, e).catch((err) => error(`${name}: ${err}`)))).catch((err) => error(`could not subscribe to ${name}: ${err}`))
  }
}

/**
 * Starts the pixel: subscribes to the checkout events, resends what an earlier page left unsent, and returns
 * a handle, or undefined when the config is fatally wrong (a missing or secret writeKey: the reason is printed).
 */
export const startPixel = (env: PixelEnv, input: unknown): Pixel | undefined => {
  const config = pixelConfig(input, text(at(env.init, 'context', 'document', 'location', 'href')) ?? '')
  if (!config) return
  setVerbose(config.debug)
  if (typeof at(env.analytics, 'subscribe') != 'function') return void error("pixel: Shopify's analytics API is missing: paste this code as a custom pixel (Settings > Customer events)")
  const s = createState(env, config)
  subscribe(s)
  void s.ready.then(() => flush(s))
  return { ready: s.ready, flush: () => s.ready.then(() => flush(s)) }
}
