// Consent. "pending": calls wait in memory (no cookie, no storage, no request); "granted": they go out
// in order; "denied": they are discarded and everything onsite stored is wiped. On Shopify the state
// follows the Customer Privacy API, and needs both purposes: analytics (capture) and marketing (every
// call lands in Customer.io, a marketing platform, and audience offers act on it).
// https://shopify.dev/docs/api/customer-privacy
import { ORDER_COOKIE } from './cookie.ts'
import { AID_COOKIE } from './identity.ts'
import { warn } from '../util/log.ts'

export type ConsentState = 'granted' | 'pending' | 'denied'
export const CONSENT_STATES: readonly string[] = ['granted', 'pending', 'denied']

type Privacy = {
  analyticsProcessingAllowed?: () => boolean
  marketingAllowed?: () => boolean
  currentVisitorConsent?: () => { analytics?: string; marketing?: string }
}
type ShopifyGlobal = { customerPrivacy?: Privacy; loadFeatures?: (f: unknown[], cb: (err?: unknown) => void) => void }

export const shopifyOf = (w: Window): ShopifyGlobal | undefined => {
  try {
    const s = (w as unknown as { Shopify?: ShopifyGlobal }).Shopify
    return s && typeof s === 'object' ? s : undefined
  } catch {
    return undefined
  }
}

/**
 * Follows Shopify's consent: the current answer when the API is loaded (loading it when it is not), then
 * every `visitorConsentCollected` event. Until Shopify answers, the state stays pending.
 */
export const followShopify = (w: Window, set: (s: ConsentState) => void): void => {
  const S = shopifyOf(w)
  const read = () => {
    try {
      const p = S?.customerPrivacy
      const c = p?.currentVisitorConsent?.()
      if (p?.analyticsProcessingAllowed?.() && p.marketingAllowed?.()) set('granted')
      // `currentVisitorConsent` is newer than the documented calls: used only when present.
      else if (c?.analytics === 'no' || c?.marketing === 'no') set('denied')
    } catch {}
  }
  w.document.addEventListener('visitorConsentCollected', (e) => {
    const d = (e as CustomEvent<{ analyticsAllowed?: boolean; marketingAllowed?: boolean } | undefined>).detail
    set(d?.analyticsAllowed && d.marketingAllowed ? 'granted' : 'denied')
  })
  const missing = () => warn('consent "shopify": no Customer Privacy API on this page; calls wait until onsite.consent("granted")')
  try {
    if (S?.customerPrivacy) read()
    else if (S?.loadFeatures) S.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], (err) => (err ? missing() : read()))
    else missing()
  } catch {
    missing()
  }
}

/**
 * Removes what onsite stored on this browser: the id cookie, every `onsite:` localStorage key and, when
 * no connection of this page holds them open, the IndexedDB databases.
 */
export const wipeStorage = (w: Window, cookieDel: (name: string) => void, databases: boolean): void => {
  cookieDel(AID_COOKIE)
  // the checkout pixel writes the order cookie host-only (no domain=; checkout runs on the shop's domain),
  // so it is removed host-only, not through cookieDel's domain
  try {
    w.document.cookie = ORDER_COOKIE + '=; max-age=0; path=/'
  } catch {}
  try {
    const ls = w.localStorage
    for (let i = ls.length - 1; i >= 0; i--) if (ls.key(i)?.startsWith('onsite:')) ls.removeItem(ls.key(i)!)
  } catch {}
  if (databases) deleteDatabases(w)
}

/** Deletes onsite's IndexedDB databases (the ids' copy and the outbox). */
export const deleteDatabases = (w: Window): void => {
  try {
    for (const name of ['onsite-id', 'onsite-queue']) w.indexedDB.deleteDatabase(name)
  } catch {}
}
