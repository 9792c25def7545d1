// Entry of the script-tag build, dist/onsite.js; the offers come as dist/onsite-offers.js, next to it.
import { createOnsite } from './index.ts'
import { install } from './install.ts'
import { chunkLoader } from './offers/load.ts'

install(createOnsite([], chunkLoader('onsite-offers.js')))
