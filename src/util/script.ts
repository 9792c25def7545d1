// The script-tag builds come as a core and files it loads from next to its own URL (the same directory and
// query, or the page's preload of the file when there is one: Shopify's asset_url adds a ?v= per asset): the
// delivery engine on every page, the offers on pages with offers. Each file hands its export to the core through a window global, read when the script has run.

/**
 * The page's preload of the file at `url` (the same path, any query), which the load must use as it is:
 * Shopify's asset_url gives each asset a ?v= of its own, and a URL with the core's query would miss the
 * preloaded copy and fetch the file a second time.
 */
const preloaded = (url: URL): string | undefined => {
  const path = url.origin + url.pathname
  for (const l of document.querySelectorAll<HTMLLinkElement>('link[rel="preload"]')) if (l.href.split(/[?#]/)[0] === path) return l.href
}

/**
 * A loader of `file`, which defines `window[global]`. Reads `document.currentScript`, so it is made while
 * the core's own script runs (it is gone after that). A load in flight is shared; a failed one is retried
 * by the next call (a network blip at page load must not lose the page's delivery).
 */
export const scriptLoader = <T>(file: string, global: string, what: string): (() => Promise<T>) => {
  let script: HTMLScriptElement | null = null
  try {
    script = document.currentScript as HTMLScriptElement | null
  } catch {}
  const src = script?.src
  // a nonce lets the file run under a nonce-based Content-Security-Policy, as the core did
  const nonce = script?.nonce
  let loading: Promise<T> | undefined
  const load = () =>
    new Promise<T>((resolve, reject) => {
      // the store may have put the file in a tag of its own, ahead of the core
      const have = (window as unknown as Record<string, unknown>)[global]
      if (have) return resolve(have as T)
      if (!src) return reject(new Error(`onsite.js was not loaded from a URL, so ${file} cannot be found next to it`))
      const url = new URL(src)
      url.pathname = url.pathname.replace(/[^/]*$/, file)
      const s = document.createElement('script')
      s.src = preloaded(url) ?? url.href
      if (nonce) s.nonce = nonce
      s.onload = () => {
        const got = (window as unknown as Record<string, unknown>)[global]
        got ? resolve(got as T) : reject(new Error(`${url.href} did not define ${what}`))
      }
      s.onerror = () => (s.remove(), reject(new Error(`could not load ${url.href}: upload ${file} next to onsite.js`)))
      ;(document.head ?? document.documentElement).append(s)
    })
  return () => (loading ??= load().catch((e) => ((loading = undefined), Promise.reject(e))))
}
