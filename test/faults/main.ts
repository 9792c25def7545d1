// `npm run faults`: plays every fault case (test/faults/cases.ts) in one Chromium and prints where each
// case's calls ended up. It measures: the exit code is 0 whatever the rows say (the vitest file judges).
// Case ids as arguments run only those: `node dist/faults.mjs idb-hang latency`.
import { startStack } from '../browser/harness.ts'
import { ensureChromium } from '../chromium.ts'
import { cases, runCase, verdict, type FaultCase, type Row } from './cases.ts'

const COLUMNS: [string, (r: Row, c: FaultCase) => string | number][] = [
  ['case', (r) => r.id],
  ['accepted', (r) => r.accepted],
  ['delivered', (r) => r.delivered],
  ['dup', (r) => r.duplicates],
  ['lost', (r) => r.lost],
  ['lost+reported', (r) => r.lostReported],
  ['stored', (r) => r.stored],
  ['delivered+stored', (r) => r.deliveredStored],
  ['s', (r) => r.seconds],
  ['verdict', (r, c) => verdict(c, r).join('; ') || 'ok'],
  ['notes', (r) => [...Object.entries(r.notes).map(([k, v]) => `${k}: ${v}`), r.dropped ? `dropped lines: ${r.dropped}` : '', r.warned ? 'warned: can be lost' : ''].filter(Boolean).join(', ')],
]
// the last two columns are free text: not padded
const WIDTHS = [22, 8, 9, 4, 5, 13, 6, 16, 6]
const line = (cells: (string | number)[]) => cells.map((v, i) => (i < WIDTHS.length ? String(v).padEnd(WIDTHS[i]!) : String(v))).join(' ')

const only = new Set(process.argv.slice(2))
const chosen = cases.filter((c) => !only.size || only.has(c.id))
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
