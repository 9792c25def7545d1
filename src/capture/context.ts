// The context Customer.io expects on every call, read at the moment the shopper acted, with the secrets a
// URL can carry (reset tokens, OAuth codes, signed links) redacted before anything else sees it. The fields
// are those analytics.js sends (Customer.io's own library is built on it), so a store switching to onsite
// keeps its segments and attribution: test/browser/wire-diff.test.ts holds the differences that remain.
import { LIBRARY } from '../version.ts'
import { campaignOf } from './campaign.ts'
import { redactUrl } from './redact.ts'

export interface PageInfo {
  url: string
  path: string
  referrer: string
  title: string
  search: string
}

/**
 * The page's `<link rel=canonical>`, resolved, as analytics.js reports the page: a product reached through
 * a collection (/collections/x/products/tee) is the product's own URL, whichever link led there.
 */
const canonical = (w: Window): URL | undefined => {
  try {
    const href = w.document.querySelector('link[rel=canonical]')?.getAttribute('href')
    return href ? new URL(href, w.location.href) : undefined
  } catch {}
}

/** `redact`: the brand's own secret parameter names (config.redactParams), lowercase. */
export const pageInfo = (w: Window, redact: readonly string[] = []): PageInfo => {
  const { href, pathname, search } = w.location
  const r = (u: string) => redactUrl(u, redact)
  const c = canonical(w)
  // a canonical without a query gets the page's, as in analytics.js (the campaign stays in the URL)
  const url = c ? (c.search ? c.href.replace(/#.*/, '') : c.origin + c.pathname + search) : href
  return { url: r(url), path: r(c ? c.pathname : pathname), referrer: r(w.document.referrer), title: w.document.title, search: r(search) }
}

const text = (v: unknown) => String(v).slice(0, 100)

/**
 * The low-entropy client hints (brands, mobile, platform) that analytics.js sends, read synchronously:
 * the high-entropy ones need a promise and a permission. Anything odd (missing, a throwing getter, a
 * page's own object) gives none.
 */
export const userAgentData = (n: Navigator): Record<string, unknown> | undefined => {
  try {
    const d = (n as Navigator & { userAgentData?: { brands?: unknown; mobile?: unknown; platform?: unknown } }).userAgentData
    if (!d || !Array.isArray(d.brands)) return undefined
    const brands = d.brands.slice(0, 10).map((b: { brand?: unknown; version?: unknown }) => ({ brand: text(b.brand), version: text(b.version) }))
    return { brands, mobile: d.mobile === true, platform: text(d.platform ?? '') }
  } catch {}
}

// No `timezone` (Segment's analytics.js sends one, this version of Customer.io's library does not): the first
// Intl.DateTimeFormat() of a page costs ~17 ms in Chromium (measured: ICU's start-up), and every first call
// would carry it to the wire that much later.
export const callContext = (w: Window, redact?: readonly string[]): Record<string, unknown> => {
  const page = pageInfo(w, redact)
  const ctx: Record<string, unknown> = { page, userAgent: w.navigator.userAgent, locale: w.navigator.language, library: LIBRARY }
  const optional = { campaign: campaignOf(w.location.search, redact), userAgentData: userAgentData(w.navigator) }
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) ctx[k] = v
  return ctx
}
