// The visit an offer can target (targeting.ts), read from the browser: the session's landing page (kept in
// the offer history the first time the offers run in a session, so a later page of the visit still knows
// how it began) and the device class.
import type { HistoryStore } from './history.ts'
import { UTM_KEYS, type Device, type Visit } from './targeting.ts'

/**
 * Phones and tablets by the pointer and the screen's short side (a touch laptop with a mouse reads as a
 * desktop, a tablet's 600+ CSS px short side as a tablet); userAgentData.mobile when the browser gives it.
 */
export const deviceOf = (w: Window): Device => {
  try {
    const coarse = w.matchMedia?.('(pointer: coarse)').matches
    const mobile = (w.navigator as { userAgentData?: { mobile?: boolean } }).userAgentData?.mobile
    if (mobile === true) return 'mobile'
    if (!coarse) return 'desktop'
    return Math.min(w.screen.width, w.screen.height) < 600 ? 'mobile' : 'tablet'
  } catch {
    return 'desktop'
  }
}

/** What the landing page says of the visit: UTM values (cut to 100 characters), the referrer's host, the path. */
export const landingOf = (w: Window): Omit<Visit, 'device'> => {
  const q = new URLSearchParams(w.location.search)
  const utm: Visit['utm'] = {}
  for (const k of UTM_KEYS) {
    const v = q.get('utm_' + k)
    if (v) utm[k] = v.slice(0, 100)
  }
  let referrer = ''
  try {
    const host = new URL(w.document.referrer).hostname.toLowerCase()
    if (host !== w.location.hostname.toLowerCase()) referrer = host
  } catch {}
  return { utm, referrer, landingPath: w.location.pathname }
}

/** This session's visit: the landing kept for it, or this page as its landing (then kept). */
export const visitOf = (w: Window, history: HistoryStore, sessionId: string): Visit => {
  const kept = history.get().landing
  let landing = kept?.sessionId === sessionId && kept.utm && typeof kept.landingPath == 'string' ? kept : undefined
  if (!landing) history.edit((h) => (h.landing = landing = { ...landingOf(w), sessionId }))
  const { utm, referrer, landingPath } = landing!
  return { utm, referrer, landingPath, device: deviceOf(w) }
}
