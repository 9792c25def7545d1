// The Shopify build's add-on: the `shopify` config key starts the cart capture there, and only there.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bundled, createOnsite } from '../../../src/index.ts'
import { shopifyCart } from '../../../src/shopify/shopify.ts'
import { captureErrors, captureWarnings, settle, stubPage, unstubPage } from '../fakes.ts'

type Body = { batch: Record<string, any>[]; writeKey: string }
let bodies: Body[]
const fetchOk = vi.fn<typeof fetch>()
const product = { product_id: '101', variant_id: '2001', sku: 'TEE-M', name: 'Tee', price: 19.99, currency: 'USD' }

beforeEach(() => {
  bodies = []
  stubPage(fetchOk, (_url, _init, body) => bodies.push(body))
  // /cart.js (a GET with no body) is not a batch: answer it like Shopify would for an empty cart
  const batch = fetchOk.getMockImplementation()!
  fetchOk.mockImplementation(async (url, init) =>
    String(url).endsWith('/cart.js') ? new Response(JSON.stringify({ token: 'c1?key=s', items: [], currency: 'USD' })) : batch(url, init))
})
afterEach(() => unstubPage())

describe('shopifyCart add-on', () => {
  it('does nothing without a shopify key', () => {
    const before = window.fetch
    expect(shopifyCart(window, {}, vi.fn(), localStorage)).toBeUndefined()
    expect(window.fetch).toBe(before)
  })

  it('a shopify key that is not an object is one [onsite] error, and nothing starts', () => {
    const log = captureErrors()
    const track = vi.fn()
    expect(shopifyCart(window, { shopify: 'yes' }, track, localStorage)).toBeUndefined()
    expect(log.messages()).toEqual(['[onsite] config.shopify must be an object such as {"root": "/", "product": {...}}; cart capture is off'])
    log.spy.mockRestore()
  })

  it('in the Shopify build, a product page sends Product Viewed from the snippet\'s product', async () => {
    const api = createOnsite([shopifyCart], bundled)
    api.init({ writeKey: 'wk_shopify', flushAt: 1, pageType: 'product', shopify: { root: '/', product } })
    await vi.waitFor(() => expect(bodies.flatMap((b) => b.batch).map((c) => c.event)).toContain('Product Viewed'), { timeout: 3000 })
    const viewed = bodies.flatMap((b) => b.batch).find((c) => c.event === 'Product Viewed')!
    expect(viewed.properties).toMatchObject(product)
    await api.consent('denied') // stops the capture: fetch is ours again
  })

  it('consent pending: no request observer, no drawer observer, nothing stored; granted starts them', async () => {
    document.body.innerHTML = '<cart-drawer class="drawer"></cart-drawer>'
    const before = window.fetch
    const api = createOnsite([shopifyCart], bundled)
    api.init({ writeKey: 'wk_shopify', flushAt: 1, consent: 'pending', shopify: { root: '/' } })
    const drawer = document.querySelector('cart-drawer')!
    drawer.classList.add('active')
    await settle()
    drawer.classList.remove('active')
    await settle()
    expect(window.fetch).toBe(before)
    expect(Object.keys(localStorage).filter((k) => k.startsWith('onsite'))).toEqual([])
    api.consent('granted')
    await vi.waitFor(() => expect(localStorage.getItem('onsite:cart')).not.toBeNull(), { timeout: 3000 })
    expect(window.fetch).not.toBe(before)
    // the opening before consent was not kept for later; one after it is a view
    expect(bodies.flatMap((b) => b.batch).some((c) => c.event === 'Cart Viewed')).toBe(false)
    drawer.classList.add('active')
    await vi.waitFor(() => expect(bodies.flatMap((b) => b.batch).map((c) => c.event)).toContain('Cart Viewed'), { timeout: 3000 })
    await api.consent('denied')
    expect(window.fetch).toBe(before)
  })

  it('the generic build says where cart capture lives instead of ignoring the key silently', async () => {
    const warns = captureWarnings()
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_generic', shopify: { product } })
    await api.flush()
    expect(warns.messages()).toContain('[onsite] config.shopify: cart capture is in the Shopify build (dist/shopify/onsite.js), not in this file')
    expect(bodies.flatMap((b) => b.batch).some((c) => c.event === 'Product Viewed')).toBe(false)
    warns.spy.mockRestore()
  })
})
