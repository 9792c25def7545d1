// The context Customer.io expects on every call, read at the moment the shopper acted.
import { LIBRARY } from '../version.ts'

export interface PageInfo {
  url: string
  path: string
  referrer: string
  title: string
  search: string
}

export const pageInfo = (w: Window): PageInfo => {
  const { href, pathname, search } = w.location
  return { url: href, path: pathname, referrer: w.document.referrer, title: w.document.title, search }
}

export const callContext = (w: Window): Record<string, unknown> => ({
  page: pageInfo(w),
  userAgent: w.navigator.userAgent,
  locale: w.navigator.language,
  library: LIBRARY,
})
