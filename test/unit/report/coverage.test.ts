// @vitest-environment node
// Do the report's 95% intervals cover the truth 95% of the time? The simulator plants a known lift (and, in
// the A/A runs, none), so over many seeds the share of intervals covering the true value can be counted:
// first from the simulator's own sums over many seeds (fast, tight bounds; e2e.test.ts shows the report
// finds exactly those sums in the calls), then end to end through
// files, DuckDB and lift.sql over 40 seeds of each (one report, one offer per seed).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { plan, truth, writeJsonl } from '../../../demo/simulate.ts'
import type { Call, SimOffer } from '../../../demo/simulate.ts'
import { analyze } from '../../../src/report/analyze.ts'
import type { ArmRow } from '../../../src/report/analyze.ts'
import { runReport } from '../../../src/report/report.ts'
import type { Interval } from '../../../src/report/stats.ts'

const dir = mkdtempSync(join(tmpdir(), 'onsite-report-coverage-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const control = { conversion: 0.1, aov: 50 }
const LIFT = { id: 'a', weight: 1, conversion: 0.13, aov: 55 }
const offer = (id: string, variant: SimOffer['variants'][number]): SimOffer => ({ id, holdoutPercent: 50, control, variants: [variant] })
const AA = { id: 'a', weight: 1, ...control }

/** The true lifts of a variant against the control (the simulator's defaults: 20% of converters buy twice). */
const trueLift = (v: typeof LIFT) => {
  const [t, c] = [truth(v), truth(control)]
  return {
    conv: t.conversion - c.conversion,
    convRel: t.conversion / c.conversion - 1,
    rpv: t.revenue_per_visitor - c.revenue_per_visitor,
    rpvRel: t.revenue_per_visitor / c.revenue_per_visitor - 1,
  }
}

const covers = (ci: Interval | null | undefined, x: number) => !!ci && ci[0] <= x && x <= ci[1]
type Truth = ReturnType<typeof trueLift>
const hits = (row: ArmRow, t: Truth) => {
  const l = row.lift!
  return [covers(l.conversion.ci95, t.conv), covers(l.conversion.rel_ci95, t.convRel), covers(l.revenue_per_visitor.ci95, t.rpv), covers(l.revenue_per_visitor.rel_ci95, t.rpvRel)]
}
/** Per interval (conversion abs, rel; revenue per visitor abs, rel): the share of seeds it covered. */
const rates = (all: boolean[][]) => [0, 1, 2, 3].map((k) => all.filter((h) => h[k]).length / all.length)
const exposedRow = (rows: ArmRow[], id: string) => rows.find((r) => r.offer_id === id && r.group === 'exposed')!

describe('interval coverage from the simulator\'s sums', () => {
  const SEEDS = 400
  const run = (variant: typeof LIFT) => {
    const all: boolean[][] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { tally } = plan({ visitors: 2500, seed, offers: [offer('x', variant)] }, false)
      all.push(hits(exposedRow(analyze(tally, { minLift: 0.1 }), 'x'), trueLift(variant)))
    }
    return rates(all)
  }

  it('a planted lift (conversion 10% -> 13%, order value 50 -> 55): each interval covers it in 92-98% of 400 seeds', () => {
    const r = run(LIFT)
    for (const x of r) expect(x).toBeGreaterThanOrEqual(0.92)
    for (const x of r) expect(x).toBeLessThanOrEqual(0.98)
  }, 60_000)

  it('A/A (variant = control): each interval covers 0 in 92-98% of 400 seeds', () => {
    const r = run(AA)
    for (const x of r) expect(x).toBeGreaterThanOrEqual(0.92)
    for (const x of r) expect(x).toBeLessThanOrEqual(0.98)
  }, 60_000)
})

describe('interval coverage end to end (files -> DuckDB -> lift.sql -> intervals)', () => {
  it('covers the planted lift, and 0 in A/A, in >= 85% of 40 seeds each', async () => {
    const SEEDS = 40
    const calls: Call[] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      for (const [id, v] of [[`lift-${seed}`, LIFT], [`aa-${seed}`, AA]] as const) {
        // one plan per seed and kind; the seed also prefixes every id, so the runs do not meet
        for (const c of plan({ visitors: 1000, seed: seed * 2 + (id.startsWith('aa') ? 1 : 0), offers: [offer(id, v)] }).calls) calls.push(c)
      }
    }
    const file = join(dir, 'coverage.jsonl')
    await writeJsonl(file, calls)
    const r = await runReport([file])
    const lift = rates(Array.from({ length: SEEDS }, (_, i) => hits(exposedRow(r.offers, `lift-${i + 1}`), trueLift(LIFT))))
    const aa = rates(Array.from({ length: SEEDS }, (_, i) => hits(exposedRow(r.offers, `aa-${i + 1}`), trueLift(AA))))
    for (const x of [...lift, ...aa]) expect(x).toBeGreaterThanOrEqual(0.85)
  }, 60_000)
})
