// Shopify cart capture. Three sources say "the cart may have changed": the standard storefront events
// (https://shopify.dev/docs/storefronts/themes/best-practices/standard-events) where the theme emits
// them, an observer of the host's fetch/XMLHttpRequest calls to /cart/(add|change|update|clear), and
// page load / tab shown / another tab's save. None of them emits: each only asks for a refresh of /cart.js
// (cart-refresh.ts), and the diff against the last snapshot is what emits, so one add is one event however
// seen; an observed add call claims its own part of the diff (cart-adds.ts), so two parallel adds are two
// events. Cart Viewed: the cart page, `shopify:cart:view`, or a drawer opening (cart-drawer.ts).
import { addClaims } from './cart-adds.ts'
import { eventProduct, parseCart, snippetProduct, type Props } from './cart-diff.ts'
import { watchDrawers } from './cart-drawer.ts'
import { patch, wrapFetch, wrapXhr } from './cart-hooks.ts'
import { emit, enqueue, fetchCart, schedule, type CartState } from './cart-refresh.ts'
import { CART_KEY, snapshots } from './cart-store.ts'
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

// A locale/market root (`/en-ca/`) may prefix the route; themes also hard-code `/cart/add` under one.
// `.json` too: older themes and apps post to /cart/add.json, which Shopify answers like .js.
const CART_PATH = /^(?:\/[^/]+)?\/cart\/(?:add|change|update|clear)(?:\.js(?:on)?)?\/?$/i
// Signals of one view that come together (a theme that opens a marked drawer and dispatches
// shopify:cart:view) are one Cart Viewed.
const SAME_VIEW_MS = 1000
// Dawn opens its drawer or notification as soon as an add is answered, to confirm the add: that opening
// is not a Cart Viewed (the Product Added already carries the cart). The first opening while an add is in
// flight or this soon after one is taken for it; in flight too, because a theme's own load handler can
// open the drawer before onsite has read the answer.
const ADD_SHOWS_MS = 3000

interface Watch extends CartState {
  cleanups: (() => void)[]
  /** the products a Product Viewed was sent for on this page */
  viewed: Set<string>
  /** when the last Cart Viewed was asked for, and the last add answered */
  viewAt: number
  addAt: number
  /** a drawer opening was taken for the confirmation of the adds made so far */
  confirmed: boolean
}

const read = (o: unknown, k: string): unknown => (o && typeof o == 'object' ? (o as Props)[k] : undefined)

const guard =
  <A extends unknown[]>(fn: (...a: A) => unknown) =>
  (...a: A) => {
    try {
      fn(...a)
    } catch (e) {
      debug('cart: ' + e)
    }
  }

const watchState = (deps: CartDeps): Watch => {
  let origin = ''
  try {
    origin = deps.w.location.origin
  } catch {}
  const r = typeof deps.root == 'string' && deps.root ? deps.root : '/'
  return {
    w: deps.w, track: deps.track, locks: deps.locks, store: snapshots(deps.ls), origin,
    root: (r[0] == '/' ? '' : '/') + r + (r.endsWith('/') ? '' : '/'),
    stopped: false, fetch: undefined, view: deps.pageType === 'cart', viewAt: deps.pageType === 'cart' ? Date.now() : 0, addAt: 0, confirmed: false,
    adds: new Set(), claims: [], queued: false, chain: Promise.resolve(), cleanups: [], viewed: new Set(),
  }
}

const stop = (s: Watch): void => {
  s.stopped = true
  for (const c of s.cleanups.splice(0)) guard(c)()
}

// Product Viewed, once per product on this page, whatever variant: a theme that announces each variant
// switch would otherwise count one product as several views (and set local.viewed_product_2plus).
const view = (s: Watch, p: Props | undefined): void => {
  if (!p || s.viewed.has(String(p.product_id))) return
  s.viewed.add(String(p.product_id))
  emit(s, 'Product Viewed', p)
}

/** A Cart Viewed at the next refresh; `drawer`: a drawer opening, which may be an add's confirmation. */
const wantView = (s: Watch, drawer?: boolean): void => {
  const now = Date.now()
  if (drawer && !s.confirmed && (s.adds.size || now - s.addAt < ADD_SHOWS_MS)) return void (s.confirmed = true)
  if (now - s.viewAt < SAME_VIEW_MS) return
  s.viewAt = now
  s.view = true
  schedule(s)
}

/** An add call in flight: the refreshes wait for its answer, which claims its part of the next diff. */
const adding = (s: Watch, sent: unknown, got: Promise<unknown>): void => {
  s.adds.add(got)
  s.confirmed = false
  void got.then(
    guard((json: unknown) => {
      s.adds.delete(got)
      if (json === false) return
      s.addAt = Date.now()
      s.claims.push(...addClaims(sent, json))
      schedule(s)
    }),
  )
}

/** Patches fetch and XMLHttpRequest: a finished request to this shop's cart routes asks for a refresh. */
const observeRequests = (s: Watch): void => {
  const sub = (url: string, sent?: unknown, got?: Promise<unknown>) => {
    const u = new URL(url, s.w.location.href)
    const path = s.root != '/' && u.pathname.startsWith(s.root) ? u.pathname.slice(s.root.length - 1) : u.pathname
    if (u.origin !== s.w.location.origin || !CART_PATH.test(path) || s.stopped) return
    got ? adding(s, sent, got) : schedule(s)
  }
  const f = patch(s.w, ['fetch'], wrapFetch, sub)
  const x = patch((s.w as any).XMLHttpRequest?.prototype, ['open', 'send'], wrapXhr, sub)
  for (const c of [f, x]) if (c) s.cleanups.push(c[0])
  s.fetch = f?.[1][0]
}

// It fires before the change (https://shopify.dev/docs/api/storefront-events-and-actions/events/cart-lines-update):
// wait for its promise. Its cart is Storefront-API-shaped from standard themes, so mostly this refetches.
const onLinesUpdate = (s: Watch, e: Event): void => {
  const before = s.store.raw()
  const p = read(e, 'promise') ?? read(read(e, 'detail'), 'promise')
  if (typeof read(p, 'then') != 'function') return schedule(s)
  Promise.resolve(p as Promise<unknown>).then(
    guard((res: unknown) => {
      const cart = parseCart(read(res, 'cart'), s.origin)
      cart ? enqueue(s, { cart, ifRaw: before }) : schedule(s)
    }),
    () => schedule(s),
  )
}

/** The storefront events, and tab shown / back-forward restore / another tab's save. */
const listen = (s: Watch): void => {
  const on = (target: EventTarget, type: string, fn: (e: Event) => void) => {
    const g = guard(fn)
    target.addEventListener(type, g)
    s.cleanups.push(() => target.removeEventListener(type, g))
  }
  const doc = s.w.document
  on(doc, 'shopify:product:view', (e) => view(s, eventProduct(e, s.origin, s.root)))
  on(doc, 'shopify:cart:view', () => wantView(s))
  on(doc, 'shopify:cart:lines-update', (e) => onLinesUpdate(s, e))
  on(doc, 'visibilitychange', () => doc.visibilityState === 'visible' && schedule(s))
  on(s.w, 'pageshow', (e) => (e as PageTransitionEvent).persisted && schedule(s))
  on(s.w, 'storage', (e) => {
    const key = (e as StorageEvent).key
    if (key === CART_KEY || key === null) schedule(s)
  })
}

export const watchShopifyCart = (deps: CartDeps): (() => void) => {
  const s = watchState(deps)
  // A host where a global is missing or hostile gets no cart capture, and no exception either.
  try {
    observeRequests(s)
    listen(s)
    s.cleanups.push(watchDrawers(s.w, guard(() => wantView(s, true))))
    if (deps.pageType === 'product') view(s, snippetProduct(deps.product))
    // The first read of /cart.js leaves now, ahead of any cart request the host makes from here on: queued
    // behind the lock, it could leave after a quick add, and a new visitor (no snapshot to diff against)
    // would take the added item as the starting cart and never report the add.
    if (s.fetch) enqueue(s, { cart: fetchCart(s, s.fetch), ifRaw: s.store.raw() })
  } catch (e) {
    debug('cart: not watching: ' + e)
    stop(s)
  }
  return () => stop(s)
}
