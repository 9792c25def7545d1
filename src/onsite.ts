// Assembles the pieces behind the public API for one page, once consent allows storing and sending.
// Nothing runs until init(): importing is free.
import { nanoid } from 'nanoid'
import { takeCioId } from './identity/capture.ts'
import { isObj, own } from './util/check.ts'
import type { Config } from './config.ts'
import { callContext, pageInfo } from './capture/context.ts'
import { createCookies, ORDER_COOKIE } from './identity/cookie.ts'
import { createDelivery, SEND_LEASE_MS, UNLOAD_LEASE_MS } from './delivery/delivery.ts'
import { isOtherPerson, planIdentify, resolveUserId, type IdentifyInput } from './identity/identify.ts'
import { createHistory } from './offers/history.ts'
import { createIdentity, type Traits } from './identity/identity.ts'
import { stringify } from './util/json.ts'
import { createLeases, createLock } from './delivery/lock.ts'
import { debug, error, warn } from './util/log.ts'
import { createOutbox, type Call } from './delivery/outbox.ts'
import { createSession } from './identity/session.ts'
import { startOffers } from './offers/show.ts'
import { browserBackends, createKV } from './delivery/storage.ts'
import { MAX_CALL_BYTES } from './capture/taxonomy.ts'
import { cleanTraits, scrubPII } from './capture/traits.ts'
import { byteLength, createTransport } from './delivery/transport.ts'
import { validateEvent, type Props } from './capture/validate.ts'

const LEASES_KEY = 'onsite:leases'

/**
 * Something a build adds beside the core, started with the page: it gets the raw config and the core's
 * `track`, and returns how to stop it (consent withdrawn).
 */
export type Addon = (w: Window, raw: Record<string, unknown>, track: (event: string, props: Record<string, unknown>) => void) => (() => void) | void

/**
 * nanoid needs crypto.getRandomValues; a page (or a very old WebView) without it must not stop onsite at
 * init: ids then come from Math.random, unique enough for ids and messageIds (QA, 2026-11-23).
 */
const newId = (): string => {
  try {
    return nanoid()
  } catch {
    return (Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2)).slice(0, 21)
  }
}

/** Starts everything for one page. `when()` is the time the shopper acted (replayed calls keep theirs). */
export const start = (w: Window, config: Config, when: () => number, raw: Record<string, unknown> = {}, addons: readonly Addon[] = []) => {
  const now = () => Date.now()
  const backends = browserBackends(w)
  const ls = backends.localStorage
  const cookies = createCookies(w.document, w.location.hostname, w.location.protocol === 'https:')
  const identity = createIdentity({ cookies, kv: createKV('id', backends), localStorage: ls, newId })
  const sessions = createSession(ls, newId, identity.known())
  // Every call waits for the ids to be settled, in the order the calls were made, so each sees the identity
  // as it was when it was made. A page that goes away first settles them at once with the ids it has
  // (cookie and localStorage): a call made before storage answered is still in the pagehide send.
  const ready = identity.restore().catch((e) => error('could not restore ids: ' + e))
  let settled = false
  const pending: (() => void)[] = []
  const later = (fn: () => void) => (settled ? fn() : void pending.push(fn))
  const settle = () => {
    settled = true
    for (const fn of pending.splice(0)) fn()
  }
  void ready.then(settle)
  const outbox = createOutbox(createKV('queue', backends))
  if (!backends.indexedDB && !ls) warn('no IndexedDB or localStorage on this page: calls not yet delivered can be lost when the page unloads')
  let channel: BroadcastChannel | undefined
  try {
    channel = new BroadcastChannel('onsite')
    channel.onmessage = (e) => Array.isArray(e.data) && outbox.forget(e.data)
  } catch {}
  const nav = w.navigator
  // This page's own waits run on a monotonic clock; what other pages read on timeOrigin + that clock: a
  // wall clock set back or forward while the page lives moves neither.
  const perf = typeof performance == 'object' && typeof performance.now == 'function' && performance.timeOrigin > 0 ? performance : undefined
  const clock = perf ? () => perf.now() : now
  const shared = perf ? () => perf.timeOrigin + perf.now() : now
  const delivery = createDelivery({
    outbox,
    transport: createTransport({
      fetch: (...a) => w.fetch(...a),
      beacon: (url, body) => nav.sendBeacon(url, body),
      apiHost: config.apiHost,
      now,
    }),
    lock: createLock('onsite-send', nav),
    leases: createLeases(ls, shared, LEASES_KEY, SEND_LEASE_MS + UNLOAD_LEASE_MS),
    receipts: createLeases(ls, shared, 'onsite:sent'),
    writeKey: config.writeKey,
    apiHost: config.apiHost,
    flushAt: config.flushAt,
    flushIntervalMs: config.flushIntervalMs,
    now: shared,
    clock,
    random: Math.random,
    announce: (ids) => channel?.postMessage(ids),
  })
  // Calls left by earlier pages (a crash, a closed tab, a failed send) go first.
  void ready.then(() => delivery.flush())
  const leave = () => (settle(), delivery.hide())
  const onHide = () => {
    const hidden = w.document.visibilityState === 'hidden'
    delivery.visible(!hidden)
    if (hidden) leave()
  }
  // another tab took or released leases: if it dies holding them, this tab takes over when they expire
  const onStorage = (e: StorageEvent) => e.key === LEASES_KEY && delivery.wake()
  w.addEventListener('pagehide', leave)
  w.addEventListener('storage', onStorage)
  w.document.addEventListener('visibilitychange', onHide)

  let seq = 0
  let stopped = false
  /**
   * Queues one call. `prepare` runs in the call's turn, after the calls made before it, and may adjust
   * the call or cancel it by returning false (identify uses it to see the identity as it is by then).
   */
  const emit = (type: string, fields: Props, prepare?: (call: Call) => boolean | void) => {
    const at = when()
    const context = callContext(w)
    // An email in the URL (`?email=...` after a newsletter form) is cut out of the page context too.
    context.page = scrubPII(context.page as Props)[0]
    const call = { type, ...fields, messageId: 'onsite-' + newId(), timestamp: new Date(at).toISOString(), context } as Call
    const order = ++seq
    later(() => {
      try {
        queue(call, at, order, prepare)
      } catch (e) {
        // a BigInt, a throwing toJSON: never an exception into the page
        error(`${type} ${String(fields.event ?? '')} dropped: ${e}`)
      }
    })
  }

  /** Completes a call with the identity and session as they are in its turn, and hands it to delivery. */
  const queue = (call: Call, at: number, order: number, prepare?: (call: Call) => boolean | void) => {
    const name = `${call.type} ${String(call.event ?? '')}`.trim()
    // consent withdrawn since the call was made: it is discarded with the rest
    if (stopped || prepare?.(call) === false) return
    const session = sessions.touch(at)
    ;(call.context as Props).session = session
    if (call.type === 'page') (call.properties as Props).returning = session.returning
    call.anonymousId = identity.anonymousId()
    const userId = identity.userId()
    if (userId) call.userId = userId
    // The API answers 200 and silently drops calls over 32 KB, so they never leave the page.
    const text = stringify(call)
    const size = byteLength(text)
    if (size > MAX_CALL_BYTES) return error(`${name} dropped: ${size} bytes, over Customer.io's 32 KB per call`)
    debug(name + ' queued')
    // Stored as it will be sent, plain JSON: IndexedDB cannot clone a function, a DOM node or a Symbol.
    void delivery.add({ call: JSON.parse(text), seq: order }).catch((e) => error(`${name} dropped: ${e}`))
  }

  /** Emails and phone numbers belong in identify traits, never in event properties. */
  const clean = (what: string, props: Props): Props => {
    const [out, removed] = scrubPII(props)
    if (removed.length) warn(`${what}: removed ${removed.join(', ')}: emails and phone numbers go in identify() traits, not in event properties`)
    return out
  }

  const identify = (input: IdentifyInput) =>
    void emit('identify', { traits: {} }, (call) => {
      // own keys only: an Object.prototype.userId set by the page must not become this shopper's userId
      input = own(input) as IdentifyInput
      const userId = resolveUserId(identity.person(), input, config.identifyBy)
      if (userId === null) return debug('a tracked link id was ignored: a known customer is signed in'), false
      if (isOtherPerson(identity.person(), userId, input)) {
        debug('a different person identified: starting a new anonymous id')
        void identity.reset()
        sessions.end()
      }
      const plan = planIdentify(identity.person(), identity.anonymousId(), userId, input)
      void identity.setPerson(plan.person)
      if (!plan.call) return debug('identify skipped: nothing changed'), false
      call.traits = plan.call
    })

  const customer = config.customer
  if (customer?.id || customer?.email) identify({ userId: customer.id, traits: cleanTraits(customer.email ? { email: customer.email } : {}, config.defaultCountry) })
  const cio = takeCioId(w)
  if (cio) identify({ userId: config.cioUserId.replace('{id}', () => cio) || undefined, traits: { cio_id: cio }, soft: true })

  const history = createHistory(ls)
  let offers: ReturnType<typeof startOffers>
  void ready.then(() => {
    // consent withdrawn while the ids were read: no offer, and nothing written after the wipe (review)
    if (stopped) return
    // Shopify's checkout runs no theme script: the checkout pixel leaves the order time in this cookie so
    // offers here learn of the purchase before any audience sync does ("fresh beats stale").
    const order = +cookies.get(ORDER_COOKIE)
    if (order && order < now() + 864e5 && order > (history.get().orderAt ?? 0)) history.observe('Order Completed', order)
    // a bad offers config must not cost the page its events: startOffers reports and returns undefined
    offers = startOffers({
      w, input: raw, history, ls, now,
      ids: () => ({ anonymousId: identity.anonymousId(), userId: identity.userId() }),
      session: () => sessions.touch(now()),
      track: (event, props) => core.track(event, props),
      identify: (traits) => identify({ traits: cleanTraits(traits, config.defaultCountry) }),
      overlay: config.debug || /[?&]onsite_debug=1/.test(w.location.search),
    })
  })

  let stopAddons: ((() => void) | void)[] = []
  const core = {
    page(properties?: unknown) {
      if (properties !== undefined && !isObj(properties)) return error('page(properties): properties must be an object')
      void emit('page', { properties: clean('page', { ...pageInfo(w), ...(properties as Props | undefined) }) })
    },
    track(event: unknown, properties: unknown = {}) {
      const why = validateEvent(event, properties)
      if (why) return error(`track refused: ${why}`)
      history.observe(event as string, when())
      offers?.observe(event as string)
      void emit('track', { event, properties: clean(`track "${event}"`, properties as Props) })
    },
    identify(userId?: unknown, traits?: unknown) {
      if (isObj(userId) && traits === undefined) [userId, traits] = [undefined, userId]
      if (userId != null && ((typeof userId !== 'string' && typeof userId !== 'number') || !String(userId).trim())) {
        return error('identify(userId, traits): userId must be a non-empty string')
      }
      if (traits !== undefined && !isObj(traits)) return error('identify(userId, traits): traits must be an object')
      identify({ userId: userId == null ? undefined : String(userId).trim(), traits: cleanTraits((traits ?? {}) as Traits, config.defaultCountry) })
    },
    reset() {
      // in the calls' order: a call made right after reset() carries the new id
      later(() => {
        if (stopped) return
        sessions.end()
        history.clear()
        void identity.reset()
      })
    },
    flush: (): Promise<void> => ready.then(() => delivery.flush()),
    /** The page is going away (pagehide heard before this core started). */
    leave,
    anonymousId: () => identity.anonymousId(),
    explain: () => offers?.explain(),
    /** Consent withdrawn: stop, and remove the ids, the queue and the session from this browser. */
    async stop(): Promise<void> {
      stopped = true
      w.removeEventListener('pagehide', leave)
      w.removeEventListener('storage', onStorage)
      w.document.removeEventListener('visibilitychange', onHide)
      stopAddons.forEach((f) => f?.())
      offers?.stop()
      delivery.stop()
      channel?.close()
      await ready
      sessions.end()
      history.clear()
      await Promise.all([identity.wipe(), outbox.clear()])
    },
  }

  // Add-ons of this build (the Shopify build's cart capture): each reads its own config key.
  if (raw.shopify !== undefined && !addons.length) warn('config.shopify: cart capture is in the Shopify build (dist/shopify/onsite.js), not in this file')
  stopAddons = addons.map((a) => {
    try {
      return a(w, raw, (event, props) => core.track(event, props))
    } catch (e) {
      return error('add-on failed: ' + e)
    }
  })
  return core
}
export type Core = ReturnType<typeof start>
