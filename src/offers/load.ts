// The script-tag builds load the offers (decide, render, styles, forms, Wisepops) as a second file,
// onsite-offers.js, from next to their own URL, and only on pages whose config has offers: a store's
// pages without offers never download them. In: the URL the core was loaded from; out: startOffers.
import type { startOffers } from './show.ts'

export type StartOffers = typeof startOffers
export type OffersLoader = () => Promise<StartOffers>

/** Where the chunk sets startOffers when it runs. */
export const CHUNK_GLOBAL = '__onsiteOffers'

/** Read while the core's own script runs (document.currentScript is gone after that). */
export const chunkLoader = (file: string): OffersLoader => {
  let script: HTMLScriptElement | null = null
  try {
    script = document.currentScript as HTMLScriptElement | null
  } catch {}
  const src = script?.src
  // a nonce lets the chunk run under a nonce-based Content-Security-Policy, as the core did
  const nonce = script?.nonce
  let loading: Promise<StartOffers> | undefined
  return () =>
    (loading ??= new Promise<StartOffers>((resolve, reject) => {
      if (!src) return reject(new Error(`onsite.js was not loaded from a URL, so ${file} cannot be found next to it`))
      const url = new URL(src)
      // the same directory and query (Shopify's asset_url adds ?v=...)
      url.pathname = url.pathname.replace(/[^/]*$/, file)
      const s = document.createElement('script')
      s.src = url.href
      if (nonce) s.nonce = nonce
      s.onload = () => {
        const start = (window as unknown as Record<string, unknown>)[CHUNK_GLOBAL]
        typeof start == 'function' ? resolve(start as StartOffers) : reject(new Error(`${url.href} did not define the offers`))
      }
      s.onerror = () => reject(new Error(`could not load ${url.href}: upload ${file} next to onsite.js`))
      ;(document.head ?? document.documentElement).append(s)
    }))
}
