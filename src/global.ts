// Entry of the script-tag build, dist/onsite.js; the delivery engine and the offers come as
// dist/onsite-delivery.js and dist/onsite-offers.js, next to it.
import { createOnsite } from './api.ts'
import { install } from './install.ts'
import { DELIVERY_GLOBAL, type Engine } from './delivery/load.ts'
import { CHUNK_GLOBAL, type StartOffers } from './offers/load.ts'
import { scriptLoader } from './util/script.ts'

install(
  createOnsite([], {
    delivery: scriptLoader<Engine>('onsite-delivery.js', DELIVERY_GLOBAL, 'the delivery engine'),
    offers: scriptLoader<StartOffers>('onsite-offers.js', CHUNK_GLOBAL, 'the offers'),
  }),
)
