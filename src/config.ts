// Config is checked key by key: a bad optional key gets one `[onsite]` error naming the key and the
// fix, and its default is used; only a missing or secret writeKey is fatal (nothing stored or sent).
import { error } from './log.ts'

export interface Config {
  writeKey: string
  apiHost: string
  flushAt: number
  flushIntervalMs: number
  debug: boolean
  /** "shopify" follows Shopify's Customer Privacy API. */
  consent: string
  identifyBy: string
  defaultCountry: string
  /** The logged-in customer the store rendered into the page. */
  customer?: { id?: string; email?: string }
  /** How a `_cio_id` becomes a userId ("{id}" is replaced); '' sends only the `cio_id` trait. */
  cioUserId: string
}

const HOSTS = { us: 'https://cdp.customer.io/v1', eu: 'https://cdp-eu.customer.io/v1' } as const
const LOCAL = /^(localhost|127\.0\.0\.1|\[::1\])$/

type Input = Record<string, unknown>
const int = (v: unknown, min: number, max: number): boolean => Number.isInteger(v) && (v as number) >= min && (v as number) <= max

/** Why a write key must not be used in a browser, or '' when it is fine. */
export const secretReason = (key: string): string =>
  /^sk_/.test(key)
    ? 'is a secret key (sk_...): use the browser write key or a pk_ public key from Data Pipelines > Sources'
    : /^[^:\s]+:[^:\s]+$/.test(key)
      ? 'looks like a Track API site_id:api_key pair, which is a secret: use the Data Pipelines JavaScript source write key'
      : ''

/** Resolves apiHost against the page (a first-party path such as "/cio/v1" is allowed); '' when refused. */
export const resolveHost = (host: string, base: string): string => {
  // '' would resolve to the page itself and post batches to the storefront.
  if (!host.trim()) return ''
  try {
    const url = new URL(host, base)
    if (url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL.test(url.hostname))) return url.href.replace(/\/+$/, '')
  } catch {
    // fall through to the refusal
  }
  return ''
}

const CHECKS: [string, (v: unknown) => boolean, string][] = [
  ['flushAt', (v) => int(v, 1, 100), 'must be an integer from 1 to 100'],
  ['flushIntervalMs', (v) => int(v, 0, 60000), 'must be an integer number of milliseconds from 0 to 60000'],
  ['debug', (v) => typeof v === 'boolean', 'must be true or false'],
  ['consent', (v) => ['granted', 'pending', 'denied', 'shopify'].includes(v as string), 'must be "granted", "pending", "denied" or "shopify"'],
  ['identifyBy', (v) => v === 'email' || v === 'anonymous', 'must be "email" (the email is the userId) or "anonymous"'],
  ['defaultCountry', (v) => typeof v === 'string' && /^[A-Za-z]{2}$/.test(v), 'must be an ISO 3166 country code such as "US"'],
  ['cioUserId', (v) => v === false || (typeof v === 'string' && v.includes('{id}')), 'must be a template such as "cio_{id}", or false'],
  ['customer', (v) => v === null || (typeof v === 'object' && !Array.isArray(v)), 'must be an object such as {"id": "123", "email": "..."}'],
]


/** Returns the checked config, or undefined when it is fatally wrong (the reason has been printed). */
export const parseConfig = (input: unknown, base: string, extraKeys: readonly string[] = [], shopify = false): Config | undefined => {
  if (typeof input !== 'object' || input === null) {
    error('init(config): config must be an object such as {"writeKey": "..."}')
    return undefined
  }
  const c = input as Input
  const key = c.writeKey
  if (typeof key !== 'string' || !key.trim()) {
    error('config.writeKey is missing: copy the write key of your JavaScript source in Customer.io Data Pipelines. Nothing will be sent.')
    return undefined
  }
  const secret = secretReason(key.trim())
  if (secret) {
    error(`config.writeKey ${secret}. Nothing will be sent.`)
    return undefined
  }
  const bad = (name: string, fix: string) => error(`config.${name} ${fix}; using the default`)
  const region = c.region ?? 'us'
  if (region !== 'us' && region !== 'eu') bad('region', 'must be "us" or "eu"')
  const out: Config = {
    writeKey: key.trim(), apiHost: HOSTS[region === 'eu' ? 'eu' : 'us'], flushAt: 20, flushIntervalMs: 1000, debug: false,
    consent: shopify ? 'shopify' : 'granted', identifyBy: 'anonymous', defaultCountry: 'US', cioUserId: 'cio_{id}',
  }
  if (c.apiHost !== undefined) {
    const host = typeof c.apiHost === 'string' ? resolveHost(c.apiHost, base) : ''
    if (host) out.apiHost = host
    else bad('apiHost', `must be an https URL (http only for localhost), got ${JSON.stringify(c.apiHost)}`)
  }
  for (const [name, ok, fix] of CHECKS) {
    if (c[name] === undefined) continue
    if (ok(c[name])) (out as unknown as Input)[name] = c[name]
    else bad(name, fix)
  }
  if (out.cioUserId as unknown === false) out.cioUserId = ''
  const cust = out.customer as Input | null | undefined
  delete out.customer
  const id = typeof cust?.id === 'number' || typeof cust?.id === 'string' ? String(cust.id).trim() : ''
  const email = typeof cust?.email === 'string' ? cust.email : ''
  // A guest renders {"id": null, "email": null}: no customer, no identify.
  if (id || email) out.customer = id ? (email ? { id, email } : { id }) : { email }
  const known = ['writeKey', 'apiHost', 'region', ...CHECKS.map(([k]) => k)]
  for (const k in c) {
    if (!known.includes(k) && !extraKeys.includes(k)) error(`config${/^\w+$/.test(k) ? '.' + k : `[${JSON.stringify(k)}]`} is not a known key (known: ${known.join(', ')}); it is ignored`)
  }
  return out
}
