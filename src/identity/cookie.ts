// First-party cookie helpers. The anonymous id is mirrored to a cookie on the registrable domain so
// `www.` and `shop.` share it, and so the Shopify checkout pixel can read it (browser.cookie.get).

const read = (doc: Document, name: string): string => {
  try {
    for (const part of doc.cookie.split(/;\s*/)) {
      const i = part.indexOf('=')
      if (part.slice(0, i) === name) return decodeURIComponent(part.slice(i + 1))
    }
  } catch {}
  return ''
}

/**
 * The widest domain that accepts a cookie: the registrable domain. Browsers refuse cookies on public
 * suffixes (co.uk, myshopify.com), so trying from the shortest candidate up finds it without shipping
 * the public suffix list (the same probe analytics.js uses).
 */
export const cookieDomain = (doc: Document, hostname: string): string => {
  const parts = hostname.split('.')
  if (parts.length < 2 || /^[\d.]+$|:/.test(hostname)) return ''
  for (let i = parts.length - 2; i >= 0; i--) {
    const domain = parts.slice(i).join('.')
    try {
      doc.cookie = `onsite_probe=1; domain=${domain}; path=/; SameSite=Lax`
      if (read(doc, 'onsite_probe')) {
        doc.cookie = `onsite_probe=; domain=${domain}; path=/; max-age=0`
        return domain
      }
    } catch {}
  }
  return ''
}

/** Written by the Shopify checkout pixel (pixel.ts), read by the storefront: the time of the last order, in ms. */
export const ORDER_COOKIE = 'onsite_order'

/** `open`: false once consent is withdrawn, and no cookie is set again (deletions still go through). */
export const createCookies = (doc: Document, hostname: string, secure: boolean, open = () => true) => {
  let domain: string | undefined
  const attrs = () => `; path=/; SameSite=Lax${secure ? '; Secure' : ''}${(domain ??= cookieDomain(doc, hostname)) ? '; domain=' + domain : ''}`
  return {
    get: (name: string): string => read(doc, name),
    set(name: string, value: string, days = 365): void {
      if (!open()) return
      try {
        doc.cookie = `${name}=${encodeURIComponent(value)}; max-age=${days * 86400}${attrs()}`
      } catch {}
    },
    del(name: string): void {
      try {
        doc.cookie = `${name}=; max-age=0${attrs()}`
      } catch {}
    },
  }
}
export type Cookies = ReturnType<typeof createCookies>
