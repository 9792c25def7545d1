// The script-tag builds load the offers (decide, render, styles, forms, Wisepops) as a second file,
// onsite-offers.js (util/script.ts), and only on pages whose config has offers: a store's pages without
// offers never download them. In: nothing; out: startOffers.
import type { startOffers } from './show.ts'

export type StartOffers = typeof startOffers
export type OffersLoader = () => Promise<StartOffers>

/** Where the offers file sets startOffers when it runs. */
export const CHUNK_GLOBAL = '__onsiteOffers'
