// The demo store in Chromium, driven as a person would: the QA panel's scenario buttons (each plays its
// steps through the store's own buttons, links and forms), and the store's product form, cart page and
// checkout. Every test then reads what the collector received: names, properties, which anonymous id
// and userId, and that each action was stored once whatever the browser resent.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright'
import { customerFor } from '../../demo/store-config.ts'
import { bucket } from '../../src/offers/decide.ts'
import { waitFor } from './harness.ts'
import { useDemoSuite } from './demo-suite.ts'

const suite = useDemoSuite()
const { crashes, events, exactly } = suite
const of = (aid: string) => events().filter((e) => e.anonymousId === aid)
const named = (name: string, list = events()) => list.filter((e) => e.event === name)
const open = (path: string) => suite.open(path)
const ready = (page: Page) => page.waitForFunction(() => (window as any).onsite?.anonymousId?.())
const aidOf = async (page: Page): Promise<string> => (await ready(page), page.evaluate(() => (window as any).onsite.anonymousId()))
const explain = (page: Page) => page.waitForFunction(() => (window as any).onsite.explain()).then((h) => h.jsonValue() as Promise<any>)
const flush = (page: Page) => page.evaluate(() => (window as any).onsite.flush())

/** Clicks a scenario in the QA panel and waits for the panel to say it is over. */
const scenario = async (page: Page, id: string) => {
  await page.locator(`[data-scenario="${id}"]`).click()
  const run = page.locator('#qa-run[data-state="done"], #qa-run[data-state="failed"]')
  await run.waitFor({ timeout: 45_000 })
  const box = page.locator('#qa-run')
  const [state, ok, text] = [await box.getAttribute('data-state'), await box.getAttribute('data-ok'), await box.innerText()]
  expect({ state, ok }, text).toEqual({ state: 'done', ok: 'true' })
  return text
}

describe('QA panel scenarios', () => {
  it('1. a cart abandoner returns and sees the cart popup: offer_seen once', async () => {
    const page = await open('/')
    const text = await scenario(page, 'abandoner')
    expect(text).toContain('What you should see now')
    const aid = await aidOf(page)
    expect(bucket(aid, 'cart_recovery')).toBeGreaterThanOrEqual(10)
    const [seen] = await exactly(1, (e) => e.event === 'offer_seen' && e.anonymousId === aid)
    expect(seen!.properties).toMatchObject({
      offer_id: 'cart_recovery', kind: 'popup', incentive: true, holdout: false, trigger: 'immediate', page_type: 'home', audiences: ['cio_cart_abandon_4h'],
    })
    // the scenario adds the moment onsite has started, as a new visitor: once lost to a late first cart.js
    const [added] = await exactly(1, (e) => e.event === 'Product Added' && e.anonymousId === aid)
    expect(added!.properties).toMatchObject({ quantity: 1, currency: 'USD' })
    expect(of(aid).filter((e) => e.type === 'page').map((e) => e.properties!.path)).toEqual(['/products/linen-shirt', '/'])
    expect(await page.evaluate(() => !!document.querySelector('onsite-offer')?.shadowRoot?.querySelector('dialog[open]'))).toBe(true)
    expect(crashes).toEqual([])
  })

  it('2. a VIP is suppressed: nothing shown, explain names none:[vip], no offer events', async () => {
    const page = await open('/')
    await scenario(page, 'vip')
    const aid = await aidOf(page)
    const d = await explain(page)
    expect(d.shown).toBeNull()
    expect(d.candidates.find((c: any) => c.offerId === 'cart_recovery').reasons).toContain('audience: none:[vip] matched vip')
    // the panel shows the same decision
    await expect.poll(() => page.locator('#qa-decision li[data-offer="cart_recovery"][data-outcome="blocked"]').innerText()).toContain('audience: none:[vip] matched vip')
    await flush(page)
    await exactly(1, (e) => e.type === 'page' && e.anonymousId === aid)
    expect(of(aid).filter((e) => e.event?.startsWith('offer_'))).toEqual([])
    expect(crashes).toEqual([])
  })

  it('3. a purchase after the popup suppresses the cart offer before the audience sync catches up', async () => {
    const page = await open('/')
    await scenario(page, 'purchase')
    const aid = await aidOf(page)
    const d = await explain(page)
    expect(d.shown).toBeNull()
    expect(d.candidates.find((c: any) => c.offerId === 'cart_recovery').reasons).toContain('purchase seen after audience sync')
    // the audience service still says cio_cart_abandon_4h, synced before the order: stale
    const qa = JSON.parse((await page.locator('#qa').getAttribute('data-qa'))!)
    expect(qa.audiences.flags.cio_cart_abandon_4h).toBe(true)
    expect(Date.parse(qa.audiences.syncedAt)).toBeLessThan(Number(await page.evaluate(() => document.cookie.match(/onsite_order=(\d+)/)?.[1])))
    await exactly(1, (e) => e.event === 'offer_seen' && e.anonymousId === aid)
    await exactly(1, (e) => e.event === 'offer_clicked' && e.anonymousId === aid)
    const [order] = await exactly(1, (e) => e.event === 'Order Completed')
    // the checkout pixel joined the order to the storefront's anonymous id
    expect(order!.anonymousId).toBe(aid)
    expect(order!.context!.library.name).toBe('onsite-pixel')
    expect(order!.properties).toMatchObject({ currency: 'USD', total: 24.99, subtotal: 19.99, shipping: 5, products: [{ product_id: '8840001102', sku: 'CT-002', price: 19.99, quantity: 1 }] })
    expect(order!.properties!.order_id).toMatch(/^\d+$/)
    expect(events().some((e) => e.type === 'identify' && e.anonymousId === aid && e.traits?.email === 'shopper@example.com')).toBe(true)
    expect(crashes).toEqual([])
  })

  it('4. a second device logs in and joins the same person', async () => {
    const page = await open('/')
    await scenario(page, 'devices')
    const jane = customerFor('jane@example.com')
    const ids = await exactly(2, (e) => e.type === 'identify' && e.userId === jane.id)
    expect(new Set(ids.map((e) => e.anonymousId)).size).toBe(2)
    expect(ids.map((e) => e.traits)).toEqual([{ email: 'jane@example.com' }, { email: 'jane@example.com' }])
    expect(ids[1]!.anonymousId).toBe(await aidOf(page))
    // the panel's person view lists both anonymous ids
    await expect.poll(() => page.locator('#qa-person-aids li').count()).toBe(2)
    expect(crashes).toEqual([])
  })

  it('5. a holdout visitor sees nothing and is counted once', async () => {
    const page = await open('/')
    await scenario(page, 'holdout')
    const aid = await aidOf(page)
    expect(bucket(aid, 'cart_recovery')).toBeLessThan(10)
    const d = await explain(page)
    expect(d.candidates.find((c: any) => c.offerId === 'cart_recovery').outcome).toBe('held_out')
    const [held] = await exactly(1, (e) => e.event === 'offer_held_out')
    expect(held!).toMatchObject({ anonymousId: aid, properties: { offer_id: 'cart_recovery', holdout: true } })
    expect(named('offer_seen')).toEqual([])
    expect(of(aid).filter((e) => e.type === 'page').map((e) => e.properties!.path)).toEqual(['/', '/collections/all'])
    expect(crashes).toEqual([])
  })
})

describe('the QA panel', () => {
  it('a flag toggle reloads the page with the flag rendered, and "reset visitor" gives a new anonymous id', async () => {
    const page = await open('/collections/all')
    const before = await aidOf(page)
    await Promise.all([page.waitForEvent('load'), page.locator('input[data-flag="vip"]').check()])
    // the toggle was a webhook to the audience service; the reloaded page asked /audiences with its token
    const qa = JSON.parse((await page.locator('#qa').getAttribute('data-qa'))!)
    expect(qa.audiences.flags).toMatchObject({ vip: true, cio_cart_abandon_4h: false })
    await expect.poll(() => page.evaluate(() => JSON.parse(localStorage.getItem('onsite:audiences') || '{}').audiences?.flags?.vip)).toBe(true)
    expect(await aidOf(page)).toBe(before)
    await Promise.all([page.waitForURL(/\/demo\/reset\?/), page.locator('#qa-reset').click()])
    await page.waitForURL(/\/collections\/all$/)
    const after = await aidOf(page)
    expect(after).not.toBe(before)
    expect(await page.locator('input[data-flag="vip"]').isChecked()).toBe(false)
    await expect.poll(() => page.locator('#qa-aid').innerText()).toBe(after)
  })
})

describe('the lift report in the QA panel', () => {
  it('simulated traffic with a planted lift, posted through the collector, reads back as each offer against its holdout', async () => {
    const { simulate, postToCollector, DEMO_OFFERS } = await import('../../demo/simulate.ts')
    const calls = simulate({ visitors: 3000, seed: 7, offers: DEMO_OFFERS, start: Date.now() - 20 * 864e5, windowDays: 7 })
    await postToCollector(suite.demo.collector.url, 'demo-write-key', calls)
    const page = await open('/collections/all')
    await page.locator('#qa-report').click()
    await expect.poll(() => page.locator('#qa-report-out').innerText(), { timeout: 30_000 }).toMatch(/welcome-popup/)
    const text = await page.locator('#qa-report-out').innerText()
    expect(text).toMatch(/shipping-bar/)
    expect(text).toMatch(/held_out/)
    expect(crashes).toEqual([])
  })
})

describe('the store, the Shopify way', () => {
  it('Dawn-style add to cart on a product page: one Product Added with the right price', async () => {
    const page = await open('/products/wool-coat')
    const aid = await aidOf(page)
    await page.locator('[data-add-to-cart]').click()
    await page.locator('[data-product-form][data-state="added"]').waitFor()
    const [added] = await exactly(1, (e) => e.event === 'Product Added')
    const token: string = await page.evaluate(() => fetch('/cart.js').then((r) => r.json()).then((c) => c.token))
    expect(added!.anonymousId).toBe(aid)
    expect(added!.properties).toMatchObject({
      product_id: '8840001103', variant_id: '47100011031', sku: 'WC-003-CH', name: 'Wool Coat', variant: 'Charcoal', price: 120, quantity: 1, currency: 'USD', cart_id: token.split('?')[0],
    })
    expect(JSON.stringify(added)).not.toContain('key=')
    const [viewed] = await exactly(1, (e) => e.event === 'Product Viewed')
    expect(viewed!.properties).toMatchObject({ product_id: '8840001103', sku: 'WC-003-CH', price: 120, currency: 'USD' })
    // the add opened the cart drawer, as Dawn's does; Esc closes it
    await page.locator('cart-drawer.active').waitFor()
    await page.keyboard.press('Escape')
    // Camel has two in stock: two go in, a third is refused by the cart (422) and is no event
    await page.locator('[data-variant-select]').selectOption({ label: 'Camel' })
    await page.locator('input[name=quantity]').fill('2')
    await page.locator('[data-add-to-cart]').click()
    await page.locator('[data-product-form][data-added="2"]').waitFor()
    await page.keyboard.press('Escape')
    await page.locator('input[name=quantity]').fill('1')
    await page.locator('[data-add-to-cart]').click()
    await page.locator('[data-product-form][data-state="error"]').waitFor()
    const adds = await exactly(2, (e) => e.event === 'Product Added', 1200)
    expect(adds[1]!.properties).toMatchObject({ variant_id: '47100011032', sku: 'WC-003-CA', quantity: 2, price: 120 })
    expect(crashes).toEqual([])
  })

  it('the cart page: + and remove send Product Added and Product Removed with the change in quantity', async () => {
    const page = await open('/products/linen-shirt')
    await ready(page)
    await page.locator('[data-add-to-cart]').click()
    await page.locator('[data-product-form][data-state="added"]').waitFor()
    await exactly(1, (e) => e.event === 'Product Added')
    await page.goto(new URL('/cart', suite.demo.url).href)
    await ready(page)
    // one: the cart page's. The drawer that opened to confirm the add on the product page is not a view
    const [viewed] = await exactly(1, (e) => e.event === 'Cart Viewed')
    expect(viewed!.context?.page?.path).toBe('/cart')
    await page.locator('[data-cart] [data-qty-step="1"][data-line="1"]').click()
    await page.locator('[data-cart][data-version="1"]').waitFor()
    const adds = await exactly(2, (e) => e.event === 'Product Added')
    expect(adds[1]!.properties).toMatchObject({ sku: 'LS-001-S', quantity: 1, price: 49 })
    await page.locator('[data-cart] [data-remove][data-line="1"]').click()
    await page.locator('[data-cart][data-version="2"]').waitFor()
    const [removed] = await exactly(1, (e) => e.event === 'Product Removed')
    expect(removed!.properties).toMatchObject({ product_id: '8840001101', sku: 'LS-001-S', quantity: 2, price: 49, currency: 'USD' })
    expect(await page.locator('[data-cart-count]').innerText()).toBe('0')
    expect(crashes).toEqual([])
  })

  it('checkout and confirmation: the pixel sends Checkout Started and Order Completed, joined to the storefront, once', async () => {
    const page = await open('/products/canvas-tote')
    const aid = await aidOf(page)
    await page.locator('input[name=quantity]').fill('3')
    await page.locator('[data-add-to-cart]').click()
    await page.locator('[data-product-form][data-state="added"]').waitFor()
    await flush(page)
    await page.goto(new URL('/cart', suite.demo.url).href)
    await page.locator('[data-checkout]').click()
    await page.waitForURL(/\/checkout$/)
    const [started] = await exactly(1, (e) => e.event === 'Checkout Started')
    expect(started!).toMatchObject({ anonymousId: aid, properties: { currency: 'USD', subtotal: 59.97, total: 59.97, products: [{ sku: 'CT-002', quantity: 3, price: 19.99 }] } })
    await page.locator('input[name=email]').fill('  Buyer@Example.com ')
    await page.locator('input[name=discount]').fill('comeback10')
    await page.locator('[data-pay]').click()
    await page.waitForURL(/\/checkout\/thank-you\?order=\d+$/)
    const orderId = await page.locator('[data-thank-you]').getAttribute('data-order-id')
    const [order] = await exactly(1, (e) => e.event === 'Order Completed')
    expect(order!).toMatchObject({
      anonymousId: aid, messageId: `onsite-px-order-${orderId}`,
      properties: { order_id: orderId, checkout_id: started!.properties!.checkout_id, currency: 'USD', subtotal: 53.97, discount: 6, coupon: 'COMEBACK10', shipping: 0, total: 53.97 },
    })
    const identify = events().find((e) => e.type === 'identify' && e.traits?.email === 'buyer@example.com')
    expect(identify?.anonymousId).toBe(aid)
    expect(JSON.stringify(named('Order Completed'))).not.toContain('buyer@example.com')
    expect(await page.evaluate(() => /onsite_order=\d+/.test(document.cookie))).toBe(true)
    // Shopify may replay checkout_completed: with the pixel's memory gone, it resends the same messageId,
    // and the collector keeps one copy (its duplicates count says it saw another)
    await page.evaluate(() => localStorage.removeItem('onsite_px'))
    await page.reload()
    await waitFor(() => (suite.demo.collector.snapshot().duplicates[`onsite-px-order-${orderId}`] ?? 0) >= 1, 10_000)
    await exactly(1, (e) => e.event === 'Order Completed')
    // back on the store, the cart is a new, empty one
    await page.locator('[data-continue]').click()
    await page.waitForURL(suite.demo.url)
    expect(await page.locator('[data-cart-count]').innerText()).toBe('0')
    expect(crashes).toEqual([])
  })

  it('the newsletter form identifies the visitor with the email and consent', async () => {
    const page = await open('/')
    const aid = await aidOf(page)
    await page.locator('form[data-onsite-capture] input[type=email]').fill('Reader@Example.com')
    await page.locator('form[data-onsite-capture] input[name=email_consent]').check()
    await page.locator('form[data-onsite-capture] button').click()
    // the theme posts it without leaving the page, and says so next to the form
    await page.locator('form[data-onsite-capture][data-state="subscribed"]').waitFor()
    const [id] = await exactly(1, (e) => e.type === 'identify')
    expect(id!).toMatchObject({ anonymousId: aid, traits: { email: 'reader@example.com', email_consent: true } })
    expect(crashes).toEqual([])
  })
})

describe('cart capture in real tabs', () => {
  it('two tabs of one shopper: a change made in one is one event, whichever tab looks at the cart later', async () => {
    const a = await open('/products/canvas-tote')
    const b = await open('/collections/all')
    await Promise.all([ready(a), ready(b)])
    await a.locator('[data-add-to-cart]').click()
    await a.locator('[data-product-form][data-state="added"]').waitFor()
    await exactly(1, (e) => e.event === 'Product Added')
    // tab B comes back to the front: it refetches /cart.js, diffs against the shared snapshot, stays quiet
    await b.bringToFront()
    await b.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    await b.reload()
    await ready(b)
    await flush(b)
    await exactly(1, (e) => e.event === 'Product Added', 1200)
    // a change made where no onsite runs (another device, the admin): the next tab that looks reports it once
    // (Playwright's request context shares the tabs' cookies, so it changes this shopper's cart, unobserved)
    await suite.ctx.request.post(new URL('/cart/change.js', suite.demo.url).href, { data: { id: '47100011021', quantity: 3 } })
    await exactly(1, (e) => e.event === 'Product Added', 800)
    await a.reload()
    await ready(a)
    await flush(a)
    const adds = await exactly(2, (e) => e.event === 'Product Added', 1200)
    expect(adds[1]!.properties).toMatchObject({ variant_id: '47100011021', quantity: 2, price: 19.99 })
    expect(crashes).toEqual([])
  })

  it('a Horizon-style add, announced by the standard event and seen by the fetch observer, is one Product Added', async () => {
    const page = await open('/collections/all')
    await ready(page)
    await page.evaluate(async () => {
      // what a Horizon-style theme does: the Ajax add, and the standard event whose promise resolves to the cart
      const done = fetch('/cart/add.js', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ items: [{ id: 47100011012, quantity: 2 }] }) })
        .then(() => fetch('/cart.js'))
        .then((r) => r.json())
        .then((cart) => ({ cart, userErrors: [] }))
      const ev = new Event('shopify:cart:lines-update', { bubbles: true }) as Event & { promise?: unknown }
      ev.promise = done
      document.dispatchEvent(ev)
      await done
    })
    const [added] = await exactly(1, (e) => e.event === 'Product Added', 1500)
    expect(added!.properties).toMatchObject({ variant_id: '47100011012', sku: 'LS-001-M', quantity: 2, price: 49 })
    expect(crashes).toEqual([])
  })
})
