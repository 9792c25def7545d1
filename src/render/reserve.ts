// A bar with reserveSpace: the page is pushed by the bar's height, so the fixed bar hides none of the
// store's header (top) or footer (bottom).
//
// - Padding on <html>, not a spacer element: it moves the page whatever the layout of <body> (grid,
//   flex) and adds no element that `body > :first-child` rules or the store's scripts would meet.
// - The page's own padding stays: the bar's height is added to what its stylesheet or style attribute
//   gave <html>, and on close that property of the style attribute is put back as it was (value and
//   priority), the attribute itself removed when there was none. Other properties are never touched.
// - A header or footer of the store's own that is position:fixed or sticky is not in the page's flow, so
//   no padding moves it: `--onsite-bar-top` / `--onsite-bar-bottom` on <html> hold the bar's height for
//   the theme's CSS (`top: var(--onsite-bar-top, 0)`).
// - Resize-aware: the bar's height changes with the text wrapping, the thanks replacing a form, a font
//   arriving. ResizeObserver watches it (every browser the build targets has one; without it the first
//   height stays); the new padding is applied in the next frame, since changing it inside the callback can toggle the page's scrollbar, resize the
//   bar again and make the browser report a "ResizeObserver loop" error to the store's error tracker.
// - A top bar that reserves space moves the page down once, when it appears: a layout shift (CLS) the
//   store chose. A bottom one moves nothing that is above it.

/** Pushes the page by `bar`'s height at its edge; returns the undo. */
export const reserveSpace = (doc: Document, bar: HTMLElement, at: 'top' | 'bottom'): (() => void) => {
  const w = doc.defaultView!
  const root = doc.documentElement
  const s = root.style
  const prop = 'padding-' + at
  const v = '--onsite-bar-' + at
  const had = root.hasAttribute('style')
  const was = s.getPropertyValue(prop)
  const prio = s.getPropertyPriority(prop)
  const own = parseFloat(w.getComputedStyle(root).getPropertyValue(prop)) || 0
  let last = -1
  const fit = () => {
    const h = Math.ceil(bar.getBoundingClientRect().height)
    if (h === last || !bar.isConnected) return
    last = h
    // important: a store rule `html{padding:0!important}` would otherwise win
    s.setProperty(prop, own + h + 'px', 'important')
    s.setProperty(v, h + 'px')
  }
  const RO = w.ResizeObserver
  const ro = RO && new RO(() => w.requestAnimationFrame(fit))
  ro?.observe(bar)
  fit()
  return () => {
    ro?.disconnect()
    s.removeProperty(v)
    was ? s.setProperty(prop, was, prio) : s.removeProperty(prop)
    if (!had && !root.getAttribute('style')) root.removeAttribute('style')
  }
}
