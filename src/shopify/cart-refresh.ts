// One refresh of the cart capture: fetch /cart.js, diff it against the stored snapshot (cart-diff.ts),
// save it, emit the changes. Refreshes run one after another in a tab, and one tab at a time across tabs
// (Web Locks), so two tabs never both announce one change. A refresh that reads /cart.js first waits for
// the adds in flight, so each is answered and claims its own part of the diff.
import { cartViewedProps, diffCarts, parseCart, readSnapshot, type Claim, type Props, type Snapshot } from './cart-diff.ts'
import type { Snapshots } from './cart-store.ts'
import { stringify } from '../util/json.ts'
import { debug } from '../util/log.ts'

// A hung cart.js would hold the cross-tab lock for every tab; give up on it after this long.
const FETCH_TIMEOUT_MS = 10_000
// Another tab's copy of localStorage sees a write a few ms late (one copy per renderer process); the lock
// is held this much longer after a new snapshot, so the next tab does not diff against the old one.
const SETTLE_MS = 200

/** What the cart watcher and its refreshes share. */
export interface CartState {
  w: Window
  track: (event: string, props: Record<string, unknown>) => void
  locks: LockManager | undefined
  store: Snapshots
  origin: string
  /** the locale/market root, with a slash at both ends */
  root: string
  stopped: boolean
  /** the host's fetch from before the patch, so our own request does not look like a cart change */
  fetch: typeof fetch | undefined
  /** a Cart Viewed is due at the next refresh */
  view: boolean
  /** observed add calls not yet answered, and the answered ones' claims not yet diffed */
  adds: Set<Promise<unknown>>
  claims: Claim[]
  /** a refresh is queued and has not started */
  queued: boolean
  chain: Promise<void>
}

export interface Job {
  cart?: Snapshot | Promise<Snapshot | undefined>
  /** the stored snapshot when the change began: `cart` is used only if nothing was saved since */
  ifRaw?: string | null
}

export const emit = (s: CartState, event: string, props: Props): void => {
  try {
    if (!s.stopped) s.track(event, props)
  } catch (e) {
    debug('cart: ' + e)
  }
}

const sameLines = (a: Snapshot, b: Snapshot): boolean =>
  a.lines.length == b.lines.length && a.lines.every((l, i) => l.k == b.lines[i]!.k && l.q == b.lines[i]!.q)

export const fetchCart = async (s: CartState, f: typeof fetch): Promise<Snapshot | undefined> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    // cart.js needs no header; no-store because browsers have served it from cache
    // (https://github.com/discolabs/cartjs/issues/158).
    const res = await Promise.race([
      f.call(s.w, s.origin + s.root + 'cart.js', { credentials: 'same-origin', cache: 'no-store' }),
      new Promise<never>((_, no) => (timer = setTimeout(() => no(new Error('timed out')), FETCH_TIMEOUT_MS))),
    ])
    const cart = res.ok ? parseCart(await res.json(), s.origin) : undefined
    if (!cart) debug(`cart: cart.js answered ${res.status} without a cart`)
    return cart
  } catch (e) {
    debug('cart: cart.js failed: ' + e)
  } finally {
    clearTimeout(timer)
  }
}

const refresh = async (s: CartState, job: Job, f: typeof fetch) => {
  if (!job.cart) s.queued = false
  if (s.stopped) return
  const given = job.cart && s.store.raw() === job.ifRaw ? await job.cart : undefined
  // the claims of calls answered before this read: a cart read earlier may not hold them yet
  const claims = given ? [] : s.claims.splice(0)
  const next = given ?? (await fetchCart(s, f))
  if (!next || s.stopped) return void s.claims.unshift(...claims)
  // Read after the fetch: another tab may have saved what we fetched, and then there is nothing to say.
  const prev = readSnapshot(s.store.raw())
  const changes = diffCarts(prev, next, claims)
  // Saved only when what the diff reads changed (token, lines, quantities): two tabs on two locales (/ and
  // /fr/) get names and urls in their own language, and saving those in turn would have each save (a
  // storage event) make the other tab fetch again, forever.
  const changed = changes.length || !prev || prev.token != next.token || !sameLines(prev, next)
  if (changed) s.store.save(stringify(next))
  for (const c of changes) emit(s, c.event, c.props)
  if (s.view) {
    s.view = false
    emit(s, 'Cart Viewed', cartViewedProps(next))
  }
  if (s.locks && changed) await new Promise((r) => setTimeout(r, SETTLE_MS))
}

/** Until the adds in flight are answered (their claims are then in), or FETCH_TIMEOUT_MS. */
const landed = (s: CartState): Promise<unknown> | void => {
  if (s.adds.size) return Promise.race([Promise.all(s.adds), new Promise((r) => setTimeout(r, FETCH_TIMEOUT_MS))])
}

// Without Web Locks (Safari < 15.4) two tabs refreshing at the same instant may both emit one change:
// accepted, rare.
const locked = (s: CartState, fn: () => Promise<void>): Promise<void> => {
  try {
    if (s.locks?.request) return Promise.resolve(s.locks.request('onsite-cart', fn)).then(() => {}, fn)
  } catch {}
  return fn()
}

export const enqueue = (s: CartState, job: Job): void => {
  const f = s.fetch
  if (s.stopped || !f) return
  s.chain = s.chain.then(() => (job.cart ? 0 : landed(s))).then(() => locked(s, () => refresh(s, job, f).catch((e) => debug('cart: ' + e))))
}

// Triggers before the queued refresh starts share it; one that comes while a fetch is in flight queues
// another, since that fetch may predate the change.
export const schedule = (s: CartState): void => {
  if (s.queued) return
  s.queued = true
  enqueue(s, {})
}
