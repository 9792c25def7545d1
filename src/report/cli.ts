// npx onsite-report <file|dir|glob>... [--json] [--window-days N] [--min-lift R] [--html out.html]
import { writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { formatReport } from './format.ts'
import { reportHtml } from './html.ts'
import { runReport } from './report.ts'

export const USAGE = `usage: onsite-report <file|dir|glob>... [--json] [--window-days N] [--min-lift R] [--html out.html]

  Events as JSON lines (one Data Pipelines call, or {"batch": [...]}, per line): files, directories
  (every *.jsonl, *.ndjson, *.json, optionally .gz) and globs.
  --json           print the report as JSON
  --window-days N  an order counts within N days of the visitor's first decision (default 7)
  --min-lift R     smallest relative lift worth detecting, for the sample size (default 0.1)
  --html FILE      also write a page with a chart per offer`

export interface CliArgs {
  inputs: string[]
  json: boolean
  windowDays: number
  minLift: number
  html?: string
}

const positive = (name: string, v: string | undefined): number => {
  const n = Number(v)
  if (v === undefined || !Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a number > 0`)
  return n
}

/** argv (without node and the script) -> arguments; throws a one-line error on a bad one. */
export const parseArgs = (argv: string[]): CliArgs => {
  const a: CliArgs = { inputs: [], json: false, windowDays: 7, minLift: 0.1 }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!
    if (k === '--json') a.json = true
    else if (k === '--window-days') a.windowDays = positive(k, argv[++i])
    else if (k === '--min-lift') a.minLift = positive(k, argv[++i])
    else if (k === '--html') {
      const file = argv[++i]
      if (!file) throw new Error('--html needs a file name')
      a.html = file
    } else if (k.startsWith('--')) throw new Error(`unknown option ${k}`)
    else a.inputs.push(k)
  }
  if (a.inputs.length === 0) throw new Error('no input given')
  return a
}

export interface Io {
  out: (s: string) => void
  err: (s: string) => void
}

/** Runs the command; resolves to the exit code (0 done, 1 no data, 2 usage). */
export const cli = async (argv: string[], io: Io): Promise<number> => {
  if (argv.includes('--help') || argv.includes('-h')) return io.out(USAGE + '\n'), 0
  let a: CliArgs
  try {
    a = parseArgs(argv)
  } catch (e) {
    return io.err(`onsite-report: ${(e as Error).message}\n${USAGE}\n`), 2
  }
  try {
    const r = await runReport(a.inputs, { windowDays: a.windowDays, minLift: a.minLift })
    if (a.html) writeFileSync(a.html, reportHtml(r))
    io.out(a.json ? JSON.stringify(r, null, 2) + '\n' : formatReport(r))
    if (r.inputs.unmatched.length) io.err(`onsite-report: no files in ${r.inputs.unmatched.join(', ')}\n`)
    return 0
  } catch (e) {
    return io.err(`onsite-report: ${(e as Error).message}\n`), 1
  }
}

// Runs when it is the program: bin/onsite-report.mjs imports the bundle (dist/report-cli.mjs) of this file.
if (/^(onsite-report|report-cli)(\.m?js)?$/.test(basename(process.argv[1] ?? ''))) {
  cli(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then((code) => (process.exitCode = code))
}
