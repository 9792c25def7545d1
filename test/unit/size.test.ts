// @vitest-environment node
// `npm run size` (test/size.mjs) rebuilds the browser files with parts stood in for: its stand-ins must keep
// matching what the code imports, or the what-if numbers in the README could no longer be reproduced.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'

it('npm run size prints the per-module bytes of the core, the delivery engine and the offers, and what-if builds each smaller than the full one', () => {
  const out = execFileSync(process.execPath, ['test/size.mjs'], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8' })
  expect(out).toMatch(/B {2}[\d. ]+% {2}src\/offers\/show\.ts/)
  expect(out).toMatch(/B {2}[\d. ]+% {2}src\/delivery\/delivery\.ts/)
  const sections = out.split(/^what-if builds of /m).slice(1).map((part) => ({
    file: part.slice(0, part.indexOf(' ')),
    rows: [...part.matchAll(/^ +(\d+) B +(-?\d+) B {2}(.+)$/gm)].map((m) => ({ gz: Number(m[1]), what: m[3]! })),
  }))
  expect(sections.map((s) => s.file)).toEqual(['dist/onsite.js', 'dist/onsite-delivery.js', 'dist/onsite-offers.js'])
  expect(sections.map((s) => s.rows.length)).toEqual([6, 2, 4])
  for (const { rows } of sections) {
    const [built, ...cuts] = rows
    expect(built!.what).toBe('as built')
    for (const cut of cuts) expect(cut.gz, cut.what).toBeLessThan(built!.gz)
    // the last row takes every part out at once: smaller than any single cut
    if (cuts.length > 1) expect(cuts.at(-1)!.gz).toBeLessThan(Math.min(...cuts.slice(0, -1).map((c) => c.gz)))
  }
}, 90_000)
