// Entry of dist/onsite-offers.js: hands startOffers to the core that loaded it (load.ts).
import { CHUNK_GLOBAL } from './load.ts'
import { startOffers } from './show.ts'

;(window as unknown as Record<string, unknown>)[CHUNK_GLOBAL] = startOffers
