// Shared by the audience service's tests: settings as the environment would give them, and requests.
import { readSettings, type Settings } from '../../../src/audiences-server/config.ts'

export const WEBHOOK_SECRET = 'whsec-test-0123456789abcdef'
export const TOKEN_SECRET = 'token-test-0123456789abcdef'
export const SHOPIFY_SECRET = 'shpss-test-0123456789abcdef'

export const settings = (env: Record<string, string> = {}): Settings => {
  const { settings, errors } = readSettings({
    ONSITE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ONSITE_TOKEN_SECRET: TOKEN_SECRET,
    SHOPIFY_APP_SECRET: SHOPIFY_SECRET,
    ONSITE_EXPOSED_SEGMENTS: 'vip,cart_abandoner',
    ONSITE_ALLOWED_ORIGINS: 'https://shop.example',
    ONSITE_DATA_DIR: 'memory://',
    ...env,
  })
  if (errors.length) throw new Error(errors.join('\n'))
  return settings
}

export const BASE = 'http://svc.test'

export const hook = (body: unknown, auth = `Bearer ${WEBHOOK_SECRET}`): Request =>
  new Request(`${BASE}/webhooks/customerio`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: typeof body == 'string' ? body : JSON.stringify(body) })

export const change = (id: string, segment: string, action: 'entered' | 'exited', at: number) => ({ id, segment, action, at })

/** Unix seconds a little in the past, so `at` values are plausible and ordered. */
export const T0 = Math.floor(Date.now() / 1000) - 86400
