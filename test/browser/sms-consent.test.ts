// SMS consent in an offer's email_phone form, and bars that reserve their space, in Chromium through the
// built bundle and the local collector: what the shopper sees, what reaches Customer.io, and the page's
// real layout with the bar on it.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright'
import { collectorEvents, loaderPage, waitFor } from './harness.ts'
import { useSuite } from './suite.ts'

const suite = useSuite()
const DISCLOSURE = 'Yes, text me offers at this number (about 4 a month). Msg & data rates may apply. Reply STOP to cancel, HELP for help. Consent is not a condition of purchase.'

type Stored = { type: string; event?: string; traits?: Record<string, unknown> }
const calls = async () => (await collectorEvents(suite.stack.collectorUrl)).events as unknown as Stored[]
const identifies = async () => (await calls()).filter((e) => e.type === 'identify')
/** The first identify, once it reached the collector. */
const firstIdentify = async () => (await waitFor(async () => (await identifies())[0]))!
const config = (offer: object) => ({ writeKey: 'test-write-key', apiHost: suite.stack.collectorUrl, flushIntervalMs: 50, offers: [offer] })
const smsOffer = (content: object = {}) => ({
  id: 'sms_welcome', kind: 'popup',
  content: { title: 'Texts from us?', form: 'email_phone', smsConsentText: DISCLOSURE, smsConsentVersion: 'us-2026-12', code: 'TEXT10', ...content },
})

/** Opens the store page with the offer on screen; collects [onsite] console errors and page errors. */
const open = async (path: string, offer: object, head = '', body = '<p>Store</p>') => {
  const errors: string[] = []
  suite.ctx.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  suite.ctx.on('weberror', (e) => errors.push('pageerror: ' + e.error().message))
  const page = await suite.open(path, loaderPage({ config: config(offer), before: head, after: body }))
  await page.locator('onsite-offer').waitFor({ state: 'attached', timeout: 10_000 })
  return { page, errors, offer: page.locator('onsite-offer') }
}
/** The element focused inside the offer: its name attribute, or its text. */
const focused = (page: Page) => page.evaluate(() => {
  const a = document.activeElement?.shadowRoot?.activeElement
  return a?.getAttribute('name') || a?.textContent || ''
})

describe('an email_phone form with SMS consent', () => {
  it('the box is unticked and labelled by the disclosure; a bad number gets an announced error and sends nothing', async () => {
    const { page, offer } = await open('/sms/bad', smsOffer())
    const box = offer.getByRole('checkbox', { name: DISCLOSURE })
    expect(await box.isChecked()).toBe(false)
    await offer.getByRole('textbox', { name: 'Email' }).fill('jane@example.com')
    await offer.getByRole('textbox', { name: 'Phone' }).fill('555 01')
    await box.check()
    await offer.locator('form button').click()
    const tel = offer.locator('input[type=tel]')
    await expect.poll(() => offer.locator('#pe').textContent()).toBe('Please enter a valid phone number.')
    expect(await offer.locator('#pe').isVisible()).toBe(true)
    expect([await tel.getAttribute('aria-invalid'), await tel.getAttribute('aria-describedby'), await offer.locator('#pe').getAttribute('aria-live')]).toEqual(['true', 'pe', 'polite'])
    expect(await focused(page)).toBe('phone')
    await page.waitForTimeout(400) // several flush intervals
    expect(await identifies()).toEqual([])
    expect(await offer.locator('form').count()).toBe(1)
  })

  it('ticked, with a national number: identify carries the phone in E.164, the consent, its time and version', async () => {
    const { offer } = await open('/sms/ok', smsOffer())
    await offer.getByRole('textbox', { name: 'Email' }).fill('jane@example.com')
    await offer.getByRole('textbox', { name: 'Phone' }).fill('(415) 555-0123')
    await offer.getByRole('checkbox', { name: DISCLOSURE }).check()
    const before = Date.now()
    await offer.locator('form button').click()
    await expect.poll(() => offer.locator('.k').textContent()).toBe('TEXT10')
    const identify = await firstIdentify()
    const t = identify.traits!
    expect(t).toEqual({ email: 'jane@example.com', phone: '+14155550123', sms_consent: true, sms_consent_at: expect.any(String), sms_consent_text_version: 'us-2026-12' })
    const at = Date.parse(t.sms_consent_at as string)
    expect(at).toBeGreaterThanOrEqual(before - 1000)
    expect(at).toBeLessThanOrEqual(Date.now())
    // the consent is the person's, in traits: the offer_* events carry none of it
    await waitFor(async () => (await calls()).some((e) => e.event === 'offer_submitted'))
    expect(JSON.stringify((await calls()).filter((e) => e.type === 'track'))).not.toMatch(/sms_consent|5550123/)
  })

  it('unticked: the phone goes, no sms_* trait at all', async () => {
    const { offer } = await open('/sms/unticked', smsOffer())
    await offer.getByRole('textbox', { name: 'Email' }).fill('jane@example.com')
    await offer.getByRole('textbox', { name: 'Phone' }).fill('+44 20 7946 0958')
    await offer.locator('form button').click()
    const identify = await firstIdentify()
    expect(identify.traits).toEqual({ email: 'jane@example.com', phone: '+442079460958' })
  })

  it('the disclosure is text: markup in it is shown, never parsed', async () => {
    const { page, offer } = await open('/sms/hostile', smsOffer({ smsConsentText: '<img src=x onerror="window.pwned=1">Text me' }))
    expect(await offer.locator('label.c').textContent()).toBe('<img src=x onerror="window.pwned=1">Text me')
    expect(await offer.locator('img').count()).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined()
  })

  it('without smsConsentText: one [onsite] config error, no box, the phone still collected', async () => {
    const { errors, offer } = await open('/sms/none', smsOffer({ smsConsentText: undefined }))
    expect(await offer.locator('input[type=checkbox]').count()).toBe(0)
    await expect.poll(() => errors.filter((e) => e.includes('smsConsentText'))).toEqual([expect.stringMatching(/^\[onsite\] offer "sms_welcome": .*no SMS consent/)])
    await offer.getByRole('textbox', { name: 'Email' }).fill('jane@example.com')
    await offer.getByRole('textbox', { name: 'Phone' }).fill('+14155550123')
    await offer.locator('form button').click()
    const identify = await firstIdentify()
    expect(identify.traits).toEqual({ email: 'jane@example.com', phone: '+14155550123' })
  })
})

const LONG_PAGE = '<style>html{padding-bottom:10px} body{margin:0} header{height:50px;background:#eee} main{height:1600px} footer{height:60px;background:#333;color:#fff}</style>'
const STORE = '<header id="h">Store header</header><main>Products</main><footer id="f">Footer links</footer>'
const bar = (extra: object = {}) => ({ id: 'ship', kind: 'bar', reserveSpace: true, content: { title: 'Free shipping on orders over 50 USD, this week only, on every product of the store', cta: { text: 'Shop', url: '/sale' } }, ...extra })
const rect = (page: Page, sel: string) => page.evaluate((s) => {
  const el = s === 'bar' ? document.querySelector('onsite-offer')!.shadowRoot!.querySelector('.bar')! : document.querySelector(s)!
  const r = el.getBoundingClientRect()
  return { top: r.top, bottom: r.bottom, height: r.height }
}, sel)
const htmlStyle = (page: Page) => page.evaluate(() => ({
  attr: document.documentElement.getAttribute('style'),
  bottom: getComputedStyle(document.documentElement).paddingBottom,
  top: getComputedStyle(document.documentElement).paddingTop,
  barTop: document.documentElement.style.getPropertyValue('--onsite-bar-top'),
}))
const toEnd = (page: Page) => page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))

describe('a bar with reserveSpace', () => {
  it('bottom: the footer ends above the bar at the end of the page; the padding follows a wrap; close restores it', async () => {
    const { page, errors } = await open('/bar/bottom', bar(), LONG_PAGE, STORE)
    await toEnd(page)
    const b = await rect(page, 'bar')
    expect((await rect(page, '#f')).bottom).toBeLessThanOrEqual(b.top + 0.5)
    expect((await htmlStyle(page)).bottom).toBe(`${10 + Math.ceil(b.height)}px`) // the page's own 10px kept

    await page.setViewportSize({ width: 360, height: 640 }) // the bar's text wraps: it grows
    const grown = (await waitFor(async () => {
      const r = await rect(page, 'bar')
      return r.height > b.height && (await htmlStyle(page)).bottom === `${10 + Math.ceil(r.height)}px` ? r : undefined
    }))!
    await toEnd(page)
    expect((await rect(page, '#f')).bottom).toBeLessThanOrEqual(grown.top + 0.5)

    await page.locator('onsite-offer .x').click()
    await expect.poll(() => page.locator('onsite-offer').count()).toBe(0)
    expect(await htmlStyle(page)).toEqual({ attr: null, bottom: '10px', top: '0px', barTop: '' })
    expect(errors).toEqual([]) // no "ResizeObserver loop" reaching the store's error tracker either
  })

  it('without it (the default) the same bar covers the footer: the test above can fail', async () => {
    const { page } = await open('/bar/default', bar({ reserveSpace: false }), LONG_PAGE, STORE)
    await toEnd(page)
    expect((await rect(page, '#f')).bottom).toBeGreaterThan((await rect(page, 'bar')).top + 1)
    expect((await htmlStyle(page)).attr).toBeNull()
  })

  it("top: the header starts below the bar; --onsite-bar-top is set; the page's own style attribute comes back as it was", async () => {
    const { page } = await open('/bar/top', bar({ position: 'top' }), LONG_PAGE + '<script>document.documentElement.setAttribute("style", "color: rgb(1, 2, 3); padding-top: 4px")</script>', STORE)
    const b = await rect(page, 'bar')
    expect((await rect(page, '#h')).top).toBeGreaterThanOrEqual(b.bottom - 0.5)
    const on = await htmlStyle(page)
    expect([on.top, on.barTop]).toEqual([`${4 + Math.ceil(b.height)}px`, `${Math.ceil(b.height)}px`])
    await page.locator('onsite-offer .x').click()
    await expect.poll(() => page.locator('onsite-offer').count()).toBe(0)
    expect((await htmlStyle(page)).attr).toBe('color: rgb(1, 2, 3); padding-top: 4px;')
  })
})
