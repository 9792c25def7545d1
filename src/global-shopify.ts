// Entry of the Shopify build, dist/shopify/onsite.js: dist/onsite.js plus the cart capture (shopify.ts);
// the offers come as dist/shopify/onsite-offers.js, uploaded beside it.
import { createOnsite } from './index.ts'
import { install } from './install.ts'
import { chunkLoader } from './offers/load.ts'
import { shopifyCart } from './shopify/shopify.ts'

install(createOnsite([shopifyCart], chunkLoader('onsite-offers.js')))
