// The demo store's server over HTTP, without a browser: the Shopify-shaped cart API, the config every
// page renders (and that hostile values cannot break out of it), the QA endpoints, and what is not served.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Window } from 'happy-dom'
import { startDemo, type Demo } from '../../demo/server.ts'
import { customerFor } from '../../demo/store-config.ts'
import { bucket } from '../../src/offers/decide.ts'

let demo: Demo
let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onsite-demo-store-'))
  demo = await startDemo({ port: 0, quiet: true, dataFile: join(dir, 'events.jsonl') })
})
afterAll(async () => {
  await demo?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A visitor with a cookie jar, as a browser keeps one. */
const visitor = (cookies: Record<string, string> = {}) => {
  const jar = new Map(Object.entries(cookies))
  const go = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(path, demo.url), {
      redirect: 'manual', ...init,
      headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ') },
    })
    for (const c of res.headers.getSetCookie()) {
      const [, k, v] = /^([^=]+)=([^;]*)/.exec(c)!
      if (/Max-Age=0/i.test(c)) jar.delete(k!)
      else jar.set(k!, decodeURIComponent(v!))
    }
    return res
  }
  const json = async (path: string, body?: unknown) => {
    const res = await go(path, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as any }
  }
  return { jar, go, json }
}

/** Parsed as a browser parses it, with no script run. */
const parse = (html: string) => new new Window().DOMParser().parseFromString(html, 'text/html')
/** The config a page rendered into #onsite-config, read the way onsite.js reads it (the data-config attribute). */
const configOf = (html: string) => ({ config: JSON.parse(parse(html).getElementById('onsite-config')!.getAttribute('data-config')!) })

describe('the Ajax cart API', () => {
  it('answers /cart.js in Shopify shape: token with ?key=, cents, lines keyed by variant and properties', async () => {
    const v = visitor()
    const empty = await v.json('/cart.js')
    expect(empty.body).toMatchObject({ items: [], item_count: 0, total_price: 0, currency: 'USD' })
    expect(empty.body.token).toMatch(/^c1-[0-9a-f]{32}\?key=[0-9a-f]+$/)
    const form = new FormData()
    form.set('id', '47100011012')
    form.set('quantity', '2')
    form.set('properties[Gift note]', 'Happy <b>day</b>')
    const added = await v.go('/cart/add.js', { method: 'POST', body: form })
    expect(added.status).toBe(200)
    expect(await added.json()).toMatchObject({ variant_id: 47100011012, product_id: 8840001101, sku: 'LS-001-M', quantity: 2, price: 4900, final_line_price: 9800, variant_title: 'M', properties: { 'Gift note': 'Happy <b>day</b>' } })
    const more = await v.json('/cart/add.js', { items: [{ id: 47100011021, quantity: 1 }, { id: '47100011012', quantity: 1, properties: { 'Gift note': 'Happy <b>day</b>' } }] })
    expect(more.body.items.map((i: any) => [i.sku, i.quantity])).toEqual([['CT-002', 1], ['LS-001-M', 3]])
    const cart = (await v.json('/cart.js')).body
    expect(cart.token).toBe(empty.body.token)
    expect(cart).toMatchObject({ item_count: 4, total_price: 3 * 4900 + 1999, items_subtotal_price: 16699 })
    expect(cart.items[1]).toMatchObject({ product_title: 'Canvas Tote', variant_title: null, product_has_only_default_variant: true, url: '/products/canvas-tote?variant=47100011021' })
    expect(cart.items[0].key).toMatch(/^47100011012:[0-9a-f]{32}$/)
    // the same variant with other properties is its own line, with its own key
    const plain = await v.json('/cart/add.js', { id: 47100011012, quantity: 1 })
    expect(plain.body.key).not.toBe(cart.items[0].key)
    expect((await v.json('/cart.js')).body.items).toHaveLength(3)
  })

  it('changes a line by line number, key or variant id; update and clear answer the cart', async () => {
    const v = visitor()
    await v.json('/cart/add.js', { items: [{ id: 47100011011, quantity: 1 }, { id: 47100011031, quantity: 1 }] })
    expect((await v.json('/cart/change.js', { line: 1, quantity: 4 })).body.items[0].quantity).toBe(4)
    const key = (await v.json('/cart.js')).body.items[1].key
    expect((await v.json('/cart/change.js', { id: key, quantity: 2 })).body.items[1].quantity).toBe(2)
    expect((await v.json('/cart/change.js', { id: '47100011011', quantity: 0 })).body.items.map((i: any) => i.sku)).toEqual(['WC-003-CH'])
    expect((await v.json('/cart/change.js', { line: 9, quantity: 1 })).status).toBe(400)
    const up = await v.json('/cart/update.js', { updates: { 47100011031: 1, 47100011021: 2 }, note: 'gift' })
    expect(up.body).toMatchObject({ note: 'gift', item_count: 3 })
    const cleared = await v.json('/cart/clear.js', {})
    expect(cleared.body).toMatchObject({ items: [], item_count: 0, token: up.body.token })
  })

  it('refuses what Shopify refuses, with its Cart Error body, and leaves the cart as it was', async () => {
    const v = visitor()
    expect(await v.json('/cart/add.js', { id: 123, quantity: 1 })).toEqual({ status: 404, body: { status: 404, message: 'Cart Error', description: 'Cannot find variant' } })
    const stock = await v.json('/cart/add.js', { items: [{ id: 47100011021, quantity: 1 }, { id: 47100011032, quantity: 3 }] })
    expect(stock.status).toBe(422)
    expect(stock.body.description).toMatch(/can't add more Wool Coat - Camel/)
    expect((await v.json('/cart.js')).body.items).toEqual([])
    expect((await v.json('/cart/add.js', { id: 47100011021, quantity: -1 })).status).toBe(422)
  })

  it('a plain form post without .js redirects to the cart page; Dawn-style Accept gets JSON', async () => {
    const v = visitor()
    const res = await v.go('/cart/add', { method: 'POST', body: new URLSearchParams({ id: '47100011021', quantity: '1' }) })
    expect([res.status, res.headers.get('location')]).toEqual([303, '/cart'])
    const dawn = await v.go('/cart/add', { method: 'POST', headers: { Accept: 'application/javascript' }, body: new URLSearchParams({ id: '47100011021' }) })
    expect((await dawn.json()).quantity).toBe(2)
    const link = await v.go('/cart/change?line=1&quantity=0')
    expect(link.status).toBe(303)
    expect((await v.json('/cart.js')).body.item_count).toBe(0)
  })
})

describe('pages', () => {
  it('render the onsite config the Shopify way, with the product, the customer and a visitor token for the audience service', async () => {
    const v = visitor({ demo_customer: 'Jane@Example.com' })
    const html = await (await v.go('/products/linen-shirt?variant=47100011013')).text()
    expect(html).toContain('<script async src="/dist/shopify/onsite.js"></script>')
    const { config } = configOf(html)
    expect(config).toMatchObject({
      writeKey: 'demo-write-key', apiHost: `http://localhost:${demo.port}/v1`, pageType: 'product',
      customer: customerFor('jane@example.com'), audiencesUrl: '/audiences',
      shopify: { root: '/', currency: 'USD', product: { product_id: '8840001101', variant_id: '47100011013', sku: 'LS-001-L', name: 'Linen Shirt', variant: 'L', price: 49, currency: 'USD' } },
    })
    expect(config).not.toHaveProperty('audiences')
    expect(config.audiencesToken).toMatch(new RegExp(`^${customerFor('jane@example.com').id}\\.\\d+\\.[0-9a-f]{64}$`))
    expect(config.offers.map((o: any) => o.id)).toEqual(['cart_recovery', 'welcome_bar'])
    // a guest onsite has not given an id yet: nobody to ask for
    expect(configOf(await (await visitor().go('/collections/all')).text()).config).toMatchObject({ pageType: 'collection', customer: null, audiencesToken: null, shopify: { root: '/', currency: 'USD' } })
  })

  it("a QA toggle is Customer.io's webhook to the audience service; the page's token then reads the flags from /audiences", async () => {
    const v = visitor({ onsite_aid: 'aid-demo-store-1' })
    expect((await v.json('/demo/segments', { flags: { vip: true, '<b>': true, cio_cart_abandon_4h: 'yes' } })).body.flags).toMatchObject({ vip: true, cio_cart_abandon_4h: false })
    const { config } = configOf(await (await v.go('/')).text())
    const read = await fetch(new URL('/audiences', demo.url), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ token: config.audiencesToken }) })
    const answer = (await read.json()) as { flags: Record<string, boolean>; syncedAt: number }
    expect(answer.flags).toMatchObject({ vip: true, cio_cart_abandon_4h: false })
    expect(answer.flags).not.toHaveProperty('<b>')
    expect(Date.now() - answer.syncedAt).toBeLessThan(60_000)
    expect(read.headers.get('cache-control')).toBe('private, no-store')
    // the webhook route wants Customer.io's secret
    const forged = await fetch(new URL('/webhooks/customerio', demo.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'aid-demo-store-1', segment: 'vip', action: 'exited', at: Math.floor(Date.now() / 1000) + 5 }) })
    expect(forged.status).toBe(401)
    // a signature one hex digit off (always a different digit, or the token would be the same one)
    expect((await (await fetch(new URL('/audiences', demo.url), { method: 'POST', body: JSON.stringify({ token: config.audiencesToken.replace(/.$/, (c: string) => (c === '0' ? '1' : '0')) }) })).status)).toBe(401)
  })

  it('hostile cookie values stay data: no markup, no script, no token for a junk id', async () => {
    const evil = `x'><script>alert(1)</script>@example.com`
    const v = visitor({ demo_customer: evil, onsite_aid: `"><img src=x onerror=alert(1)>` })
    const html = await (await v.go('/')).text()
    expect(html).not.toContain('<script>alert(1)')
    expect(html).not.toContain('<img src=x')
    const { config } = configOf(html)
    expect(config.customer).toBeNull()
    expect(config.audiencesToken).toBeNull()
    // the login form refuses it too, and echoes it as text
    const login = await v.go('/account/login', { method: 'POST', body: new URLSearchParams({ 'customer[email]': `"><script>alert(2)</script>` }) })
    expect(login.status).toBe(422)
    expect(await login.text()).not.toContain('<script>alert(2)')
  })

  it('log in and out with the demo customer cookie', async () => {
    const v = visitor()
    const res = await v.go('/account/login', { method: 'POST', body: new URLSearchParams({ 'customer[email]': ' Jane@Example.com ' }) })
    expect([res.status, res.headers.get('location')]).toEqual([303, '/account'])
    expect(configOf(await (await v.go('/account')).text()).config.customer).toEqual({ id: customerFor('jane@example.com').id, email: 'jane@example.com' })
    expect((await v.go('/account/logout')).status).toBe(303)
    expect((await v.go('/account')).headers.get('location')).toBe('/account/login')
  })

  it('checkout pages load the pixel sandbox instead of onsite.js, and the order empties the cart', async () => {
    const v = visitor()
    expect((await v.go('/checkout')).headers.get('location')).toBe('/cart')
    await v.json('/cart/add.js', { id: 47100011021, quantity: 2 })
    const html = await (await v.go('/checkout')).text()
    expect(html).not.toContain('onsite-config')
    const doc = parse(html)
    const box = JSON.parse(doc.getElementById('pixel-sandbox')!.getAttribute('data-sandbox')!)
    expect(box.config).toEqual({ writeKey: 'demo-write-key', apiHost: `http://localhost:${demo.port}/v1`, debug: true })
    const checkout = box.events[0].checkout
    expect(box.events[0].name).toBe('checkout_started')
    expect(checkout).toMatchObject({ currencyCode: 'USD', totalPrice: { amount: 44.98, currencyCode: 'USD' }, subtotalPrice: { amount: 39.98 }, shippingLine: { price: { amount: 5 } }, order: null })
    expect(checkout.lineItems[0]).toMatchObject({ quantity: 2, title: 'Canvas Tote', variant: { id: '47100011021', sku: 'CT-002', price: { amount: 19.99 }, product: { id: '8840001102' } } })
    const cartBefore = (await v.json('/cart.js')).body.token
    const placed = await v.go('/checkout', { method: 'POST', body: new URLSearchParams({ email: 'not an email' }) })
    expect(placed.headers.get('location')).toBe('/checkout')
    const ok = await v.go('/checkout', { method: 'POST', body: new URLSearchParams({ email: 'Buyer@Example.com' }) })
    const where = ok.headers.get('location')!
    expect(where).toMatch(/^\/checkout\/thank-you\?order=\d+$/)
    const thanks = parse(await (await v.go(where)).text())
    const done = JSON.parse(thanks.getElementById('pixel-sandbox')!.getAttribute('data-sandbox')!).events[0]
    expect(done.name).toBe('checkout_completed')
    expect(done.checkout).toMatchObject({ token: checkout.token, email: 'buyer@example.com', order: { id: where.split('=')[1] } })
    const after = (await v.json('/cart.js')).body
    expect(after.item_count).toBe(0)
    expect(after.token).not.toBe(cartBefore)
  })
})

describe('QA endpoints and files', () => {
  it('/demo/holdout-id gives ids in or out of the cart offer holdout, by the same bucket onsite uses', async () => {
    for (const q of ['', '&in=1']) {
      const r = await visitor().json(`/demo/holdout-id?offer=cart_recovery${q}`)
      expect(r.body).toMatchObject({ offerId: 'cart_recovery', holdoutPercent: 10, inHoldout: true })
      expect(bucket(r.body.anonymousId, 'cart_recovery')).toBe(r.body.bucket)
      expect(r.body.bucket).toBeLessThan(10)
    }
    const out = await visitor().json('/demo/holdout-id?offer=cart_recovery&in=0')
    expect(bucket(out.body.anonymousId, 'cart_recovery')).toBeGreaterThanOrEqual(10)
    expect((await visitor().json('/demo/holdout-id?offer=welcome_bar')).status).toBe(400)
  })

  it('/demo/reset plans the wipe: a local next path only, known flags only', async () => {
    const doc = parse(await (await visitor().go('/demo/reset?next=//evil.example/x&aid=holdout&flags=vip,nope')).text())
    const plan = JSON.parse(doc.getElementById('reset')!.getAttribute('data-reset')!)
    expect(plan.next).toBe('/')
    expect(bucket(plan.anonymousId, 'cart_recovery')).toBeLessThan(10)
    expect(Object.entries(plan.flags).filter(([, on]) => on)).toEqual([['vip', true]])
    // and the audience service was told, before the page rendered: the planned visitor is in vip
    const v = visitor({ onsite_aid: plan.anonymousId })
    const { config } = configOf(await (await v.go('/')).text())
    const answer = await (await fetch(new URL('/audiences?token=' + encodeURIComponent(config.audiencesToken), demo.url))).json()
    expect(answer.flags).toEqual({ vip: true, ...Object.fromEntries(Object.keys(plan.flags).filter((f) => f !== 'vip').map((f) => [f, false])) })
    expect(doc.querySelector('script[src="/dist/onsite.js"], script[src="/dist/shopify/onsite.js"], #onsite-config')).toBeNull()
  })

  it('serves the client files, never the server source or the templates; other methods are refused', async () => {
    const v = visitor()
    for (const f of ['demo.js', 'events.js', 'scenarios.js', 'store.js', 'checkout.js', 'reset.js', 'demo.css']) expect((await v.go('/' + f)).status, f).toBe(200)
    for (const f of ['server.ts', 'cart.ts', 'templates/layout.html', 'demo/server.ts', 'dist/..%2fdemo%2fserver.ts']) expect((await v.go('/' + f)).status, f).toBe(404)
    expect((await v.go('/', { method: 'PUT' })).status).toBe(405)
    expect((await v.go('/products/nope')).status).toBe(404)
  })
})
