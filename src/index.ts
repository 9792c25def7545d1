// Entry of the npm build, dist/onsite.mjs: the API with the delivery engine and the offers in the same module
// graph. The script-tag builds start from api.ts instead: an import() anywhere in their graph makes esbuild
// wrap every module it reaches in a lazy initialiser, which cost the core 276 B gzip for nothing.
import { createOnsite, type Onsite } from './api.ts'
import { deliverFromPage } from './delivery/page.ts'
import { createKV } from './delivery/storage.ts'
import type { Loaders } from './onsite.ts'

export { createOnsite, type ConsentState, type Explained, type Method, type OfferConfig, type Onsite, type OnsiteConfig, type QueuedCall } from './api.ts'

/**
 * The one onsite of this page. Importing it does nothing until `onsite.init()`. The delivery engine and the
 * offers are part of this module graph (a bundler keeps the offers in the bundle, or splits them at the import()).
 */
export const bundled: Loaders = {
  delivery: () => Promise.resolve({ deliverFromPage, createKV }),
  offers: () => import('./offers/show.ts').then((m) => m.startOffers),
}
export const onsite: Onsite = /* @__PURE__ */ createOnsite([], bundled)
export default onsite
