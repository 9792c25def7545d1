// The checkout pixel's config: the storefront's rules (config.ts), for the keys a pixel has.
import { check, isObj, num, oneOf, own, str } from '../util/check.ts'
import { apiHostOf, secretReason } from '../config.ts'
import { error } from '../util/log.ts'

export interface PixelConfig {
  writeKey: string
  apiHost: string
  debug: boolean
  identifyBy: string
  defaultCountry: string
  /** As on the storefront: days an offer decision is stamped on Checkout Started and Order Completed. */
  attributionDays: number
}

/**
 * A storefront-only key (flushAt, consent, offers...) is reported as unknown rather than silently doing
 * nothing. Undefined when fatal.
 */
export const pixelConfig = (input: unknown, base: string): PixelConfig | undefined => {
  const key = isObj(input) && str(input.writeKey) ? input.writeKey.trim() : ''
  const why = key ? secretReason(key) : 'is missing'
  if (why) return void error(`config.writeKey ${why}: use your JavaScript source's write key. Nothing will be sent.`)
  const c = check({
    writeKey: '',
    region: oneOf(['us', 'eu']),
    apiHost: 0,
    debug: false,
    identifyBy: oneOf(['anonymous', 'email']),
    defaultCountry: [(v) => str(v) && /^[a-z]{2}$/i.test(v), 'an ISO 3166 code such as "US"', 'US'],
    attributionDays: num(7, 0, 90),
  }, input, 'config')
  c.writeKey = key
  c.apiHost = apiHostOf(own(input).apiHost, c.region, base)
  delete c.region
  return c
}
