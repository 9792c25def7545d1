// context.campaign: where the shopper came from, read from the page's query string as analytics.js reads it
// (every `utm_x` becomes `x`, `utm_campaign` becomes `name`, the last of a repeated name wins, `+` is a
// space), so Customer.io attributes onsite's calls as it did its own library's. Ad click ids go in too:
// a Google Ads auto-tagged link carries a gclid and no utm_ at all. Every value passes the URL's redaction
// (a secret name, an email, a JWT) and the PII cut; campaign links are written by anyone.
import { isSecretParam, REDACTED } from './redact.ts'
import { cutPII } from './traits.ts'

// Google (gclid, gbraid, wbraid, dclid), Meta, Microsoft, TikTok, X, LinkedIn, Pinterest, Snapchat, Reddit.
const CLICK_ID = /^(gclid|gbraid|wbraid|dclid|fbclid|msclkid|ttclid|twclid|li_fat_id|epik|sccid|rdt_cid)$/
const UTM = /^utm_([a-z\d][a-z\d_]{0,39})$/
// a link can be 16 KB long: what a report needs fits in far less
const MAX_VALUE = 200
const MAX_KEYS = 20

const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/** The campaign of a query string ("?utm_source=x&gclid=y"), or undefined when it names none. */
export const campaignOf = (search: string, redact: readonly string[] = []): Record<string, string> | undefined => {
  // no prototype: utm_constructor is a parameter like any other
  const out: Record<string, string> = Object.create(null)
  let n = 0
  // analytics.js reads a second "?" as a separator too
  for (const part of search.replace(/^\?/, '').split(/[&?]/)) {
    const i = part.indexOf('=')
    const raw = i < 0 ? '' : part.slice(i + 1)
    const name = decode(i < 0 ? part : part.slice(0, i))
    const m = UTM.exec(name)
    const key = m ? (m[1] === 'campaign' ? 'name' : m[1]!) : CLICK_ID.test(name.toLowerCase()) ? name.toLowerCase() : ''
    const value = decode(raw).trim().slice(0, MAX_VALUE)
    if (!key || !value || (out[key] === undefined && ++n > MAX_KEYS)) continue
    out[key] = isSecretParam(name, raw, redact) || cutPII(value) !== value ? REDACTED : value
  }
  return n ? out : undefined
}
