// `npm run faults`: plays every fault case (test/faults/cases.ts) in one Chromium and prints where each
// case's calls ended up. It measures: the exit code is 0 whatever the rows say (the vitest file judges).
// Case ids as arguments run only those: `node dist/faults.mjs idb-hang latency`.
import { startStack } from '../browser/harness.ts'
import { ensureChromium } from '../chromium.ts'
import { cases, runCase, verdict, type FaultCase, type Row } from './cases.ts'

const notes = (r: Row) => [
  ...Object.entries(r.notes).map(([k, v]) => `${k}: ${v}`),
  `requests: ${r.requests}`,
  ...(r.dropped ? [`dropped lines: ${r.dropped}`] : []),
  ...(r.warned ? ['warned: can be lost'] : []),
]
const COLUMNS: [string, (r: Row, c: FaultCase) => string | number][] = [
  ['case', (r) => r.id],
  ['accepted', (r) => r.accepted],
  ['delivered', (r) => r.delivered],
  ['duplicates', (r) => r.duplicates],
  ['lost', (r) => r.lost],
  ['lost+reported', (r) => r.lostReported],
  ['still stored', (r) => r.stored],
  ['delivered+stored', (r) => r.deliveredStored],
  ['s', (r) => r.seconds],
  // delivery problems only: timing (latency) is measured, not judged, here
  ['problems', (r, c) => verdict(c, r).join('; ') || '-'],
  ['notes', (r) => notes(r).join(', ')],
]
// the last two columns are free text: not padded
const WIDTHS = [22, 8, 9, 10, 4, 13, 12, 16, 5]
const line = (cells: (string | number)[]) => cells.map((v, i) => (i < WIDTHS.length ? String(v).padEnd(WIDTHS[i]!) : String(v))).join(' ')

const only = new Set(process.argv.slice(2))
const chosen = cases.filter((c) => !only.size || only.has(c.id))
for (const id of only) if (!cases.some((c) => c.id === id)) console.error(`no case ${id}; the cases: ${cases.map((c) => c.id).join(' ')}`)
process.env.CHROMIUM_PATH ||= ensureChromium()
const stack = await startStack()
try {
  console.log(line(COLUMNS.map(([name]) => name)))
  // printed as each case ends: the whole run takes minutes
  for (const c of chosen) {
    const row = await runCase(stack, c)
    console.log(line(COLUMNS.map(([, cell]) => cell(row, c))))
  }
  console.log('\ncases:')
  for (const c of chosen) console.log(`  ${c.id.padEnd(22)} ${c.title}`)
} finally {
  await stack.close()
}
