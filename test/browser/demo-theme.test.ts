// The demo store driven the way a real Shopify theme drives it. First a harness that makes the calls of
// Dawn's product-form.js, cart-drawer.js and cart.js (CartDrawerItems) with the bodies they send: the
// product form's FormData with `sections` appended as an array and `sections_url`, to /cart/add with
// Accept: application/javascript; quantity changes as JSON {line, quantity, sections, sections_url} to
// /cart/change; the drawer rebuilt from `response.sections` by the selectors Dawn uses. Then the demo's
// own drawer, clicked as a shopper would. Each time: no page error, and the collector has one Product
// Added per add and a Product Removed per removal.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright'
import { useDemoSuite, type Ev } from './demo-suite.ts'

const suite = useDemoSuite()
const { crashes } = suite
const exactly = (n: number, pred: (e: Ev) => boolean) => suite.exactly(n, pred, 800)
const open = async (path: string): Promise<Page> => {
  const page = await suite.open(path)
  await page.waitForFunction(() => (window as any).onsite?.anonymousId?.())
  return page
}
const flush = (page: Page) => page.evaluate(() => (window as any).onsite.flush())
/** The drawer's lines as [variant id, quantity], and the header bubble's count. */
const drawerState = (page: Page) =>
  page.evaluate(() => ({
    lines: [...document.querySelectorAll<HTMLElement>('#CartDrawer [data-drawer-line]')].map((li) => [Number(li.dataset.variantId), Number(li.querySelector<HTMLInputElement>('[data-line-qty]')!.value)]),
    bubble: document.querySelector('#cart-icon-bubble [data-cart-count]')?.textContent,
  }))

// Dawn's calls, written again here: same endpoints, headers, bodies and DOM updates, none of its code.
const dawnAdd = (page: Page, id: number, quantity: number) =>
  page.evaluate(async ({ id, quantity }) => {
    const inner = (markup: string, selector = '.shopify-section') => new DOMParser().parseFromString(markup, 'text/html').querySelector(selector)!.innerHTML
    const form = new FormData()
    form.append('form_type', 'product')
    form.append('utf8', '✓')
    form.append('id', String(id))
    form.append('quantity', String(quantity))
    // product-form.js appends the array itself: FormData makes it "cart-drawer,cart-icon-bubble"
    form.append('sections', ['cart-drawer', 'cart-icon-bubble'] as unknown as string)
    form.append('sections_url', location.pathname)
    const res = await fetch('/cart/add', { method: 'POST', headers: { Accept: 'application/javascript', 'X-Requested-With': 'XMLHttpRequest' }, body: form })
    const state = await res.json()
    if (state.status) return { error: String(state.description) }
    // cart-drawer.js renderContents: #CartDrawer from the drawer section, the bubble from its section, then open
    document.querySelector('#CartDrawer')!.innerHTML = inner(state.sections['cart-drawer'], '#CartDrawer')
    document.getElementById('cart-icon-bubble')!.innerHTML = inner(state.sections['cart-icon-bubble'])
    document.querySelector('cart-drawer')!.classList.add('animate', 'active')
    return { key: String(state.key) }
  }, { id, quantity })

const dawnChange = (page: Page, line: number, quantity: number) =>
  page.evaluate(async ({ line, quantity }) => {
    const inner = (markup: string, selector: string) => new DOMParser().parseFromString(markup, 'text/html').querySelector(selector)!.innerHTML
    const body = JSON.stringify({ line, quantity, sections: ['cart-drawer', 'cart-icon-bubble'], sections_url: location.pathname })
    const res = await fetch('/cart/change', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body })
    const state = JSON.parse(await res.text())
    if (state.errors || state.status) return { error: String(state.errors ?? state.description) }
    // CartDrawerItems.getSectionsToRender: {id, section, selector}
    for (const s of [{ id: 'CartDrawer', section: 'cart-drawer', selector: '.drawer__inner' }, { id: 'cart-icon-bubble', section: 'cart-icon-bubble', selector: '.shopify-section' }]) {
      const target = document.getElementById(s.id)!.querySelector(s.selector) || document.getElementById(s.id)!
      target.innerHTML = inner(state.sections[s.section], s.selector)
    }
    document.querySelector('cart-drawer')!.classList.toggle('is-empty', state.item_count === 0)
    return { count: Number(state.item_count) }
  }, { line, quantity })

const SHIRT_S = 47100011011
const TOTE = 47100011021
const COAT_CAMEL = 47100011032

describe("Dawn's drawer calls against the demo", () => {
  it('adds and changes with sections: the drawer shows the right lines, one Product Added per add, a Product Removed', async () => {
    const page = await open('/products/linen-shirt')
    expect(await dawnAdd(page, SHIRT_S, 1)).toHaveProperty('key')
    expect(await drawerState(page)).toEqual({ lines: [[SHIRT_S, 1]], bubble: '1' })
    expect(await page.locator('cart-drawer.active #CartDrawer .drawer__inner').isVisible()).toBe(true)
    expect(await dawnAdd(page, TOTE, 2)).toHaveProperty('key')
    expect(await drawerState(page)).toEqual({ lines: [[SHIRT_S, 1], [TOTE, 2]], bubble: '3' })
    await flush(page)
    const adds = await exactly(2, (e) => e.event === 'Product Added')
    expect(adds.map((e) => [e.properties!.sku, e.properties!.quantity])).toEqual([['LS-001-S', 1], ['CT-002', 2]])

    expect(await dawnChange(page, 1, 0)).toEqual({ count: 2 })
    expect(await drawerState(page)).toEqual({ lines: [[TOTE, 2]], bubble: '2' })
    expect(await dawnChange(page, 1, 3)).toEqual({ count: 3 })
    expect(await drawerState(page)).toEqual({ lines: [[TOTE, 3]], bubble: '3' })
    await flush(page)
    const [removed] = await exactly(1, (e) => e.event === 'Product Removed')
    expect(removed!.properties).toMatchObject({ sku: 'LS-001-S', quantity: 1, price: 49 })
    const more = await exactly(3, (e) => e.event === 'Product Added')
    expect(more[2]!.properties).toMatchObject({ sku: 'CT-002', quantity: 1 })
    // a refused add (two Camel coats in stock) answers the Cart Error, the drawer stays, no event
    expect(await dawnAdd(page, COAT_CAMEL, 3)).toEqual({ error: expect.stringMatching(/can't add more/) })
    expect(await drawerState(page)).toEqual({ lines: [[TOTE, 3]], bubble: '3' })
    await flush(page)
    await exactly(3, (e) => e.event === 'Product Added')
    expect(crashes).toEqual([])
  })
})

describe("the demo's own drawer", () => {
  it('opens on add with the line, + and Remove re-render it from sections; the cart icon opens it again', async () => {
    const page = await open('/products/wool-coat')
    await page.locator('[data-add-to-cart]').click()
    await page.locator('cart-drawer.active').waitFor()
    expect(await drawerState(page)).toEqual({ lines: [[47100011031, 1]], bubble: '1' })
    await page.locator('#CartDrawer [data-qty-step="1"][data-line="1"]').click()
    await page.locator('cart-drawer[data-version="2"]').waitFor()
    expect(await drawerState(page)).toEqual({ lines: [[47100011031, 2]], bubble: '2' })
    await flush(page)
    const adds = await exactly(2, (e) => e.event === 'Product Added')
    expect(adds.map((e) => e.properties!.quantity)).toEqual([1, 1])
    await page.locator('#CartDrawer [data-remove][data-line="1"]').click()
    await page.locator('cart-drawer.is-empty[data-version="3"]').waitFor()
    expect(await drawerState(page)).toEqual({ lines: [], bubble: '0' })
    await flush(page)
    const [removed] = await exactly(1, (e) => e.event === 'Product Removed')
    expect(removed!.properties).toMatchObject({ sku: 'WC-003-CH', quantity: 2 })
    await page.locator('#CartDrawer-Overlay').click({ position: { x: 20, y: 200 } })
    await page.locator('cart-drawer:not(.active)').waitFor({ state: 'attached' })
    await page.locator('#cart-icon-bubble').click()
    await page.locator('cart-drawer.active').waitFor()
    expect(page.url()).toBe(new URL('/products/wool-coat', suite.demo.url).href)
    expect(crashes).toEqual([])
  })
})
