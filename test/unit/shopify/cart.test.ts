// @vitest-environment happy-dom
// Replays real theme flows against a fake Shopify cart backend: Dawn (FormData POST to /cart/add),
// Horizon (standard storefront events with a promise), jQuery themes (XMLHttpRequest), several tabs
// sharing one snapshot, and a broken /cart.js.
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { watchShopifyCart, type CartDeps } from '../../../src/shopify/cart.ts'
import { stringify } from '../../../src/util/json.ts'
import { validateEvent } from '../../../src/capture/validate.ts'
import { MemStorage, deferred, throwingStorage } from '../fakes.ts'

type Props = Record<string, unknown>
const ORIGIN = 'https://shop.example'
const TOKEN = 'c1-7a2abe82733a34e84aa472d57fb5c3c1'
const KEY = '?key=824bdj25mhg1242bdb385'

interface Variant {
  product_id: number
  product_title: string
  variant_title: string
  sku: string
  price: number
  handle: string
}
const CATALOG: Record<number, Variant> = {
  111: { product_id: 1001, product_title: 'Tee', variant_title: 'S', sku: 'TEE-S', price: 1999, handle: 'tee' },
  112: { product_id: 1001, product_title: 'Tee', variant_title: 'M', sku: 'TEE-M', price: 1999, handle: 'tee' },
  221: { product_id: 2002, product_title: 'Mug', variant_title: 'Default Title', sku: 'MUG', price: 1200, handle: 'mug' },
}

interface Line {
  key: string
  variant: number
  quantity: number
  properties: Record<string, string> | null
}

/** The Shopify Ajax cart API, in memory: /cart.js and /cart/(add|change|update|clear)(.js), any locale root. */
const createShop = () => {
  let token = TOKEN
  let lines: Line[] = []
  let serial = 0
  /** how /cart.js answers: 'ok', or broken the ways a proxy, an outage or a theme app can break it */
  let mode: 'ok' | 'html' | '500' | 'garbage' | 'wrong' | 'network' | 'hang' = 'ok'
  const calls: { path: string; init: RequestInit | undefined; self: unknown }[] = []

  const item = (l: Line) => {
    const v = CATALOG[l.variant]!
    const only = v.variant_title === 'Default Title'
    return {
      id: l.variant,
      properties: l.properties,
      quantity: l.quantity,
      variant_id: l.variant,
      key: l.key,
      title: only ? v.product_title : `${v.product_title} - ${v.variant_title}`,
      price: v.price,
      original_price: v.price,
      discounted_price: v.price,
      line_price: v.price * l.quantity,
      original_line_price: v.price * l.quantity,
      total_discount: 0,
      discounts: [],
      sku: v.sku,
      grams: 200,
      vendor: 'Onsite Demo',
      taxable: true,
      product_id: v.product_id,
      product_has_only_default_variant: only,
      gift_card: false,
      final_price: v.price,
      final_line_price: v.price * l.quantity,
      url: `/products/${v.handle}?variant=${l.variant}`,
      featured_image: { aspect_ratio: 1, alt: v.product_title, height: 800, url: `https://cdn.shopify.com/s/files/1/${v.handle}.jpg?v=1`, width: 800 },
      image: `https://cdn.shopify.com/s/files/1/${v.handle}.jpg?v=1`,
      handle: v.handle,
      requires_shipping: true,
      product_type: '',
      product_title: v.product_title,
      product_description: '',
      variant_title: only ? null : v.variant_title,
      variant_options: [v.variant_title],
      line_level_discount_allocations: [],
      line_level_total_discount: 0,
    }
  }
  const cart = () => {
    const items = lines.map(item)
    const total = items.reduce((s, i) => s + i.final_line_price, 0)
    return {
      token: token + KEY,
      note: null,
      attributes: {},
      original_total_price: total,
      total_price: total,
      total_discount: 0,
      total_weight: 0,
      item_count: items.reduce((s, i) => s + i.quantity, 0),
      items,
      requires_shipping: items.length > 0,
      currency: 'USD',
      items_subtotal_price: total,
      cart_level_discount_applications: [],
    }
  }
  const add = (variant: number, quantity = 1, properties: Record<string, string> | null = null) => {
    const same = lines.find((l) => l.variant === variant && JSON.stringify(l.properties) === JSON.stringify(properties))
    if (same) same.quantity += quantity
    else lines.push({ key: `${variant}:${(++serial).toString(16).padStart(8, '0')}`, variant, quantity, properties })
    return same ?? lines.at(-1)!
  }
  const set = (line: Line | undefined, quantity: number) => {
    if (!line) return
    line.quantity = quantity
    lines = lines.filter((l) => l.quantity > 0)
  }
  const find = (id: unknown) => lines.find((l) => l.key === String(id)) ?? lines.find((l) => l.variant === Number(id))

  /** A request body as the server reads it: JSON, FormData or a urlencoded string. */
  const read = async (input: unknown, init: RequestInit | undefined): Promise<Record<string, any>> => {
    const body = init?.body ?? (input instanceof Request ? await input.text() : undefined)
    if (body instanceof FormData || body instanceof URLSearchParams) {
      const o: Record<string, any> = {}
      for (const [k, v] of body.entries()) o[k] = v
      return o
    }
    if (typeof body != 'string' || !body) return {}
    try {
      return JSON.parse(body)
    } catch {
      return Object.fromEntries(new URLSearchParams(body))
    }
  }
  // the server is not the page: a page's Array.prototype.toJSON must not bend its answers (stringify ignores it)
  const json = (v: unknown, status = 200) => new Response(stringify(v), { status, headers: { 'Content-Type': 'application/json' } })

  const fetch = vi.fn(async function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = new URL(typeof input == 'string' ? input : input instanceof URL ? input.href : input.url, ORIGIN)
    const path = url.pathname
    calls.push({ path, init, self: this })
    if (/^(\/[^/]+)?\/cart\.js$/.test(path)) {
      if (mode === 'hang') return new Promise<Response>(() => {})
      if (mode === 'network') throw new TypeError('Failed to fetch')
      if (mode === 'html') return new Response('<!doctype html><title>Checking your browser</title>', { headers: { 'Content-Type': 'text/html' } })
      if (mode === '500') return new Response('{"error":"Internal Server Error"}', { status: 500 })
      if (mode === 'garbage') return new Response('{"token":"t","items":[{"id":', { headers: { 'Content-Type': 'application/json' } })
      if (mode === 'wrong') return json({ token: token, items: 'none' })
      // a /fr/ storefront answers with its own language in names and urls, as Shopify Markets does
      if (path.startsWith('/fr/')) {
        const c = cart()
        return json({ ...c, items: c.items.map((i) => ({ ...i, product_title: 'FR ' + i.product_title, title: 'FR ' + i.title, url: '/fr' + i.url })) })
      }
      return json(cart())
    }
    const op = /^(?:\/[^/]+)?\/cart\/(add|change|update|clear)(?:\.js(?:on)?)?$/.exec(path)?.[1]
    if (!op) return new Response('Not found', { status: 404 })
    const b = await read(input, init)
    if (op === 'add') {
      const items: { id: unknown; quantity?: unknown; properties?: Record<string, string> }[] = Array.isArray(b.items) ? b.items : [{ id: b.id, quantity: b.quantity }]
      if (items.some((i) => !CATALOG[Number(i.id)])) return json({ status: 422, message: 'Cart Error', description: 'Cannot find variant' }, 422)
      const added = items.map((i) => add(Number(i.id), Number(i.quantity ?? 1), i.properties ?? null))
      return json(Array.isArray(b.items) ? { items: added.map(item) } : item(added[0]!))
    }
    if (op === 'change') set(b.line ? lines[Number(b.line) - 1] : find(b.id), Number(b.quantity))
    if (op === 'update') for (const [id, q] of Object.entries(b.updates ?? {})) set(find(id), Number(q))
    if (op === 'clear') lines = []
    return json(cart())
  })

  return {
    fetch,
    calls,
    cart,
    add,
    set: (variant: number, quantity: number) => set(find(variant), quantity),
    /** the order was placed: Shopify starts a new cart with a new token */
    newCart: () => ((token = 'c1-neworder0000000000000000000000'), (lines = [])),
    setMode: (m: typeof mode) => (mode = m),
    /** the watchers' own reads of /cart.js (the host may read it too) */
    cartReads: () => calls.filter((c) => /cart\.js$/.test(c.path) && c.init?.cache === 'no-store').length,
  }
}
type Shop = ReturnType<typeof createShop>

/** XMLHttpRequest as old jQuery themes use it, answered by the same backend (not through fetch). */
const xhrClass = (shop: Shop) =>
  class FakeXHR extends EventTarget {
    status = 0
    readyState = 0
    responseText = ''
    method = 'GET'
    url = ''
    open(method: string, url: string | URL) {
      this.method = method
      this.url = String(url)
      this.readyState = 1
    }
    setRequestHeader() {}
    send(body?: unknown) {
      void shop.fetch(this.url, { method: this.method, body } as RequestInit).then(async (r) => {
        this.status = r.status
        this.responseText = await r.text()
        this.readyState = 4
        this.dispatchEvent(new Event('load'))
        this.dispatchEvent(new Event('loadend'))
      })
    }
  }

/** A browser tab of the store: its own window, document and location; the backend is its network. */
const fakeWindow = (shop: Shop, path: string): Window => {
  const w = new EventTarget() as any
  w.document = Object.assign(new EventTarget(), { visibilityState: 'visible' })
  w.location = new URL(ORIGIN + path)
  w.fetch = shop.fetch
  w.XMLHttpRequest = xhrClass(shop)
  return w as Window
}

/** Web Locks across tabs: one holder per name, the others wait in order. */
const fakeLocks = () => {
  const tails = new Map<string, Promise<unknown>>()
  const names: string[] = []
  const locks = {
    request(name: string, cb: (lock: unknown) => Promise<unknown>) {
      names.push(name)
      const run = (tails.get(name) ?? Promise.resolve()).then(() => cb({ name, mode: 'exclusive' }))
      tails.set(name, run.catch(() => {}))
      return run
    },
  }
  return { locks: locks as unknown as LockManager, names }
}

const stops: (() => void)[] = []
const tab = (shop: Shop, o: Partial<CartDeps> & { path?: string } = {}) => {
  const w = o.w ?? fakeWindow(shop, o.path ?? '/products/tee')
  const events: [string, Props][] = []
  const ls = 'ls' in o ? o.ls : new MemStorage()
  const stop = watchShopifyCart({ pageType: 'product', ...o, w, ls, track: (e, p) => void events.push([e, p]) })
  stops.push(stop)
  return { w, ls, events, stop, names: () => events.map(([e, p]) => `${e} ${p.variant_id ?? ''} x${p.quantity ?? ''}`) }
}

/**
 * Lets the watchers' fetches, lock waits and JSON parsing finish. Tests with Web Locks fake the timers:
 * a tab holds the lock 200 ms after saving a new snapshot.
 */
const idle = async () => {
  for (let i = 0; i < 10; i++) vi.isFakeTimers() ? await vi.advanceTimersByTimeAsync(50) : await new Promise((r) => setTimeout(r, 0))
}
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })

/** Two tabs' views of one localStorage: a write reaches the other tab's process `lagMs` later. */
const laggyStorages = (lagMs: number): [MemStorage, MemStorage] => {
  const views: [MemStorage, MemStorage] = [new MemStorage(), new MemStorage()]
  views.forEach((v, i) => {
    v.setItem = (k: string, value: string) => {
      MemStorage.prototype.setItem.call(v, k, value)
      setTimeout(() => MemStorage.prototype.setItem.call(views[1 - i], k, value), lagMs)
    }
  })
  return views
}
const visible = (w: Window) => w.document.dispatchEvent(new Event('visibilitychange'))
const jsonPost = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })

const realFetch = window.fetch
afterEach(() => {
  for (const s of stops.splice(0)) s()
  window.fetch = realFetch
  document.body.innerHTML = ''
  vi.useRealTimers()
})

const TEE_S = {
  product_id: '1001',
  variant_id: '111',
  sku: 'TEE-S',
  name: 'Tee',
  variant: 'S',
  price: 19.99,
  url: ORIGIN + '/products/tee?variant=111',
  image_url: 'https://cdn.shopify.com/s/files/1/tee.jpg?v=1',
  currency: 'USD',
  cart_id: TOKEN,
}
/** A line of products[]: the product fields of the events, without the cart's currency and id. */
const { currency: _c, cart_id: _id, ...TEE_LINE } = TEE_S
/** Product Added/Removed of the Tee, S: the line's product, the quantity changed, the cart after the change. */
const teeChange = (quantity: number, inCart: number, more: Props = {}) => ({
  ...TEE_S, quantity, value: Math.round(1999 * inCart) / 100, products: [{ ...TEE_LINE, quantity: inCart }], ...more,
})

describe('Dawn: fetch POST of the product form to /cart/add', () => {
  it('the first page load ever says nothing and saves the cart without its key', async () => {
    const shop = createShop()
    shop.add(111, 2)
    const t = tab(shop)
    await idle()
    expect(t.events).toEqual([])
    const saved = JSON.parse(t.ls!.getItem('onsite:cart')!)
    expect(saved.token).toBe(TOKEN)
    expect(JSON.stringify(saved)).not.toContain('key=')
  })

  it('one add is one Product Added, and the host gets its own untouched response', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    const form = new FormData()
    form.append('form_type', 'product')
    form.append('id', '111')
    form.append('quantity', '1')
    const sent = t.w.fetch('/cart/add', { method: 'POST', headers: { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/javascript' }, body: form })
    // the very response the network returned (on a promise of its own, so a failure the host ignores
    // still reaches unhandledrejection: test/unit/shopify/cart-hooks.test.ts)
    const original = shop.fetch.mock.results.at(-1)!.value
    const res = await sent
    expect(res).toBe(await original)
    await idle()
    expect(res.bodyUsed).toBe(false)
    expect((await res.json()).variant_id).toBe(111)
    expect(t.events).toEqual([['Product Added', teeChange(1, 1)]])
    expect(validateEvent('Product Added', t.events[0]![1])).toBe('')
  })

  it.each([false, true])('a new visitor who adds the moment onsite starts (Web Locks: %s): one Product Added', async (withLocks) => {
    if (withLocks) fakeTimers()
    const shop = createShop()
    const t = tab(shop, withLocks ? { locks: fakeLocks().locks } : {})
    // no snapshot yet, and the add leaves before anything of onsite's has had a turn
    const form = new FormData()
    form.append('id', '111')
    await t.w.fetch('/cart/add.js', { method: 'POST', body: form })
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x1'])
  })

  // Older themes and apps post to the .json forms; an add right before checkout was lost
  it.each(['/cart/add.json', '/fr/cart/add.json'])('an add through %s is one Product Added', async (path) => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    await t.w.fetch(path, jsonPost({ id: 111, quantity: 2 }))
    await idle()
    await t.w.fetch('/cart/change.json', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x2', 'Product Removed 111 x1'])
  })

  it('reads /cart.js with the pre-patch fetch, same-origin, uncached', async () => {
    const shop = createShop()
    const t = tab(shop)
    // a script that wraps fetch after us must not see our own cart.js request
    // (a function of its own around ours: vi.fn(ours) would share the mock state our Proxy forwards)
    const ours = t.w.fetch
    const later = vi.fn((...a: Parameters<typeof fetch>) => ours(...a))
    t.w.fetch = later as typeof fetch
    await idle()
    await t.w.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    expect(later.mock.calls.map((c) => String(c[0]))).toEqual(['/cart/add.js'])
    const read = shop.calls.filter((c) => c.path === '/cart.js')
    expect(read).toHaveLength(2)
    expect(read[1]!.init).toMatchObject({ credentials: 'same-origin', cache: 'no-store' })
    expect(t.events.map(([e]) => e)).toEqual(['Product Added'])
  })

  it('quantity up and down: the increase is added, the decrease removed', async () => {
    const shop = createShop()
    shop.add(111, 1)
    const t = tab(shop)
    await idle()
    const key = shop.cart().items[0]!.key
    await t.w.fetch('/cart/change.js', jsonPost({ id: key, quantity: 3 }))
    await idle()
    await t.w.fetch('/cart/change.js', jsonPost({ line: 1, quantity: 2 }))
    await idle()
    expect(t.events).toEqual([
      ['Product Added', teeChange(2, 3)],
      ['Product Removed', teeChange(1, 2)],
    ])
  })

  it('removal: change to 0, update to 0, clear', async () => {
    const shop = createShop()
    shop.add(111, 2)
    shop.add(112, 1)
    shop.add(221, 3)
    const t = tab(shop)
    await idle()
    await t.w.fetch('/cart/change.js', jsonPost({ id: 111, quantity: 0 }))
    await idle()
    await t.w.fetch('/cart/update.js', jsonPost({ updates: { 112: 0 } }))
    await idle()
    await t.w.fetch('/cart/clear.js', { method: 'POST' })
    await idle()
    expect(t.names()).toEqual(['Product Removed 111 x2', 'Product Removed 112 x1', 'Product Removed 221 x3'])
    const mug = t.events[2]![1]
    expect(mug).toMatchObject({ product_id: '2002', name: 'Mug', price: 12, currency: 'USD' })
    expect(mug.variant).toBeUndefined()
  })

  it('an order placed (new cart token) removes nothing', async () => {
    const shop = createShop()
    shop.add(111, 1)
    const t = tab(shop)
    await idle()
    shop.newCart()
    visible(t.w)
    await idle()
    await t.w.fetch('/cart/add.js', jsonPost({ id: 221, quantity: 1 }))
    await idle()
    expect(t.names()).toEqual(['Product Added 221 x1'])
    expect(t.events[0]![1].cart_id).toBe('c1-neworder0000000000000000000000')
  })
})

describe('Horizon: standard storefront events', () => {
  /** What Horizon's product form dispatches: the payload on the event, a promise of {cart, userErrors}. */
  const linesUpdate = (promise: Promise<unknown> | undefined, lines = [{ merchandiseId: 'gid://shopify/ProductVariant/111', quantity: 1 }]) =>
    Object.assign(new Event('shopify:cart:lines-update', { bubbles: true, cancelable: true }), { action: 'add', context: 'product', lines, promise })
  /** The cart a standard event resolves with: Storefront API shaped (createCartFromAjaxResponse), not cart.js. */
  const storefrontCart = { id: `gid://shopify/Cart/${TOKEN}${KEY}`, totalQuantity: 1, cost: { totalAmount: { amount: '19.99', currencyCode: 'USD' } }, lines: [] }

  const onWindow = (shop: Shop, o: Partial<CartDeps> = {}) => {
    window.fetch = shop.fetch as typeof fetch
    return tab(shop, { w: window, ...o })
  }

  it('waits for the promise (the event fires before the change), then refetches once', async () => {
    const shop = createShop()
    const t = onWindow(shop)
    await idle()
    const form = document.createElement('product-form-component')
    document.body.append(form)
    const done = deferred<unknown>()
    form.dispatchEvent(linesUpdate(done.promise))
    await idle()
    expect(shop.cartReads()).toBe(1)
    // Shopify.actions.updateCart writes through the Storefront API: no /cart/* request to observe
    shop.add(111, 1)
    done.resolve({ cart: storefrontCart, userErrors: [] })
    await idle()
    expect(shop.cartReads()).toBe(2)
    const url = 'http://localhost:3000/products/tee?variant=111'
    expect(t.events).toEqual([['Product Added', teeChange(1, 1, { url, products: [{ ...TEE_LINE, url, quantity: 1 }] })]])
  })

  it('the same add seen by the event and by the fetch observer is one event', async () => {
    const shop = createShop()
    const t = onWindow(shop)
    await idle()
    const done = deferred<unknown>()
    document.dispatchEvent(linesUpdate(done.promise))
    const res = await window.fetch('/cart/add.js', jsonPost({ items: [{ id: 111, quantity: 1 }] }))
    await idle()
    done.resolve({ cart: storefrontCart, userErrors: [] })
    await idle()
    expect(res.ok).toBe(true)
    expect(t.names()).toEqual(['Product Added 111 x1'])
  })

  it('a rejected promise or an event without one still refetches, and says nothing when nothing changed', async () => {
    const shop = createShop()
    const t = onWindow(shop)
    await idle()
    const failed = deferred<unknown>()
    document.dispatchEvent(linesUpdate(failed.promise))
    failed.reject(new Error('SERVICE_UNAVAILABLE'))
    await idle()
    document.dispatchEvent(linesUpdate(undefined))
    await idle()
    expect(shop.cartReads()).toBe(3)
    expect(t.events).toEqual([])
  })

  it('a promise resolving with a cart.js-shaped cart is used without a refetch', async () => {
    const shop = createShop()
    const t = onWindow(shop)
    await idle()
    const done = deferred<unknown>()
    document.dispatchEvent(linesUpdate(done.promise))
    shop.add(111, 2)
    done.resolve({ cart: shop.cart(), userErrors: [] })
    await idle()
    expect(shop.cartReads()).toBe(1)
    expect(t.names()).toEqual(['Product Added 111 x2'])
  })

  it('a cart.js-shaped cart older than a snapshot saved meanwhile is not diffed (refetch instead)', async () => {
    const shop = createShop()
    const t = onWindow(shop)
    await idle()
    const done = deferred<unknown>()
    document.dispatchEvent(linesUpdate(done.promise))
    shop.add(111, 1)
    const stale = shop.cart()
    // a second add, seen by the fetch observer, lands before the first promise resolves
    await window.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    done.resolve({ cart: stale, userErrors: [] })
    await idle()
    // two adds, the observed one claims its unit; never a false removal of the second unit followed by a
    // second add of it
    expect(t.names()).toEqual(['Product Added 111 x1', 'Product Added 111 x1'])
  })

  it('shopify:product:view and the snippet product: one Product Viewed per product on the page', async () => {
    const shop = createShop()
    const product = { product_id: '1001', variant_id: '111', name: 'Tee', variant: 'S', sku: 'TEE-S', price: 19.99, currency: 'USD', url: ORIGIN + '/products/tee' }
    const t = onWindow(shop, { product })
    expect(t.events).toEqual([['Product Viewed', product]])
    const view = (p: Props) => Object.assign(new Event('shopify:product:view', { bubbles: true }), p)
    const tee = { id: 'gid://shopify/Product/1001', title: 'Tee', handle: 'tee', selectedVariant: { id: 'gid://shopify/ProductVariant/111', title: 'S', price: { amount: '19.99', currencyCode: 'USD' } } }
    const el = document.createElement('s-view-event')
    document.body.append(el)
    el.dispatchEvent(view({ context: 'page', selectedOptions: [], product: tee }))
    el.dispatchEvent(view({ context: 'page', selectedOptions: [], product: { ...tee, selectedVariant: null } }))
    // a card in the recommendations is an impression, not a product viewed
    el.dispatchEvent(view({ context: 'recommendation', selectedOptions: [], product: { id: 'gid://shopify/Product/2002', title: 'Mug', handle: 'mug', selectedVariant: null } }))
    // a quick view of another product is
    el.dispatchEvent(view({ context: 'dialog', selectedOptions: [], product: { id: 'gid://shopify/Product/2002', title: 'Mug', handle: 'mug', selectedVariant: null } }))
    expect(t.events.map(([e, p]) => `${e} ${p.product_id}`)).toEqual(['Product Viewed 1001', 'Product Viewed 2002'])
    expect(t.events[1]![1]).toEqual({ product_id: '2002', name: 'Mug', url: 'http://localhost:3000/products/mug' })
  })

  it('a theme that announces each variant switch: still one Product Viewed for the product', () => {
    const shop = createShop()
    const product = { product_id: '1001', variant_id: '111', name: 'Tee', variant: 'S', price: 19.99, currency: 'USD' }
    const t = onWindow(shop, { product })
    const el = document.createElement('s-view-event')
    document.body.append(el)
    for (const [id, title] of [['112', 'M'], ['111', 'S'], ['112', 'M']]) {
      const tee = { id: 'gid://shopify/Product/1001', title: 'Tee', handle: 'tee', selectedVariant: { id: 'gid://shopify/ProductVariant/' + id, title, price: { amount: '19.99', currencyCode: 'USD' } } }
      el.dispatchEvent(Object.assign(new Event('shopify:product:view', { bubbles: true }), { context: 'page', selectedOptions: [], product: tee }))
    }
    expect(t.events.map(([e, p]) => `${e} ${p.product_id} ${p.variant_id}`)).toEqual(['Product Viewed 1001 111'])
  })

  it('no Product Viewed from the snippet off product pages', () => {
    const t = tab(createShop(), { pageType: 'collection', product: { product_id: '1001' } })
    expect(t.events).toEqual([])
  })
})

describe('Cart Viewed', () => {
  it('once on the cart page, with the cart as it is', async () => {
    const shop = createShop()
    shop.add(111, 2)
    const t = tab(shop, { pageType: 'cart', path: '/cart' })
    await idle()
    t.w.document.dispatchEvent(Object.assign(new Event('shopify:cart:view'), { context: 'page', cart: null }))
    await idle()
    const { currency: _, cart_id: __, ...product } = TEE_S
    expect(t.events).toEqual([['Cart Viewed', { cart_id: TOKEN, products: [{ ...product, quantity: 2 }], value: 39.98, currency: 'USD' }]])
    expect(validateEvent('Cart Viewed', t.events[0]![1])).toBe('')
  })

  it('from shopify:cart:view (a drawer), after the changes it shows; signals within a second are one view', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    await t.w.fetch('/cart/add', jsonPost({ id: 221, quantity: 1 }))
    t.w.document.dispatchEvent(Object.assign(new Event('shopify:cart:view'), { context: 'dialog', cart: {} }))
    await idle()
    t.w.document.dispatchEvent(Object.assign(new Event('shopify:cart:view'), { context: 'dialog', cart: {} }))
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Product Added', 'Cart Viewed'])
    expect(t.events[1]![1]).toMatchObject({ value: 12, products: [expect.objectContaining({ product_id: '2002', quantity: 1 })] })
    // the drawer opened again later: another view
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 1500)
    t.w.document.dispatchEvent(Object.assign(new Event('shopify:cart:view'), { context: 'dialog', cart: {} }))
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Product Added', 'Cart Viewed', 'Cart Viewed'])
  })
})

describe('parallel adds: one Product Added per call', () => {
  /**
   * The shop changes the cart when an add arrives, as Shopify does, but its answers wait until the test
   * lets each go, in any order: real adds in flight at once.
   */
  const holdAdds = (shop: Shop) => {
    const held: ReturnType<typeof deferred<void>>[] = []
    const plain = shop.fetch.getMockImplementation()!
    shop.fetch.mockImplementation(async function (this: unknown, input, init) {
      const answer = plain.call(this, input, init)
      if (!/\/cart\/add/.test(String(input instanceof Request ? input.url : input))) return answer
      const gate = deferred<void>()
      held.push(gate)
      const res = await answer
      await gate.promise
      return res
    })
    return held
  }
  const form = (id: number, quantity = 1) => {
    const f = new FormData()
    f.append('id', String(id))
    f.append('quantity', String(quantity))
    return { method: 'POST', body: f }
  }

  it('two fetches of one variant in flight, answered out of order, with a refresh asked meanwhile: two x1', async () => {
    const shop = createShop()
    const held = holdAdds(shop)
    const t = tab(shop)
    await idle()
    const first = t.w.fetch('/cart/add', form(111))
    const second = t.w.fetch('/cart/add', form(111))
    await idle()
    // the cart already holds both: a refresh now, before any answer, must not take them as one add of two
    visible(t.w)
    await idle()
    expect(t.events).toEqual([])
    held[1]!.resolve()
    expect((await second).ok).toBe(true)
    await idle()
    held[0]!.resolve()
    expect((await first).ok).toBe(true)
    await idle()
    expect(t.events).toEqual([
      ['Product Added', teeChange(1, 2)],
      ['Product Added', teeChange(1, 2)],
    ])
  })

  it('each call its own quantity, whichever is answered first; an add made elsewhere meanwhile is its own event', async () => {
    const shop = createShop()
    const held = holdAdds(shop)
    const t = tab(shop)
    await idle()
    const a = t.w.fetch('/cart/add.js', jsonPost({ items: [{ id: 111, quantity: 1 }] }))
    const b = t.w.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 2 }))
    await idle()
    // another tab, or the Storefront API, adds a mug
    shop.add(221, 1)
    held[1]!.resolve()
    await b
    await idle()
    held[0]!.resolve()
    await a
    await idle()
    expect(t.names().sort()).toEqual(['Product Added 111 x1', 'Product Added 111 x2', 'Product Added 221 x1'])
  })

  it('XMLHttpRequest adds in flight together: two x1', async () => {
    const shop = createShop()
    const held = holdAdds(shop)
    const t = tab(shop)
    await idle()
    const send = () =>
      new Promise((r) => {
        const xhr = new (t.w as any).XMLHttpRequest() as XMLHttpRequest
        xhr.addEventListener('loadend', r)
        xhr.open('POST', '/cart/add.js')
        xhr.send('id=111&quantity=1')
      })
    const done = [send(), send()]
    await idle()
    held[1]!.resolve()
    held[0]!.resolve()
    await Promise.all(done)
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x1', 'Product Added 111 x1'])
  })

  it('an add never answered holds refreshes 10 s at most', async () => {
    fakeTimers()
    const shop = createShop()
    holdAdds(shop)
    const t = tab(shop)
    await idle()
    void t.w.fetch('/cart/add', form(111))
    await idle()
    visible(t.w)
    await idle()
    expect(t.events).toEqual([])
    await vi.advanceTimersByTimeAsync(10_000)
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x1'])
  })
})

describe('Cart Viewed from a cart drawer', () => {
  const onWindow = (shop: Shop, html: string, o: Partial<CartDeps> = {}) => {
    document.body.innerHTML = html
    window.fetch = shop.fetch as typeof fetch
    return tab(shop, { w: window, ...o })
  }
  /** Only Date is faked: a second later, three seconds later, without touching the timers idle() uses. */
  const later = (ms: number) => vi.setSystemTime(Date.now() + ms)
  const drawer = () => document.querySelector('cart-drawer')!
  const viewed = (t: ReturnType<typeof tab>) => t.events.filter(([e]) => e === 'Cart Viewed')

  it("Dawn's cart-drawer opened from the cart icon: one Cart Viewed with the cart, once per opening", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const shop = createShop()
    shop.add(111, 2)
    const t = onWindow(shop, '<cart-drawer class="drawer is-empty"><div id="CartDrawer"></div></cart-drawer>')
    await idle()
    drawer().classList.add('animate', 'active')
    await idle()
    // more mutations while open (Dawn re-renders, toggles classes): still one view
    drawer().classList.remove('is-empty')
    drawer().classList.add('animate')
    await idle()
    const url = 'http://localhost:3000/products/tee?variant=111'
    expect(viewed(t)).toEqual([['Cart Viewed', { cart_id: TOKEN, products: [{ ...TEE_LINE, url, quantity: 2 }], value: 39.98, currency: 'USD' }]])
    drawer().classList.remove('active')
    await idle()
    later(1500)
    drawer().classList.add('active')
    await idle()
    expect(viewed(t)).toHaveLength(2)
  })

  it('the opening that confirms an add (Dawn opens the drawer or notification on every add) is no Cart Viewed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const shop = createShop()
    const t = onWindow(shop, '<cart-notification><div class="cart-notification-wrapper"><div id="cart-notification" class="cart-notification"></div></div></cart-notification>')
    await idle()
    const res = await t.w.fetch('/cart/add', jsonPost({ id: 111, quantity: 1 }))
    await res.json()
    const note = document.getElementById('cart-notification')!
    note.classList.add('animate', 'active')
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Product Added'])
    note.classList.remove('active')
    await idle()
    // opened again later by the shopper: a view
    later(5000)
    note.classList.add('active')
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Product Added', 'Cart Viewed'])
  })

  it("an opening from the theme's own load handler, before onsite has read the add's answer, is the confirmation too", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const shop = createShop()
    const realXhr = window.XMLHttpRequest
    ;(window as any).XMLHttpRequest = xhrClass(shop)
    onTestFinished(() => void (window.XMLHttpRequest = realXhr))
    const t = onWindow(shop, '<cart-drawer class="drawer"></cart-drawer>')
    await idle()
    const xhr = new window.XMLHttpRequest()
    // registered before onsite's own listener, as jQuery's callbacks are
    const loaded = new Promise((r) => xhr.addEventListener('load', () => r(drawer().classList.add('active'))))
    xhr.open('POST', '/cart/add.js')
    xhr.send('id=111&quantity=1')
    await loaded
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Product Added'])
    // the shopper opens it again a moment later: a view
    drawer().classList.remove('active')
    await idle()
    drawer().classList.add('active')
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Product Added', 'Cart Viewed'])
  })

  it('an opening long after the last add is a view', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const shop = createShop()
    const t = onWindow(shop, '<cart-drawer class="drawer"></cart-drawer>')
    await idle()
    await t.w.fetch('/cart/add', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    later(4000)
    drawer().classList.add('active')
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Product Added', 'Cart Viewed'])
    expect(viewed(t)[0]![1]).toMatchObject({ value: 19.99, products: [expect.objectContaining({ variant_id: '111', quantity: 1 })] })
  })

  it.each([
    ['aria-hidden="false"', '<div data-onsite-cart-drawer aria-hidden="true"></div>', (el: Element) => el.setAttribute('aria-hidden', 'false')],
    ['an open attribute', '<dialog data-onsite-cart-drawer></dialog>', (el: Element) => el.setAttribute('open', '')],
    ['the class active', '<aside class="side-cart" data-onsite-cart-drawer></aside>', (el: Element) => el.classList.add('active')],
  ])('any theme: an element with data-onsite-cart-drawer opened by %s', async (_, html, open) => {
    const shop = createShop()
    const t = onWindow(shop, html)
    await idle()
    open(document.querySelector('[data-onsite-cart-drawer]')!)
    await idle()
    expect(t.events.map(([e]) => e)).toEqual(['Cart Viewed'])
  })

  it('a drawer open when onsite starts, other elements, other attributes: no Cart Viewed', async () => {
    const shop = createShop()
    const t = onWindow(shop, '<cart-drawer class="drawer active"></cart-drawer><div class="drawer" id="menu"></div>')
    await idle()
    drawer().setAttribute('data-x', '1')
    drawer().classList.add('animate')
    document.getElementById('menu')!.classList.add('active')
    await idle()
    expect(t.events).toEqual([])
  })

  it('a drawer and shopify:cart:view for one opening are one Cart Viewed', async () => {
    const shop = createShop()
    const t = onWindow(shop, '<cart-drawer class="drawer"></cart-drawer>')
    await idle()
    drawer().classList.add('active')
    document.dispatchEvent(new Event('shopify:cart:view'))
    await idle()
    expect(viewed(t)).toHaveLength(1)
  })

  it('a page still loading: the drawers are found once the document is parsed', async () => {
    const shop = createShop()
    const state = Object.getOwnPropertyDescriptor(Document.prototype, 'readyState')
    Object.defineProperty(document, 'readyState', { configurable: true, get: () => 'loading' })
    try {
      window.fetch = shop.fetch as typeof fetch
      const t = tab(shop, { w: window })
      document.body.innerHTML = '<cart-drawer class="drawer"></cart-drawer>'
      document.dispatchEvent(new Event('DOMContentLoaded'))
      await idle()
      drawer().classList.add('active')
      await idle()
      expect(t.events.map(([e]) => e)).toEqual(['Cart Viewed'])
    } finally {
      delete (document as { readyState?: unknown }).readyState
      expect(Object.getOwnPropertyDescriptor(Document.prototype, 'readyState')).toEqual(state)
    }
  })

  it('after stop (consent withdrawn) an opening says nothing', async () => {
    const shop = createShop()
    const t = onWindow(shop, '<cart-drawer class="drawer"></cart-drawer>')
    await idle()
    t.stop()
    drawer().classList.add('active')
    await idle()
    expect(t.events).toEqual([])
    expect(shop.cartReads()).toBe(1)
  })
})

describe('tabs sharing one snapshot', () => {
  it('the tab that made the change emits it once; the other says nothing', async () => {
    fakeTimers()
    const shop = createShop()
    const ls = new MemStorage()
    const { locks } = fakeLocks()
    const a = tab(shop, { ls, locks })
    const b = tab(shop, { ls, locks, path: '/collections/all', pageType: 'collection' })
    await idle()
    await a.w.fetch('/cart/add.js', jsonPost({ items: [{ id: 112, quantity: 1 }] }))
    await idle()
    // the other tab hears of it: the snapshot changed, then it is shown again
    b.w.dispatchEvent(Object.assign(new Event('storage'), { key: 'onsite:cart' }))
    await idle()
    visible(b.w)
    await idle()
    expect(a.names()).toEqual(['Product Added 112 x1'])
    expect(b.events).toEqual([])
  })

  // Each tab saved its own language's names, each save a storage event that made the other
  // tab fetch and save again: ~2.4 cart.js reads a second per tab, forever.
  it('two tabs on two locales do not wake each other forever', async () => {
    fakeTimers()
    const shop = createShop()
    shop.add(111, 1)
    const [la, lb] = [new MemStorage(), new MemStorage()]
    const { locks } = fakeLocks()
    const a = tab(shop, { ls: la, locks })
    const b = tab(shop, { ls: lb, locks, root: '/fr/', path: '/fr/products/tee' })
    // one localStorage: a write is seen by the other tab, with a storage event there
    ;[[la, lb, b], [lb, la, a]].forEach(([from, to, other]) => {
      const f = from as MemStorage
      f.setItem = (k: string, v: string) => {
        MemStorage.prototype.setItem.call(f, k, v)
        MemStorage.prototype.setItem.call(to as MemStorage, k, v)
        ;(other as typeof a).w.dispatchEvent(Object.assign(new Event('storage'), { key: k }))
      }
    })
    await idle()
    visible(b.w)
    await idle()
    const reads = shop.cartReads()
    for (let i = 0; i < 10; i++) await idle()
    expect(shop.cartReads() - reads).toBe(0)
    expect([...a.events, ...b.events].filter(([e]) => e !== 'Product Viewed')).toEqual([])
  })

  it('a change made with no tab looking is emitted by the first tab that refetches, only', async () => {
    fakeTimers()
    const shop = createShop()
    const ls = new MemStorage()
    const { locks, names } = fakeLocks()
    const a = tab(shop, { ls, locks })
    const b = tab(shop, { ls, locks })
    await idle()
    shop.add(221, 2)
    visible(b.w)
    await idle()
    visible(a.w)
    await idle()
    expect(b.names()).toEqual(['Product Added 221 x2'])
    expect(a.events).toEqual([])
    expect(names.every((n) => n === 'onsite-cart')).toBe(true)
  })

  it('with Web Locks, two tabs refreshing at the same instant announce a change once, though storage lags', async () => {
    fakeTimers()
    const shop = createShop()
    const [lsA, lsB] = laggyStorages(30)
    const { locks } = fakeLocks()
    const a = tab(shop, { ls: lsA, locks })
    const b = tab(shop, { ls: lsB, locks })
    await idle()
    shop.add(111, 1)
    visible(a.w)
    visible(b.w)
    await idle()
    expect([...a.names(), ...b.names()]).toEqual(['Product Added 111 x1'])
  })

  it('a change made while no page was open is emitted at the next page load', async () => {
    const shop = createShop()
    const ls = new MemStorage()
    const first = tab(shop, { ls })
    await idle()
    first.stop()
    shop.add(111, 1)
    shop.add(221, 1)
    const next = tab(shop, { ls })
    await idle()
    expect(next.names()).toEqual(['Product Added 111 x1', 'Product Added 221 x1'])
  })

  it('a page restored from the back/forward cache refetches', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    shop.add(111, 1)
    t.w.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: false }))
    await idle()
    expect(t.events).toEqual([])
    t.w.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }))
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x1'])
  })
})

describe('XMLHttpRequest (jQuery themes)', () => {
  it('a urlencoded POST to /cart/add.js is one Product Added; the host still gets its answer', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    const xhr = new (t.w as any).XMLHttpRequest() as XMLHttpRequest
    const loaded = new Promise((r) => xhr.addEventListener('load', r))
    xhr.open('POST', '/cart/add.js', true)
    xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded')
    xhr.send('id=111&quantity=2')
    await loaded
    await idle()
    expect(JSON.parse(xhr.responseText).variant_id).toBe(111)
    expect(t.events).toEqual([['Product Added', teeChange(2, 2)]])
  })

  it('no refetch for a failed add or another endpoint', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    const send = (url: string, body: string) =>
      new Promise((r) => {
        const xhr = new (t.w as any).XMLHttpRequest() as XMLHttpRequest
        xhr.addEventListener('loadend', r)
        xhr.open('POST', url)
        xhr.send(body)
      })
    await send('/cart/add.js', 'id=999&quantity=1')
    await send('/search', 'q=tee')
    await idle()
    expect(shop.cartReads()).toBe(1)
  })
})

describe('the fetch observer', () => {
  const add = jsonPost({ id: 111, quantity: 1 })
  it.each([
    ['a relative path', '/cart/add', add],
    ['.js', '/cart/add.js', add],
    ['a query string', '/cart/change.js?line=1&quantity=0', { method: 'POST' }],
    ['an absolute URL on the same origin', ORIGIN + '/cart/update.js', jsonPost({ updates: {} })],
    ['a locale root', '/en-ca/cart/add.js', add],
    ['a URL object', new URL(ORIGIN + '/cart/clear.js'), { method: 'POST' }],
    ['a Request', new Request(ORIGIN + '/cart/add.js', { method: 'POST', body: '{"id":111}' }), undefined],
  ])('refetches after %s', async (_, input, init) => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    expect((await t.w.fetch(input as RequestInfo, init)).ok).toBe(true)
    await idle()
    expect(shop.cartReads()).toBe(2)
  })

  it.each([
    ['another origin', 'https://cdn.example/cart/add.js', add],
    ['cart.js itself', '/cart.js', undefined],
    ['the cart page', '/cart', undefined],
    ['a deeper path', '/apps/bundles/cart/add', add],
    ['another endpoint', '/cart/shipping_rates.json', undefined],
    ['a refused add (422)', '/cart/add.js', jsonPost({ id: 999, quantity: 1 })],
  ])('does not refetch after %s', async (_, input, init) => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    await t.w.fetch(input, init)
    await idle()
    expect(shop.cartReads()).toBe(1)
  })

  it('reads cart.js under the locale root', async () => {
    const shop = createShop()
    tab(shop, { root: '/en-ca/', path: '/en-ca/products/tee' })
    await idle()
    expect(shop.calls.map((c) => c.path)).toEqual(['/en-ca/cart.js'])
  })

  it('keeps `this`, the arguments and the exceptions of the host call', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    const adds = () => shop.calls.filter((c) => c.path === '/cart/add.js')
    await t.w.fetch('/cart/add.js', jsonPost({ id: 111 }))
    expect(adds().at(-1)!.self).toBe(t.w)
    const bare = t.w.fetch
    await bare('/cart/add.js', jsonPost({ id: 111 }))
    expect(adds().at(-1)!.self).toBeUndefined()
    expect(adds()).toHaveLength(2)
    expect(shop.fetch.mock.calls.find((c) => c[0] === '/cart/add.js')).toEqual(['/cart/add.js', jsonPost({ id: 111 })])
    // a synchronous throw stays synchronous, a rejection stays the same rejection
    shop.fetch.mockImplementationOnce(() => {
      throw new TypeError('Illegal invocation')
    })
    expect(() => t.w.fetch('/cart/add.js')).toThrow('Illegal invocation')
    const reason = new TypeError('Failed to fetch')
    const failure = Promise.reject(reason)
    failure.catch(() => {})
    shop.fetch.mockReturnValueOnce(failure)
    const p = t.w.fetch('/cart/add.js', { method: 'POST' })
    await expect(p).rejects.toBe(reason)
  })

  it('coalesces a burst of triggers into one cart.js request', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    visible(t.w)
    visible(t.w)
    t.w.dispatchEvent(Object.assign(new Event('storage'), { key: 'onsite:cart' }))
    t.w.document.dispatchEvent(new Event('shopify:cart:lines-update'))
    await idle()
    expect(shop.cartReads()).toBe(2)
    // another key of storage is not a cart change
    t.w.dispatchEvent(Object.assign(new Event('storage'), { key: 'onsite:leases' }))
    await idle()
    expect(shop.cartReads()).toBe(2)
  })

  it('double start wraps once; stop restores the original only when the last watcher leaves', async () => {
    const shop = createShop()
    const w = fakeWindow(shop, '/')
    const proto = (w as any).XMLHttpRequest.prototype
    const [open, send] = [proto.open, proto.send]
    const one = tab(shop, { w })
    const wrapped = w.fetch
    expect(wrapped).not.toBe(shop.fetch)
    const two = tab(shop, { w })
    expect(w.fetch).toBe(wrapped)
    one.stop()
    expect(w.fetch).toBe(wrapped)
    two.stop()
    expect(w.fetch).toBe(shop.fetch)
    expect([proto.open, proto.send]).toEqual([open, send])
  })

  it('stop leaves a wrapper installed after ours in place, ours as a pass-through', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    const ours = t.w.fetch
    const theirs = vi.fn((...a: Parameters<typeof fetch>) => ours(...a))
    t.w.fetch = theirs as typeof fetch
    t.stop()
    expect(t.w.fetch).toBe(theirs)
    const res = await t.w.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    expect(res.ok).toBe(true)
    expect(shop.cartReads()).toBe(1)
    expect(t.events).toEqual([])
  })
})

describe('never breaks the host', () => {
  it("Prototype.js's Array.prototype.toJSON: the snapshot still reads back, and an add is one Product Added", async () => {
    const proto = Array.prototype as { toJSON?: unknown }
    proto.toJSON = function (this: unknown[]) {
      return '[' + this.join(', ') + ']'
    }
    try {
      const shop = createShop()
      const t = tab(shop)
      await idle()
      await t.w.fetch('/cart/add.js', { method: 'POST', body: JSON.stringify({ id: 111, quantity: 2 }), headers: { 'Content-Type': 'application/json' } })
      await idle()
      expect(t.names()).toEqual(['Product Added 111 x2'])
      expect(Array.isArray(JSON.parse(t.ls!.getItem('onsite:cart')!).lines)).toBe(true)
    } finally {
      delete proto.toJSON
    }
  })

  it.each(['html', '500', 'garbage', 'wrong', 'network'] as const)('a /cart.js answering %s: nothing thrown, nothing emitted, host result intact', async (mode) => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    shop.setMode(mode)
    const res = await t.w.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    expect(res.ok).toBe(true)
    expect((await res.json()).variant_id).toBe(111)
    expect(t.events).toEqual([])
    // once it answers again, the change is caught against the last good snapshot
    shop.setMode('ok')
    visible(t.w)
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x1'])
  })

  it('a /cart.js that hangs is given up after 10 s and does not hold the lock', async () => {
    fakeTimers()
    const shop = createShop()
    const ls = new MemStorage()
    const { locks } = fakeLocks()
    const a = tab(shop, { ls, locks })
    await idle()
    shop.setMode('hang')
    shop.add(111, 1)
    visible(a.w)
    await idle()
    shop.setMode('ok')
    const b = tab(shop, { ls, locks })
    await idle()
    expect(b.events).toEqual([])
    await vi.advanceTimersByTimeAsync(10_000)
    await idle()
    expect(b.names()).toEqual(['Product Added 111 x1'])
  })

  it.each([
    ['no localStorage', undefined],
    ['a localStorage that throws', throwingStorage()],
  ])('works from memory with %s', async (_, ls) => {
    const shop = createShop()
    const t = tab(shop, { ls })
    await idle()
    await t.w.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    visible(t.w)
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x1'])
  })

  it('a full localStorage does not re-announce the change at every refresh', async () => {
    const shop = createShop()
    const ls = new MemStorage()
    const t = tab(shop, { ls })
    await idle()
    ls.failWrite = () => true
    await t.w.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    visible(t.w)
    await idle()
    visible(t.w)
    await idle()
    expect(t.names()).toEqual(['Product Added 111 x1'])
  })

  it('a corrupted snapshot counts as none', async () => {
    const shop = createShop()
    const ls = new MemStorage()
    ls.setItem('onsite:cart', '{"v":1,"lines":"nope"')
    const t = tab(shop, { ls })
    await idle()
    expect(t.events).toEqual([])
    expect(JSON.parse(ls.getItem('onsite:cart')!).v).toBe(1)
  })

  it('a track() that throws does not stop the next events', async () => {
    const shop = createShop()
    const w = fakeWindow(shop, '/')
    const seen: string[] = []
    stops.push(
      watchShopifyCart({
        w,
        ls: new MemStorage(),
        pageType: 'home',
        track: (e, p) => {
          seen.push(`${e} ${p.variant_id}`)
          throw new Error('boom')
        },
      }),
    )
    await idle()
    await w.fetch('/cart/add.js', jsonPost({ items: [{ id: 111 }, { id: 221 }] }))
    await idle()
    expect(seen).toEqual(['Product Added 111', 'Product Added 221'])
  })

  it('stop() during a refresh: nothing more is emitted, listeners are gone', async () => {
    const shop = createShop()
    const t = tab(shop)
    await idle()
    const gate = deferred<void>()
    const plain = shop.fetch.getMockImplementation()!
    shop.fetch.mockImplementation(async function (this: unknown, input, init) {
      if (String(input).endsWith('cart.js')) await gate.promise
      return plain.call(this, input, init)
    })
    await t.w.fetch('/cart/add.js', jsonPost({ id: 111, quantity: 1 }))
    await idle()
    t.stop()
    gate.resolve()
    await idle()
    visible(t.w)
    await idle()
    expect(t.events).toEqual([])
    expect(shop.cartReads()).toBe(2)
  })

  it('a window without fetch, XMLHttpRequest or a usable document: no throw, nothing done', () => {
    const w = { location: new URL(ORIGIN) } as unknown as Window
    expect(() => watchShopifyCart({ w, ls: undefined, pageType: 'product', track: () => {}, product: { product_id: '1' } })()).not.toThrow()
    const hostile = new Proxy({}, { get: () => { throw new Error('denied') } }) as Window
    expect(() => watchShopifyCart({ w: hostile, ls: undefined, pageType: 'cart', track: () => {} })()).not.toThrow()
  })
})
