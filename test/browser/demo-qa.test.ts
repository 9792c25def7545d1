// The demo store's QA fixes, as a person clicking through it meets them: the QA panel never sits over an
// offer (the welcome bar's close button takes a real mouse click on a desktop), on a phone the panel is a
// small handle that covers neither Add to cart nor Pay now, the newsletter form says inline what is wrong
// with an email onsite refuses, the panel's Person box shows a newsletter identify without a reload, and
// the quantity box is reset after the cart refuses an add.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright'
import { waitFor } from './harness.ts'
import { useDemoSuite } from './demo-suite.ts'

const suite = useDemoSuite()
const { crashes } = suite
const desktop = { width: 1280, height: 800 }
const phone = { width: 390, height: 844 }
const open = async (path: string, viewport = desktop): Promise<Page> => {
  const page = await suite.open(path, viewport)
  await page.waitForFunction(() => (window as any).onsite?.anonymousId?.())
  return page
}
/** True when the element's centre, scrolled into view, is the element itself (nothing fixed lies over it). */
const reachable = (page: Page, selector: string, block: ScrollLogicalPosition = 'nearest') =>
  page.locator(selector).evaluate((el, block) => {
    el.scrollIntoView({ block })
    const r = el.getBoundingClientRect()
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
    return !!top && (top === el || el.contains(top))
  }, block)

describe('the QA panel beside offers', () => {
  it('on a desktop the welcome bar is never under the panel: its close button takes a mouse click', async () => {
    const page = await open('/')
    const close = page.locator('onsite-offer .bar .x')
    await close.waitFor({ timeout: 10_000 })
    // the panel ends where the bar begins
    await expect.poll(async () => {
      const [bar, qa] = await Promise.all([page.locator('onsite-offer .bar').boundingBox(), page.locator('#qa').boundingBox()])
      return bar && qa ? qa.y + qa.height <= bar.y + 0.5 : false
    }).toBe(true)
    // a real click, checked by Playwright to hit the button and nothing over it
    await close.click({ timeout: 3000 })
    await page.locator('onsite-offer').waitFor({ state: 'detached' })
    await page.evaluate(() => (window as any).onsite.flush())
    await waitFor(() => suite.demo.collector.events().some((e) => e.event === 'offer_dismissed'))
    // and the panel takes the whole height again
    await expect.poll(async () => (await page.locator('#qa').boundingBox())!.height).toBe(desktop.height)
    expect(crashes).toEqual([])
  })
})

describe('the QA panel on a phone (390×844)', () => {
  it('is a small handle that hides neither Add to cart nor Pay now; tapped, it opens, and the store keeps room for it', async () => {
    const page = await open('/products/canvas-tote', phone)
    const box = (await page.locator('#qa').boundingBox())!
    expect(box.width).toBeLessThan(80)
    expect(box.height).toBeLessThan(60)
    expect(await reachable(page, '[data-add-to-cart]')).toBe(true)
    expect(await reachable(page, '#cart-icon-bubble')).toBe(true)
    await page.locator('[data-add-to-cart]').click()
    await page.locator('[data-product-form][data-state="added"]').waitFor()
    await page.goto(new URL('/checkout', suite.demo.url).href)
    expect(await reachable(page, '[data-pay]')).toBe(true)
    // opened by its handle: a sheet, with as much room kept below the store's end
    await page.locator('#qa-toggle').click()
    await expect.poll(async () => (await page.locator('#qa').boundingBox())!.height).toBeGreaterThan(300)
    expect(await page.evaluate(() => document.cookie)).toContain('demo_panel=open')
    const room = await page.locator('.store').evaluate((el) => parseFloat(getComputedStyle(el).marginBottom))
    expect(room).toBeGreaterThan(300)
    // scrolled to the middle of the screen, above the sheet
    expect(await reachable(page, '[data-pay]', 'center')).toBe(true)
    // and it stays open on the next page, which renders it so from the cookie
    await page.goto(new URL('/', suite.demo.url).href)
    expect(await page.locator('html').getAttribute('class')).toContain('qa-open')
    expect(crashes).toEqual([])
  })
})

describe('the newsletter form', () => {
  it('says inline that jane@example is no full email (which the browser lets through) and sends nothing', async () => {
    const page = await open('/')
    const form = page.locator('form[data-newsletter]')
    await form.locator('input[type=email]').fill('jane@example')
    await form.locator('button').click()
    const msg = form.locator('[data-form-message]')
    await expect.poll(() => msg.innerText()).toMatch(/full email address, such as jane@example.com/)
    expect(await msg.getAttribute('class')).toBe('error')
    expect(await msg.isVisible()).toBe(true)
    expect(await form.locator('input[type=email]').getAttribute('aria-invalid')).toBe('true')
    expect(page.url()).toBe(suite.demo.url)
    await page.evaluate(() => (window as any).onsite.flush())
    await new Promise((r) => setTimeout(r, 500))
    expect(suite.demo.collector.events().filter((e) => e.type === 'identify')).toEqual([])
    expect(crashes).toEqual([])
  })

  it('a valid email identifies, and the Person box shows it without a reload', async () => {
    const page = await open('/pages/newsletter')
    await page.evaluate(() => ((window as any).samePage = true))
    await expect.poll(() => page.locator('#qa-person').innerText()).toMatch(/Not identified/)
    const form = page.locator('form[data-newsletter]')
    await form.locator('input[type=email]').fill('Reader@Example.com')
    await form.locator('button').click()
    await page.locator('form[data-newsletter][data-state="subscribed"]').waitFor()
    await expect.poll(() => page.locator('#qa-person-traits').innerText(), { timeout: 8000 }).toContain('email: reader@example.com')
    expect(await page.evaluate(() => (window as any).samePage)).toBe(true)
    expect(crashes).toEqual([])
  })
})

describe('the product form', () => {
  it('resets the quantity box after the cart refuses the add (422, over stock)', async () => {
    const page = await open('/products/wool-coat?variant=47100011032')
    const qty = page.locator('input[name=quantity]')
    await qty.fill('3')
    await page.locator('[data-add-to-cart]').click()
    await page.locator('[data-product-form][data-state="error"]').waitFor()
    expect(await page.locator('[data-cart-status]').innerText()).toMatch(/can't add more/)
    expect(await qty.inputValue()).toBe('1')
    expect(crashes).toEqual([])
  })
})
