// The audience service in the demo: onsite-audiences in this process on its embedded store (PGlite, in
// memory), answering the storefront at /audiences and Customer.io at /webhooks/customerio, as on a real
// store. The QA panel's toggles and the scenarios' resets play Customer.io's "Send webhook" action: the
// same request, with the same Bearer secret, that a segment-triggered campaign sends.
// One simplification: Customer.io's segments hold known people, and a real store mints tokens for
// signed-in customers only; the demo also mints one for a guest, with the anonymous id as the person, so a
// scenario can flag a visitor who has not logged in.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createAudienceService, readSettings, signVisitor } from '../src/audiences-server/index.ts'
import { KNOWN_FLAGS, type Audiences } from './store-config.ts'

export const DEMO_WEBHOOK_SECRET = 'demo-webhook-secret-not-for-production'
const TOKEN_SECRET = 'demo-token-secret-not-for-production'

export const createDemoAudiences = () => {
  const { settings, errors } = readSettings({
    ONSITE_WEBHOOK_SECRET: DEMO_WEBHOOK_SECRET, ONSITE_TOKEN_SECRET: TOKEN_SECRET,
    ONSITE_EXPOSED_SEGMENTS: KNOWN_FLAGS.join(','), ONSITE_DATA_DIR: 'memory://',
  })
  if (errors.length) throw new Error(errors.join('\n'))
  const service = createAudienceService(settings, { log: () => {} })
  // warm: the first page should not wait for the database to start
  void service.ready().catch(() => {})
  // A webhook's `at` is in seconds and an older or equal one never overrides: two toggles in one second
  // get successive seconds.
  const last = new Map<string, number>()
  const at = (person: string) => {
    const t = Math.max(Math.floor(Date.now() / 1000), (last.get(person) ?? 0) + 1)
    last.set(person, t)
    return t
  }
  const token = (person: string) => signVisitor(person, TOKEN_SECRET, 86400)
  return {
    token,
    /** Customer.io says: `person` entered (true) or exited (false) each of these segments. */
    async say(person: string, flags: Record<string, boolean>): Promise<void> {
      const t = at(person)
      const body = Object.entries(flags).map(([segment, on]) => ({ id: person, segment, action: on ? 'entered' : 'exited', at: t }))
      const r = await service.handle(new Request('http://demo/webhooks/customerio', {
        method: 'POST', headers: { authorization: 'Bearer ' + DEMO_WEBHOOK_SECRET, 'content-type': 'application/json' }, body: JSON.stringify(body),
      }))
      if (!r.ok) throw new Error(`webhook answered ${r.status}: ${await r.text()}`)
    },
    /** The person's flags as the storefront gets them, for the QA panel. */
    async flags(person: string): Promise<Audiences> {
      const r = await service.handle(new Request('http://demo/audiences?token=' + encodeURIComponent(await token(person))))
      const j = (await r.json()) as { flags?: Record<string, boolean>; syncedAt?: number | null }
      return { flags: j.flags ?? {}, ...(j.syncedAt ? { syncedAt: new Date(j.syncedAt).toISOString() } : {}) }
    },
    /** The service's own answer to a browser request (its body already read by the demo's body guard). */
    async answer(req: IncomingMessage, res: ServerResponse, origin: string, raw: Buffer | undefined): Promise<void> {
      const headers = new Headers()
      for (const [k, v] of Object.entries(req.headers)) if (typeof v == 'string') headers.set(k, v)
      const r = await service.handle(new Request(origin + (req.url ?? '/'), { method: req.method ?? 'GET', headers, ...(raw ? { body: new Uint8Array(raw) } : {}) }))
      const out: Record<string, string> = {}
      r.headers.forEach((v, k) => void (out[k] = v))
      res.writeHead(r.status, out)
      res.end(Buffer.from(await r.arrayBuffer()))
    },
    close: () => service.close(),
  }
}
export type DemoAudiences = ReturnType<typeof createDemoAudiences>
