// runReport: input paths -> the lift report. DuckDB (in memory) loads the events (load.ts), runs the shipped
// lift.sql for the per-arm sums, and the intervals are computed here from those sums (analyze.ts).
import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { Aggregate, ArmRow } from './analyze.ts'
import { analyze } from './analyze.ts'
import type { LoadCounts } from './load.ts'
import { listInputs, loadEvents } from './load.ts'

export interface ReportOptions {
  /** Attribution window in days after the decision (default 7). */
  windowDays?: number
  /** Smallest relative lift worth detecting, for the sample size (default 0.1: 10%). */
  minLift?: number
}

export interface Report {
  window_days: number
  min_lift: number
  inputs: LoadCounts & { unmatched: string[] }
  /** What the report used, after de-duplication. */
  events: { decisions: number; duplicate_calls: number; orders: number; duplicate_orders: number; visitors_linked: number }
  offers: ArmRow[]
}

// lift.sql ships beside the bundle (dist/) or is read from the source tree (tests, an on-the-fly bundle in .tmp/).
const SQL_PLACES = ['./lift.sql', '../src/report/lift.sql']

/** The report's SQL, as shipped. */
export const liftSql = (): string => {
  for (const p of SQL_PLACES) {
    const file = fileURLToPath(new URL(p, import.meta.url))
    if (existsSync(file)) return readFileSync(file, 'utf8')
  }
  throw new Error(`lift.sql not found next to ${fileURLToPath(import.meta.url)}`)
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v))

const aggregates = async (con: DuckDBConnection, windowDays: number): Promise<Aggregate[]> => {
  const rows = (await con.runAndReadAll(liftSql(), { window_days: windowDays })).getRowObjectsJS()
  return rows.map((r) => ({
    offer_id: String(r.offer_id),
    variant: r.variant === null ? null : String(r.variant),
    group: r.arm_group === 'held_out' ? 'held_out' : 'exposed',
    visitors: num(r.visitors),
    exposed: num(r.exposed),
    conversions: num(r.conversions),
    repeaters: num(r.repeaters),
    orders: num(r.orders),
    revenue: num(r.revenue),
    revenue_sq: num(r.revenue_sq),
    discount: num(r.discount),
  }))
}

const DIAGNOSTICS = `
  WITH ids AS (
    SELECT message_id, COUNT(*) AS copies, MIN(event) AS event, MIN(COALESCE(order_id, message_id)) AS order_key,
           MIN(anonymous_id) AS anonymous_id, MIN(user_id) AS user_id
    FROM events GROUP BY message_id)
  SELECT SUM(copies - 1) AS duplicate_calls,
         COUNT(*) FILTER (WHERE event IN ('offer_seen', 'offer_held_out')) AS decisions,
         COUNT(DISTINCT CASE WHEN event = 'Order Completed' THEN order_key END) AS orders,
         COUNT(*) FILTER (WHERE event = 'Order Completed') - COUNT(DISTINCT CASE WHEN event = 'Order Completed' THEN order_key END) AS duplicate_orders,
         COUNT(DISTINCT CASE WHEN user_id IS NOT NULL THEN anonymous_id END) AS visitors_linked
  FROM ids`

const diagnostics = async (con: DuckDBConnection): Promise<Report['events']> => {
  const r = (await con.runAndReadAll(DIAGNOSTICS)).getRowObjectsJS()[0]!
  return { decisions: num(r.decisions), duplicate_calls: num(r.duplicate_calls), orders: num(r.orders), duplicate_orders: num(r.duplicate_orders), visitors_linked: num(r.visitors_linked) }
}

/** The lift report over files, directories and globs of JSON lines. Throws when no argument names a file. */
export const runReport = async (inputs: string[], opts: ReportOptions = {}): Promise<Report> => {
  const windowDays = opts.windowDays ?? 7
  const minLift = opts.minLift ?? 0.1
  if (!(windowDays > 0)) throw new Error(`window must be a number of days > 0, not ${windowDays}`)
  // DuckDB spills big joins to `.tmp/` under the working directory unless told otherwise: not the user's project
  const db = await DuckDBInstance.create(':memory:', { temp_directory: join(tmpdir(), 'onsite-report-duckdb') })
  const con = await db.connect()
  try {
    const { files, unmatched } = await listInputs(con, inputs)
    if (files.length === 0) throw new Error(`no input files in ${inputs.map((i) => JSON.stringify(i)).join(', ') || '(no arguments)'}`)
    const counts = await loadEvents(con, files)
    const rows = analyze(await aggregates(con, windowDays), { minLift })
    return { window_days: windowDays, min_lift: minLift, inputs: { ...counts, unmatched }, events: await diagnostics(con), offers: rows }
  } finally {
    con.closeSync()
    db.closeSync()
  }
}
