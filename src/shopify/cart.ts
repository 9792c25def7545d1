// Shopify cart capture. Three sources say "the cart may have changed": the standard storefront events
// (https://shopify.dev/docs/storefronts/themes/best-practices/standard-events) where the theme emits
// them, an observer of the host's fetch/XMLHttpRequest calls to /cart/(add|change|update|clear), and
// page load / tab shown / another tab's save. None of them emits: each only asks for /cart.js, and the
// diff against the last snapshot (cart-diff.ts) is what emits, so one add is one event however seen.
import { cartViewedProps, diffCarts, eventProduct, parseCart, readSnapshot, snippetProduct, type Props, type Snapshot } from './cart-diff.ts'
import { patch, wrapFetch, wrapXhr } from './cart-hooks.ts'
import { stringify } from '../util/json.ts'
import { debug } from '../util/log.ts'

export interface CartDeps {
  w: Window
  ls: Storage | undefined
  track: (event: string, props: Record<string, unknown>) => void
  root?: string
  product?: Record<string, unknown>
  pageType: string
  locks?: LockManager
}

const KEY = 'onsite:cart'
// A locale/market root (`/en-ca/`) may prefix the route; themes also hard-code `/cart/add` under one.
// `.json` too: older themes and apps post to /cart/add.json, which Shopify answers like .js (QA).
const CART_PATH = /^(?:\/[^/]+)?\/cart\/(?:add|change|update|clear)(?:\.js(?:on)?)?\/?$/i
// A hung cart.js would hold the cross-tab lock for every tab; give up on it after this long.
const FETCH_TIMEOUT_MS = 10_000
// Another tab's copy of localStorage sees a write a few ms late (one copy per renderer process); the lock
// is held this much longer after a new snapshot, so the next tab does not diff against the old one.
const SETTLE_MS = 200

/**
 * The snapshot in localStorage (shared by tabs, kept across reloads), in memory once storage throws
 * (sandbox, quota): a failed write must not leave the old value to be re-read and re-diffed forever.
 */
const snapshots = (ls: Storage | undefined) => {
  let mem: string | null = null
  let ok = !!ls
  const use = (fn: () => unknown) => {
    try {
      if (ok) fn()
    } catch {
      ok = false
    }
  }
  return {
    raw: (): string | null => (use(() => (mem = ls!.getItem(KEY))), mem),
    save(s: string) {
      mem = s
      use(() => ls!.setItem(KEY, s))
    },
  }
}

const sameLines = (a: Snapshot, b: Snapshot): boolean =>
  a.lines.length == b.lines.length && a.lines.every((l, i) => l.k == b.lines[i]!.k && l.q == b.lines[i]!.q)

const read = (o: unknown, k: string): unknown => (o && typeof o == 'object' ? (o as Props)[k] : undefined)

interface Job {
  cart?: Snapshot | Promise<Snapshot | undefined>
  /** the stored snapshot when the change began: `cart` is used only if nothing was saved since */
  ifRaw?: string | null
}

export const watchShopifyCart = (deps: CartDeps): (() => void) => {
  const { w, track } = deps
  const store = snapshots(deps.ls)
  const cleanups: (() => void)[] = []
  let stopped = false
  let origin = ''
  try {
    origin = w.location.origin
  } catch {}
  const r = typeof deps.root == 'string' && deps.root ? deps.root : '/'
  const root = (r[0] == '/' ? '' : '/') + r + (r.endsWith('/') ? '' : '/')

  const guard =
    <A extends unknown[]>(fn: (...a: A) => unknown) =>
    (...a: A) => {
      try {
        fn(...a)
      } catch (e) {
        debug('cart: ' + e)
      }
    }
  const emit = guard((event: string, props: Props) => stopped || track(event, props))

  // Product Viewed, once per product on this page, whatever variant: a theme that announces each variant
  // switch would otherwise count one product as several views (and set local.viewed_product_2plus; QA).
  const viewed = new Set<string>()
  const view = (p: Props | undefined) => {
    if (!p || viewed.has(String(p.product_id))) return
    viewed.add(String(p.product_id))
    emit('Product Viewed', p)
  }

  let wantCartView = deps.pageType === 'cart'
  let cartViewed = false
  let queued = false
  let chain = Promise.resolve()

  const fetchCart = async (f: typeof fetch): Promise<Snapshot | undefined> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      // The pre-patch fetch, so our own request does not look like a cart change. cart.js needs no header;
      // no-store because browsers have served it from cache (https://github.com/discolabs/cartjs/issues/158).
      const res = await Promise.race([
        f.call(w, origin + root + 'cart.js', { credentials: 'same-origin', cache: 'no-store' }),
        new Promise<never>((_, no) => (timer = setTimeout(() => no(new Error('timed out')), FETCH_TIMEOUT_MS))),
      ])
      const cart = res.ok ? parseCart(await res.json(), origin) : undefined
      if (!cart) debug(`cart: cart.js answered ${res.status} without a cart`)
      return cart
    } catch (e) {
      debug('cart: cart.js failed: ' + e)
    } finally {
      clearTimeout(timer)
    }
  }

  const run = async (job: Job, f: typeof fetch) => {
    if (!job.cart) queued = false
    if (stopped) return
    const next = (job.cart && store.raw() === job.ifRaw && (await job.cart)) || (await fetchCart(f))
    if (!next || stopped) return
    // Read after the fetch: another tab may have saved what we fetched, and then there is nothing to say.
    const raw = store.raw()
    const prev = readSnapshot(raw)
    const changes = diffCarts(prev, next)
    // Saved only when what the diff reads changed (token, lines, quantities): two tabs on two locales (/ and
    // /fr/) got names and urls in their own language and saved them in turn, each save (a storage event)
    // making the other tab fetch again, forever (QA, 2026-11-23).
    const changed = changes.length || !prev || prev.token != next.token || !sameLines(prev, next)
    if (changed) store.save(stringify(next))
    for (const c of changes) emit(c.event, c.props)
    if (wantCartView && !cartViewed) {
      cartViewed = true
      emit('Cart Viewed', cartViewedProps(next))
    }
    if (deps.locks && changed) await new Promise((r) => setTimeout(r, SETTLE_MS))
  }

  // fetch+diff+save in one tab at a time across tabs, so two tabs never both announce one change. Without
  // Web Locks (Safari < 15.4) two tabs refreshing at the same instant may both emit it: accepted, rare.
  const locked = (fn: () => Promise<void>): Promise<void> => {
    try {
      if (deps.locks?.request) return Promise.resolve(deps.locks.request('onsite-cart', fn)).then(() => {}, fn)
    } catch {}
    return fn()
  }

  const sub = (url: string) => {
    const u = new URL(url, w.location.href)
    const path = root != '/' && u.pathname.startsWith(root) ? u.pathname.slice(root.length - 1) : u.pathname
    if (u.origin === w.location.origin && CART_PATH.test(path)) schedule()
  }
  let origFetch: typeof fetch | undefined

  const enqueue = (job: Job) => {
    const f = origFetch
    if (stopped || !f) return
    chain = chain.then(() => locked(() => run(job, f).catch((e) => debug('cart: ' + e))))
  }
  // Triggers before the queued refresh starts share it; one that comes while a fetch is in flight queues
  // another, since that fetch may predate the change.
  function schedule() {
    if (queued) return
    queued = true
    enqueue({})
  }

  const stop = () => {
    stopped = true
    for (const c of cleanups.splice(0)) guard(c)()
  }
  const on = (target: EventTarget, type: string, fn: (e: Event) => void) => {
    const g = guard(fn)
    target.addEventListener(type, g)
    cleanups.push(() => target.removeEventListener(type, g))
  }
  // A host where a global is missing or hostile gets no cart capture, and no exception either.
  try {
    const f = patch(w, ['fetch'], wrapFetch, sub)
    const x = patch((w as any).XMLHttpRequest?.prototype, ['open', 'send'], wrapXhr, sub)
    for (const c of [f, x]) if (c) cleanups.push(c[0])
    origFetch = f?.[1][0]
    const doc = w.document
    on(doc, 'shopify:product:view', (e) => view(eventProduct(e, origin, root)))
    on(doc, 'shopify:cart:view', () => {
      wantCartView = true
      schedule()
    })
    // It fires before the change (https://shopify.dev/docs/api/storefront-events-and-actions/events/cart-lines-update):
    // wait for its promise. Its cart is Storefront-API-shaped from standard themes, so mostly this refetches.
    on(doc, 'shopify:cart:lines-update', (e) => {
      const before = store.raw()
      const p = read(e, 'promise') ?? read(read(e, 'detail'), 'promise')
      if (typeof read(p, 'then') != 'function') return schedule()
      Promise.resolve(p as Promise<unknown>).then(
        guard((res: unknown) => {
          const cart = parseCart(read(res, 'cart'), origin)
          cart ? enqueue({ cart, ifRaw: before }) : schedule()
        }),
        () => schedule(),
      )
    })
    on(doc, 'visibilitychange', () => doc.visibilityState === 'visible' && schedule())
    on(w, 'pageshow', (e) => (e as PageTransitionEvent).persisted && schedule())
    on(w, 'storage', (e) => {
      const key = (e as StorageEvent).key
      if (key === KEY || key === null) schedule()
    })

    if (deps.pageType === 'product') view(snippetProduct(deps.product))
    // The first read of /cart.js leaves now, ahead of any cart request the host makes from here on: queued
    // behind the lock, it once went out after a quick add, and a new visitor (no snapshot to diff against)
    // took the added item as the starting cart, so the add was never reported (demo QA, 2 runs in 6).
    if (origFetch) enqueue({ cart: fetchCart(origFetch), ifRaw: store.raw() })
  } catch (e) {
    debug('cart: not watching: ' + e)
    stop()
  }
  return stop
}
