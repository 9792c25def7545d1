// Renders one offer (popup, bar or embed) and reports what the shopper does with it.
//
// - Every offer lives in the shadow root of its own host element, so store CSS and ours never meet.
//   The root is 'open': 'closed' hides nothing from the page's scripts (they run in our realm and could
//   patch attachShadow), while 'open' lets the store's developers, accessibility tools and our tests see it.
// - Config text is text: it only ever reaches the DOM through textContent, append(string) and attributes,
//   never HTML parsing, and links are re-checked to be http(s) (offers.ts refuses others, but a renderer
//   that trusts its input is one refactor away from an XSS).
// - Styles are a constructed stylesheet (adoptedStyleSheets), which a strict CSP (`style-src 'self'`)
//   allows; browsers without it (Safari < 16.4, Firefox < 101) get a <style> element instead, which such a
//   CSP blocks: there the offer is unstyled but works.
// - A popup is a native <dialog> opened with showModal(): the browser gives it the top layer, an inert page
//   behind it, focus on its first field, Esc (cancel → close) and Tab that never reaches the page (past the
//   last control it visits the browser's own UI, then the first control again; no script trap, which would
//   take that stop away). Browsers without showModal (Safari < 15.4) get no popup: render returns
//   undefined rather than a dialog that is not modal.
// - The close button comes last in the DOM (CSS puts it top right), so focus starts on the offer itself.
// - Nothing here may throw into the store's page: on any failure render returns undefined.
import type { Offer } from '../offers/offers.ts'
import { elements, type El } from './el.ts'
import { captureForm, type OfferTraits, type PhoneRule } from './form.ts'
import { CSS } from './render-style.ts'
import { reserveSpace } from './reserve.ts'

export type { OfferTraits }

export interface Handlers {
  /** Once, when the tab is visible and at least half of the offer is in the viewport. */
  onSeen(): void
  /** The CTA was clicked: its absolute http(s) URL, or '' for a CTA without one (it just closes the offer). */
  onClick(url: string): void
  /** The offer's form was submitted with a valid email (and phone); the offer then thanks and shows its code. */
  onSubmit(traits: OfferTraits): void
  /** How identify() reads a phone (config.defaultCountry), so the form refuses a number it would drop. Default: 8-15 digits. */
  phone?: PhoneRule
  /** An offer with content.codeUrl, after onSubmit: its code (undefined: none, the fallback is shown). */
  code?(traits: OfferTraits): Promise<string | undefined>
  /** Closed by the shopper (close button, Esc, backdrop click) without having submitted. */
  onDismiss(): void
}

export interface Rendered {
  host: HTMLElement
  /** Removes the offer; reports nothing (the caller chose to close it). */
  close(): void
}

let sheet: CSSStyleSheet | undefined

/** Resolved against the document's base URL as the browser would; '' unless it is http(s). */
const safeUrl = (doc: Document, u?: string): string => {
  try {
    const url = new URL(u!, doc.baseURI)
    return u && /^https?:$/.test(url.protocol) ? url.href : ''
  } catch {
    return ''
  }
}

/** The host element and its shadow root, styled. */
const shadowHost = (doc: Document, el: El) => {
  const host = doc.createElement('onsite-offer')
  const root = host.attachShadow({ mode: 'open' })
  try {
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS)
    root.adoptedStyleSheets = [sheet]
  } catch {
    root.append(el('style', { textContent: CSS }))
  }
  return { host, root }
}

/** What one rendered offer shares between its parts: how it ends, and whether the shopper submitted. */
interface Life {
  live: boolean
  submitted: boolean
  end(byUser: boolean): void
}

/**
 * The code: the config's, or with content.codeUrl a status line that says it is on its way, then holds
 * the code (as text, whatever the server sent) or the fallback.
 */
const code = (el: El, c: Offer['content'], h: Handlers, traits?: OfferTraits): HTMLElement[] => {
  if (!c.codeUrl || !traits) return c.code ? [el('p', { className: 'k', textContent: c.code })] : []
  const k = el('p', { textContent: c.labels.codeLoading })
  // announced when it changes: focus stays on the thanks
  k.setAttribute('role', 'status')
  Promise.resolve(traits)
    .then((t) => h.code?.(t))
    .catch(() => {})
    .then((got) => (got ? ((k.className = 'k'), (k.textContent = got)) : (k.textContent = c.labels.codeError)))
  return [k]
}

/** The capture form; a valid submit thanks (focus moves there, so a screen reader reads it), then the code. */
const form = (el: El, offer: Offer, h: Handlers, life: Life) => {
  const f = captureForm(el, offer, (traits) => {
    life.submitted = true
    const thanks = el('p', { textContent: offer.content.labels.thanks, tabIndex: -1 })
    f.replaceWith(thanks, ...code(el, offer.content, h, traits))
    thanks.focus()
    h.onSubmit(traits)
  }, h.phone)
  return f
}

/** The offer's content: image, title, body, then the form or the code and the CTA, and the close button. */
const content = (doc: Document, el: El, offer: Offer, h: Handlers, life: Life, box: HTMLElement) => {
  const { kind, content: c } = offer
  const src = safeUrl(doc, c.image)
  if (src && kind !== 'bar') box.append(el('img', { src, alt: '' }))
  const title = el('h2', { id: 't', textContent: c.title })
  box.append(title)
  if (c.body) box.append(el('p', { textContent: c.body }))
  if (c.form !== 'none') box.append(form(el, offer, h, life))
  else {
    box.append(...code(el, c, h))
    if (c.cta) {
      const href = safeUrl(doc, c.cta.url)
      const a = href ? el('a', { href, rel: 'noopener' }) : el('button')
      a.textContent = c.cta.text
      a.onclick = () => (h.onClick(href), life.end(false))
      box.append(a)
    }
  }
  if (kind !== 'embed') {
    const x = el('button', { className: 'x', textContent: '×', onclick: () => life.end(true) })
    x.setAttribute('aria-label', c.labels.close)
    box.append(x)
  }
  return title
}

/** A popup's dialog: closing by Esc (cancel → close) or a press on the backdrop is a dismissal. */
const dialog = (el: El, box: HTMLElement, life: Life) => {
  const frame = el('dialog', {}, box)
  frame.onclose = () => life.end(true)
  // The dialog has no padding, so only the backdrop targets it; and only a press that also started there
  // counts, or selecting text in the email field and releasing outside would close the popup.
  // (Block bodies: an on* handler returning false cancels the event, which would stop every checkbox,
  // submit button and link inside.)
  let down: EventTarget | null = null
  frame.onmousedown = (e) => {
    down = e.target
  }
  frame.onclick = (e) => {
    if (e.target === frame && down === frame) life.end(true)
  }
  return frame
}

/** Calls onSeen once the tab is visible and half the offer is in the viewport (visible tab only without IntersectionObserver); returns the stop. */
const watchSeen = (doc: Document, frame: HTMLElement, h: Handlers, life: Life) => {
  const IO = doc.defaultView?.IntersectionObserver
  let inView = !IO
  let seen = false
  const look = () => {
    // `seen` too: entries already queued when the observer is disconnected are still delivered.
    if (inView && life.live && !seen && doc.visibilityState === 'visible') {
      seen = true
      stop()
      h.onSeen()
    }
  }
  const io = IO && new IO((es) => {
    inView = es[es.length - 1]!.intersectionRatio >= 0.5
    look()
  }, { threshold: 0.5 })
  const stop = () => {
    io?.disconnect()
    doc.removeEventListener('visibilitychange', look)
  }
  io?.observe(frame)
  doc.addEventListener('visibilitychange', look)
  look()
  return stop
}

/**
 * Renders `offer` and returns its handle, or why it cannot be shown (for the `[onsite]` error and explain()):
 * an embed whose target is not on the page, a popup in a browser without <dialog>, any DOM error. `at`
 * places a bar.
 */
export const renderOffer = (doc: Document, offer: Offer, h: Handlers, at: 'top' | 'bottom' = 'bottom'): Rendered | string => {
  let host: HTMLElement | undefined
  try {
    const kind = offer.kind
    const parent = kind === 'embed' ? doc.querySelector(offer.target || '') : doc.body
    if (!parent) return kind === 'embed' ? 'no element matches target ' + JSON.stringify(offer.target) : 'the page has no <body>'
    const el = elements(doc)
    const popup = kind === 'popup'
    const box = el('div', { className: popup ? 'o' : `o ${kind} ${at}` })
    const shadow = shadowHost(doc, el)
    host = shadow.host
    let prev: Element | null = null
    let stop = () => {}
    let free = () => {}
    const life: Life = {
      live: true,
      submitted: false,
      end(byUser) {
        if (!life.live) return
        life.live = false
        stop()
        free()
        ;(frame as HTMLDialogElement).close?.()
        shadow.host.remove()
        ;(prev as HTMLElement | null)?.focus?.()
        if (byUser && !life.submitted) h.onDismiss()
      },
    }
    const title = content(doc, el, offer, h, life, box)
    const frame = popup ? dialog(el, box, life) : box
    // A bar or embed is a region named by its title, as the dialog is (aria-labelledby: same name as an
    // aria-label copy of the title, one attribute fewer).
    frame.setAttribute('aria-labelledby', 't')
    if (!popup) frame.setAttribute('role', 'region')
    shadow.root.append(frame)
    parent.append(host)
    if (kind === 'bar' && offer.reserveSpace) free = reserveSpace(doc, box, at)
    if (popup) {
      prev = doc.activeElement
      ;(frame as HTMLDialogElement).showModal()
      // Taller than the screen: focus on the first field would scroll the title out of view, so the title
      // takes it (WAI-ARIA APG, dialog pattern: https://www.w3.org/WAI/ARIA/apg/patterns/dialog-modal/).
      // (tabIndex set only then: a focusable title would also be the dialog's first pick when it fits)
      if (frame.scrollHeight > frame.clientHeight) (title.tabIndex = -1), title.focus()
    }
    stop = watchSeen(doc, frame, h, life)
    return { host, close: () => life.end(false) }
  } catch (e) {
    host?.remove()
    // "TypeError: ...showModal is not a function" says more than "rendering failed"
    return 'rendering failed: ' + e
  }
}
