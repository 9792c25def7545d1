// Cart Viewed from a drawer: Dawn-family themes open their cart drawer and their add notification by
// marking an element (https://github.com/Shopify/dawn, assets/cart-drawer.js and cart-notification.js:
// `open()` adds the class `active`), and dispatch no event. Any theme can mark its own drawer with
// `data-onsite-cart-drawer`. Only those elements are observed, and only their attributes, from the
// moment the document is parsed: one opening is one call of `opened`, whatever else changes on them.

const DRAWERS = 'cart-drawer, cart-notification, [data-onsite-cart-drawer]'

/** Open: an `open` attribute (<details>, <dialog>), aria-hidden="false", or the class `active`. */
const isOpen = (el: Element): boolean => el.hasAttribute('open') || el.getAttribute('aria-hidden') === 'false' || el.classList.contains('active')

export const watchDrawers = (w: Window, opened: () => void): (() => void) => {
  const doc = w.document
  let mo: MutationObserver | undefined
  const start = () => {
    try {
      const was = new Map<Element, boolean>()
      doc.querySelectorAll(DRAWERS).forEach((host) => {
        // Dawn's notification marks the element inside it that it finds by this id
        const el = (host.localName == 'cart-notification' && host.querySelector('#cart-notification')) || host
        was.set(el, isOpen(el))
      })
      if (!was.size) return
      // no MutationObserver (a bare or hostile window) throws here, into the catch
      const o = (mo = new (w as unknown as typeof globalThis).MutationObserver((records) => {
        for (const { target } of records) {
          const el = target as Element
          const now = isOpen(el)
          if (now && !was.get(el)) opened()
          was.set(el, now)
        }
      }))
      for (const el of was.keys()) o.observe(el, { attributes: true, attributeFilter: ['class', 'open', 'aria-hidden'] })
    } catch {}
  }
  if (doc.readyState == 'loading') doc.addEventListener('DOMContentLoaded', start, { once: true })
  else start()
  return () => {
    doc.removeEventListener('DOMContentLoaded', start)
    mo?.disconnect()
  }
}
