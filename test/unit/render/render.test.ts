// renderOffer in happy-dom: what it puts in the DOM and which handler each shopper action reaches. Real
// focus, Esc, CSP and layout are covered in test/browser/render.test.ts; happy-dom has none of them.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Offer } from '../../../src/offers/offers.ts'
import { offerFixture } from '../../offer-fixture.ts'
import { settle } from '../fakes.ts'
import { renderOffer, type Handlers, type Rendered } from '../../../src/render/render.ts'

const HOSTILE = '<img src=x onerror=alert(1)>'

const offer = offerFixture

const handlers = () => ({ onSeen: vi.fn(), onClick: vi.fn(), onSubmit: vi.fn(), onDismiss: vi.fn() }) satisfies Handlers

let h: ReturnType<typeof handlers>
const show = (o: Offer, at?: 'top' | 'bottom'): Rendered => {
  const r = renderOffer(document, o, h, at)
  if (typeof r == 'string') throw new Error('not rendered: ' + r)
  return r
}
const rootOf = (r: Rendered) => r.host.shadowRoot!
const $ = <E extends Element = HTMLElement>(r: Rendered, sel: string) => rootOf(r).querySelector<E>(sel)
const dialogOf = (r: Rendered) => $<HTMLDialogElement>(r, 'dialog')!

/** A controllable IntersectionObserver: `ratio(n)` reports the observed element as n visible. */
const fakeIO = () => {
  let cb: IntersectionObserverCallback | undefined
  let observed = 0
  class IO {
    constructor(c: IntersectionObserverCallback) {
      cb = c
    }
    observe() {
      observed++
    }
    disconnect() {
      observed = 0
    }
  }
  vi.stubGlobal('IntersectionObserver', IO)
  return {
    get observed() {
      return observed
    },
    ratio(r: number) {
      cb?.([{ intersectionRatio: r, isIntersecting: r > 0 } as IntersectionObserverEntry], {} as IntersectionObserver)
    },
  }
}

let visibility: DocumentVisibilityState = 'visible'
beforeEach(() => {
  document.body.innerHTML = ''
  h = handlers()
  visibility = 'visible'
  vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility)
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

describe('text is text', () => {
  it('shows markup in every config string literally and parses none of it', () => {
    const r = show(offer('popup', { title: HOSTILE, body: HOSTILE, code: HOSTILE, consentText: HOSTILE, form: 'email', cta: { text: HOSTILE } }))
    expect(rootOf(r).querySelectorAll('img')).toHaveLength(0)
    expect($(r, 'h2')!.textContent).toBe(HOSTILE)
    expect($(r, 'p')!.textContent).toBe(HOSTILE)
    expect($(r, 'form button')!.textContent).toBe(HOSTILE)
    expect($(r, '.c')!.textContent).toBe(HOSTILE)
  })

  it('names a bar region by its title without parsing it', () => {
    const r = show(offer('bar', { title: HOSTILE }))
    const bar = $(r, '[role=region]')!
    expect(rootOf(r).querySelectorAll('img')).toHaveLength(0)
    expect(rootOf(r).getElementById(bar.getAttribute('aria-labelledby')!)!.textContent).toBe(HOSTILE)
  })
})

describe('links', () => {
  it.each(['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x'])(
    'gives %j no href: the CTA becomes a plain button',
    (url) => {
      const r = show(offer('popup', { cta: { text: 'Go', url } }))
      expect(rootOf(r).querySelector('[href]')).toBeNull()
      const b = [...rootOf(r).querySelectorAll('button')].find((b) => b.textContent === 'Go')!
      b.click()
      expect(h.onClick).toHaveBeenCalledWith('')
    },
  )

  it('links an https URL with rel=noopener, reports the click and closes without a dismissal', () => {
    const r = show(offer('popup', { cta: { text: 'Shop', url: 'https://shop.example/sale' } }))
    const a = $<HTMLAnchorElement>(r, 'a')!
    expect(a.getAttribute('href')).toBe('https://shop.example/sale')
    expect(a.rel).toBe('noopener')
    a.addEventListener('click', (e) => e.preventDefault()) // no navigation in the test
    a.click()
    expect(h.onClick).toHaveBeenCalledWith('https://shop.example/sale')
    expect(r.host.isConnected).toBe(false)
    expect(h.onDismiss).not.toHaveBeenCalled()
  })

  it('resolves a relative URL against the page', () => {
    const r = show(offer('bar', { cta: { text: 'Shop', url: '/collections/sale' } }))
    expect($<HTMLAnchorElement>(r, 'a')!.href).toBe(new URL('/collections/sale', document.baseURI).href)
  })

  it('shows an image only from an http(s) or relative URL, decorative', () => {
    const r = show(offer('popup', { image: '/hero.jpg' }))
    expect($(r, 'img')!.getAttribute('alt')).toBe('')
    expect(rootOf(show(offer('popup', { image: 'javascript:alert(1)' }))).querySelector('img')).toBeNull()
  })
})

describe('form', () => {
  const fill = (r: Rendered, sel: string, v: string) => ($<HTMLInputElement>(r, sel)!.value = v)
  const submit = (r: Rendered) => $(r, 'form')!.dispatchEvent(new Event('submit', { cancelable: true }))

  it('has labelled email (required) and phone fields and a consent box', () => {
    const r = show(offer('popup', { form: 'email_phone', consentText: 'Email me offers' }))
    const email = $<HTMLInputElement>(r, 'input[type=email]')!
    expect([email.name, email.required, email.autocomplete]).toEqual(['email', true, 'email'])
    const phone = $<HTMLInputElement>(r, 'input[type=tel]')!
    expect([phone.name, phone.autocomplete]).toEqual(['phone', 'tel'])
    for (const input of rootOf(r).querySelectorAll('input')) expect(input.closest('label')!.textContent!.trim()).not.toBe('')
    expect($<HTMLInputElement>(r, 'input[type=checkbox]')!.name).toBe('email_consent')
  })

  it("speaks the store's language: content.labels name the fields, the submit button, the thanks and the close button", () => {
    const labels = { email: 'E-Mail', phone: 'Telefon', thanks: 'Danke!', close: 'Schließen', submit: 'Anmelden', codeLoading: 'Code kommt…', codeError: 'Kein Code.', phoneError: 'Keine gültige Nummer.' }
    const r = show(offer('popup', { form: 'email_phone', labels }))
    expect($(r, 'form button')!.textContent).toBe('Anmelden')
    expect($(r, 'input[type=email]')!.closest('label')!.textContent).toContain('E-Mail')
    expect($(r, 'input[type=tel]')!.closest('label')!.textContent).toContain('Telefon')
    expect($(r, '.x')!.getAttribute('aria-label')).toBe('Schließen')
    fill(r, 'input[type=email]', 'jane@example.com')
    submit(r)
    expect(rootOf(r).textContent).toContain('Danke!')
    expect(rootOf(r).textContent).not.toContain('Thank you')
  })

  it('has no phone field or consent box unless asked for', () => {
    const r = show(offer('popup', { form: 'email' }))
    expect($(r, 'input[type=tel]')).toBeNull()
    expect($(r, 'input[type=checkbox]')).toBeNull()
  })

  it('submits the traits, thanks and reveals the code as text; a later close is not a dismissal', () => {
    const r = show(offer('popup', { form: 'email_phone', consentText: 'Yes', code: 'SAVE10' }))
    fill(r, 'input[type=email]', 'jane@example.com')
    fill(r, 'input[type=tel]', '+15555550123')
    $<HTMLInputElement>(r, 'input[type=checkbox]')!.checked = true
    expect(submit(r)).toBe(false) // prevented: the store page does not navigate
    expect(h.onSubmit).toHaveBeenCalledWith({ email: 'jane@example.com', phone: '+15555550123', email_consent: true })
    expect($(r, 'form')).toBeNull()
    expect($(r, '.k')!.textContent).toBe('SAVE10')
    $(r, '.x')!.click()
    expect(h.onDismiss).not.toHaveBeenCalled()
  })

  it('reports an unchecked consent box as false and leaves out an empty phone', () => {
    document.body.innerHTML = '<div id="slot"></div>'
    const r = show(offer('embed', { form: 'email_phone', consentText: 'Yes' }, { target: '#slot' }))
    fill(r, 'input[type=email]', 'jane@example.com')
    submit(r)
    expect(h.onSubmit).toHaveBeenCalledWith({ email: 'jane@example.com' })
  })

  it.each(['', 'not-an-email'])('does not submit the email %j', (email) => {
    const r = show(offer('popup', { form: 'email', code: 'SAVE10' }))
    fill(r, 'input[type=email]', email)
    submit(r)
    expect(h.onSubmit).not.toHaveBeenCalled()
    expect($(r, '.k')).toBeNull()
  })

  it('labels the submit button with the CTA text', () => {
    expect($(show(offer('popup', { form: 'email', cta: { text: 'Get 10% off' } })), 'form button')!.textContent).toBe('Get 10% off')
  })

  it('shows the code straight away when there is no form', () => {
    expect($(show(offer('bar', { code: 'SAVE10' })), '.k')!.textContent).toBe('SAVE10')
  })
})

describe('a code from content.codeUrl', () => {
  const fill = (r: Rendered, v: string) => ($<HTMLInputElement>(r, 'input[type=email]')!.value = v)
  const submit = (r: Rendered) => $(r, 'form')!.dispatchEvent(new Event('submit', { cancelable: true }))
  const later = () => {
    let answer!: (code: string | undefined) => void
    const code = vi.fn(() => new Promise<string | undefined>((ok) => (answer = ok)))
    return { code, answer: (c: string | undefined) => answer(c) }
  }
  const withCode = { form: 'email', codeUrl: '/apps/onsite/code' } as const

  it('is asked for only once the form is submitted with a valid email, after onSubmit, once', async () => {
    const { code } = later()
    const r = renderOffer(document, offer('popup', withCode), { ...h, code }) as Rendered
    await settle()
    expect(code).not.toHaveBeenCalled()
    expect($(r, '[role=status]')).toBeNull()
    fill(r, 'not-an-email')
    submit(r)
    await settle()
    expect(code).not.toHaveBeenCalled()
    fill(r, 'jane@example.com')
    submit(r)
    await settle()
    expect(code).toHaveBeenCalledTimes(1)
    expect(code).toHaveBeenCalledWith({ email: 'jane@example.com' })
    expect(h.onSubmit.mock.invocationCallOrder[0]).toBeLessThan(code.mock.invocationCallOrder[0]!)
  })

  it('thanks at once, says the code is coming, then shows it as text (markup in it is not parsed)', async () => {
    const { code, answer } = later()
    const r = renderOffer(document, offer('popup', withCode), { ...h, code }) as Rendered
    fill(r, 'jane@example.com')
    submit(r)
    expect(rootOf(r).textContent).toContain('Thank you!')
    const status = $(r, '[role=status]')!
    expect(status.textContent).toBe('Getting your code…')
    expect(status.className).toBe('')
    await settle()
    expect(status.textContent).toBe('Getting your code…')
    answer(HOSTILE)
    await settle()
    expect(status.textContent).toBe(HOSTILE)
    expect(status.className).toBe('k')
    expect(rootOf(r).querySelectorAll('img')).toHaveLength(0)
  })

  it.each([
    ['no code', () => Promise.resolve(undefined)],
    ['a rejection', () => Promise.reject(new Error('boom'))],
    ['a throw', () => {
      throw new Error('boom')
    }],
    ['no code handler', undefined],
  ])('%s: the fallback label, nothing thrown', async (_, code) => {
    const r = renderOffer(document, offer('popup', { ...withCode, labels: { ...offer('popup').content.labels, codeError: "We'll email your code." } }), code ? { ...h, code } : h) as Rendered
    fill(r, 'jane@example.com')
    submit(r)
    await settle()
    expect($(r, '[role=status]')!.textContent).toBe("We'll email your code.")
    expect($(r, '.k')).toBeNull()
  })

  it('an offer without a form never asks (only a submit fetches a code)', async () => {
    const code = vi.fn(async () => 'X')
    const r = renderOffer(document, offer('bar', { codeUrl: '/apps/onsite/code' }), { ...h, code }) as Rendered
    await settle()
    expect(code).not.toHaveBeenCalled()
    expect($(r, '.k')).toBeNull()
  })
})

describe('popup', () => {
  it('is a modal dialog in a shadow root on body, labelled by its title', () => {
    const r = show(offer('popup', { title: 'Ten percent off' }))
    expect(r.host.parentNode).toBe(document.body)
    const d = dialogOf(r)
    expect(d.open).toBe(true)
    expect(rootOf(r).getElementById(d.getAttribute('aria-labelledby')!)!.textContent).toBe('Ten percent off')
  })

  it('reports the close button as a dismissal, once, and removes itself', () => {
    const r = show(offer('popup'))
    $(r, '.x')!.click()
    dialogOf(r).close()
    expect(h.onDismiss).toHaveBeenCalledTimes(1)
    expect(r.host.isConnected).toBe(false)
  })

  it('reports a close by the browser (Esc: cancel, then close) as a dismissal', () => {
    const r = show(offer('popup'))
    dialogOf(r).dispatchEvent(new Event('cancel', { cancelable: true }))
    dialogOf(r).close()
    expect(h.onDismiss).toHaveBeenCalledTimes(1)
    expect(r.host.isConnected).toBe(false)
  })

  it('reports a backdrop click as a dismissal, but not a click inside or a press that started inside', () => {
    const r = show(offer('popup', { form: 'email' }))
    const d = dialogOf(r)
    const press = (down: Element, up: Element) => {
      down.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, composed: true }))
      up.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true }))
    }
    press($(r, 'h2')!, $(r, 'h2')!)
    press($(r, 'input')!, d)
    expect(h.onDismiss).not.toHaveBeenCalled()
    press(d, d)
    expect(h.onDismiss).toHaveBeenCalledTimes(1)
  })

  it('does not cancel clicks inside: its on* handlers never return false (browsers take that as preventDefault)', () => {
    // happy-dom ignores the return value, so it is checked directly; the browser test clicks a real link.
    const r = show(offer('popup', { form: 'email', consentText: 'Yes' }))
    const d = dialogOf(r)
    const click = new MouseEvent('click', { bubbles: true, cancelable: true })
    Object.defineProperty(click, 'target', { value: $(r, 'input[type=checkbox]') })
    expect(d.onmousedown!.call(d, click)).not.toBe(false)
    expect(d.onclick!.call(d, click as PointerEvent)).not.toBe(false)
    expect(h.onDismiss).not.toHaveBeenCalled()
  })

  it('close() removes it and reports nothing', () => {
    const r = show(offer('popup'))
    r.close()
    r.close()
    expect(r.host.isConnected).toBe(false)
    expect(h.onDismiss).not.toHaveBeenCalled()
  })

  it('gives focus back to what had it', () => {
    document.body.innerHTML = '<button id="opener">Open</button>'
    const opener = document.getElementById('opener')!
    opener.focus()
    show(offer('popup')).close()
    expect(document.activeElement).toBe(opener)
  })

  it('says why and leaves nothing behind when the browser has no modal dialog', () => {
    vi.spyOn(HTMLDialogElement.prototype, 'showModal').mockImplementation(() => {
      throw new TypeError('showModal is not a function')
    })
    expect(renderOffer(document, offer('popup'), h)).toBe('rendering failed: TypeError: showModal is not a function')
    expect(document.body.children).toHaveLength(0)
  })
})

describe('bar', () => {
  it('is a region at the bottom by default, or the top, with a close button', () => {
    const bottom = show(offer('bar'))
    expect($(bottom, '.bar')!.classList.contains('top')).toBe(false)
    expect($(bottom, '.bar')!.getAttribute('role')).toBe('region')
    const top = show(offer('bar'), 'top')
    expect($(top, '.bar')!.classList.contains('top')).toBe(true)
    $(top, '.x')!.click()
    expect(h.onDismiss).toHaveBeenCalledTimes(1)
    expect(top.host.isConnected).toBe(false)
    expect(bottom.host.isConnected).toBe(true)
  })

  it('shows no image', () => {
    expect($(show(offer('bar', { image: '/hero.jpg' })), 'img')).toBeNull()
  })
})

describe('embed', () => {
  it('renders into its target, with no close button', () => {
    document.body.innerHTML = '<main><div id="slot"></div></main>'
    const r = show(offer('embed', {}, { target: '#slot' }))
    expect(r.host.parentElement!.id).toBe('slot')
    expect($(r, '.x')).toBeNull()
  })

  it.each([
    ['#missing', 'no element matches target "#missing"'],
    [':::not a selector', /^rendering failed: .*selector/],
  ])('says why, without throwing, for the target %j', (target, why) => {
    expect(renderOffer(document, offer('embed', {}, { target }), h)).toMatch(why)
    expect(document.body.innerHTML).toBe('')
  })
})

describe('onSeen', () => {
  it('fires once, when at least half is in view', () => {
    const io = fakeIO()
    const r = show(offer('popup'))
    expect(io.observed).toBe(1)
    io.ratio(0.3)
    expect(h.onSeen).not.toHaveBeenCalled()
    io.ratio(0.5)
    io.ratio(1)
    expect(h.onSeen).toHaveBeenCalledTimes(1)
    expect(io.observed).toBe(0) // stopped watching
    r.close()
  })

  it('waits for a hidden tab to become visible', () => {
    const io = fakeIO()
    visibility = 'hidden'
    show(offer('popup'))
    io.ratio(1)
    expect(h.onSeen).not.toHaveBeenCalled()
    visibility = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    document.dispatchEvent(new Event('visibilitychange'))
    expect(h.onSeen).toHaveBeenCalledTimes(1)
  })

  it('waits for the offer to come into view after the tab becomes visible', () => {
    const io = fakeIO()
    visibility = 'hidden'
    show(offer('popup'))
    visibility = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(h.onSeen).not.toHaveBeenCalled()
    io.ratio(0.9)
    expect(h.onSeen).toHaveBeenCalledTimes(1)
  })

  it('without IntersectionObserver: on render when the tab is visible', () => {
    vi.stubGlobal('IntersectionObserver', undefined)
    show(offer('bar'))
    expect(h.onSeen).toHaveBeenCalledTimes(1)
  })

  it('never fires for an offer closed before it was seen', () => {
    const io = fakeIO()
    show(offer('popup')).close()
    io.ratio(1)
    document.dispatchEvent(new Event('visibilitychange'))
    expect(h.onSeen).not.toHaveBeenCalled()
  })
})

describe('styles', () => {
  it('adopts one shared constructed stylesheet', () => {
    const a = show(offer('popup'))
    const b = show(offer('bar'))
    expect(rootOf(a).adoptedStyleSheets).toHaveLength(1)
    expect(rootOf(a).adoptedStyleSheets[0]).toBe(rootOf(b).adoptedStyleSheets[0])
    expect(rootOf(a).querySelector('style')).toBeNull()
  })

  it('falls back to a <style> element without constructable stylesheets', async () => {
    vi.resetModules()
    vi.stubGlobal('CSSStyleSheet', function () {
      throw new TypeError('Illegal constructor')
    })
    const fresh = await import('../../../src/render/render.ts')
    const r = fresh.renderOffer(document, offer('popup'), h) as Rendered
    expect(rootOf(r).querySelector('style')!.textContent).toContain(':host')
  })
})
