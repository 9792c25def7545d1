// Pure helpers for identity data: email and phone normalisation for identify traits, and the scrub
// that keeps emails and phone numbers out of track/page properties (identity belongs in traits only).
import { own, str } from '../util/check.ts'
import { warn } from '../util/log.ts'
import type { Props } from './validate.ts'

// Deliberately loose (one @, a dot in the domain, no spaces): the mail server is the real judge, this
// only keeps typos like "jane@" or "not-an-email" from becoming someone's identity.
export const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/
// An email inside a longer string (a URL's query or path): no URL delimiters in it; a URL-encoded @
// (%40, or %2540 in a return_to URL inside a query) or + (%2B) counts, as form GETs and URLSearchParams
// write them. A file name like tee@2x.png is not an email. Every quantifier is bounded (RFC 5321: 64 for the local part, 63 a label): unbounded ones
// took seconds per call on a 16 KB query string, which anyone can put in a link.
const EMAIL_IN = /(?:[^\s@/?&=:;,"'<>()%]|%(?!40|2540)[\da-f]{2}){1,64}(?:@|%40|%2540)[^\s@.&/?%]{1,63}(?:\.[^\s@./?&=:;,"'<>()%#]{1,63}){0,8}\.(?!(?:png|jpe?g|gif|webp|svg|avif)\b)[a-z]{2,24}\b/gi

/** Trimmed and lowercased, or '' when it is not an email address. */
export const normalizeEmail = (v: unknown): string => {
  const s = str(v) ? v.trim().toLowerCase() : ''
  return EMAIL.test(s) ? s : ''
}

// Country calling codes of the markets D2C brands sell in most. A country not listed here still works
// when the shopper types the number with its + prefix.
// "US1" is US → +1: two letters, then the code. (A string is ~25 B gzip less than an object literal.)
const CODES = 'US1 CA1 GB44 IE353 AU61 NZ64 DE49 AT43 CH41 FR33 BE32 NL31 LU352 ES34 PT351 IT39 DK45 SE46 NO47 FI358 PL48 CZ420 JP81 KR82 SG65 HK852 IN91 AE971 ZA27 BR55 MX52 IL972'

/**
 * E.164 ("+15555550123"), or '' when it cannot be made one. Without a + or 00 prefix the number is read
 * as national in `country` (ISO 3166 alpha-2): its trunk 0 is dropped (or the 1 of a US/CA 11-digit
 * number). E.164 allows at most 15 digits; fewer than 8 is not a reachable mobile number anywhere.
 */
export const normalizePhone = (v: unknown, country: string): string => {
  if (!str(v) && typeof v !== 'number') return ''
  // "+44 (0)20 ..." is how UK numbers are often written: the (0) is the trunk prefix, not a digit to keep.
  let s = String(v).trim().replace(/\(0\)/, '').replace(/[\s().\-/]/g, '')
  if (s.startsWith('00')) s = '+' + s.slice(2)
  if (!/^\+?\d+$/.test(s)) return ''
  if (s[0] !== '+') {
    const cc = CODES.split(' ').find((c) => c.slice(0, 2) === country.toUpperCase())?.slice(2)
    if (!cc) return ''
    s = '+' + cc + (cc === '1' && s.length === 11 && s[0] === '1' ? s.slice(1) : s.replace(/^0/, ''))
  }
  return s.length >= 9 && s.length <= 16 ? s : ''
}

// Key names, read as lowercase words (camelCase, "Shipping Phone", contact[phone], customer.phone all split):
// one whose last words name an email (billingEmail, e-mail, email_address) or a phone (shipping_phone,
// telephone_number, smsNumber, cell_no, homephone), but not a word that merely ends so (microphone,
// smartphone, automobile, hotel) or one about it (email_consent, phone_type). Both ways go wrong (leaks, or
// product data eaten): test/unit/capture/traits.test.ts holds both lists.
const words = (k: string) => k.replace(/%5[bd]/gi, '_').replace(/([a-z\d])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z\d]+/g, '_').replace(/^_|_$/g, '')
const EMAIL_KEY = /(^|_)e_?mail(_address)?$/
const PHONE_KEY = /((^|_)((tele)?phone|mobile|cell|sms|tel)|[a-z]phone)(_?(number|no|phone))?$/
const NOT_PHONE = /(micro|head|smart|ear|saxo|xylo|mega|speaker|^i)phone$/
/**
 * A property the key alone condemns: an email key with any text, a phone key with a value holding 6+ digits
 * (`mobile: "ios"`, `sms: "subscribed"`, `grid_cell: 3` name no one). Booleans never (is_mobile: true).
 */
const piiByKey = (k: string, v: unknown): boolean => {
  const w = words(k)
  return typeof v != 'boolean' && v != null && (EMAIL_KEY.test(w) || (PHONE_KEY.test(w) && !NOT_PHONE.test(w) && String(v).replace(/\D/g, '').length > 5))
}
const PHONE_VALUE = /^\+\d[\d\s().-]{6,}$/
// 8 to 15 digits (E.164 allows 15; fewer than 8 is no mobile number anywhere)
const phoneDigits = (s: string) => {
  const n = s.replace(/%[\da-f]{2}/gi, ' ').replace(/\D/g, '').length
  return n > 7 && n < 16
}
// An international number inside text or a URL ("call me at +1 415 555 0123", {"phone":"+14155550123"},
// ?to=%2B44+20+7946+0958 where + is a space): its + follows no letter, digit or dot, since
// "ean+4006381333931" is a word and a number in a query, and "BNDL+2024-12-25" or "2.3.0+20241123" are no
// phones; no dots inside, so +40.7128 -74.0060 is a place. Bounded quantifiers: linear on any input.
const PHONE_IN = /(^|[^\w.%]|%20|%28|%3A)((?:\+|%2B)\d(?:[\d\s()+-]|%20|%28|%29){6,24}\d)/gi
// A query parameter named like a phone whose value looks like one, national format included
// (?shipping_phone=4155550123, ?checkout[shipping_address][phone]=(415)+555-0123), not ?compatible-phone=iphone-15.
const PARAM = /([?&]([^=&#\s]{1,100})=)([^&#\s/]{1,60})/g
// National numbers inside free text are not recognised: they cannot be told from order numbers.
// Runs on every string property and the page URL of every call: most hold no + and no =, and skip both scans.
const cutPhones = (s: string) =>
  !/[+=]|%2b/i.test(s) ? s : s.replace(PHONE_IN, (m, pre: string, num: string) => (phoneDigits(num) ? pre : m))
    .replace(PARAM, (m, head: string, name: string, val: string) => (piiByKey(name, val) && /^(?:[\d\s().+-]|%2B|%20|%28|%29)+$/i.test(val) && phoneDigits(val) ? head : m))

/** `s` with the emails and international phone numbers in it cut out ('' when it is one). */
export const cutPII = (s: string): string =>
  // at most 15 digits (E.164): "+40.712776-074.005974" is a place, not a phone
  PHONE_VALUE.test(s.trim()) && phoneDigits(s) ? '' : cutPhones(/@|%(25)?40/i.test(s) ? s.replace(EMAIL_IN, '') : s) // most strings hold no @: no regex run

/**
 * A copy of track/page properties without emails and phone numbers: a PII key or a value that is one is
 * removed; an email inside a longer string (a URL's query, say) is cut out of it. Returns what was
 * removed, for the warning. Nested objects and arrays are scrubbed too.
 */
export const scrubPII = (props: Props): [Props, string[]] => {
  const removed: string[] = []
  const walk = (v: unknown, path: string): unknown => {
    if (str(v)) {
      const cut = cutPII(v)
      if (cut === v) return v
      removed.push(path)
      // "hi a@b.io there" -> "hi there"; nothing left but the email: the property goes
      return cut.replace(/  +/g, ' ').trim() || undefined
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`))
    // plain objects only (a Date or other class instance serialises itself); own keys only, so a key
    // someone put on Object.prototype is never copied into an event
    const proto = v && typeof v == 'object' ? Object.getPrototypeOf(v) : 0
    if (proto === Object.prototype || proto === null) {
      const out: Props = {}
      for (const k of Object.keys(v as Props)) {
        const p = path ? `${path}.${k}` : k
        const x = (v as Props)[k]
        // a key that is itself an email ({"jane@x.io": true}) is as much a leak as a value, and is not printed
        if (cutPII(k) !== k) removed.push((path ? path + '.' : '') + '<a key holding an email or phone>')
        else if (piiByKey(k, x)) removed.push(p)
        else {
          const y = walk(x, p)
          if (y !== undefined) out[k] = y
        }
      }
      return out
    }
    return v
  }
  return [walk(props, '') as Props, removed]
}

/**
 * Traits with the email and phone normalised; one that cannot be is left out, with a warning. An SMS
 * consent given with a phone that is left out goes too: it was consent for that number, not for any.
 */
export const cleanTraits = (traits: Props, country: string): Props => {
  const t = own(traits)
  const fix = (key: string, norm: (v: unknown) => string, fix: string) => {
    if (t[key] == null) return
    const v = norm(t[key])
    if (v) return void (t[key] = v)
    warn(`identify: traits.${key} ${JSON.stringify(t[key])} ${fix}; it is left out`)
    delete t[key]
    if (key == 'phone' && t.sms_consent != null) {
      warn('identify: traits.sms_consent is left out with the phone it was given for')
      for (const k of ['sms_consent', 'sms_consent_at', 'sms_consent_text_version']) delete t[k]
    }
  }
  fix('email', normalizeEmail, 'is not an email address')
  fix('phone', (v) => normalizePhone(v, country), `is not a phone number in E.164 or national ${country} format (add the + country code or set config.defaultCountry)`)
  return t
}
