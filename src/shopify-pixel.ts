// Entry of dist/shopify-pixel.js: the code a merchant pastes as a custom pixel (Settings > Customer events >
// Add custom pixel), followed by one line of their own:
//   onsitePixel({ writeKey: "YOUR_BROWSER_WRITE_KEY" })        // optional: apiHost, region, identifyBy, debug
// A call rather than a config object inside the file: the key stays out of the minified code, so pasting a
// newer build cannot lose or corrupt it, and a mistake in it gets the same `[onsite] config...` error as on
// the storefront instead of a syntax error in someone else's code.
// Consent: set the pixel's "Customer privacy" permission to Required > Analytics and Marketing, as the
// storefront needs both (every call lands in Customer.io). Shopify then runs it only with that consent; with
// "Not required" the pixel holds calls in memory (no storage, cookie or request) while init.customerPrivacy
// denies either, sends
// them when visitorConsentCollected allows it, and discards them, stored ones too, when it withdraws it
// (https://shopify.dev/docs/api/web-pixels-api/pixel-privacy).
import { error, warn } from './util/log.ts'
import { startPixel, type Pixel } from './shopify/pixel.ts'

// Shopify's sandbox provides these; they may be globals or parameters of a wrapper around the pasted code,
// so they are read by name (lexically), never as properties of globalThis.
declare const analytics: unknown, browser: unknown, init: unknown, api: unknown, customerPrivacy: unknown

/** The value of a free variable, or undefined when the sandbox does not define it. */
const free = (read: () => unknown): unknown => {
  try {
    return read()
  } catch {}
}

let called = false
const onsitePixel = (config?: unknown): Pixel | undefined => {
  try {
    if (called) return void warn('onsitePixel() was already called; this call is ignored')
    called = true
    const api_ = free(() => api) as { customerPrivacy?: unknown } | undefined
    return startPixel(
      {
        analytics: free(() => analytics),
        browser: free(() => browser),
        init: free(() => init),
        // custom pixels get `api.customerPrivacy`, app pixels `customerPrivacy`
        customerPrivacy: free(() => api_?.customerPrivacy) ?? free(() => customerPrivacy),
        fetch: (...a) => fetch(...a),
        now: () => Date.now(),
      },
      config,
    )
  } catch (e) {
    error('pixel failed to start: ' + e)
  }
}

try {
  ;(globalThis as { onsitePixel?: unknown }).onsitePixel = onsitePixel
  // The merchant's line runs right after this code, in the same script.
  setTimeout(() => called || error('the pixel is pasted but not started: add onsitePixel({ writeKey: "..." }) after the code'), 0)
} catch {}
