// A complete Offer (every default filled in) for tests that render or decide one without the config parser.
import type { Offer } from '../src/offers/offers.ts'

/** The parsed `targeting` of an offer that sets none. */
export const NO_TARGETING: Offer['targeting'] = {
  utm: { source: [], medium: [], campaign: [], term: [], content: [] }, referrers: [], landingPaths: [], devices: [],
  cart: { minValue: 0, maxValue: 0, minItems: 0, maxItems: 0 }, start: '', end: '',
}

export const offerFixture = (kind: Offer['kind'], content: Partial<Offer['content']> = {}, extra: Partial<Offer> = {}): Offer => ({
  id: 'o', name: 'o', kind, priority: 0,
  audience: { all: [], any: [], none: [] }, pages: { types: [], urls: [] },
  trigger: { delayMs: 0, scrollPercent: 0, exitIntent: false, inactivityMs: 0 }, targeting: NO_TARGETING,
  frequency: { maxViews: 1, everyHours: 24, stopAfterDismiss: true, stopAfterSubmit: true },
  incentive: false, position: 'bottom', reserveSpace: false, renderer: 'onsite', suppressAfterPurchase: true, holdoutPercent: 0, variation: 'a', variants: [],
  content: { title: 'Hello', body: '', form: 'none', labels: { email: 'Email', phone: 'Phone', thanks: 'Thank you!', close: 'Close', submit: 'Sign up', codeLoading: 'Getting your code…', codeError: 'Your code could not be loaded.', phoneError: 'Please enter a valid phone number.' }, ...content },
  ...extra,
})
