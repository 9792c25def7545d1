// Benchmark of the lift report: simulated traffic (the demo's experiment, wire-shape calls, one call per
// line with every tenth visitor sent as a batch line) written as JSON lines to a temp directory in files of
// about a million calls, then `runReport` over the directory, timed. The report's arms are checked against
// what the simulator planted, so a fast wrong answer does not pass. The files are deleted afterwards.
//
//   npx esbuild test/bench/report.ts --bundle --platform=node --format=esm --packages=external --target=node20 --outfile=.tmp/bench-report.mjs
//   node .tmp/bench-report.mjs [--events 1000000,10000000] [--window-days 7] [--keep]
import { createWriteStream, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEMO_OFFERS, createTally, visitors } from '../../demo/simulate.ts'
import type { ArmTally } from '../../demo/simulate.ts'
import { runReport } from '../../src/report/report.ts'
import type { Report } from '../../src/report/report.ts'

const PER_FILE = 1_000_000

const write = (out: WriteStream, s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((done) => out.once('drain', done)))
const close = (out: WriteStream) => new Promise<void>((done, fail) => out.end((e?: Error | null) => (e ? fail(e) : done())))

/** Writes at least `events` calls; returns how many, and the tally of their visitors. */
const generate = async (dir: string, events: number): Promise<{ calls: number; tally: ArmTally[] }> => {
  const tally = createTally()
  let calls = 0
  let file = 0
  let inFile = 0
  let out = createWriteStream(join(dir, `events-${file}.jsonl`))
  let buf = ''
  let i = 0
  for (const v of visitors({ visitors: Number.MAX_SAFE_INTEGER, seed: 42, offers: DEMO_OFFERS })) {
    tally.add(v)
    buf += i++ % 10 === 0 ? JSON.stringify({ batch: v.calls }) + '\n' : v.calls.map((c) => JSON.stringify(c)).join('\n') + '\n'
    calls += v.calls.length
    inFile += v.calls.length
    if (buf.length > 1 << 20) await write(out, buf).then(() => (buf = ''))
    if (calls >= events) break
    if (inFile >= PER_FILE) {
      await write(out, buf)
      buf = ''
      await close(out)
      out = createWriteStream(join(dir, `events-${++file}.jsonl`))
      inFile = 0
    }
  }
  await write(out, buf)
  await close(out)
  return { calls, tally: tally.arms() }
}

const key = (a: { offer_id: string; variant: string | null; group: string }) => `${a.offer_id}/${a.variant}/${a.group}`

/** Throws unless the report found exactly the planted visitors, conversions and orders. */
const check = (r: Report, tally: ArmTally[]) => {
  const got = new Map(r.offers.map((o) => [key(o), o]))
  for (const t of tally) {
    const o = got.get(key(t))
    if (!o || o.visitors !== t.visitors || o.conversions !== t.conversions || o.orders !== t.orders || Math.abs(o.revenue - t.revenue) > 1e-6 * t.revenue + 1e-6)
      throw new Error(`${key(t)}: report ${JSON.stringify(o && { v: o.visitors, c: o.conversions, n: o.orders, r: o.revenue })}, planted ${JSON.stringify({ v: t.visitors, c: t.conversions, n: t.orders, r: t.revenue })}`)
  }
  if (got.size !== tally.length) throw new Error(`report has ${got.size} arms, planted ${tally.length}`)
}

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name)
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt
}

const benchOne = async (events: number, windowDays: number, keep: boolean) => {
  const dir = mkdtempSync(join(tmpdir(), 'onsite-report-bench-'))
  try {
    let t = performance.now()
    const { calls, tally } = await generate(dir, events)
    const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
    const genS = (performance.now() - t) / 1000
    t = performance.now()
    // CPU time of the whole process (DuckDB's threads included): on a shared machine it says what wall time cannot
    const cpu0 = process.cpuUsage()
    const r = await runReport([dir], { windowDays })
    const s = (performance.now() - t) / 1000
    const cpu = process.cpuUsage(cpu0)
    const cpuS = (cpu.user + cpu.system) / 1e6
    check(r, tally)
    const mb = (bytes / 1e6).toFixed(0)
    console.log(`${calls.toLocaleString('en-US').padStart(11)} events  ${mb.padStart(5)} MB in ${r.inputs.files} files  report ${s.toFixed(2).padStart(6)} s (cpu ${cpuS.toFixed(1)} s)  ${Math.round(calls / s).toLocaleString('en-US').padStart(10)} events/s  (generated in ${genS.toFixed(0)} s; arms match the plant)`)
  } finally {
    if (keep) console.log(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

const sizes = arg('--events', '1000000,10000000').split(',').map(Number)
const windowDays = Number(arg('--window-days', '7'))
console.log(`onsite lift report bench: node ${process.version}, DuckDB in memory, ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}, window ${windowDays} days`)
for (const n of sizes) await benchOne(n, windowDays, process.argv.includes('--keep'))
