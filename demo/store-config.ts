// What the demo store renders into `#onsite-config` on every page, the way the Shopify snippet does:
// the merchant's offers and governance, the page type, the signed-in customer, where the Customer.io
// audience flags come from (the audience service and the visitor's token: demo/audiences.ts), and the
// `shopify` block the cart capture reads. Pure functions: the server passes what it knows.
import { createHash } from 'node:crypto'
import { nanoid } from 'nanoid'
import { bucket } from '../src/offers/decide.ts'
import { EMAIL } from '../src/capture/traits.ts'
import { CURRENCY, isDefaultVariant, major, type Product, type Variant } from './catalog.ts'
import { localPath } from './http.ts'

export const WRITE_KEY = 'demo-write-key'
export const CART_OFFER = 'cart_recovery'

export const OFFERS = [
  {
    id: CART_OFFER, name: 'Cart recovery 10%', kind: 'popup', priority: 10,
    audience: { all: ['cio_cart_abandon_4h'], none: ['vip'] },
    pages: { types: ['home', 'collection', 'product'] },
    frequency: { maxViews: 2, everyHours: 24 },
    incentive: true, suppressAfterPurchase: true, holdoutPercent: 10,
    content: {
      title: 'Still thinking about your cart?',
      body: 'Your picks are waiting. Take 10% off with this code at checkout.',
      code: 'COMEBACK10',
      cta: { text: 'Back to my cart', url: '/cart' },
    },
  },
  {
    // Not for VIPs and not for someone who just bought: they are not the ones a welcome bar is for.
    id: 'welcome_bar', name: 'Welcome bar', kind: 'bar',
    audience: { none: ['vip', 'local.purchased_recently'] },
    pages: { types: ['home'] },
    trigger: { delayMs: 1500 },
    frequency: { maxViews: 3, everyHours: 24 },
    content: { title: 'Free shipping over 50 USD', cta: { text: 'Shop all', url: '/collections/all' } },
  },
] as const

// Two, so the welcome bar a first visit gets does not use up the session the cart offer needs.
export const GOVERNANCE = { maxOffersPerSession: 2, incentiveCooldownDays: 14, purchaseQuietDays: 7 }

/** The Customer.io flags the offers read (local.* flags are the browser's own). */
export const KNOWN_FLAGS: readonly string[] = [
  ...new Set(OFFERS.flatMap((o) => Object.values(o.audience).flat() as string[]).filter((f) => !f.startsWith('local.'))),
]

export const holdoutPercent = (offerId: string): number =>
  (OFFERS.find((o) => o.id === offerId) as { holdoutPercent?: number } | undefined)?.holdoutPercent ?? 0

/**
 * A fresh anonymous id (nanoid, the shape onsite makes) in or out of an offer's control group; undefined
 * when no id can be (a 0% holdout has no control group, a 100% one no treatment group).
 */
export const anonymousIdFor = (offerId: string, inHoldout: boolean): string | undefined => {
  const pct = holdoutPercent(offerId)
  if (inHoldout ? pct <= 0 : pct >= 100) return undefined
  for (;;) {
    const id = nanoid()
    if (bucket(id, offerId) < pct === inHoldout) return id
  }
}

export interface Customer {
  id: string
  email: string
}

/** A stable numeric id per email, like Shopify's customer ids, so two devices logging in get the same one. */
export const customerFor = (email: string): Customer => {
  const e = email.trim().toLowerCase()
  const n = parseInt(createHash('sha256').update(e).digest('hex').slice(0, 12), 16) % 1e12
  return { id: String(6e12 + n), email: e }
}

/** onsite's own email rule, so the demo's forms, its server and identify() agree on what an email is. */
export const validEmail = (s: unknown): s is string => typeof s === 'string' && s.length <= 254 && EMAIL.test(s.trim()) && !/[<>"']/.test(s)
/** The same rule as an HTML `pattern` (anchored by the browser). */
export const EMAIL_PATTERN = EMAIL.source.slice(1, -1)

export interface Audiences {
  flags: Record<string, boolean>
  syncedAt?: string
}

/** The product as the snippet renders it for onsite's Product Viewed (price in major units). */
export const productProps = (p: Product, v: Variant, origin: string) => ({
  product_id: String(p.id),
  variant_id: String(v.id),
  sku: v.sku,
  name: p.title,
  ...(isDefaultVariant(v) ? {} : { variant: v.title }),
  price: major(v.price),
  currency: CURRENCY,
  url: `${origin}/products/${p.handle}`,
  image_url: `${origin}/images/${p.handle}.svg`,
})

export interface PageState {
  pageType: string
  apiHost: string
  customer: Customer | null
  /** The visitor token for the audience service (demo/audiences.ts), or null: nobody to ask for. */
  audiencesToken: string | null
  product?: ReturnType<typeof productProps>
}

export const storeConfig = (s: PageState) => ({
  writeKey: WRITE_KEY,
  apiHost: s.apiHost,
  // the QA panel shows the decision; ?onsite_debug=1 adds onsite's console log and its corner overlay
  pageType: s.pageType,
  customer: s.customer,
  // Customer.io segments through the audience service, as a store with onsite-audiences installs it
  audiencesUrl: '/audiences',
  audiencesToken: s.audiencesToken,
  offers: OFFERS,
  governance: GOVERNANCE,
  shopify: { root: '/', currency: CURRENCY, ...(s.product ? { product: s.product } : {}) },
})

/** /demo/reset?next=/path&aid=holdout|control&flags=a,b: what the reset page wipes and then sets, and the segments the visitor is in. */
export const resetPlan = (q: URLSearchParams) => {
  const aid = q.get('aid')
  const flags = (q.get('flags') ?? '').split(',').filter((f) => KNOWN_FLAGS.includes(f))
  return {
    next: localPath(q.get('next')),
    ...(aid === 'holdout' || aid === 'control' ? { anonymousId: anonymousIdFor(CART_OFFER, aid === 'holdout') } : {}),
    // the server has the audience service say so before the reset page renders (demo/audiences.ts)
    ...(q.has('flags') ? { flags: Object.fromEntries(KNOWN_FLAGS.map((f) => [f, flags.includes(f)])) } : {}),
  }
}
