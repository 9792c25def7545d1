// What an offer waits for before it shows: the parsed document, an embed's target, and its trigger.
import type { Offer } from './offers.ts'

/**
 * Resolves once the document is parsed (install.ts waits so for a config placed after the script). A cached
 * script with the ids in a cookie can decide before the parser reaches <body> or an embed's target: the
 * popup of a second page view failed to render.
 */
export const domReady = (doc: Document) =>
  new Promise((r) => (doc.readyState == 'loading' ? doc.addEventListener('DOMContentLoaded', r) : r(0)))

/**
 * Resolves once `sel` matches, or after `ms`: a theme that renders a section by script adds an embed's
 * target after the document is parsed. A selector that cannot match (or throws) is left to the renderer's error.
 */
export const appear = (doc: Document, sel: string, ms = 1e4) =>
  new Promise<void>((r) => {
    const has = () => {
      try {
        return !!doc.querySelector(sel)
      } catch {
        return true
      }
    }
    if (has()) return r()
    const o = new MutationObserver(() => has() && end())
    const t = setTimeout(() => end(), ms)
    const end = () => (o.disconnect(), clearTimeout(t), r())
    o.observe(doc, { childList: true, subtree: true })
  })

const touchScreen = (w: Window) => {
  try {
    return !!w.matchMedia?.('(pointer: coarse)').matches
  } catch {
    return false
  }
}

/** After this long without a touch or scroll (having interacted), a phone visitor reads as leaving. */
export const MOBILE_IDLE_MS = 20000

/**
 * Exit intent on a phone, which has no pointer to leave the window: heuristics, each a sign the shopper is
 * about to go. A fast scroll back up (a screen's worth of reading below, then 15% of the screen up within
 * 250 ms: reaching for the address bar or the back button), coming back to the tab after leaving it, or
 * 20 s idle after interacting. Not a back-button trap: that needs a fake history entry, which changes the
 * store's own navigation.
 */
const mobileExit = (w: Window, on: (t: EventTarget, type: string, fn: (e: Event) => void) => void, offs: (() => void)[], exit: () => void) => {
  let deepest = 0
  let mark = { y: w.scrollY, at: Date.now() }
  let idle: ReturnType<typeof setTimeout> | undefined
  const touched = () => (clearTimeout(idle), (idle = setTimeout(exit, MOBILE_IDLE_MS)))
  on(w, 'scroll', () => {
    const y = w.scrollY
    const now = Date.now()
    deepest = Math.max(deepest, y)
    if (y > mark.y || now - mark.at > 250) mark = { y, at: now }
    else if (deepest > w.innerHeight && mark.y - y > w.innerHeight * 0.15) return exit()
    touched()
  })
  on(w, 'touchstart', touched)
  on(w.document, 'visibilitychange', () => w.document.visibilityState === 'visible' && exit())
  offs.push(() => clearTimeout(idle))
}

const NAMES: Record<string, string> = { delayMs: 'delay', scrollPercent: 'scroll', exitIntent: 'exit_intent', inactivityMs: 'inactivity' }

/** Calls `fire` once every configured condition of the trigger has been met, then stops listening. */
export const arm = (w: Window, t: Offer['trigger'], fire: (trigger: string) => void) => {
  const keys = (Object.keys(t) as (keyof Offer['trigger'])[]).filter((k) => t[k])
  const left = new Set<string>(keys)
  const offs: (() => void)[] = []
  const done = (k: string) => {
    if (left.delete(k) && !left.size) offs.forEach((f) => f()), fire(keys.map((x) => NAMES[x]).join('+'))
  }
  const on = (target: EventTarget, type: string, fn: (e: Event) => void) => {
    target.addEventListener(type, fn, { passive: true })
    offs.push(() => target.removeEventListener(type, fn))
  }
  if (t.delayMs) {
    const id = setTimeout(() => done('delayMs'), t.delayMs)
    offs.push(() => clearTimeout(id))
  }
  if (t.scrollPercent) {
    const check = () => {
      const h = w.document.documentElement.scrollHeight
      if (!h || ((w.scrollY + w.innerHeight) / h) * 100 >= t.scrollPercent) done('scrollPercent')
    }
    on(w, 'scroll', check)
    check()
  }
  // Desktop exit intent: the pointer leaves through the top edge, towards the tabs and the address bar.
  if (t.exitIntent) on(w.document, 'mouseout', (e) => !(e as MouseEvent).relatedTarget && (e as MouseEvent).clientY <= 0 && done('exitIntent'))
  if (t.exitIntent && touchScreen(w)) mobileExit(w, on, offs, () => done('exitIntent'))
  if (t.inactivityMs) {
    let id: ReturnType<typeof setTimeout> | undefined
    const again = () => (clearTimeout(id), (id = setTimeout(() => done('inactivityMs'), t.inactivityMs)))
    for (const type of ['scroll', 'pointermove', 'keydown', 'touchstart']) on(w, type, again)
    offs.push(() => clearTimeout(id))
    again()
  }
}
