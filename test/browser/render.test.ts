// renderOffer in Chromium: real focus and keyboard, a strict-CSP page, layout shift and visibility.
// render.ts is tested here on its own, built as its own script (global `onsiteRender`) and served
// same-origin at /render.js (stack.page with a JavaScript content type: served, not written into dist/,
// which a concurrent `node build.mjs` wipes).
import { build } from 'esbuild'
import { beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright'
import type { Offer } from '../../src/offers/offers.ts'
import { offerFixture } from '../offer-fixture.ts'
import type { Handlers, Rendered } from '../../src/render/render.ts'
import { useSuite } from './suite.ts'

const HOSTILE = '<img src=x onerror=alert(1)>'
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'"

const offer = (kind: Offer['kind'], content: Partial<Offer['content']> = {}, extra: Partial<Offer> = {}): Offer =>
  offerFixture(kind, { title: 'Ten percent off', body: 'On your first order.', ...content }, extra)

/** What the test pages hold: the built module, the last handle, and every handler call in order. */
interface Win {
  onsiteRender: { renderOffer(doc: Document, o: Offer, h: Handlers, at?: 'top' | 'bottom'): Rendered | string }
  r?: Rendered | undefined
  events: string[]
  show(o: Offer, at?: 'top' | 'bottom'): boolean
  vis?: DocumentVisibilityState
  shift: number
  violations: string[]
}

const suite = useSuite()

beforeAll(async () => {
  const out = await build({ entryPoints: ['src/render/render.ts'], bundle: true, format: 'iife', globalName: 'onsiteRender', write: false, logLevel: 'silent' })
  suite.stack.page('/render.js', out.outputFiles[0]!.text, { 'Content-Type': 'text/javascript; charset=utf-8' })
})

/** Opens a store page with the renderer loaded and `window.show(offer)` ready. */
const load = async (path: string, body: string, headers: Record<string, string> = {}): Promise<Page> => {
  const page = await suite.ctx.newPage()
  await page.goto(suite.stack.page(path, `<!doctype html><html><head><title>Store</title><script src="/render.js"></script></head><body>${body}</body></html>`, headers))
  await page.evaluate(() => {
    const w = window as unknown as Win
    w.events = []
    const log = (e: string) => () => w.events.push(e)
    w.show = (o, at) => {
      const r = w.onsiteRender.renderOffer(document, o, {
        onSeen: log('seen'), onDismiss: log('dismiss'),
        onClick: (url) => w.events.push(`click ${url}`),
        onSubmit: (t) => w.events.push(`submit ${JSON.stringify(t)}`),
      }, at)
      w.r = typeof r == 'object' ? r : undefined
      return !!w.r
    }
  })
  return page
}

const show = (page: Page, o: Offer, at?: 'top' | 'bottom') => page.evaluate(([o, at]) => (window as unknown as Win).show(o, at), [o, at] as const)
const events = (page: Page) => page.evaluate(() => (window as unknown as Win).events)
const settle = (page: Page, ms = 300) => page.waitForTimeout(ms)

/** The focused element as a name: the id of a page element, or `offer:` + name or text inside the offer. */
const focused = (page: Page) => page.evaluate(() => {
  const a = document.activeElement
  const inner = a?.shadowRoot?.activeElement
  if (!inner) return a?.id || a?.tagName || ''
  return `offer:${inner.getAttribute('name') || inner.getAttribute('aria-label') || inner.textContent}`
})

it('keyboard: focus moves into the popup, Tab stays inside, Esc dismisses and focus returns to the opener', async () => {
  const page = await load('/keyboard', '<button id="opener">Open</button><a href="#x" id="after">Store link</a>')
  await page.evaluate((o) => {
    document.getElementById('opener')!.onclick = () => (window as unknown as Win).show(o)
  }, offer('popup', { form: 'email_phone', consentText: 'Email me offers', cta: { text: 'Get my code' } }))
  await page.focus('#opener')
  await page.keyboard.press('Enter')
  expect(await focused(page)).toBe('offer:email')

  const order: string[] = []
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab')
    order.push(await focused(page))
  }
  // The close button is last in the DOM (shown top right), so the first field gets focus on open. After it,
  // the modal dialog hands focus to the browser's own UI (BODY here: headless has none), never to the inert
  // page behind, and the next Tab comes back to the first field: the platform's behaviour, kept on purpose.
  expect(order).toEqual(['offer:phone', 'offer:email_consent', 'offer:Get my code', 'offer:Close', 'BODY', 'offer:email'])
  // Backwards likewise: from the first field to the last (through the browser UI, if it takes a stop).
  await page.keyboard.press('Shift+Tab')
  if ((await focused(page)) === 'BODY') await page.keyboard.press('Shift+Tab')
  expect(await focused(page)).toBe('offer:Close')

  await page.keyboard.press('Escape')
  await expect.poll(() => events(page)).toContain('dismiss')
  expect((await events(page)).filter((e) => e === 'dismiss')).toHaveLength(1)
  expect(await page.evaluate(() => (window as unknown as Win).r!.host.isConnected)).toBe(false)
  expect(await focused(page)).toBe('opener')
})

// On a phone, a popup with an image, a long body and a form opened scrolled to the email
// field, its title out of view. Taller than the screen, the title takes the focus (APG dialog pattern).
it('a popup taller than the screen focuses its title, not the first field; Tab then reaches the field', async () => {
  const page = await load('/tall', '<p>Store</p>')
  await page.setViewportSize({ width: 390, height: 500 })
  await show(page, offer('popup', { form: 'email_phone', consentText: 'Email me offers', body: 'Lorem ipsum dolor sit amet. '.repeat(40) }))
  expect(await focused(page)).toBe('offer:Ten percent off')
  const top = await page.evaluate(() => document.querySelector('onsite-offer')!.shadowRoot!.querySelector('h2')!.getBoundingClientRect().top)
  expect(top).toBeGreaterThanOrEqual(0)
  await page.keyboard.press('Tab')
  expect(await focused(page)).toBe('offer:email')
})

it('form: the browser validates the email; a valid one submits, thanks and shows the code', async () => {
  const page = await load('/form', '<p>Store</p>')
  await show(page, offer('popup', { form: 'email', consentText: 'Yes please', code: 'SAVE10' }))
  for (const bad of ['not an email', 'jane@localhost']) {
    await page.keyboard.press('Control+A')
    await page.keyboard.type(bad)
    await page.keyboard.press('Enter')
    await settle(page, 100)
    expect(await events(page)).not.toContainEqual(expect.stringMatching(/^submit/))
  }
  await page.keyboard.press('Control+A')
  await page.keyboard.type('jane@example.com')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Space')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  await expect.poll(() => events(page)).toContain('submit {"email":"jane@example.com","email_consent":true}')
  expect(await page.evaluate(() => (window as unknown as Win).r!.host.shadowRoot!.querySelector('.k')!.textContent)).toBe('SAVE10')
  expect(await focused(page)).toBe('offer:Thank you!')
  expect(page.url()).toMatch(/\/form$/) // not navigated
})

it('mouse: a click inside keeps the popup, the backdrop dismisses, the CTA link navigates', async () => {
  const page = await load('/mouse', '<p>Store</p>')
  suite.stack.page('/sale', '<!doctype html><title>Sale</title>')
  await show(page, offer('popup', { consentText: 'Yes', form: 'email' }))
  await page.mouse.click(5, 5) // the backdrop, top left
  await expect.poll(() => events(page)).toContain('dismiss')

  await show(page, offer('popup', { cta: { text: 'Shop the sale', url: '/sale?from=popup' } }))
  await page.locator('onsite-offer h2').click()
  await page.locator('onsite-offer a').click()
  await page.waitForURL(/\/sale\?from=popup$/)
  expect(await page.title()).toBe('Sale')
})

it('strict CSP: renders styled with no violation', async () => {
  const page = await load('/csp', '<p>Store</p>', { 'Content-Security-Policy': CSP })
  const consoleErrors: string[] = []
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
  await page.evaluate(() => {
    const w = window as unknown as Win
    w.violations = []
    document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  expect(await show(page, offer('popup', { form: 'email', image: '/hero.png' }))).toBe(true)
  await settle(page)
  const style = await page.evaluate(() => {
    const root = (window as unknown as Win).r!.host.shadowRoot!
    const css = (sel: string) => getComputedStyle(root.querySelector(sel)!)
    return {
      dialog: css('dialog').borderRadius, box: css('.o').paddingTop, input: css('input').boxSizing,
      sheets: root.adoptedStyleSheets.length, styleEls: root.querySelectorAll('style').length,
    }
  })
  expect(style).toEqual({ dialog: '8px', box: '24px', input: 'border-box', sheets: 1, styleEls: 0 })
  expect(await page.evaluate(() => (window as unknown as Win).violations)).toEqual([])
  expect(consoleErrors.filter((t) => /Content Security Policy/i.test(t))).toEqual([])

  // The check can see a violation: a <style> element (what browsers without adoptedStyleSheets get) is blocked.
  await page.evaluate(() => {
    const s = document.createElement('style')
    s.textContent = 'p{color:red}'
    ;(window as unknown as Win).r!.host.shadowRoot!.append(s)
  })
  await expect.poll(() => page.evaluate(() => (window as unknown as Win).violations.length)).toBeGreaterThan(0)
})

it('no animation when the shopper asks for reduced motion', async () => {
  const page = await load('/motion', '<p>Store</p>')
  const animation = async () => {
    await show(page, offer('popup'))
    const name = await page.evaluate(() => getComputedStyle((window as unknown as Win).r!.host.shadowRoot!.querySelector('dialog')!).animationName)
    await page.evaluate(() => (window as unknown as Win).r!.close())
    return name
  }
  expect(await animation()).not.toBe('none')
  await page.emulateMedia({ reducedMotion: 'reduce' })
  expect(await animation()).toBe('none')
})

it('bar: fixed at the bottom (or top) with no layout shift', async () => {
  const text = Array.from({ length: 40 }, (_, i) => `<p>Product ${i}: a paragraph of store content long enough to wrap.</p>`).join('')
  const page = await load('/cls', `<h1>Store</h1>${text}`)
  await settle(page)
  await page.evaluate(() => {
    const w = window as unknown as Win
    w.shift = 0
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.shift += (e as unknown as { value: number }).value
    }).observe({ type: 'layout-shift' })
  })
  const firstP = () => page.evaluate(() => document.querySelector('p')!.getBoundingClientRect().top)
  const before = await firstP()
  await show(page, offer('bar', { cta: { text: 'Shop', url: '/sale' } }))
  await show(page, offer('bar', { title: 'Free shipping' }), 'top')
  await settle(page, 600)
  expect(await page.evaluate(() => (window as unknown as Win).shift)).toBe(0)
  expect(await firstP()).toBe(before)
  const rects = await page.evaluate(() =>
    [...document.querySelectorAll('onsite-offer')].map((h) => {
      const bar = h.shadowRoot!.querySelector('.bar')!
      const r = bar.getBoundingClientRect()
      return { position: getComputedStyle(bar).position, top: r.top, bottom: Math.round(r.bottom), role: bar.getAttribute('role'), vh: innerHeight }
    }))
  expect(rects[0]).toMatchObject({ position: 'fixed', bottom: rects[0]!.vh, role: 'region' })
  expect(rects[1]).toMatchObject({ position: 'fixed', top: 0, role: 'region' })

  // The measure works: content pushed down in the flow is a shift.
  await page.evaluate(() => {
    const d = document.createElement('div')
    d.style.height = '80px'
    document.body.prepend(d)
  })
  await expect.poll(() => page.evaluate(() => (window as unknown as Win).shift)).toBeGreaterThan(0)
})

it('bar on a phone-width screen: the button moves to its own line whole instead of breaking', async () => {
  const page = await load('/narrow', '<p>Store</p>')
  await page.setViewportSize({ width: 390, height: 700 })
  // titles of every length up to two lines, so some line break falls where the button is
  const boxes: number[] = []
  for (let n = 4; n <= 60; n += 2) {
    await show(page, offer('bar', { title: 'Free shipping over 50 USD and more'.slice(0, n), cta: { text: 'Shop all', url: '/sale' } }))
    boxes.push(await page.evaluate(() => [...document.querySelectorAll('onsite-offer')].at(-1)!.shadowRoot!.querySelector('.bar a')!.getClientRects().length))
  }
  expect(new Set(boxes)).toEqual(new Set([1]))
})

it('onSeen: once for a visible popup', async () => {
  const page = await load('/seen', '<p>Store</p>')
  await show(page, offer('popup'))
  await expect.poll(() => events(page)).toEqual(['seen'])
  await page.evaluate(() => scrollBy(0, 500))
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
  await settle(page)
  expect(await events(page)).toEqual(['seen'])
})

it('onSeen: an embed below the fold only when scrolled into view, and once', async () => {
  const page = await load('/fold', '<div style="height:3000px">Top of the store</div><div id="slot"></div><div style="height:1000px"></div>')
  expect(await show(page, offer('embed', {}, { target: '#slot' }))).toBe(true)
  await settle(page, 500)
  expect(await events(page)).toEqual([])
  await page.evaluate(() => document.getElementById('slot')!.scrollIntoView({ block: 'center' }))
  await expect.poll(() => events(page)).toEqual(['seen'])
  await page.evaluate(() => scrollTo(0, 0))
  await settle(page)
  await page.evaluate(() => document.getElementById('slot')!.scrollIntoView({ block: 'center' }))
  await settle(page)
  expect(await events(page)).toEqual(['seen'])
  expect(await page.evaluate(() => (window as unknown as Win).r!.host.getBoundingClientRect().width)).toBe(
    await page.evaluate(() => document.getElementById('slot')!.getBoundingClientRect().width),
  )
})

it('onSeen: not while the tab is hidden, then once it is visible', async () => {
  const page = await load('/hidden', '<p>Store</p>')
  // Headless Chromium keeps every tab visible, so the page's visibility is driven by hand.
  await page.evaluate(() => {
    const w = window as unknown as Win
    w.vis = 'hidden'
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => w.vis })
  })
  await show(page, offer('popup'))
  await settle(page, 500)
  expect(await events(page)).toEqual([])
  await page.evaluate(() => {
    ;(window as unknown as Win).vis = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
  })
  await expect.poll(() => events(page)).toEqual(['seen'])
})

it('shows a hostile title as text', async () => {
  const page = await load('/hostile', '<p>Store</p>')
  const alerts: string[] = []
  const requests: string[] = []
  page.on('dialog', (d) => (alerts.push(d.message()), d.dismiss()))
  page.on('request', (r) => requests.push(new URL(r.url()).pathname))
  await show(page, offer('popup', { title: HOSTILE, body: HOSTILE, cta: { text: HOSTILE, url: 'javascript:alert(2)' } }))
  await settle(page)
  const got = await page.evaluate(() => {
    const root = (window as unknown as Win).r!.host.shadowRoot!
    return { imgs: root.querySelectorAll('img').length, title: root.querySelector('h2')!.textContent, hrefs: root.querySelectorAll('[href]').length }
  })
  expect(got).toEqual({ imgs: 0, title: HOSTILE, hrefs: 0 })
  await page.evaluate(() => (window as unknown as Win).r!.host.shadowRoot!.querySelector<HTMLElement>('button')!.click())
  await settle(page, 100)
  expect(alerts).toEqual([])
  expect(requests).not.toContain('/x')
})
