// Entry of the Shopify build, dist/shopify/onsite.js: dist/onsite.js plus the cart capture (shopify.ts).
import { createOnsite } from './index.ts'
import { install } from './install.ts'
import { shopifyCart } from './shopify/shopify.ts'

install(createOnsite([shopifyCart]))
