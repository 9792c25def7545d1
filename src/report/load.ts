// Files, directories and globs of JSON lines -> the two normalized relations lift.sql reads (`events`,
// `order_offers`), as DuckDB temp tables. This is the only DuckDB-specific SQL of the report: JSON
// extraction, timestamp parsing and array unnesting differ by warehouse, so they stay out of lift.sql.
//
// A line is one call in the Data Pipelines wire shape, or a batch `{"batch": [call, ...]}`. Customer.io's
// storage exports name their files `<destination>.<action>.<n>.<type>.json` (older: `<workspace>_tracks_<n>`)
// and one file holds one call type: a call without `type` takes it from its file name. Snake-case ids
// (`anonymous_id`, `user_id`, `message_id`, `received_at`) are read as well as the wire's camelCase.
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'

/** The files a directory contributes: JSON lines, optionally gzipped. */
export const INPUT_FILE = /\.(jsonl|ndjson|json)(\.gz)?$/i
const GLOB = /[*?[{]/

export interface Inputs {
  files: string[]
  /** Arguments that named no file (missing path, glob matching nothing, directory without JSON files). */
  unmatched: string[]
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`

const inDirectory = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && INPUT_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort()

const globbed = async (con: DuckDBConnection, pattern: string): Promise<string[]> => {
  const r = await con.runAndReadAll(`SELECT file FROM glob(${sqlString(pattern)}) ORDER BY file`)
  return r.getRowObjectsJS().map((row) => String(row.file))
}

/** Expands the command's arguments into files; each file once, in argument order. */
export const listInputs = async (con: DuckDBConnection, args: string[]): Promise<Inputs> => {
  const files: string[] = []
  const unmatched: string[] = []
  for (const arg of args) {
    const st = statSync(arg, { throwIfNoEntry: false })
    const found = st?.isDirectory() ? inDirectory(arg) : st?.isFile() ? [arg] : GLOB.test(arg) ? await globbed(con, arg) : []
    if (found.length === 0) unmatched.push(arg)
    for (const f of found.map((f) => resolve(f))) if (!files.includes(f)) files.push(f)
  }
  return { files, unmatched }
}

const PROPS =
  'STRUCT(offer_id VARCHAR, variant VARCHAR, variation VARCHAR, decision_id VARCHAR, holdout BOOLEAN, order_id VARCHAR, ' +
  'revenue DOUBLE, total DOUBLE, subtotal DOUBLE, discount DOUBLE, onsite_offers STRUCT(offer_id VARCHAR, decision_id VARCHAR)[])'
const FIELDS: Array<[string, string]> = [
  ['type', 'VARCHAR'], ['event', 'VARCHAR'], ['messageId', 'VARCHAR'], ['message_id', 'VARCHAR'],
  ['anonymousId', 'VARCHAR'], ['anonymous_id', 'VARCHAR'], ['userId', 'VARCHAR'], ['user_id', 'VARCHAR'],
  ['timestamp', 'VARCHAR'], ['receivedAt', 'VARCHAR'], ['received_at', 'VARCHAR'], ['properties', PROPS],
]
const CALL = `STRUCT(${FIELDS.map(([k, t]) => `"${k}" ${t}`).join(', ')})`
const COLUMNS = `{${[...FIELDS, ['batch', `${CALL}[]`]].map(([k, t]) => `"${k}": '${t}'`).join(', ')}}`

/** Every line of every file; a line that is not JSON comes back as a row of NULLs (ignore_errors). */
const readLines = (files: string[]) =>
  `read_json([${files.map(sqlString).join(', ')}], format = 'newline_delimited', ignore_errors = true, filename = true, ` +
  `maximum_object_size = 33554432, columns = ${COLUMNS})`

/** Could lift.sql use the call: a decision, an order, an identify (a type-less call may be one: see FILE_TYPE). */
const USEFUL = (c: string) => `(${c}event IN ('offer_seen', 'offer_held_out', 'Order Completed') OR ${c}type = 'identify' OR ${c}type IS NULL)`
const IS_CALL = `(batch IS NOT NULL OR type IS NOT NULL OR event IS NOT NULL OR messageId IS NOT NULL OR message_id IS NOT NULL)`

// Only for a call without a type (COALESCE stops before it otherwise): a storage export file's call type.
const FILE_TYPE = `NULLIF(replace(regexp_extract(filename, '[._-](identif|track|page|screen|alias|group)[^/\\\\]*$', 1), 'identif', 'identify'), '')`
const TS = (v: string) => `epoch_ms(TRY_CAST(${v} AS TIMESTAMPTZ))`
const MONEY = (v: string) => `CASE WHEN isfinite(${v}) AND ${v} >= 0 THEN ${v} END`

/**
 * The columns of `events` from a call's fields: `c` is '' for a line's own columns, 'c.' for a call of a
 * batch (which has no file name to take a type from: the batch lines of the wire always carry one).
 */
const NORMAL = (c: string): Array<[string, string]> => {
  const f = (k: string) => `${c}"${k}"`
  const p = (k: string) => `${c}"properties".${k}`
  return [
    // a call without a messageId is known by its content, so only its exact copies fold into it
    ['message_id', `COALESCE(${f('messageId')}, ${f('message_id')}, 'content:' || hash(${FIELDS.map(([k]) => f(k)).join(', ')})::VARCHAR)`],
    ['type', `COALESCE(${f('type')}, ${c ? 'NULL' : FILE_TYPE}, CASE WHEN ${f('event')} IS NOT NULL THEN 'track' END)`],
    ['event', f('event')],
    ['anonymous_id', `NULLIF(COALESCE(${f('anonymousId')}, ${f('anonymous_id')}), '')`],
    ['user_id', `NULLIF(COALESCE(${f('userId')}, ${f('user_id')}), '')`],
    ['ts_ms', `COALESCE(${TS(f('timestamp'))}, ${TS(f('receivedAt'))}, ${TS(f('received_at'))})`],
    ['offer_id', p('offer_id')],
    ['variant', `COALESCE(${p('variant')}, ${p('variation')})`],
    ['decision_id', p('decision_id')],
    ['holdout', `COALESCE(${p('holdout')}, false)`],
    ['order_id', p('order_id')],
    ...['revenue', 'total', 'subtotal', 'discount'].map((k): [string, string] => [k, MONEY(p(k))]),
    ['onsite_offers', p('onsite_offers')],
  ]
}
const NAMES = NORMAL('').map(([k]) => k).join(', ')
const USABLE = `ts_ms IS NOT NULL AND ((type = 'track' AND event IN ('offer_seen', 'offer_held_out', 'Order Completed')) OR type = 'identify')`

/**
 * One scan of the files: per line, whether it was a call and how many it held, and the normalized columns of
 * the single calls worth keeping (NULL for the rest, which costs next to nothing to store); batch lines are
 * kept whole. The JSON reader parses every row anyway, so counting and keeping in one pass saves a second
 * read of every file.
 */
const LINES = (files: string[]) => {
  const keep = `(batch IS NULL AND ${IS_CALL} AND ${USEFUL('')})`
  return `
  CREATE OR REPLACE TEMP TABLE lines AS
  SELECT NOT ${IS_CALL} AS bad,
         CASE WHEN batch IS NOT NULL THEN len(batch) WHEN ${IS_CALL} THEN 1 ELSE 0 END AS n,
         ${keep} AS keep,
         ${NORMAL('').map(([k, e]) => `CASE WHEN ${keep} THEN ${e} END AS ${k}`).join(',\n         ')},
         batch
  FROM ${readLines(files)}`
}

/** The calls of the batch lines, normalized. */
const BATCH_EVENTS = `
  CREATE OR REPLACE TEMP TABLE batch_events AS
  SELECT ${NAMES} FROM (
    SELECT ${NORMAL('c.').map(([k, e]) => `${e} AS ${k}`).join(', ')}
    FROM (SELECT UNNEST(batch) AS c FROM lines WHERE batch IS NOT NULL)
    WHERE ${USEFUL('c.')})
  WHERE ${USABLE}`

/** What lift.sql needs (decisions, orders, identify calls), as a view: copying millions of rows once more costs more than reading them where they are. */
const EVENTS = `
  CREATE OR REPLACE TEMP VIEW all_events AS
  SELECT ${NAMES} FROM lines WHERE keep AND ${USABLE}
  UNION ALL
  SELECT ${NAMES} FROM batch_events`

const COUNTS = `SELECT COUNT(*) AS lines, COUNT(*) FILTER (WHERE bad) AS bad_lines, COALESCE(SUM(n), 0) AS calls FROM lines`

export interface LoadCounts {
  files: number
  lines: number
  bad_lines: number
  calls: number
}

/** Builds `events` and `order_offers` from the files; returns what was read. */
export const loadEvents = async (con: DuckDBConnection, files: string[]): Promise<LoadCounts> => {
  if (files.length === 0) throw new Error('no input files')
  await con.run(LINES(files))
  await con.run(BATCH_EVENTS)
  await con.run(EVENTS)
  await con.run(`CREATE OR REPLACE TEMP VIEW events AS SELECT * EXCLUDE (onsite_offers) FROM all_events`)
  await con.run(`CREATE OR REPLACE TEMP TABLE order_offers AS
    SELECT COALESCE(order_id, message_id) AS order_key, s.offer_id, s.decision_id
    FROM (SELECT order_id, message_id, UNNEST(onsite_offers) AS s FROM all_events
          WHERE event = 'Order Completed' AND onsite_offers IS NOT NULL)
    WHERE s.offer_id IS NOT NULL AND s.decision_id IS NOT NULL`)
  const row = (await con.runAndReadAll(COUNTS)).getRowObjectsJS()[0]!
  return { files: files.length, lines: Number(row.lines), bad_lines: Number(row.bad_lines), calls: Number(row.calls) }
}
