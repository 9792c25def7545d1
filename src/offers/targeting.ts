// Targeting on what the storefront knows, beside audiences and pages: the visit (UTM parameters, referrer
// and path of the session's landing page), the device class, the cart (value and items, from the cart
// events this browser tracked) and a schedule. Pure: decide() gets the reasons and what matched, so every
// rule shows in explain().
import { glob } from './glob.ts'

export type Device = 'mobile' | 'tablet' | 'desktop'
export const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const

/** The session's landing page, as the offers first saw it: no query but the UTM values. */
export interface Visit {
  utm: Partial<Record<(typeof UTM_KEYS)[number], string>>
  /** The referrer's host, lowercase; '' for a direct visit or one from the store itself. */
  referrer: string
  landingPath: string
  device: Device
}
export interface CartState {
  value: number
  items: number
}

export interface Targeting {
  utm: Partial<Record<(typeof UTM_KEYS)[number], string[]>>
  referrers: string[]
  landingPaths: string[]
  devices: string[]
  cart: { minValue: number; maxValue: number; minItems: number; maxItems: number }
  /** ISO times; '' = no bound */
  start: string
  end: string
}

const anyGlob = (globs: string[], v: string) => globs.some((g) => glob(g.toLowerCase(), v.toLowerCase()))

/** Why the offer does not target this visit, cart and time (empty: it does), and what matched. */
export const checkTargeting = (t: Targeting, visit: Visit, cart: CartState, now: number): [reasons: string[], matched: string[]] => {
  const reasons: string[] = []
  const matched: string[] = []
  const rule = (name: string, globs: string[], v: string) => {
    if (!globs.length) return
    if (anyGlob(globs, v)) matched.push(`${name}:${v}`)
    else reasons.push(`targeting: ${name} ${JSON.stringify(v)} matches none of [${globs}]`)
  }
  for (const k of UTM_KEYS) rule('utm_' + k, t.utm[k] ?? [], visit.utm[k] ?? '')
  rule('referrer', t.referrers, visit.referrer)
  rule('landing', t.landingPaths, visit.landingPath)
  rule('device', t.devices, visit.device)
  const c = t.cart
  const range = (name: string, v: number, min: number, max: number) => {
    if (v < min) reasons.push(`targeting: cart ${name} ${v} < ${min}`)
    else if (max && v > max) reasons.push(`targeting: cart ${name} ${v} > ${max}`)
    else if (min || max) matched.push(`cart_${name}:${v}`)
  }
  range('value', cart.value, c.minValue, c.maxValue)
  range('items', cart.items, c.minItems, c.maxItems)
  if (t.start && now < Date.parse(t.start)) reasons.push(`schedule: starts ${t.start}`)
  if (t.end && now >= Date.parse(t.end)) reasons.push(`schedule: ended ${t.end}`)
  return [reasons, matched]
}
