// Entry of dist/onsite-delivery.js: hands the delivery engine to the core that loaded it (load.ts).
import { DELIVERY_GLOBAL, type Engine } from './load.ts'
import { deliverFromPage } from './page.ts'
import { createKV } from './storage.ts'

;(window as unknown as Record<string, Engine>)[DELIVERY_GLOBAL] = { deliverFromPage, createKV }
