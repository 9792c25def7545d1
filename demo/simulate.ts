// A traffic simulator with a planted lift: visitors meet an offer, are held out or shown a variant, and buy
// (or not) with the conversion rate and order value set for their arm. It emits the wire calls the bundle
// and the checkout pixel send (page, offer_seen / offer_held_out, identify, Product Added, Checkout Started,
// Order Completed with onsite_offers and money fields), with the mess real traffic has: orders from the
// checkout pixel under another anonymous id, orders sent with only a userId from another device, orders
// outside the window, retried calls, orders sent twice, older events naming the variant `variation`.
// Deterministic from the seed, so a test knows the true lift and the exact counts the report must find.
import { createWriteStream } from 'node:fs'
import { basename } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Aggregate } from '../src/report/analyze.ts'
import { MAX_BATCH_BYTES, MAX_CALL_BYTES } from '../src/capture/taxonomy.ts'

export interface SimArm {
  /** P(at least one order within the window) */
  conversion: number
  /** Mean net revenue of an order (revenue, i.e. after discount, before tax and shipping). */
  aov: number
  /** Share of the list price given away as a discount on this arm's orders (an incentive); default 0. */
  discountRate?: number
}
export interface SimVariant extends SimArm {
  id: string
  weight: number
}
export interface SimOffer {
  id: string
  holdoutPercent: number
  variants: SimVariant[]
  control: SimArm
}
export interface SimOptions {
  visitors: number
  seed: number
  offers: SimOffer[]
  /** First visit (ISO or epoch ms); default 2026-01-01. Visits spread over `spreadDays` (default 14). */
  start?: string | number
  spreadDays?: number
  windowDays?: number
  /** Share of converters with a second order in the window (default 0.2). */
  repeatRate?: number
  /** Share of visitors who identify (default 0.3). */
  identifyRate?: number
  /** Share of orders the checkout pixel sends under another anonymous id, found by onsite_offers (default 0.15). */
  pixelRate?: number
  /** Share of identified visitors' orders sent with only a userId, found by the identify link (default 0.1). */
  otherDeviceRate?: number
  /** Share of visitors with an order outside the window, before or after it (default 0.05). */
  outsideRate?: number
  /** Share of orders sent twice with new messageIds, and of calls retried with the same one (default 0.02). */
  duplicateRate?: number
}
export type Call = Record<string, unknown>

/** What the report must find for one arm (held-out visitors pooled, variant null): a row of lift.sql. */
export type ArmTally = Aggregate

const DAY = 864e5
const DEFAULTS = { start: Date.UTC(2026, 0, 1), spreadDays: 14, windowDays: 7, repeatRate: 0.2, identifyRate: 0.3, pixelRate: 0.15, otherDeviceRate: 0.1, outsideRate: 0.05, duplicateRate: 0.02 }
type Settings = typeof DEFAULTS & Omit<SimOptions, 'start'>

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const cents = (x: number) => Math.round(x * 100) / 100
const pad = (n: number, w: number) => String(n).padStart(w, '0')
const days = new Map<number, string>()
/** toISOString, minus most of its cost (it was most of the simulator's time): the date part is cached per day. */
const iso = (ms: number): string => {
  const t = Math.round(ms)
  const day = Math.floor(t / DAY)
  let d = days.get(day)
  if (d === undefined) days.set(day, (d = new Date(day * DAY).toISOString().slice(0, 11)))
  const r = t - day * DAY
  return `${d}${pad(Math.floor(r / 3600_000), 2)}:${pad(Math.floor(r / 60_000) % 60, 2)}:${pad(Math.floor(r / 1000) % 60, 2)}.${pad(r % 1000, 3)}Z`
}

const settings = (o: SimOptions): Settings => {
  const { start, ...rest } = o
  const s = { ...DEFAULTS, ...rest } as Settings
  if (start !== undefined) s.start = typeof start === 'number' ? start : Date.parse(start)
  return s
}

const pickVariant = (o: SimOffer, r: number): SimVariant => {
  const total = o.variants.reduce((t, v) => t + v.weight, 0)
  let x = r * total
  for (const v of o.variants) if ((x -= v.weight) < 0) return v
  return o.variants[o.variants.length - 1]!
}

/** The planted truth of an arm: conversion within the window and revenue per visitor (repeats included). */
export const truth = (arm: SimArm, repeatRate = DEFAULTS.repeatRate) => ({ conversion: arm.conversion, revenue_per_visitor: arm.conversion * arm.aov * (1 + repeatRate) })

interface Visit {
  i: number
  offer: SimOffer
  variant: SimVariant
  held: boolean
  arm: SimArm
  anon: string
  user: string | undefined
  decidedAt: number
  decisionId: string
}

/** One order's money, net of its discount; revenue spread uniformly over 0.5x..1.5x the arm's mean. */
const money = (arm: SimArm, r: () => number) => {
  const revenue = cents(arm.aov * (0.5 + r()))
  const discount = arm.discountRate ? cents((revenue * arm.discountRate) / (1 - arm.discountRate)) : 0
  const tax = cents(revenue * 0.08)
  const shipping = revenue >= 50 ? 0 : 4.95
  return { revenue, subtotal: revenue, discount, tax, shipping, total: cents(revenue + tax + shipping) }
}
export type Money = ReturnType<typeof money>

interface Ctx {
  s: Settings
  /** Draws what the report must find (arm, orders, money, times)... */
  r: () => number
  /** ...and, from a stream of its own, how the calls carry it (senders, copies, field names): a tally
   * without calls (plan(o, false)) finds the same visitors as one with. */
  q: () => number
  prefix: string
  n: number
}

const call = (c: Ctx, type: string, ids: Call, ts: number, body: Call): Call => ({ type, messageId: `${c.prefix}m${++c.n}`, ...ids, timestamp: iso(ts), ...body })

const meet = (c: Ctx, i: number): Visit => {
  const { s, r, prefix } = c
  const offer = s.offers[Math.floor(r() * s.offers.length)]!
  const held = r() * 100 < offer.holdoutPercent
  const variant = pickVariant(offer, r())
  const t0 = s.start + r() * s.spreadDays * DAY
  return {
    i, offer, variant, held, arm: held ? offer.control : variant, anon: `${prefix}a${i}`,
    user: r() < s.identifyRate ? `${prefix}u${i}` : undefined,
    decidedAt: t0 + 2000 + r() * 28000, decisionId: `${prefix}d${i}`,
  }
}

const stamp = (v: Visit) => [{ offer_id: v.offer.id, variant: v.variant.id, group: v.held ? 'held_out' : 'exposed', decision_id: v.decisionId, decided_at: iso(v.decidedAt) }]

/** The decision event; one in ten as an older bundle sends it (`variation`, no `variant`). */
const decision = (c: Ctx, v: Visit, ts: number, decisionId: string): Call => {
  const name = v.held ? 'offer_held_out' : 'offer_seen'
  const which = c.q() < 0.1 ? { variation: v.variant.id } : { variant: v.variant.id }
  const properties = { offer_id: v.offer.id, offer_name: v.offer.id, ...which, decision_id: decisionId, holdout: v.held, incentive: !!v.arm.discountRate, kind: 'popup', trigger: 'page', page_type: 'home', source: 'onsite' }
  return call(c, 'track', { anonymousId: v.anon }, ts, { event: name, properties })
}

/** Who an order is sent as: the storefront, another device (userId only), or the pixel under its own anonymous id. */
const senderOf = (c: Ctx, v: Visit): Call => {
  const x = c.q()
  if (v.user && x < c.s.otherDeviceRate) return { userId: v.user }
  if (x < c.s.otherDeviceRate + c.s.pixelRate) return { anonymousId: `${c.prefix}p${v.i}` }
  return v.user ? { anonymousId: v.anon, userId: v.user } : { anonymousId: v.anon }
}

const orderCalls = (c: Ctx, v: Visit, ts: number, k: number, m: Money, stamped: boolean): Call[] => {
  const ids = senderOf(c, v)
  const offers = stamped ? { onsite_offers: stamp(v) } : {}
  const product = { product_id: 'linen-shirt', sku: 'LS-1', name: 'Linen Shirt', price: cents(m.revenue + m.discount), quantity: 1, currency: 'USD' }
  const order_id = `${c.prefix}o${v.i}-${k}`
  const props = { order_id, ...m, ...(m.discount > 0 ? { coupon: 'ONSITE' } : {}), currency: 'USD', products: [product], ...offers }
  const out = [
    call(c, 'track', v.user ? { anonymousId: v.anon, userId: v.user } : { anonymousId: v.anon }, ts - 600_000, { event: 'Product Added', properties: { ...product, ...offers } }),
    call(c, 'track', ids, ts - 300_000, { event: 'Checkout Started', properties: { value: m.total, currency: 'USD', products: [product], ...offers } }),
    call(c, 'track', ids, ts, { event: 'Order Completed', properties: props }),
  ]
  // The same order from the other sender (storefront and pixel both reporting it): new messageId, same order_id.
  if (c.q() < c.s.duplicateRate) out.push(call(c, 'track', { anonymousId: `${c.prefix}q${v.i}` }, ts + 1000, { event: 'Order Completed', properties: props }))
  return out
}

/** In-window order times: the first within 90% of the window, a repeat (repeatRate) before it ends. */
const inWindow = (c: Ctx, v: Visit): number[] => {
  if (c.r() >= v.arm.conversion) return []
  const end = v.decidedAt + c.s.windowDays * DAY
  const first = v.decidedAt + 60_000 + c.r() * (0.9 * c.s.windowDays * DAY)
  return c.r() < c.s.repeatRate ? [first, first + c.r() * (end - first)] : [first]
}

/** An order the report must not count: a day or less before the decision, or up to 4 days after the window. */
const outside = (c: Ctx, v: Visit): number | undefined => {
  if (c.r() >= c.s.outsideRate) return undefined
  return c.r() < 0.5 ? v.decidedAt - 3600_000 - c.r() * DAY : v.decidedAt + c.s.windowDays * DAY + 3600_000 + c.r() * 4 * DAY
}

export interface VisitorOutcome {
  calls: Call[]
  key: Pick<ArmTally, 'offer_id' | 'variant' | 'group'>
  exposed: number
  orders: Money[]
}

interface Outcome {
  v: Visit
  times: number[]
  orders: Money[]
  again: boolean
  late: { ts: number; m: Money } | undefined
}

const outcome = (c: Ctx, i: number): Outcome => {
  const v = meet(c, i)
  const times = inWindow(c, v)
  const orders = times.map(() => money(v.arm, c.r))
  // A later page decides again: it counts as exposure, not as a new arm.
  const again = c.r() < 0.1
  const ts = outside(c, v)
  return { v, times, orders, again, late: ts === undefined ? undefined : { ts, m: money(v.arm, c.r) } }
}

/** The calls of one visitor, in the order the bundle sends them. */
const wire = (c: Ctx, o: Outcome): Call[] => {
  const v = o.v
  const calls = [call(c, 'page', { anonymousId: v.anon }, v.decidedAt - 2000, { name: 'home', properties: { path: '/', url: 'https://demo.onsite.test/' } })]
  calls.push(decision(c, v, v.decidedAt, v.decisionId))
  if (v.user) calls.push(call(c, 'identify', { anonymousId: v.anon, userId: v.user }, v.decidedAt + 60_000, { traits: { email: `${v.user}@example.com` } }))
  if (o.again) calls.push(decision(c, v, v.decidedAt + 3600_000, v.decisionId + 'b'))
  for (const [k, ts] of o.times.entries()) calls.push(...orderCalls(c, v, ts, k, o.orders[k]!, true))
  if (o.late) calls.push(...orderCalls(c, v, o.late.ts, 9, o.late.m, false).slice(-1))
  // A retried request: the same call again, same messageId.
  if (c.q() < c.s.duplicateRate) calls.push({ ...calls[Math.floor(c.q() * calls.length)]! })
  return calls
}

/** One visitor's calls (none when `withCalls` is false), and what the report must count for them. */
const visitor = (c: Ctx, i: number, withCalls: boolean): VisitorOutcome => {
  const o = outcome(c, i)
  const v = o.v
  const key = { offer_id: v.offer.id, variant: v.held ? null : v.variant.id, group: v.held ? ('held_out' as const) : ('exposed' as const) }
  return { calls: withCalls ? wire(c, o) : [], key, exposed: v.held ? 0 : o.again ? 2 : 1, orders: o.orders }
}

const checkOptions = (o: SimOptions) => {
  if (!(Number.isInteger(o.visitors) && o.visitors >= 0)) throw new Error('visitors must be an integer >= 0')
  if (!o.offers.length || o.offers.some((x) => !x.variants.length)) throw new Error('every offer needs at least one variant')
}

/** The visitors one by one (memory stays flat for millions: the benchmark streams them to a file). */
export function* visitors(o: SimOptions, withCalls = true): Generator<VisitorOutcome> {
  checkOptions(o)
  // The wire's stream is seeded apart from the outcomes' (a fixed odd offset keeps the two from overlapping soon).
  const c: Ctx = { s: settings(o), r: prng(o.seed), q: prng(o.seed ^ 0x5bd1e995), prefix: `s${o.seed}-`, n: 0 }
  for (let i = 0; i < o.visitors; i++) yield visitor(c, i, withCalls)
}

const tallyKey = (k: VisitorOutcome['key']) => `${k.offer_id}\u0000${k.variant ?? ''}\u0000${k.group}`

/** Per arm sums of visitors as they come: what the report must find. */
export const createTally = () => {
  const arms = new Map<string, ArmTally>()
  return {
    add(v: VisitorOutcome) {
      const k = tallyKey(v.key)
      const a = arms.get(k) ?? { ...v.key, visitors: 0, exposed: 0, conversions: 0, repeaters: 0, orders: 0, revenue: 0, revenue_sq: 0, discount: 0 }
      const revenue = v.orders.reduce((t, m) => t + m.revenue, 0)
      a.visitors++
      a.exposed += v.exposed
      a.conversions += v.orders.length > 0 ? 1 : 0
      a.repeaters += v.orders.length > 1 ? 1 : 0
      a.orders += v.orders.length
      a.revenue += revenue
      a.revenue_sq += revenue * revenue
      a.discount += v.orders.reduce((t, m) => t + m.discount, 0)
      arms.set(k, a)
    },
    arms: (): ArmTally[] => [...arms.values()],
  }
}

/** The calls (unless `withCalls` is false), and per arm what the report must find in them. */
export const plan = (o: SimOptions, withCalls = true): { calls: Call[]; tally: ArmTally[] } => {
  const calls: Call[] = []
  const tally = createTally()
  for (const v of visitors(o, withCalls)) {
    for (const x of v.calls) calls.push(x)
    tally.add(v)
  }
  return { calls, tally: tally.arms() }
}

/** The wire calls of `o.visitors` simulated visitors. */
export const simulate = (o: SimOptions): Call[] => plan(o).calls

/** Writes one call per line (the collector's .data/events.jsonl shape, without its receivedAt). */
export const writeJsonl = async (file: string, calls: Iterable<Call>): Promise<number> => {
  const out = createWriteStream(file)
  let n = 0
  let buf = ''
  const flush = () => new Promise<void>((done, fail) => out.write(buf, (e) => (e ? fail(e) : done())))
  for (const c of calls) {
    buf += JSON.stringify(c) + '\n'
    n++
    if (buf.length > 1 << 20) await flush().then(() => (buf = ''))
  }
  await flush()
  await new Promise<void>((done, fail) => out.end((e?: Error | null) => (e ? fail(e) : done())))
  return n
}

/** Splits calls into batch bodies within Customer.io's limits (32 KB a call, 500 KB a batch). */
export const batches = (calls: Call[], maxBytes = MAX_BATCH_BYTES): Call[][] => {
  const out: Call[][] = []
  let cur: Call[] = []
  // {"batch":[ ... ]} and the commas between calls
  let size = 12
  for (const c of calls) {
    const n = Buffer.byteLength(JSON.stringify(c))
    if (n > MAX_CALL_BYTES) throw new Error(`call ${String(c.messageId)} is ${n} bytes, over the ${MAX_CALL_BYTES}-byte limit`)
    if (cur.length && size + n + 1 > maxBytes) out.push(cur), (cur = []), (size = 12)
    cur.push(c)
    size += n + 1
  }
  if (cur.length) out.push(cur)
  return out
}

/** POSTs the calls to a Data Pipelines-compatible `/v1` URL as batches, Basic auth with the write key. */
export const postToCollector = async (url: string, writeKey: string, calls: Call[]): Promise<{ batches: number; calls: number }> => {
  const auth = 'Basic ' + Buffer.from(writeKey + ':').toString('base64')
  const all = batches(calls)
  for (const [i, batch] of all.entries()) {
    const res = await fetch(url.replace(/\/+$/, '') + '/batch', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify({ batch }) })
    if (!res.ok) throw new Error(`batch ${i + 1}/${all.length}: HTTP ${res.status} ${await res.text()}`)
  }
  return { batches: all.length, calls: calls.length }
}

/** The demo's experiment: a popup with two variants (one with a 10% code) and a bar, each with a holdout. */
export const DEMO_OFFERS: SimOffer[] = [
  {
    id: 'welcome-popup', holdoutPercent: 20, control: { conversion: 0.05, aov: 50 },
    variants: [
      { id: 'a', weight: 1, conversion: 0.06, aov: 50 },
      { id: 'b', weight: 1, conversion: 0.075, aov: 46, discountRate: 0.1 },
    ],
  },
  { id: 'shipping-bar', holdoutPercent: 10, control: { conversion: 0.05, aov: 50 }, variants: [{ id: 'a', weight: 1, conversion: 0.055, aov: 54 }] },
]

const USAGE = 'usage: sim --visitors N [--seed S] [--start ISO] [--window-days N] (--out FILE | --collector URL --write-key KEY)'

const parseArgs = (argv: string[]): Record<string, string> => {
  const out: Record<string, string> = {}
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!
    if (!k.startsWith('--') || argv[i + 1] === undefined) throw new Error(USAGE)
    out[k.slice(2)] = argv[i + 1]!
  }
  return out
}

/** The command line: simulate, then write a file or post to a collector; prints the planted lifts. */
export const main = async (argv: string[], log: (s: string) => void = console.log): Promise<void> => {
  const a = parseArgs(argv)
  const visitors = Number(a.visitors)
  if (!Number.isInteger(visitors) || visitors < 1 || (!a.out && !a.collector) || (a.collector && !a['write-key'])) throw new Error(USAGE)
  const windowDays = a['window-days'] ? Number(a['window-days']) : DEFAULTS.windowDays
  const start = a.start ?? Date.now() - (DEFAULTS.spreadDays + windowDays) * DAY
  const calls = simulate({ visitors, seed: Number(a.seed ?? 1), offers: DEMO_OFFERS, start, windowDays })
  if (a.out) log(`wrote ${await writeJsonl(a.out, calls)} calls to ${a.out}`)
  else {
    const r = await postToCollector(a.collector!, a['write-key']!, calls)
    log(`posted ${r.calls} calls in ${r.batches} batches to ${a.collector}`)
  }
  for (const o of DEMO_OFFERS) {
    const c = truth(o.control)
    for (const v of o.variants) {
      const t = truth(v)
      log(`planted ${o.id}/${v.id}: conversion ${(c.conversion * 100).toFixed(1)}% -> ${(t.conversion * 100).toFixed(1)}%, revenue/visitor ${c.revenue_per_visitor.toFixed(2)} -> ${t.revenue_per_visitor.toFixed(2)}`)
    }
  }
}

const argv1 = process.argv[1]
if (argv1 && /^sim(ulate)?\.(m?js|ts)$/.test(basename(argv1)) && import.meta.url === pathToFileURL(argv1).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message)
    process.exitCode = 2
  })
}
