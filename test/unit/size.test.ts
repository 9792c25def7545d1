// @vitest-environment node
// `npm run size` (test/size.mjs) rebuilds dist/onsite.js with parts stubbed out: its stand-ins must keep
// matching what show.ts imports (in dist/onsite-offers.js), or the what-if numbers in the README could no longer be reproduced.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'

it('npm run size prints the per-module bytes of the core, the delivery engine and the offers, and what-if builds each smaller than the full one', () => {
  const out = execFileSync(process.execPath, ['test/size.mjs'], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8' })
  expect(out).toMatch(/B {2}[\d. ]+% {2}src\/offers\/show\.ts/)
  expect(out).toMatch(/B {2}[\d. ]+% {2}src\/delivery\/delivery\.ts/)
  const rows = [...out.matchAll(/^ +(\d+) B +(-?\d+) B {2}(.+)$/gm)].map((m) => Number(m[1]))
  expect(rows).toHaveLength(8)
  const [core, coreQuiet, engine, engineQuiet, full, quiet, stubbed, both] = rows as number[] as [number, number, number, number, number, number, number, number]
  expect(coreQuiet).toBeLessThan(core)
  expect(engineQuiet).toBeLessThan(engine)
  expect(Math.max(quiet, stubbed)).toBeLessThan(full)
  expect(both).toBeLessThan(Math.min(quiet, stubbed))
}, 60_000)
