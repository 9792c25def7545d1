// @vitest-environment node
// The SQL store, one suite run on every backend: embedded PGlite (in memory, and in a directory that
// survives a restart) and a real Postgres server when Debian's postgresql binaries are installed.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../../../src/audiences-server/store.ts'

const T = 1_790_000_000
const c = (person: string, segment: string, member: boolean, at: number) => ({ person, segment, member, at })

const suite = (name: string, open: () => Promise<Store>) =>
  describe(name, () => {
    let store: Store
    beforeAll(async () => {
      store = await open()
    }, 60_000)
    afterAll(() => store?.close())

    it('keeps the newest fact per (person, segment): older and equal `at` are not stored', async () => {
      expect(await store.apply([c('a', 'vip', true, T), c('a', 'lapsed', false, T), c('b', 'vip', true, T)])).toBe(3)
      expect(await store.apply([c('a', 'vip', false, T + 5)])).toBe(1)
      expect(await store.apply([c('a', 'vip', true, T + 1), c('a', 'vip', true, T + 5)])).toBe(0)
      expect(await store.read('a')).toEqual({ rows: { vip: { member: false, at: T + 5 }, lapsed: { member: false, at: T } }, pulledAt: null })
    })

    it('stores a batch touching one row twice as its newest fact', async () => {
      expect(await store.apply([c('d', 'vip', true, T + 2), c('d', 'vip', false, T + 3), c('d', 'vip', true, T + 1)])).toBe(1)
      expect((await store.read('d')).rows).toEqual({ vip: { member: false, at: T + 3 } })
    })

    it('reads a person it never heard of as no rows and no pull', async () => {
      expect(await store.read('nobody')).toEqual({ rows: {}, pulledAt: null })
    })

    it('stores a pull with its time, under the same newest-wins rule', async () => {
      await store.apply([c('e', 'vip', true, T + 100)])
      await store.applyPull('e', [c('e', 'vip', false, T + 50), c('e', 'cart_abandoner', true, T + 50)], T * 1000 + 123)
      expect(await store.read('e')).toEqual({ rows: { vip: { member: true, at: T + 100 }, cart_abandoner: { member: true, at: T + 50 } }, pulledAt: T * 1000 + 123 })
      await store.applyPull('e', [], T * 1000 + 999)
      expect((await store.read('e')).pulledAt).toBe(T * 1000 + 999)
    })

    it('keeps ids with quotes, dots and non-ASCII apart', async () => {
      const ids = ["o'brien", 'a.b@example.com', 'zoë', 'a']
      await store.apply(ids.map((id, i) => c(id, 'x', true, T + 10 + i)))
      for (const [i, id] of ids.entries()) expect((await store.read(id)).rows.x).toEqual({ member: true, at: T + 10 + i })
    })
  })

suite('PGlite in memory', () => openStore({ dataDir: 'memory://' }))

describe('PGlite in a directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onsite-audiences-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps everything across a restart (write, close, reopen the same directory, read)', async () => {
    const data = join(dir, 'nested', 'audiences')
    const first = await openStore({ dataDir: data })
    expect(first.kind).toBe(`pglite ${data}`)
    await first.apply([c('kept', 'vip', true, T), c('kept', 'lapsed', false, T + 1)])
    await first.applyPull('kept', [], 42)
    await first.close()
    const again = await openStore({ dataDir: data })
    expect(await again.read('kept')).toEqual({ rows: { vip: { member: true, at: T }, lapsed: { member: false, at: T + 1 } }, pulledAt: 42 })
    await again.close()
  }, 60_000)
})

/** A throwaway Postgres cluster from Debian's binaries (as the postgres user when run as root). */
const startPostgres = (): { url: string; stop: () => void } | undefined => {
  const root = '/usr/lib/postgresql'
  const version = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))).sort().pop() : undefined
  if (!version) return undefined
  const bin = (name: string) => join(root, version, 'bin', name)
  const dir = mkdtempSync(join(tmpdir(), 'onsite-pg-'))
  const asRoot = process.getuid?.() === 0
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })))
  const run = (cmd: string, args: string[]) => execFileSync(asRoot ? 'runuser' : cmd, asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: 'pipe' })
  const port = 20000 + Math.floor(Math.random() * 20000)
  run(bin('initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync'])
  run(bin('pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      run(bin('pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const pg = (() => {
  try {
    return startPostgres()
  } catch (e) {
    console.warn(`[store.test] Postgres binaries found but the cluster did not start: ${(e as Error).message}`)
    return undefined
  }
})()
if (!pg) console.warn('[store.test] skipping the real-Postgres run: no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)')
afterAll(() => pg?.stop())

describe.skipIf(!pg)('a real Postgres server (DATABASE_URL)', () => {
  it('opens the pg Pool store', async () => {
    const s = await openStore({ databaseUrl: pg!.url, dataDir: 'unused' })
    expect(s.kind).toBe('postgres')
    await s.close()
  })
})
if (pg) suite('Postgres', () => openStore({ databaseUrl: pg.url, dataDir: 'unused' }))
