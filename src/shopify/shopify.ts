// The Shopify build's add-on (dist/shopify/onsite.js): reads the `shopify` key the theme snippet renders
// and starts the cart capture. Kept out of the generic dist/onsite.js, where it would cost every store that
// is not on Shopify ~2.8 KB gzip.
import { isObj } from '../util/check.ts'
import { watchShopifyCart } from './cart.ts'
import { error } from '../util/log.ts'
import type { Addon } from '../onsite.ts'
import { pageType } from '../offers/page.ts'

/** `ls`: the core's localStorage, which takes no writes once consent is withdrawn. */
export const shopifyCart: Addon = (w, raw, track, ls) => {
  const shop = raw.shopify
  if (shop === undefined) return
  if (!isObj(shop)) return error('config.shopify must be an object such as {"root": "/", "product": {...}}; cart capture is off')
  return watchShopifyCart({
    w, ls, track,
    pageType: pageType(w.location.pathname, raw.pageType),
    ...(typeof shop.root == 'string' ? { root: shop.root } : {}),
    ...(isObj(shop.product) ? { product: shop.product } : {}),
    ...(w.navigator.locks ? { locks: w.navigator.locks } : {}),
  })
}
