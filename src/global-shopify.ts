// Entry of the Shopify build, dist/shopify/onsite.js: dist/onsite.js plus the cart capture (shopify.ts);
// the delivery engine and the offers come as dist/shopify/onsite-delivery.js and onsite-offers.js, beside it.
import { createOnsite } from './api.ts'
import { install } from './install.ts'
import { DELIVERY_GLOBAL, type Engine } from './delivery/load.ts'
import { CHUNK_GLOBAL, type StartOffers } from './offers/load.ts'
import { scriptLoader } from './util/script.ts'
import { shopifyCart } from './shopify/shopify.ts'

install(
  createOnsite([shopifyCart], {
    delivery: scriptLoader<Engine>('onsite-delivery.js', DELIVERY_GLOBAL, 'the delivery engine'),
    offers: scriptLoader<StartOffers>('onsite-offers.js', CHUNK_GLOBAL, 'the offers'),
  }),
)
