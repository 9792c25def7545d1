// Settings of the audience service, read from the environment. Every problem is one line naming the
// variable and what to set it to, so a brand deploying it sees all of them at once instead of one per restart.

/** A segment / flag name: what a webhook's "segment" and ONSITE_EXPOSED_SEGMENTS hold. */
export const SEGMENT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/

export interface Settings {
  /** The bearer secret Customer.io's webhook action sends. */
  webhookSecret: string
  /** Verifies `<id>.<expiry>.<hex HMAC>` visitor tokens; unset: tokens are refused. */
  tokenSecret?: string
  /** Verifies Shopify App Proxy requests; unset: App Proxy requests are refused. */
  shopifySecret?: string
  /** Flag names that may leave the service; every other segment stays inside. */
  exposed: string[]
  /** Origins that get CORS headers (exact match, e.g. https://shop.example). */
  allowedOrigins: string[]
  /** Customer.io App API key: unset, nobody is pulled. */
  appApiKey?: string
  apiBase: string
  /** Customer.io segment id -> flag name. */
  segmentMap: Record<string, string>
  /** Seconds before a pulled person is pulled again. */
  pullTtl: number
  /** App API requests per second (token bucket). */
  pullRate: number
  /** Longest a lookup waits for the App API, in ms. */
  pullWaitMs: number
  databaseUrl?: string
  /** PGlite data directory, or memory:// */
  dataDir: string
  cacheSize: number
  /** Seconds a cached person is trusted (bounds staleness when several instances share one database). */
  cacheTtl: number
  /** Oldest App Proxy timestamp accepted, in seconds. */
  proxyMaxAge: number
  port: number
  host: string
  /** Prefix the routes are mounted under, e.g. "/onsite" (default: none). */
  basePath: string
}

type Env = Record<string, string | undefined>
const PREFIX = '[onsite-audiences] '

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)

const int = (env: Env, name: string, d: number, min: number, max: number, errors: string[]): number => {
  const raw = env[name]?.trim()
  if (!raw) return d
  const n = Number(raw)
  if (Number.isInteger(n) && n >= min && n <= max) return n
  errors.push(`${PREFIX}${name} is "${raw}": set it to a whole number from ${min} to ${max}, or leave it unset for ${d}`)
  return d
}

const secret = (env: Env, name: string, errors: string[], what: string): string | undefined => {
  const v = env[name]
  if (v === undefined || v === '') return undefined
  if (v.length < 16) errors.push(`${PREFIX}${name} is too short (${v.length} characters): set it to at least 16 random characters (${what})`)
  return v
}

const segmentMap = (raw: string | undefined, errors: string[]): Record<string, string> => {
  const out: Record<string, string> = Object.create(null)
  for (const pair of list(raw)) {
    const m = /^(\d{1,12})=(.+)$/.exec(pair)
    if (m && SEGMENT_NAME.test(m[2]!)) out[m[1]!] = m[2]!
    else errors.push(`${PREFIX}ONSITE_SEGMENT_MAP has "${pair}": write <Customer.io segment id>=<flag name>, e.g. 123=vip,456=cart_abandoner`)
  }
  return out
}

const origins = (raw: string | undefined, errors: string[]): string[] =>
  list(raw).filter((o) => {
    let ok = false
    try {
      const u = new URL(o)
      ok = /^https?:$/.test(u.protocol) && u.origin === o
    } catch {}
    if (!ok) errors.push(`${PREFIX}ONSITE_ALLOWED_ORIGINS has "${o}": list origins exactly as browsers send them, e.g. https://shop.example (scheme and host, no path or trailing slash)`)
    return ok
  })

const apiBase = (raw: string | undefined, errors: string[]): string => {
  const v = (raw?.trim() || 'https://api.customer.io').replace(/\/+$/, '')
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(v)) errors.push(`${PREFIX}CIO_API_BASE is "${raw}": set it to https://api.customer.io (US) or https://api-eu.customer.io (EU)`)
  return v
}

const exposedSegments = (raw: string | undefined, errors: string[]): string[] => {
  const names = list(raw)
  if (!names.length) errors.push(`${PREFIX}ONSITE_EXPOSED_SEGMENTS is not set: list the flag names the storefront may see, e.g. vip,cart_abandoner (nothing else ever leaves)`)
  for (const n of names) if (!SEGMENT_NAME.test(n)) errors.push(`${PREFIX}ONSITE_EXPOSED_SEGMENTS has "${n}": a flag name is 1-64 letters, digits, _ . : or -`)
  return names.filter((n) => SEGMENT_NAME.test(n))
}

/** The settings in `env`, and one line per problem (an empty list: the settings can be used). */
export const readSettings = (env: Env): { settings: Settings; errors: string[] } => {
  const errors: string[] = []
  const webhookSecret = secret(env, 'ONSITE_WEBHOOK_SECRET', errors, "the secret in your Customer.io webhook's Authorization header")
  if (webhookSecret === undefined) errors.push(`${PREFIX}ONSITE_WEBHOOK_SECRET is not set: set it to the secret in your Customer.io webhook's Authorization header`)
  const tokenSecret = secret(env, 'ONSITE_TOKEN_SECRET', errors, 'the key visitor tokens are signed with')
  const shopifySecret = secret(env, 'SHOPIFY_APP_SECRET', errors, "your Shopify app's API secret key")
  if (!tokenSecret && !shopifySecret && !errors.some((e) => /ONSITE_TOKEN_SECRET|SHOPIFY_APP_SECRET/.test(e)))
    errors.push(`${PREFIX}ONSITE_TOKEN_SECRET is not set: set it to the key visitor tokens are signed with (or set SHOPIFY_APP_SECRET to answer Shopify App Proxy requests)`)
  const map = segmentMap(env.ONSITE_SEGMENT_MAP, errors)
  const appApiKey = env.CIO_APP_API_KEY?.trim() || undefined
  if (appApiKey && !env.ONSITE_SEGMENT_MAP?.trim())
    errors.push(`${PREFIX}ONSITE_SEGMENT_MAP is not set: with CIO_APP_API_KEY, map Customer.io segment ids to flag names, e.g. 123=vip,456=cart_abandoner`)
  const basePath = (env.ONSITE_BASE_PATH?.trim() ?? '').replace(/\/+$/, '')
  if (basePath && !/^(\/[\w.-]+)+$/.test(basePath)) errors.push(`${PREFIX}ONSITE_BASE_PATH is "${basePath}": set it to a path such as /onsite, or leave it unset`)
  const settings: Settings = {
    webhookSecret: webhookSecret ?? '',
    exposed: exposedSegments(env.ONSITE_EXPOSED_SEGMENTS, errors),
    allowedOrigins: origins(env.ONSITE_ALLOWED_ORIGINS, errors),
    apiBase: apiBase(env.CIO_API_BASE, errors),
    segmentMap: map,
    pullTtl: int(env, 'ONSITE_PULL_TTL', 86400, 60, 365 * 86400, errors),
    pullRate: int(env, 'ONSITE_PULL_RATE', 10, 1, 100, errors),
    pullWaitMs: int(env, 'ONSITE_PULL_WAIT_MS', 1500, 0, 10000, errors),
    dataDir: env.ONSITE_DATA_DIR?.trim() || '.data/audiences',
    cacheSize: int(env, 'ONSITE_CACHE_SIZE', 50000, 0, 10_000_000, errors),
    cacheTtl: int(env, 'ONSITE_CACHE_TTL', 30, 0, 86400, errors),
    proxyMaxAge: int(env, 'SHOPIFY_PROXY_MAX_AGE', 300, 10, 86400, errors),
    port: int(env, 'PORT', 8790, 0, 65535, errors),
    host: env.HOST?.trim() || '127.0.0.1',
    basePath,
  }
  if (tokenSecret) settings.tokenSecret = tokenSecret
  if (shopifySecret) settings.shopifySecret = shopifySecret
  if (appApiKey) settings.appApiKey = appApiKey
  const url = env.DATABASE_URL?.trim()
  if (url && !/^postgres(ql)?:\/\//.test(url)) errors.push(`${PREFIX}DATABASE_URL does not start with postgres:// : set it to a Postgres connection string, or leave it unset for the embedded store in ONSITE_DATA_DIR`)
  else if (url) settings.databaseUrl = url
  return { settings, errors }
}
