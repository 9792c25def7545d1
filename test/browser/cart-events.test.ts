// The Shopify build against a page that behaves like Dawn: a product form that posts FormData to
// /cart/add and hands the answer to a `cart-drawer` element, which opens by adding the class `active`
// (as Dawn's cart-drawer.js open() does), a cart icon that opens the same drawer, and a stub Ajax cart
// served by Playwright routes. Checks what reaches the collector: the cart on Product Added, one event
// per add call whatever runs in parallel, and Cart Viewed per opening by the shopper.
import { describe, expect, it } from 'vitest'
import type { Page, Request, Route } from 'playwright'
import { collectorEvents, loaderPage, waitFor } from './harness.ts'
import { useSuite } from './suite.ts'

const suite = useSuite()

const CATALOG: Record<string, { title: string; price: number }> = { '111': { title: 'Tee', price: 2500 }, '221': { title: 'Mug', price: 1200 } }

/** Shopify's Ajax cart, in the test: the cart changes when an add arrives; `hold` delays an answer. */
const stubCart = async (hold: (n: number) => Promise<void> = async () => {}) => {
  const lines = new Map<string, number>()
  let adds = 0
  const item = (id: string) => ({
    id: Number(id), variant_id: Number(id), product_id: Number(id) * 10, key: `${id}:k`, quantity: lines.get(id) ?? 0,
    title: CATALOG[id]!.title, product_title: CATALOG[id]!.title, price: CATALOG[id]!.price, final_price: CATALOG[id]!.price,
    final_line_price: CATALOG[id]!.price * (lines.get(id) ?? 0), sku: CATALOG[id]!.title.toUpperCase(), url: `/products/${id}`, properties: null,
  })
  const cart = () => {
    const items = [...lines.keys()].map(item)
    return { token: 'c1-browser?key=secret', currency: 'EUR', items, item_count: items.length, total_price: items.reduce((s, i) => s + i.final_line_price, 0) }
  }
  const json = (v: unknown) => ({ contentType: 'application/json', body: JSON.stringify(v) })
  await suite.ctx.route('**/cart.js', (r: Route) => r.fulfill(json(cart())))
  await suite.ctx.route('**/cart/add', async (r: Route, req: Request) => {
    const n = adds++
    // a multipart body, as FormData sends it
    const id = /name="id"\r\n\r\n(\d+)/.exec(req.postData() ?? '')?.[1] ?? ''
    if (!CATALOG[id]) return r.fulfill({ status: 422, ...json({ status: 422, message: 'Cart Error' }) })
    lines.set(id, (lines.get(id) ?? 0) + 1)
    const answer = { ...item(id), sections: { 'cart-drawer': '<div id="CartDrawer"></div>' } }
    await hold(n)
    await r.fulfill(json(answer))
  })
}

// The page's own code: Dawn's behaviour as the issue describes it, written here (no theme code is copied).
const THEME = `
<a id="cart-icon-bubble" href="/cart">Cart</a>
<cart-drawer class="drawer is-empty"><div id="CartDrawer"></div></cart-drawer>
<dialog data-onsite-cart-drawer id="side-cart"><p>Another theme's cart</p></dialog>
<script>
  customElements.define('cart-drawer', class extends HTMLElement {
    open() { setTimeout(() => this.classList.add('animate', 'active')) }
    close() { this.classList.remove('active') }
    renderContents() { this.classList.remove('is-empty'); setTimeout(() => this.open()) }
  })
  document.getElementById('cart-icon-bubble').addEventListener('click', (e) => { e.preventDefault(); document.querySelector('cart-drawer').open() })
  window.addToCart = async (id) => {
    const body = new FormData()
    body.append('form_type', 'product')
    body.append('id', id)
    body.append('quantity', '1')
    body.append('sections', 'cart-drawer,cart-icon-bubble')
    body.append('sections_url', location.pathname)
    const res = await fetch('/cart/add', { method: 'POST', headers: { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/javascript' }, body })
    const state = await res.json()
    document.querySelector('cart-drawer').renderContents(state)
    return state
  }
</script>`

const open = async (): Promise<{ page: Page; errors: string[] }> => {
  const config = { writeKey: 'test-write-key', apiHost: suite.stack.collectorUrl, flushIntervalMs: 50, shopify: { root: '/' } }
  const html = loaderPage({ config, after: THEME }).replace('/dist/onsite.js', '/dist/shopify/onsite.js')
  const errors: string[] = []
  const page = await suite.ctx.newPage()
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(suite.stack.page('/products/tee', html))
  await page.waitForFunction(() => (window as any).onsite.version)
  // the first read of /cart.js is the snapshot the adds are diffed against
  await waitFor(() => page.evaluate(() => localStorage.getItem('onsite:cart')))
  return { page, errors }
}

const cartEvents = async () =>
  (await collectorEvents(suite.stack.collectorUrl)).events.filter((e) => /^(Product Added|Product Removed|Cart Viewed)$/.test(String(e.event)))
const names = async () => (await cartEvents()).map((e) => String(e.event))

describe('Shopify cart events in a Dawn-like page', () => {
  it('an add through the product form: Product Added with the cart after it; the drawer it opens is no Cart Viewed, the cart icon is', async () => {
    await stubCart()
    const { page, errors } = await open()
    const state = await page.evaluate(() => (window as any).addToCart('111'))
    expect(state.variant_id).toBe(111)
    await page.waitForFunction(() => document.querySelector('cart-drawer')!.classList.contains('active'))
    await waitFor(async () => (await names()).includes('Product Added'))
    const [added] = await cartEvents()
    expect(added!.properties).toMatchObject({
      product_id: '1110', variant_id: '111', name: 'Tee', price: 25, quantity: 1, currency: 'EUR', cart_id: 'c1-browser', value: 25,
      products: [{ product_id: '1110', variant_id: '111', name: 'Tee', price: 25, quantity: 1 }],
    })
    expect(JSON.stringify(added)).not.toContain('secret')
    // the drawer the add opened: nothing more arrives
    await page.waitForTimeout(500)
    expect(await names()).toEqual(['Product Added'])
    // the shopper closes it and opens it from the cart icon: a view, with the cart
    await page.evaluate(() => (document.querySelector('cart-drawer') as any).close())
    await page.click('#cart-icon-bubble')
    await waitFor(async () => (await names()).includes('Cart Viewed'))
    expect((await cartEvents())[1]!.properties).toMatchObject({ cart_id: 'c1-browser', value: 25, currency: 'EUR', products: [{ variant_id: '111', quantity: 1 }] })
    // open again a while later: another view; mutations while it is open are not
    await page.evaluate(() => (document.querySelector('cart-drawer') as any).close())
    await page.waitForTimeout(1100)
    await page.click('#cart-icon-bubble')
    await page.evaluate(() => document.querySelector('cart-drawer')!.classList.toggle('animate'))
    await waitFor(async () => (await names()).length === 3)
    await page.waitForTimeout(300)
    expect(await names()).toEqual(['Product Added', 'Cart Viewed', 'Cart Viewed'])
    expect(errors).toEqual([])
  })

  it('two adds of one variant in flight at once, the first answered last: two Product Added of 1, each page promise its own answer', async () => {
    let secondDone!: () => void
    const second = new Promise<void>((r) => (secondDone = r))
    // the first add's answer waits until the second has been answered
    await stubCart(async (n) => (n === 0 ? await second : void setTimeout(secondDone, 50)))
    const { page, errors } = await open()
    const states = await page.evaluate(() => Promise.all([(window as any).addToCart('111'), (window as any).addToCart('111')]))
    expect(states.map((s: any) => s.variant_id)).toEqual([111, 111])
    await waitFor(async () => (await names()).filter((n) => n === 'Product Added').length >= 2)
    await page.waitForTimeout(500)
    const added = (await cartEvents()).filter((e) => e.event === 'Product Added')
    expect(added.map((e) => (e.properties as any).quantity)).toEqual([1, 1])
    for (const e of added) expect(e.properties).toMatchObject({ value: 50, products: [{ variant_id: '111', quantity: 2 }] })
    expect(await names()).toEqual(['Product Added', 'Product Added'])
    expect(errors).toEqual([])
  })

  it("another theme's drawer marked data-onsite-cart-drawer: a <dialog> opened with showModal() is a Cart Viewed", async () => {
    await stubCart()
    const { page, errors } = await open()
    await page.evaluate(() => (document.getElementById('side-cart') as HTMLDialogElement).showModal())
    await waitFor(async () => (await names()).includes('Cart Viewed'))
    expect((await cartEvents())[0]!.properties).toMatchObject({ cart_id: 'c1-browser', value: 0, currency: 'EUR', products: [] })
    expect(errors).toEqual([])
  })
})
