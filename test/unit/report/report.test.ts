// @vitest-environment node
// The report's rules on small hand-made event files: de-duplication, the window, identity links, the
// onsite_offers fallback, arms, bad lines, the input forms, and the command's output.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { cli } from '../../../src/report/cli.ts'
import { reportHtml } from '../../../src/report/html.ts'
import { runReport } from '../../../src/report/report.ts'
import type { ArmRow } from '../../../src/report/analyze.ts'

const dir = mkdtempSync(join(tmpdir(), 'onsite-report-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const T0 = Date.parse('2026-03-01T12:00:00.000Z')
const DAY = 864e5
let n = 0
type Call = Record<string, unknown>
const at = (ms: number) => new Date(T0 + ms).toISOString()
const track = (event: string, properties: Call, ids: Call, ms: number, over: Call = {}): Call => ({ type: 'track', event, properties, messageId: `m${++n}`, timestamp: at(ms), ...ids, ...over })
const seen = (anon: string, ms = 0, p: Call = {}) => track('offer_seen', { offer_id: 'pop', variant: 'a', decision_id: `d-${anon}`, holdout: false, ...p }, { anonymousId: anon }, ms)
const held = (anon: string, ms = 0, p: Call = {}) => track('offer_held_out', { offer_id: 'pop', variant: 'a', decision_id: `d-${anon}`, holdout: true, ...p }, { anonymousId: anon }, ms)
const order = (ids: Call, ms: number, p: Call = {}, over: Call = {}) => track('Order Completed', { order_id: `o${++n}`, revenue: 40, total: 48, currency: 'USD', ...p }, ids, ms, over)
const identify = (anon: string, user: string, ms = 1000): Call => ({ type: 'identify', messageId: `m${++n}`, anonymousId: anon, userId: user, timestamp: at(ms), traits: {} })

let f = 0
const file = (lines: Array<Call | string>, name = `in${++f}.jsonl`): string => {
  const p = join(dir, name)
  writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n')
  return p
}
const arms = async (lines: Array<Call | string>, windowDays?: number) => {
  const r = await runReport([file(lines)], windowDays === undefined ? {} : { windowDays })
  return { r, arm: (group: string, variant: string | null = group === 'held_out' ? null : 'a') => r.offers.find((o) => o.group === group && o.variant === variant) as ArmRow }
}

describe('de-duplication', () => {
  it('counts a call retried with the same messageId once', async () => {
    const o = order({ anonymousId: 'v1' }, 1000)
    const { r, arm } = await arms([seen('v1'), o, o, { ...o }])
    expect(arm('exposed')).toMatchObject({ visitors: 1, conversions: 1, orders: 1, revenue: 40 })
    expect(r.events.duplicate_calls).toBe(2)
  })

  it('keeps calls without a messageId apart, folding only their exact copies', async () => {
    const noId = (c: Call) => { const { messageId: _m, ...rest } = c; return rest }
    const a = noId(order({ anonymousId: 'v1' }, 1000))
    const b = noId(order({ anonymousId: 'v1' }, 2000))
    const { arm } = await arms([noId(seen('v1')), a, b, a])
    expect(arm('exposed')).toMatchObject({ visitors: 1, conversions: 1, orders: 2, revenue: 80 })
  })

  it('counts an order sent twice (new messageId, same order_id) once', async () => {
    const a = order({ anonymousId: 'v1' }, 1000, { order_id: 'same' })
    const b = order({ anonymousId: 'pixel-9' }, 2000, { order_id: 'same' })
    const { r, arm } = await arms([seen('v1'), a, b])
    expect(arm('exposed')).toMatchObject({ conversions: 1, orders: 1, revenue: 40 })
    expect(r.events).toMatchObject({ orders: 1, duplicate_orders: 1 })
  })
})

describe('attribution window', () => {
  const lines = () => [
    seen('v1'), order({ anonymousId: 'v1' }, 7 * DAY),
    seen('v2'), order({ anonymousId: 'v2' }, 7 * DAY + 1),
    seen('v3'), order({ anonymousId: 'v3' }, -1),
    seen('v4'), order({ anonymousId: 'v4' }, 9 * DAY),
  ]

  it('counts orders from the decision to decision + 7 days, ends included', async () => {
    const { arm } = await arms(lines())
    expect(arm('exposed')).toMatchObject({ visitors: 4, conversions: 1, orders: 1 })
  })

  it('follows --window-days', async () => {
    const { r, arm } = await arms(lines(), 10)
    expect(r.window_days).toBe(10)
    expect(arm('exposed')).toMatchObject({ conversions: 3 })
  })

  it('measures from the first decision, which also fixes the arm', async () => {
    const { arm } = await arms([held('v1', 0), seen('v1', 5 * DAY), order({ anonymousId: 'v1' }, 8 * DAY)])
    expect(arm('held_out')).toMatchObject({ visitors: 1, conversions: 0 })
    expect(arm('exposed')).toBeUndefined()
  })
})

describe('identity', () => {
  it('reaches the visitor through identify when the order has only a userId', async () => {
    const { arm } = await arms([seen('v1'), identify('v1', 'u1'), order({ userId: 'u1' }, DAY)])
    expect(arm('exposed')).toMatchObject({ conversions: 1 })
  })

  it('reaches the visitor of another device through the person', async () => {
    const { arm } = await arms([seen('phone'), identify('phone', 'u1'), identify('laptop', 'u1'), order({ anonymousId: 'laptop', userId: 'u1' }, DAY)])
    expect(arm('exposed')).toMatchObject({ conversions: 1 })
  })

  it('does not reach a visitor with no link', async () => {
    const { arm } = await arms([seen('v1'), order({ userId: 'u1' }, DAY)])
    expect(arm('exposed')).toMatchObject({ conversions: 0 })
  })
})

describe('onsite_offers fallback', () => {
  const stamp = (anon: string) => ({ onsite_offers: [{ offer_id: 'pop', variant: 'a', group: 'exposed', decision_id: `d-${anon}`, decided_at: at(0) }] })

  it('attributes a checkout-pixel order under another anonymous id by its decision_id', async () => {
    const { arm } = await arms([seen('v1'), order({ anonymousId: 'pixel-1' }, DAY, stamp('v1'))])
    expect(arm('exposed')).toMatchObject({ conversions: 1 })
  })

  it('ignores a stamp naming a decision nobody made, and keeps the window', async () => {
    const { arm } = await arms([seen('v1'), order({ anonymousId: 'pixel-1' }, DAY, stamp('nobody')), seen('v2'), order({ anonymousId: 'pixel-2' }, 8 * DAY, stamp('v2'))])
    expect(arm('exposed')).toMatchObject({ visitors: 2, conversions: 0 })
  })

  it('is not used when the id join finds a visitor in that offer: the id wins', async () => {
    // v1 held out, v2 exposed; the order comes from v1's browser but carries v2's decision
    const { arm } = await arms([held('v1'), seen('v2'), order({ anonymousId: 'v1' }, DAY, stamp('v2'))])
    expect(arm('held_out')).toMatchObject({ conversions: 1 })
    expect(arm('exposed')).toMatchObject({ conversions: 0 })
  })
})

describe('arms and metrics', () => {
  it('pools held-out visitors of every variant into one control row, and reads the older `variation`', async () => {
    const { r, arm } = await arms([held('h1', 0, { variant: 'a' }), held('h2', 0, { variant: 'b' }), seen('v1', 0, { variant: undefined, variation: 'b' }), seen('v2')])
    expect(r.offers.map((o) => [o.variant, o.group, o.visitors])).toEqual([['a', 'exposed', 1], ['b', 'exposed', 1], [null, 'held_out', 2]])
    expect(arm('held_out').lift).toBeNull()
    expect(arm('exposed', 'b').lift?.against).toEqual({ visitors: 2, conversions: 0 })
  })

  it('counts exposures, revenue (revenue, else total, else subtotal), AOV, discount and repeat rates', async () => {
    const { arm } = await arms([
      seen('v1'), seen('v1', 60_000),
      order({ anonymousId: 'v1' }, DAY, { revenue: 30, discount: 10 }),
      order({ anonymousId: 'v1' }, 2 * DAY, { revenue: undefined, total: 50 }),
      seen('v2'), order({ anonymousId: 'v2' }, DAY, { revenue: undefined, total: undefined, subtotal: 20 }),
    ])
    const a = arm('exposed')
    expect(a).toMatchObject({ visitors: 2, exposed: 3, conversions: 2, orders: 3, revenue: 100, discount: 10, repeaters: 1 })
    expect(a.revenue_per_visitor).toBe(50)
    expect(a.aov).toBeCloseTo(100 / 3, 10)
    expect(a.discount_rate).toBeCloseTo(10 / 110, 10)
    expect(a.repeat_purchase_rate).toBe(0.5)
  })
})

describe('input', () => {
  it('counts lines that are not a call, never failing on them, and unnests batch lines', async () => {
    const { r, arm } = await arms(['not json', '{"truncated": ', '[1,2]', '{}', JSON.stringify({ batch: [seen('v1'), order({ anonymousId: 'v1' }, DAY)], writeKey: 'k' }), seen('v2')])
    expect(r.inputs).toMatchObject({ lines: 6, bad_lines: 4, calls: 3 })
    expect(arm('exposed')).toMatchObject({ visitors: 2, conversions: 1 })
  })

  it('reads directories (jsonl, ndjson, json, gzipped), globs, and names what matched nothing', async () => {
    const d = join(dir, 'tree')
    mkdirSync(join(d, 'sub'), { recursive: true })
    writeFileSync(join(d, 'a.jsonl'), JSON.stringify(seen('v1')) + '\n')
    writeFileSync(join(d, 'sub', 'b.ndjson.gz'), gzipSync(JSON.stringify(seen('v2')) + '\n'))
    writeFileSync(join(d, 'notes.txt'), JSON.stringify(seen('v9')) + '\n')
    const g = file([seen('v3')], 'glob-x.json')
    const r = await runReport([d, join(dir, 'glob-*.json'), join(dir, 'missing.jsonl')])
    expect(r.inputs).toMatchObject({ files: 3, unmatched: [join(dir, 'missing.jsonl')] })
    expect(r.offers[0]).toMatchObject({ visitors: 3 })
    expect(g).toContain('glob-x')
  })

  it("reads a storage export file: call type from the file name, snake_case ids", async () => {
    const p = join(dir, '2184.13699.1.track.json')
    writeFileSync(p, [{ event: 'offer_seen', message_id: 'x1', anonymous_id: 'v1', timestamp: at(0), properties: { offer_id: 'pop', variant: 'a', decision_id: 'd1' } },
      { event: 'Order Completed', message_id: 'x2', anonymous_id: 'v1', timestamp: at(DAY), properties: { order_id: 'o1', revenue: 12 } }].map((c) => JSON.stringify(c)).join('\n'))
    const r = await runReport([p])
    expect(r.offers[0]).toMatchObject({ visitors: 1, conversions: 1, revenue: 12 })
  })

  it('throws when nothing names a file', async () => {
    await expect(runReport([join(dir, 'nothing-*.jsonl')])).rejects.toThrow(/no input files/)
  })
})

describe('the command', () => {
  const run = async (argv: string[]) => {
    let out = ''
    let err = ''
    const code = await cli(argv, { out: (s) => (out += s), err: (s) => (err += s) })
    return { code, out, err }
  }
  const lines = () => [held('h1'), held('h2'), order({ anonymousId: 'h2' }, DAY), seen('v1'), order({ anonymousId: 'v1' }, DAY), seen('v2')]

  it('--json prints {offers: [{offer_id, variant, group, visitors, conversions, conversion_rate, revenue_per_visitor, lift}]}', async () => {
    const { code, out } = await run([file(lines()), '--json'])
    expect(code).toBe(0)
    const j = JSON.parse(out)
    for (const o of j.offers) for (const k of ['offer_id', 'variant', 'group', 'visitors', 'conversions', 'conversion_rate', 'revenue_per_visitor', 'lift']) expect(o).toHaveProperty(k)
    const [ex, ho] = j.offers
    expect(ho).toMatchObject({ variant: null, group: 'held_out', lift: null })
    expect(ex.lift.conversion).toMatchObject({ abs: 0, rel: 0 })
    expect(ex.lift.conversion.ci95).toHaveLength(2)
    expect(ex.lift.revenue_per_visitor.ci95).toHaveLength(2)
  })

  it('prints a table, writes --html, and exits 2 on bad arguments, 1 without input', async () => {
    const html = join(dir, 'out.html')
    const t = await run([file(lines()), '--html', html, '--window-days', '3'])
    expect(t.out).toMatch(/window 3 days/)
    expect(t.out).toMatch(/pop\s+a\s+exposed\s+2/)
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>.*<svg/s)
    expect((await run(['--window-days', '0', 'x'])).code).toBe(2)
    expect((await run([])).code).toBe(2)
    expect((await run([join(dir, 'none.jsonl')])).code).toBe(1)
  })

  it('escapes text from the events in the page', async () => {
    const r = await runReport([file([seen('v1', 0, { offer_id: '<script>alert(1)</script>', variant: '"><img src=x onerror=alert(1)>' })])])
    const page = reportHtml(r)
    expect(page).not.toMatch(/<script|<img/)
    expect(page).toContain('&lt;script&gt;')
  })
})
