// @vitest-environment node
// Settings from the environment: defaults, and one line per problem naming the variable.
import { describe, expect, it } from 'vitest'
import { readSettings } from '../../../src/audiences-server/config.ts'

const base = { ONSITE_WEBHOOK_SECRET: 'w'.repeat(16), ONSITE_TOKEN_SECRET: 't'.repeat(16), ONSITE_EXPOSED_SEGMENTS: 'vip, cart_abandoner' }

describe('readSettings', () => {
  it('has defaults for everything but the secrets and the exposed segments', () => {
    const { settings, errors } = readSettings(base)
    expect(errors).toEqual([])
    expect(settings).toMatchObject({ exposed: ['vip', 'cart_abandoner'], allowedOrigins: [], apiBase: 'https://api.customer.io', pullTtl: 86400, pullRate: 10, pullWaitMs: 1500, dataDir: '.data/audiences', cacheSize: 50000, port: 8790, host: '127.0.0.1', basePath: '' })
    expect(settings.appApiKey).toBeUndefined()
    expect(settings.databaseUrl).toBeUndefined()
  })

  it('names each missing setting on one line', () => {
    expect(readSettings({}).errors).toEqual([
      "[onsite-audiences] ONSITE_WEBHOOK_SECRET is not set: set it to the secret in your Customer.io webhook's Authorization header",
      '[onsite-audiences] ONSITE_TOKEN_SECRET is not set: set it to the key visitor tokens are signed with (or set SHOPIFY_APP_SECRET to answer Shopify App Proxy requests)',
      '[onsite-audiences] ONSITE_EXPOSED_SEGMENTS is not set: list the flag names the storefront may see, e.g. vip,cart_abandoner (nothing else ever leaves)',
    ])
    const { SHOPIFY_APP_SECRET: _, ...noToken } = { ...base, ONSITE_TOKEN_SECRET: undefined, SHOPIFY_APP_SECRET: 's'.repeat(16) }
    expect(readSettings({ ...noToken, SHOPIFY_APP_SECRET: 's'.repeat(16) }).errors).toEqual([])
  })

  it('reads the segment map, origins, numbers and the database URL', () => {
    const { settings, errors } = readSettings({ ...base, CIO_APP_API_KEY: 'k', ONSITE_SEGMENT_MAP: '123=vip, 456=cart_abandoner', ONSITE_ALLOWED_ORIGINS: 'https://shop.example,http://localhost:3000', CIO_API_BASE: 'https://api-eu.customer.io/', PORT: '0', DATABASE_URL: 'postgres://u@h/db' })
    expect(errors).toEqual([])
    expect({ ...settings.segmentMap }).toEqual({ '123': 'vip', '456': 'cart_abandoner' })
    expect(settings).toMatchObject({ appApiKey: 'k', allowedOrigins: ['https://shop.example', 'http://localhost:3000'], apiBase: 'https://api-eu.customer.io', port: 0, databaseUrl: 'postgres://u@h/db' })
  })

  it('explains bad values', () => {
    const { errors } = readSettings({ ...base, ONSITE_WEBHOOK_SECRET: 'short', ONSITE_SEGMENT_MAP: 'vip=123', ONSITE_ALLOWED_ORIGINS: 'https://shop.example/', PORT: 'eighty', ONSITE_EXPOSED_SEGMENTS: 'vip,VIP customers', DATABASE_URL: 'mysql://x', CIO_APP_API_KEY: 'k' })
    expect(errors).toEqual([
      '[onsite-audiences] ONSITE_WEBHOOK_SECRET is too short (5 characters): set it to at least 16 random characters (the secret in your Customer.io webhook\'s Authorization header)',
      '[onsite-audiences] ONSITE_SEGMENT_MAP has "vip=123": write <Customer.io segment id>=<flag name>, e.g. 123=vip,456=cart_abandoner',
      '[onsite-audiences] ONSITE_EXPOSED_SEGMENTS has "VIP customers": a flag name is 1-64 letters, digits, _ . : or -',
      '[onsite-audiences] ONSITE_ALLOWED_ORIGINS has "https://shop.example/": list origins exactly as browsers send them, e.g. https://shop.example (scheme and host, no path or trailing slash)',
      '[onsite-audiences] PORT is "eighty": set it to a whole number from 0 to 65535, or leave it unset for 8790',
      '[onsite-audiences] DATABASE_URL does not start with postgres:// : set it to a Postgres connection string, or leave it unset for the embedded store in ONSITE_DATA_DIR',
    ])
    expect(readSettings({ ...base, CIO_APP_API_KEY: 'k' }).errors).toEqual([
      '[onsite-audiences] ONSITE_SEGMENT_MAP is not set: with CIO_APP_API_KEY, map Customer.io segment ids to flag names, e.g. 123=vip,456=cart_abandoner',
    ])
  })
})
