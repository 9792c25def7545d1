// zod schemas of the wire format, built from the taxonomy table. Used by the local collector and the
// tests, never by the browser bundle (see taxonomy.ts for why).
import { z } from 'zod'
import { CURRENCY, EVENTS, PROPS, type PropType, own } from './taxonomy.ts'

const money = z.number().finite().nonnegative()
const TYPES: Record<Exclude<PropType, 'p'>, z.ZodType> = {
  m: money,
  q: z.number().int().nonnegative(),
  i: z.union([z.string().min(1), z.number().finite()]),
  s: z.string(),
  c: z.string().regex(CURRENCY),
}

const known = (type: PropType): z.ZodType => (type === 'p' ? z.array(product) : TYPES[type])
const shape = (): Record<string, z.ZodType> =>
  Object.fromEntries(Object.entries(PROPS).map(([k, t]) => [k, known(t).nullish()]))

// Products use the same property table, nested products included, exactly as validate.ts walks them.
const product: z.ZodType = z.lazy(() => z.looseObject(shape()))

const hasMoney = (p: Record<string, unknown>): boolean =>
  Object.entries(p).some(([k, v]) => v != null && (own(PROPS, k) === 'm' || (own(PROPS, k) === 'p' && Array.isArray(v) && v.some((x) => x && typeof x === 'object' && hasMoney(x)))))

/** Properties schema of one semantic event (required keys, types, currency rule). */
export const eventProperties = (event: string): z.ZodType => {
  const required = own(EVENTS, event)
  if (!required) return z.record(z.string(), z.unknown())
  const s = shape()
  for (const key of required) s[key] = known(PROPS[key]!)
  return z.looseObject(s).refine((p) => !hasMoney(p) || p.currency != null, { message: 'amounts need a currency', path: ['currency'] })
}

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date')
const base = {
  messageId: z.string().min(1),
  // null is how analytics.js-style libraries (Customer.io's own among them) send "not known yet"
  anonymousId: z.string().min(1).nullish(),
  userId: z.string().min(1).nullish(),
  timestamp: iso,
  sentAt: iso.optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  integrations: z.record(z.string(), z.unknown()).optional(),
  writeKey: z.string().optional(),
}
const needsId = (c: { anonymousId?: string | null | undefined; userId?: string | null | undefined }) => !!(c.anonymousId || c.userId)
const idMsg = { message: 'anonymousId or userId is required' }

export const trackCall = z
  .object({ ...base, type: z.literal('track'), event: z.string().min(1), properties: z.record(z.string(), z.unknown()).default({}) })
  .refine(needsId, idMsg)
  .superRefine((c, ctx) => {
    const r = eventProperties(c.event).safeParse(c.properties)
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ ...i, path: ['properties', ...i.path] } as never)
  })
export const pageCall = z.object({ ...base, type: z.literal('page'), name: z.string().optional(), properties: z.record(z.string(), z.unknown()).optional() }).refine(needsId, idMsg)
export const identifyCall = z.object({ ...base, type: z.literal('identify'), traits: z.record(z.string(), z.unknown()).optional() }).refine(needsId, idMsg)
export const aliasCall = z.object({ ...base, type: z.literal('alias'), previousId: z.string().min(1), userId: z.string().min(1) })
export const otherCall = z.object({ ...base, type: z.enum(['screen', 'group']) }).loose().refine(needsId, idMsg)

const BY_TYPE: Record<string, z.ZodType> = { track: trackCall, page: pageCall, identify: identifyCall, alias: aliasCall, screen: otherCall, group: otherCall }

/** Validates one call of any type; the error names the path of the first problem. */
export const parseCall = (input: unknown): { ok: true; call: Record<string, unknown> } | { ok: false; error: string } => {
  const type = (input as { type?: unknown } | null)?.type
  const schema = typeof type === 'string' ? BY_TYPE[type] : undefined
  if (!schema) return { ok: false, error: `unknown call type ${JSON.stringify(type)}` }
  const r = schema.safeParse(input)
  if (r.success) return { ok: true, call: r.data as Record<string, unknown> }
  const i = r.error.issues[0]!
  return { ok: false, error: `${i.path.join('.') || '(call)'}: ${i.message}` }
}

export const batchBody = z.object({ batch: z.array(z.unknown()).min(1), writeKey: z.string().optional(), sentAt: iso.optional() }).loose()
