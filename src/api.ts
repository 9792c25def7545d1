// The public API: one onsite per page, its early queue, init and consent. In: calls from the page; out: the
// core (onsite.ts) once init's config is read and consent is granted. The entries wire it (index.ts for npm,
// global.ts and global-shopify.ts for the script-tag builds).
import { watchCaptureForms } from './identity/capture.ts'
import { own } from './util/check.ts'
import { parseConfig, type Config } from './config.ts'
import { CONSENT_STATES, followShopify, shopifyOf, wipeStorage, type ConsentState } from './identity/consent.ts'
import { createCookies } from './identity/cookie.ts'
import { debug, error, setVerbose } from './util/log.ts'
import { start, type Addon, type Core, type Loaders } from './onsite.ts'
import type { OfferConfig } from './offers/offers.ts'
import type { Explained } from './offers/decide.ts'
import { OFFER_KEYS } from './offers/page.ts'
import { VERSION } from './version.ts'

export type Method = 'init' | 'page' | 'track' | 'identify' | 'reset' | 'flush' | 'consent'
/** A call recorded before the script arrived: [method, args, time of the call in ms]. */
export type QueuedCall = [string, unknown[], number?]

export interface Onsite {
  /** Starts onsite. Without a config, reads `<script type="application/json" id="onsite-config">`. */
  init(config?: OnsiteConfig): void
  page(properties?: Record<string, unknown>): void
  track(event: string, properties?: Record<string, unknown>): void
  identify(userId?: string | Record<string, unknown>, traits?: Record<string, unknown>): void
  reset(): void
  /** Sends what is queued now; resolves after the attempt (failed sends stay queued and retry). */
  flush(): Promise<void>
  /** The visitor's anonymous id ('' before init and while consent is pending or denied). */
  anonymousId(): string
  /**
   * Pending: calls wait in memory, nothing is stored or sent. Granted: they go out in order. Denied: they
   * are discarded and the ids, queue and session stored on this browser are removed.
   */
  consent(state: ConsentState): void
  /** Why the last offer decision came out as it did (undefined before it, or without offers). */
  explain(): Explained | undefined
  readonly version: string
}

export interface OnsiteConfig {
  writeKey: string
  apiHost?: string
  region?: 'us' | 'eu'
  flushAt?: number
  flushIntervalMs?: number
  debug?: boolean
  /** Default "granted", or "shopify" (follow the Customer Privacy API) when `window.Shopify` exists. */
  consent?: ConsentState | 'shopify'
  /** "email": without a customer id the email is the userId. Default "anonymous": anonymousId + traits.email. */
  identifyBy?: 'email' | 'anonymous'
  /** ISO 3166 country for phone numbers typed without a + prefix. Default "US". */
  defaultCountry?: string
  /** The signed-in customer, rendered by the store: identified once, and again when it changes. */
  customer?: { id?: string | number; email?: string } | null
  /** A template ("cio_{id}") making a `_cio_id` link parameter the userId. Default false: the `cio_id` trait only. */
  cioUserId?: string | false
  /** More URL parameter names whose values never leave the browser (beside token, key, code, ...). */
  redactParams?: string[]
  /** What the page is (home, product, collection, cart, ...); default: from the path. */
  pageType?: string
  /** Offers and their governance, audiences, audiencesUrl, ...: see the README's Offers section. */
  offers?: OfferConfig[]
  governance?: { maxOffersPerSession?: number; incentiveCooldownDays?: number; purchaseQuietDays?: number }
  audiences?: { flags?: Record<string, boolean>; syncedAt?: string | number }
  audiencesUrl?: string
  audiencesWaitMs?: number
  audiencesTtlMs?: number
  /** true: push flags and decisions to Wisepops and let it show `renderer: "wisepops"` offers. */
  wisepops?: boolean
  /** Rendered by the Shopify snippet; read by the Shopify build's cart capture. */
  shopify?: { root?: string; currency?: string; product?: Record<string, unknown> }
}

export type { ConsentState, Explained, OfferConfig }

const MAX_EARLY = 200

/**
 * Reads the config a page rendered into `#onsite-config`: JSON in its `data-config` attribute (the Shopify
 * snippet's way: attribute escaping keeps shopper text out of any script body) or as its text.
 */
const pageConfig = (): unknown => {
  // a <script> only: a sanitizer keeps id and data-* on a div a shopper wrote
  const el = typeof document === 'object' ? document.querySelector('script#onsite-config') : null
  if (!el) return undefined
  try {
    return JSON.parse(el.getAttribute('data-config') ?? (el.textContent || ''))
  } catch (e) {
    error(`#onsite-config is not valid JSON (${(e as Error).message}): render it with Liquid's | json filter or JSON.stringify`)
    return null
  }
}

/** What one onsite knows before and after its core starts. */
interface State {
  addons: readonly Addon[]
  load: Loaders
  core?: Core | undefined
  config?: Config | undefined
  raw: Record<string, unknown>
  consent: ConsentState
  /** init refused the config, or ran already */
  stopped: boolean
  /** consent() was called before init: it wins over the config */
  asked: boolean
  /** init() was called: its config is read in the next task (or at once when something needs it) */
  pending?: { input: unknown } | undefined
  /** the time of the call being replayed */
  at?: number | undefined
  /** Before init and while consent is pending, calls wait here, in memory only, with their time. */
  early: QueuedCall[]
  full: boolean
}

const when = (s: State) => s.at ?? Date.now()

/** Runs calls with the time they were made, so replayed calls keep their original timestamps. */
const replay = (s: State, calls: QueuedCall[]) => {
  for (const [method, args, t] of calls) {
    s.at = t
    try {
      run(s, method, args)
    } finally {
      s.at = undefined
    }
  }
}

const run = (s: State, method: string, args: unknown[]): unknown => {
  try {
    if (method === 'init') return init(s, args[0])
    if (method === 'consent') return setConsent(s, args[0])
    if (!['page', 'track', 'identify', 'reset', 'flush'].includes(method)) return error(`onsite.${method} is not a function of onsite ${VERSION}`)
    if (s.core) return (s.core[method as keyof Core] as (...a: unknown[]) => unknown)(...args)
    if (method === 'flush') return begin(s)?.flush() ?? Promise.resolve()
    if (s.stopped) return undefined
    if (s.config && s.consent === 'denied') return debug(`${method} discarded: consent denied`)
    if (s.early.length < MAX_EARLY) s.early.push([method, args, when(s)])
    else if (!s.full) (s.full = true), error(`more than ${MAX_EARLY} calls before init() or consent: later ones are dropped`)
    return undefined
  } catch (e) {
    // Never throw into the store's page.
    error(`${method} failed: ${(e as Error)?.message ?? e}`)
    return method === 'flush' ? Promise.resolve() : undefined
  }
}

const begin = (s: State): Core | undefined => {
  settleInit(s)
  if (!s.core && s.config && s.consent === 'granted') {
    s.core = start(window, s.config, () => when(s), s.raw, s.addons, s.load)
    replay(s, s.early.splice(0))
  }
  return s.core
}

const setConsent = (s: State, state: unknown) => {
  if (!CONSENT_STATES.includes(state as string)) return error(`consent(state): state must be "granted", "pending" or "denied", got ${JSON.stringify(state)}`)
  s.consent = state as ConsentState
  s.asked = true
  if (!s.config) return
  if (s.consent === 'granted' && !s.core) {
    // Storage, cookies and IndexedDB are first touched in a task of their own, after init() has
    // returned: the calls made meanwhile wait in `early` with their time. A page that goes away first,
    // or code asking for the anonymous id, starts it at once (the core's own pagehide listener would be
    // added too late to hear this pagehide).
    setTimeout(() => begin(s))
    window.addEventListener('pagehide', () => s.core || begin(s)?.leave())
  } else if (s.consent === 'denied') {
    s.early.length = 0
    const c = s.core
    s.core = undefined
    // A core of this page holds the databases open: it empties them; otherwise they are deleted.
    void c?.stop()
    wipeStorage(window, createCookies(document, location.hostname, location.protocol === 'https:').del, !c)
  }
}

/**
 * init() records its config and returns: the config is read and checked in a task of its own (or at once,
 * when code asks for the anonymous id or a flush), so the call costs the page next to nothing.
 */
const init = (s: State, input?: unknown) => {
  if (s.pending || s.config || s.stopped) return error('init was called twice; the first config stays in force')
  if (typeof window !== 'object') return error('init needs a browser window')
  s.pending = { input }
  // From init, not from consent: a form submitted while consent is pending (or before the config is read)
  // is an identify that waits in memory like any other call (and is discarded if consent is denied).
  watchCaptureForms(document, (traits) => run(s, 'identify', [traits]))
  setTimeout(() => settleInit(s))
}

const settleInit = (s: State) => {
  const input = s.pending?.input
  if (!s.pending || s.config || s.stopped) return
  s.pending = undefined
  const given = input === undefined ? pageConfig() : input
  const parsed = parseConfig(given, location.href, [...OFFER_KEYS, 'shopify'], !!shopifyOf(window))
  if (!parsed) {
    s.stopped = true
    s.early.length = 0
    return
  }
  const config = (s.config = parsed)
  // own keys only, as check() reads them (show.ts and the add-ons read this copy)
  s.raw = own(given)
  // the files the core loads read this copy (they have a log module of their own in the script-tag build)
  config.debug ||= /[?&]onsite_debug=1/.test(location.search)
  setVerbose(config.debug)
  const state = s.asked ? s.consent : config.consent
  if (state === 'shopify') followShopify(window, (c) => setConsent(s, c))
  else setConsent(s, state)
}

/**
 * `addons`: what a build adds beside the core (the Shopify build passes its cart capture); `load`: how the
 * delivery engine and the offers arrive (the script-tag builds fetch them as files of their own, util/script.ts).
 */
export const createOnsite = (addons: readonly Addon[], load: Loaders): Onsite => {
  const s: State = { addons, load, raw: {}, consent: 'pending', stopped: false, asked: false, early: [], full: false }
  const call = (method: string) => (...a: unknown[]) => void run(s, method, a)
  const api: Onsite = {
    init: (config) => {
      run(s, 'init', [config])
      const w = typeof window == 'object' ? (window as unknown as { onsite?: unknown }) : undefined
      if (w && (!w.onsite || !(w.onsite as Onsite).version)) w.onsite = api
    },
    page: call('page'),
    track: call('track'),
    identify: call('identify'),
    reset: call('reset'),
    flush: () => run(s, 'flush', []) as Promise<void>,
    anonymousId: () => begin(s)?.anonymousId() ?? '',
    consent: call('consent'),
    explain: () => begin(s)?.explain(),
    version: VERSION,
  }
  Object.defineProperties(api, { _replay: { value: (q: QueuedCall[]) => replay(s, q) }, _inited: { get: () => !!(s.pending || s.config || s.stopped) } })
  return api
}
