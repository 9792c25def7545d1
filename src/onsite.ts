// Assembles the pieces behind the public API for one page, once consent allows storing and sending:
// identity, capture and delivery first, then the offers once the ids are settled, then the build's add-ons.
// Nothing runs until init(): importing is free.
import { createEmitter, type Emit } from './capture/emit.ts'
import { pageInfo } from './capture/context.ts'
import { cleanTraits, cutPII, normalizePhone, scrubPII } from './capture/traits.ts'
import { validateEvent, type Props } from './capture/validate.ts'
import type { Config } from './config.ts'
import { handoff } from './delivery/handoff.ts'
import type { DeliveryLoader } from './delivery/load.ts'
import { browserBackends, gatedStorage } from './delivery/storage.ts'
import { createIdentify } from './identity/bridge.ts'
import { takeCioId } from './identity/capture.ts'
import { deleteDatabases } from './identity/consent.ts'
import { createCookies, ORDER_COOKIE, type Cookies } from './identity/cookie.ts'
import type { IdentifyInput } from './identity/identify.ts'
import { createIdentity, type Identity, type Traits } from './identity/identity.ts'
import { createSession, type Sessions } from './identity/session.ts'
import { ATTRIBUTED, live } from './offers/attribution.ts'
import { createHistory, type HistoryStore } from './offers/history.ts'
import type { OffersLoader, StartOffers } from './offers/load.ts'
import { isObj } from './util/check.ts'
import { newId } from './util/id.ts'
import { error, warn } from './util/log.ts'

/**
 * Something a build adds beside the core, started with the page: it gets the raw config and the core's
 * `track`, and returns how to stop it (consent withdrawn).
 */
export type Addon = (w: Window, raw: Record<string, unknown>, track: (event: string, props: Record<string, unknown>) => void, ls: Storage | undefined) => (() => void) | void

/**
 * Calls wait for the ids to be settled, in the order they were made, so each sees the identity as it was
 * when it was made. `settle` early (the page goes away) runs them with the ids there are (cookie and
 * localStorage): a call made before storage answered is still in the pagehide send.
 */
const turns = () => {
  let settled = false
  const pending: (() => void)[] = []
  return {
    later: (fn: () => void) => (settled ? fn() : void pending.push(fn)),
    settle(): void {
      settled = true
      for (const fn of pending.splice(0)) fn()
    },
  }
}

/** Emails and phone numbers belong in identify traits, never in event properties. */
const clean = (what: string, props: Props): Props => {
  const [out, removed] = scrubPII(props)
  if (removed.length) warn(`${what}: removed ${removed.join(', ')}: emails and phone numbers go in identify() traits, not in event properties`)
  return out
}

/** The ids the page itself brings: the signed-in customer the store rendered, a tracked email link's `_cio_id`. */
const identifyFromPage = (w: Window, config: Config, identify: (input: IdentifyInput) => void) => {
  const customer = config.customer
  if (customer?.id || customer?.email) identify({ userId: customer.id, traits: cleanTraits(customer.email ? { email: customer.email } : {}, config.defaultCountry) })
  const cio = takeCioId(w)
  if (cio) identify({ userId: config.cioUserId.replace('{id}', () => cio) || undefined, traits: { cio_id: cio }, soft: true })
}

interface OfferDeps {
  w: Window
  ls: Storage | undefined
  config: Config
  raw: Record<string, unknown>
  cookies: Cookies
  history: HistoryStore
  identity: Identity
  sessions: Sessions
  track: (event: string, props: Record<string, unknown>) => void
  identify: (input: IdentifyInput) => void
}

/** Starts the offers once the ids are settled; a bad offers config reports and starts none. */
const pageOffers = (startOffers: StartOffers, { w, ls, config, raw, cookies, history, identity, sessions, track, identify }: OfferDeps) => {
  // Shopify's checkout runs no theme script: the checkout pixel leaves the order time in this cookie so
  // offers here learn of the purchase before any audience sync does ("fresh beats stale").
  const order = +cookies.get(ORDER_COOKIE)
  if (order && order < Date.now() + 864e5 && order > (history.get().orderAt ?? 0)) history.observe('Order Completed', order)
  return startOffers({
    w, input: raw, history, ls, now: Date.now,
    ids: () => ({ anonymousId: identity.anonymousId(), userId: identity.userId() }),
    session: () => sessions.touch(Date.now()),
    track,
    identify: (traits) => identify({ traits: cleanTraits(traits, config.defaultCountry) }),
    overlay: config.debug,
    attributionDays: config.attributionDays,
    phone: (v) => normalizePhone(v, config.defaultCountry),
  })
}

/**
 * page / track / identify checked as the API documents them, then emitted. `observe` hears every valid
 * track and may add properties (the offer decisions a cart or order event follows).
 */
const calls = (w: Window, config: Config, emit: Emit, identify: (input: IdentifyInput) => void, observe: (event: string, props: Props) => Props | void) => ({
  page(properties?: unknown) {
    if (properties !== undefined && !isObj(properties)) return error('page(properties): properties must be an object')
    emit('page', { properties: clean('page', { ...pageInfo(w, config.redactParams), ...(properties as Props | undefined) }) })
  },
  track(event: unknown, properties: unknown = {}) {
    // a name holding an email is refused whole, and not echoed: the console may be collected too
    const why = (typeof event == 'string' && cutPII(event) !== event ? 'the event name holds an email address or phone number: use a fixed name ("Signed Up") and put the person in identify() traits' : '') || validateEvent(event, properties)
    if (why) return error(`track refused: ${why}`)
    const more = observe(event as string, properties as Props)
    emit('track', { event, properties: clean(`track "${event}"`, { ...(properties as Props), ...more }) })
  },
  identify(userId?: unknown, traits?: unknown) {
    if (isObj(userId) && traits === undefined) [userId, traits] = [undefined, userId]
    if (userId != null && ((typeof userId !== 'string' && typeof userId !== 'number') || !String(userId).trim())) {
      return error('identify(userId, traits): userId must be a non-empty string')
    }
    if (traits !== undefined && !isObj(traits)) return error('identify(userId, traits): traits must be an object')
    identify({ userId: userId == null ? undefined : String(userId).trim(), traits: cleanTraits((traits ?? {}) as Traits, config.defaultCountry) })
  },
})

/** Add-ons of this build (the Shopify build's cart capture): each reads its own config key. */
const startAddons = (w: Window, raw: Record<string, unknown>, addons: readonly Addon[], track: Parameters<Addon>[2], ls: Storage | undefined) => {
  if (raw.shopify !== undefined && !addons.length) warn('config.shopify: cart capture is in the Shopify build (dist/shopify/onsite.js), not in this file')
  return addons.map((a) => {
    try {
      return a(w, raw, track, ls)
    } catch (e) {
      return error('add-on failed: ' + e)
    }
  })
}

/** A config with offers (an empty list has none; a bad value gets its error from the offers). */
const hasOffers = (raw: Record<string, unknown>) => raw.offers !== undefined && !(Array.isArray(raw.offers) && !raw.offers.length)

const ENGINE_WAIT_MS = 3000

/** How a build brings the files it loads: the delivery engine, and the offers on pages with offers. */
export interface Loaders {
  delivery: DeliveryLoader
  offers: OffersLoader
}

/**
 * Starts everything for one page. `when()` is the time the shopper acted (replayed calls keep theirs);
 * the delivery engine and the offers are asked for at once, so they load while the ids are read.
 */
export const start = (w: Window, config: Config, when: () => number, raw: Record<string, unknown>, addons: readonly Addon[], load: Loaders) => {
  const chunk = hasOffers(raw) ? load.offers() : undefined
  // After "no" nothing is written again, whatever still runs (a late answer, a timer, an add-on): every
  // module gets its storage and cookies through this gate. Removals (the wipe itself) go through.
  let stopped = false
  const open = () => !stopped
  const found = browserBackends(w)
  const backends = { ...found, localStorage: gatedStorage(found.localStorage, open), open }
  const ls = backends.localStorage
  const cookies = createCookies(w.document, w.location.hostname, w.location.protocol === 'https:', open)
  const { later, settle } = turns()
  const delivery = handoff(w, config, backends, settle, load.delivery)
  // The ids wait for the engine's IndexedDB tier, but not for a load that hangs: past ENGINE_WAIT_MS they
  // are read from the cookie and localStorage, and the calls held for them are written ahead.
  const kv = Promise.race([delivery.engine.then((m) => m?.createKV('id', backends)), new Promise<undefined>((r) => setTimeout(r, ENGINE_WAIT_MS))])
  const identity = createIdentity({ cookies, kv, localStorage: ls, newId })
  const sessions = createSession(ls, newId, identity.known())
  const history = createHistory(ls)
  const ready = kv.then(() => identity.restore()).catch((e) => error('could not restore ids: ' + e))
  void ready.then(settle)
  // Calls left by earlier pages (a crash, a closed tab, a failed send) go first.
  void ready.then(() => delivery.flush())
  const emit = createEmitter({ w, when, newId, identity, sessions, later, add: delivery.add, stopped: () => stopped, redact: config.redactParams })
  const identify = createIdentify(emit, identity, sessions, config.identifyBy)
  identifyFromPage(w, config, identify)
  let offers: ReturnType<StartOffers>
  const track = (event: string, props: Record<string, unknown>) => core.track(event, props)
  // consent withdrawn while the ids were read or the offers loaded: no offer, and nothing written after the wipe
  const offersDeps = { w, ls, config, raw, cookies, history, identity, sessions, track, identify }
  void chunk
    ?.then(async (startOffers) => (await ready, stopped || (offers = pageOffers(startOffers, offersDeps))))
    .catch((e) => error('offers not started: ' + e))
  const observe = (event: string, props: Props) => {
    const at = when()
    // the history as this event left it: read once (every event that carries decisions is one it records)
    const h = history.observe(event, at, props)
    offers?.observe(event)
    const decided = h && ATTRIBUTED.test(event) ? live(h.decisions, at, config.attributionDays) : []
    if (decided.length) return { onsite_offers: decided }
  }
  const core = {
    ...calls(w, config, emit, identify, observe),
    reset() {
      // in the calls' order: a call made right after reset() carries the new id
      later(() => stopped || (sessions.end(), history.clear(), void identity.reset()))
    },
    flush: (): Promise<void> => ready.then(() => delivery.flush()),
    /** The page is going away (pagehide heard before this core started). */
    leave: delivery.leave,
    anonymousId: () => identity.anonymousId(),
    explain: () => offers?.explain(),
    /** Consent withdrawn: stop, and remove the ids, the queue and the session from this browser. */
    async stop(): Promise<void> {
      stopped = true
      stopAddons.forEach((f) => f?.())
      offers?.stop()
      delivery.stop()
      await ready
      sessions.end()
      history.clear()
      // the engine never ran on this page: the databases earlier pages filled are not open, and go whole
      const [, open] = await Promise.all([identity.wipe(), delivery.clear()])
      if (!open) deleteDatabases(w)
    },
  }
  const stopAddons = startAddons(w, raw, addons, track, ls)
  return core
}
export type Core = ReturnType<typeof start>
