// The delivery engine (storage tiers, outbox, transport, locks, retry) is a file of its own in the
// script-tag builds, onsite-delivery.js, which the core loads as it starts (util/script.ts), so the core's
// own script stays small. In: nothing; out: the engine.
import type { deliverFromPage } from './page.ts'
import type { createKV } from './storage.ts'

export interface Engine {
  deliverFromPage: typeof deliverFromPage
  createKV: typeof createKV
}
export type DeliveryLoader = () => Promise<Engine>

/** Where onsite-delivery.js sets the engine when it runs. */
export const DELIVERY_GLOBAL = '__onsiteDelivery'
