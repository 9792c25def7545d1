// The context Customer.io expects on every call, read at the moment the shopper acted, with the secrets a
// URL can carry (reset tokens, OAuth codes, signed links) redacted before anything else sees it.
import { LIBRARY } from '../version.ts'
import { redactUrl } from './redact.ts'

export interface PageInfo {
  url: string
  path: string
  referrer: string
  title: string
  search: string
}

/** `redact`: the brand's own secret parameter names (config.redactParams), lowercase. */
export const pageInfo = (w: Window, redact: readonly string[] = []): PageInfo => {
  const { href, pathname, search } = w.location
  const r = (u: string) => redactUrl(u, redact)
  return { url: r(href), path: r(pathname), referrer: r(w.document.referrer), title: w.document.title, search: r(search) }
}

export const callContext = (w: Window, redact?: readonly string[]): Record<string, unknown> => ({
  page: pageInfo(w, redact),
  userAgent: w.navigator.userAgent,
  locale: w.navigator.language,
  library: LIBRARY,
})
