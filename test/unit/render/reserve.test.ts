// Bars with reserveSpace in happy-dom: what they do to <html>'s style and how exactly they undo it. Real
// layout (the footer above the bar, wrapping on a narrow screen) is in test/browser/sms-consent.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Offer } from '../../../src/offers/offers.ts'
import { renderOffer, type Rendered } from '../../../src/render/render.ts'
import { offerFixture } from '../../offer-fixture.ts'

const root = document.documentElement
let height = 40
/** A controllable ResizeObserver: `resize()` reports the observed bar as resized. */
const fakeRO = () => {
  const cbs: ResizeObserverCallback[] = []
  let observing = 0
  vi.stubGlobal('ResizeObserver', class {
    constructor(cb: ResizeObserverCallback) {
      cbs.push(cb)
    }
    observe() {
      observing++
    }
    disconnect() {
      observing--
    }
  })
  return { resize: () => cbs.forEach((cb) => cb([], {} as ResizeObserver)), get observing() { return observing } }
}
const frame = () => new Promise((r) => requestAnimationFrame(r))

const show = (extra: Partial<Offer> = {}, kind: Offer['kind'] = 'bar', at?: 'top' | 'bottom'): Rendered => {
  if (kind === 'embed') document.body.innerHTML = '<div id="slot"></div>'
  const r = renderOffer(document, offerFixture(kind, {}, { reserveSpace: true, target: '#slot', ...extra }), { onSeen() {}, onClick() {}, onSubmit() {}, onDismiss() {} }, at)
  if (typeof r == 'string') throw new Error(r)
  return r
}

beforeEach(() => {
  height = 40
  root.removeAttribute('style')
  document.head.innerHTML = ''
  document.body.innerHTML = ''
  vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(function (this: HTMLElement) {
    return { height: this.classList.contains('bar') ? height : 0 } as DOMRect
  })
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  root.removeAttribute('style')
  document.head.innerHTML = ''
})

describe('reserveSpace', () => {
  it('a bottom bar pads the bottom of <html> by its height, and sets --onsite-bar-bottom', () => {
    fakeRO()
    show()
    expect(root.style.getPropertyValue('padding-bottom')).toBe('40px')
    expect(root.style.getPropertyPriority('padding-bottom')).toBe('important')
    expect(root.style.getPropertyValue('--onsite-bar-bottom')).toBe('40px')
    expect(root.style.getPropertyValue('padding-top')).toBe('')
  })

  it('a top bar pads the top', () => {
    fakeRO()
    show({}, 'bar', 'top')
    expect(root.style.getPropertyValue('padding-top')).toBe('40px')
    expect(root.style.getPropertyValue('--onsite-bar-top')).toBe('40px')
    expect(root.style.getPropertyValue('padding-bottom')).toBe('')
  })

  it("adds to the page's own padding (its stylesheet's) rather than replacing it", () => {
    fakeRO()
    document.head.innerHTML = '<style>html{padding-bottom:12px}</style>'
    show()
    expect(root.style.getPropertyValue('padding-bottom')).toBe('52px')
  })

  it('on close, puts back exactly what the style attribute held: value, priority, other properties, or no attribute', () => {
    fakeRO()
    show().close()
    expect(root.hasAttribute('style')).toBe(false)

    root.setAttribute('style', 'color: red; padding-bottom: 5px !important')
    const r = show()
    expect(root.style.getPropertyValue('padding-bottom')).toBe('45px')
    root.style.setProperty('margin-top', '3px') // the page's own change meanwhile stays
    r.close()
    expect(root.style.getPropertyValue('padding-bottom')).toBe('5px')
    expect(root.style.getPropertyPriority('padding-bottom')).toBe('important')
    expect(root.style.getPropertyValue('color')).toBe('red')
    expect(root.style.getPropertyValue('margin-top')).toBe('3px')
    expect(root.style.getPropertyValue('--onsite-bar-bottom')).toBe('')
  })

  it('is undone when the shopper closes the bar too', () => {
    fakeRO()
    const r = show()
    r.host.shadowRoot!.querySelector<HTMLElement>('.x')!.click()
    expect(root.hasAttribute('style')).toBe(false)
  })

  it('follows the bar as it resizes (the next frame), and stops watching on close', async () => {
    const ro = fakeRO()
    const r = show()
    height = 64
    ro.resize()
    expect(root.style.getPropertyValue('padding-bottom')).toBe('40px') // not inside the observer's callback
    await frame()
    expect(root.style.getPropertyValue('padding-bottom')).toBe('64px')
    r.close()
    expect(ro.observing).toBe(0)
    height = 80
    ro.resize()
    await frame()
    expect(root.hasAttribute('style')).toBe(false)
  })

  it('without ResizeObserver, keeps the first height and still undoes it', () => {
    vi.stubGlobal('ResizeObserver', undefined)
    const r = show()
    expect(root.style.getPropertyValue('padding-bottom')).toBe('40px')
    r.close()
    expect(root.hasAttribute('style')).toBe(false)
  })

  it('is off by default, and for popups and embeds', () => {
    fakeRO()
    show({ reserveSpace: false }).close()
    show({}, 'popup')
    show({}, 'embed')
    expect(root.hasAttribute('style')).toBe(false)
  })
})
