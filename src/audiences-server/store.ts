// Who is in which segment, in SQL: the embedded PGlite (Postgres in WASM, a directory on disk, nothing
// to install) by default, or a Postgres server when DATABASE_URL is set. Both run the same statements.
// One row per (person, segment) holds the newest fact: an exit is a row with member = false, so a
// replayed older "entered" can never bring a person back. Writes are single statements, so each
// webhook request is stored whole or not at all.
import { newestPerKey, type Change } from './webhook.ts'

export interface PersonState {
  /** segment -> whether the person is in it, as of `at` (unix s) */
  rows: Record<string, { member: boolean; at: number }>
  /** when the App API was last asked about this person (unix ms), or null */
  pulledAt: number | null
}

export interface Store {
  /** Stores the changes newer than what is stored; the number stored. */
  apply(changes: Change[]): Promise<number>
  /** Stores what the App API said about `person` at `pulledAt` (ms), with the pull time. */
  applyPull(person: string, changes: Change[], pulledAt: number): Promise<void>
  read(person: string): Promise<PersonState>
  close(): Promise<void>
  /** "pglite <dir>" or "postgres": for the start-up line */
  readonly kind: string
}

/** What the store needs of a database client: PGlite and pg's Pool both have it. */
export interface Db {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>
  close(): Promise<void>
}

const SCHEMA = [
  `create table if not exists onsite_audience_rows (
     person text not null, segment text not null, member boolean not null, at bigint not null,
     primary key (person, segment))`,
  `create table if not exists onsite_audience_pulls (person text primary key, pulled_at bigint not null)`,
]

const UPSERT = `insert into onsite_audience_rows (person, segment, member, at)
  select * from unnest($1::text[], $2::text[], $3::boolean[], $4::bigint[])
  on conflict (person, segment) do update set member = excluded.member, at = excluded.at
  where onsite_audience_rows.at < excluded.at
  returning 1`

const columns = (cs: Change[]) => [cs.map((c) => c.person), cs.map((c) => c.segment), cs.map((c) => c.member), cs.map((c) => c.at)]

/** The store over any `Db` (the schema is created when missing). */
export const sqlStore = async (db: Db, kind: string): Promise<Store> => {
  for (const s of SCHEMA) await db.query(s)
  return {
    kind,
    async apply(changes) {
      if (!changes.length) return 0
      // one statement may not touch a row twice: the batch is reduced to its newest fact per row first
      const r = await db.query(`with m as (${UPSERT}) select count(*)::int as n from m`, columns(newestPerKey(changes)))
      return Number((r.rows[0] as { n: number }).n)
    },
    async applyPull(person, changes, pulledAt) {
      await db.query(
        `with m as (${UPSERT}) insert into onsite_audience_pulls (person, pulled_at) values ($5, $6)
         on conflict (person) do update set pulled_at = excluded.pulled_at`,
        [...columns(newestPerKey(changes)), person, pulledAt],
      )
    },
    async read(person) {
      // one round trip; a union is cheaper than joining the two tables (PGlite spends ~40% less on it)
      const r = await db.query<{ segment: string | null; member: boolean | null; at: unknown }>(
        `select segment, member, at from onsite_audience_rows where person = $1
         union all select null, null, pulled_at from onsite_audience_pulls where person = $1`,
        [person],
      )
      const rows: PersonState['rows'] = Object.create(null)
      let pulledAt: number | null = null
      for (const x of r.rows) {
        if (x.segment === null) pulledAt = Number(x.at)
        else rows[x.segment] = { member: x.member === true, at: Number(x.at) }
      }
      return { rows, pulledAt }
    },
    close: () => db.close(),
  }
}

/** An optional peer of onsite (the storefront script needs none): a missing one says what to install. */
const peer = <T>(load: () => Promise<T>, name: string, or: string): Promise<T> =>
  load().catch((e) => {
    throw (e as { code?: string })?.code === 'ERR_MODULE_NOT_FOUND' ? new Error(`${name} is not installed: npm i ${name}${or}`) : e
  })

const pglite = async (dir: string): Promise<Db> => {
  if (!dir.startsWith('memory://')) await (await import('node:fs/promises')).mkdir(dir, { recursive: true })
  const { PGlite } = await peer(() => import('@electric-sql/pglite'), '@electric-sql/pglite', ', or set DATABASE_URL to a Postgres server')
  const db = await PGlite.create(dir)
  return { query: (sql, params) => db.query(sql, params), close: () => db.close() }
}

const postgres = async (url: string): Promise<Db> => {
  const { default: pg } = await peer(() => import('pg'), 'pg', ' (DATABASE_URL is set)')
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // an idle client losing its connection must not take the process down; the next query reconnects
  pool.on('error', () => {})
  return { query: (sql, params) => pool.query(sql, params) as never, close: () => pool.end() }
}

/** Postgres at `databaseUrl` when given, else PGlite in `dataDir` (memory:// keeps it in memory). */
export const openStore = async (o: { databaseUrl?: string; dataDir: string }): Promise<Store> =>
  o.databaseUrl ? sqlStore(await postgres(o.databaseUrl), 'postgres') : sqlStore(await pglite(o.dataDir), `pglite ${o.dataDir}`)
