// @vitest-environment node
// The whole report (files -> DuckDB -> lift.sql -> intervals) over simulated traffic whose every count is
// known: the report must find exactly the arms, visitors, conversions and money the simulator planted,
// through retries, orders sent twice, pixel orders under another anonymous id, userId-only orders and
// orders outside the window.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEMO_OFFERS, plan, writeJsonl } from '../../../demo/simulate.ts'
import { runReport } from '../../../src/report/report.ts'

const dir = mkdtempSync(join(tmpdir(), 'onsite-report-e2e-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('report over simulated traffic', () => {
  for (const seed of [1, 2]) {
    it(`finds exactly what seed ${seed} planted`, async () => {
      const { calls, tally } = plan({ visitors: 6000, seed, offers: DEMO_OFFERS })
      const file = join(dir, `s${seed}.jsonl`)
      await writeJsonl(file, calls)
      const r = await runReport([file])
      const key = (a: { offer_id: string; variant: string | null; group: string }) => `${a.offer_id}/${a.variant}/${a.group}`
      const got = new Map(r.offers.map((o) => [key(o), o]))
      expect([...got.keys()].sort()).toEqual(tally.map(key).sort())
      for (const t of tally) {
        const o = got.get(key(t))!
        expect({ v: o.visitors, e: o.exposed, c: o.conversions, rep: o.repeaters, n: o.orders }, key(t)).toEqual({ v: t.visitors, e: t.exposed, c: t.conversions, rep: t.repeaters, n: t.orders })
        expect(o.revenue).toBeCloseTo(t.revenue, 6)
        expect(o.discount).toBeCloseTo(t.discount, 6)
      }
      expect(r.inputs).toMatchObject({ files: 1, lines: calls.length, calls: calls.length, bad_lines: 0 })
    })
  }
})
