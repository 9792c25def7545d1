// The machinery of the fault suite. A case is a scenario played in fresh browser contexts against the
// shared collector; afterwards every call it made is looked for on the collector (delivered, and how many
// copies), in the browser's storage (still stored) and in the console (reported dropped), so a call that
// is in none of them is a call lost without a word.
import type { BrowserContext, Page } from 'playwright'
import type { Faults, StoredCall } from '../../demo/collector.ts'
import { loaderPage, type Stack } from '../browser/harness.ts'

/** The event name of every tracked call; its properties `{fc, n}` say which case made it and which one. */
export const EVENT = 'Fault Call'
/** A page without onsite that reads its storage; the init scripts that break storage leave it alone. */
export const PROBE_PATH = '/_probe'
const DROPPED = /^\[onsite\] dropped (\d+) call/
const MAY_LOSE = /\[onsite\].*(can be lost|may be lost|could be lost)/i

export interface Row {
  id: string
  accepted: number
  /** accepted calls (by `n`) that reached the collector */
  delivered: number
  /** extra copies: the collector's duplicates of these messageIds, plus second messageIds for one `n` */
  duplicates: number
  lost: number
  lostReported: number
  lostUnreported: number
  /** undelivered calls still in storage at the end ("stuck" once the recovery wait is over) */
  stored: number
  deliveredStored: number
  /** the sum of "[onsite] dropped N call(s)" lines */
  dropped: number
  /** the init warning that calls can be lost (no durable storage) was printed */
  warned: boolean
  /** ingest requests the collector saw during the case, answered or not */
  requests: number
  seconds: number
  /** case-specific measurements, e.g. the median latency */
  notes: Record<string, string | number>
  /** the scenario itself failed (a page did not load): the numbers are what it got to */
  error?: string
}

export interface FaultCase {
  id: string
  /** one line: what happens */
  title: string
  /**
   * After the scenario, how long to wait for every call to be delivered and gone from storage (polled:
   * passing cases go on at once).
   */
  waitMs: number
  /** the calls cannot leave (a wrong apiHost): still stored is the right outcome, not "stuck" */
  expectStored?: boolean
  /** false: a loss is acceptable when it is reported (no storage survives); default true */
  allDelivered?: boolean
  scenario(run: Run): Promise<void>
  /** case-specific expectations, as the messages of the failed ones; shown in the table and asserted */
  checks?(row: Row): string[]
  /** timed expectations: asserted by the vitest file only (the table measures, it does not judge time) */
  timing?(row: Row): string[]
}

export interface ConsoleLine {
  /** which context of the run printed it (0: the first) */
  ctx: number
  type: string
  text: string
}

export interface PageOptions {
  config?: Record<string, unknown>
  /** the Shopify build instead of dist/onsite.js */
  shopify?: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `fn` every 100 ms until true or `ms` passed; says which. Unlike waitFor it does not throw: a case measures. */
export const until = async (fn: () => boolean | Promise<boolean>, ms: number): Promise<boolean> => {
  const end = Date.now() + ms
  for (;;) {
    if (await fn()) return true
    if (Date.now() >= end) return false
    await sleep(100)
  }
}

type Json = Record<string, unknown>
const isMine = (id: string) => (e: Json) => (e.properties as Json | undefined)?.fc === id
const nOf = (e: Json) => Number((e.properties as Json).n)

export const createRun = async (stack: Stack, id: string) => {
  const contexts: BrowserContext[] = []
  const lines: ConsoleLine[] = []
  const notes: Record<string, string | number> = {}
  const mine = isMine(id)
  const deliveredNs = () => new Set(stack.collector.events().filter(mine).map(nOf))

  const run = {
    stack,
    id,
    accepted: 0,
    notes,
    contexts,
    /** The case's first context, made before the scenario starts. */
    get ctx(): BrowserContext {
      return contexts[0]!
    },
    /** A fresh context (no cookies, no storage) whose console is recorded and whose storage is measured. */
    async context(): Promise<BrowserContext> {
      const ctx = await stack.browser.newContext()
      const n = contexts.push(ctx) - 1
      ctx.on('console', (m) => lines.push({ ctx: n, type: m.type(), text: m.text() }))
      return ctx
    },
    config: (extra: Json = {}): Json => ({ writeKey: 'test-write-key', apiHost: stack.collectorUrl, ...extra }),
    /** Serves an onsite page under this case's own path; returns its URL. */
    page(name: string, { config, shopify = false }: PageOptions = {}): string {
      const html = loaderPage({ config: config ?? run.config() })
      return stack.page(`/${id}/${name}`, shopify ? html.replace('/dist/onsite.js', '/dist/shopify/onsite.js') : html)
    },
    /** A page of the store without onsite. */
    plain: (name: string) => stack.page(`/${id}/${name}`, '<!doctype html><title>no onsite</title><p>elsewhere'),
    async ready(page: Page): Promise<Page> {
      await page.waitForFunction(() => (window as unknown as { onsite?: { version?: string } }).onsite?.version, null, { timeout: 15_000 })
      return page
    },
    async open(url: string, ctx = contexts[0]!): Promise<Page> {
      const page = await ctx.newPage()
      await page.goto(url)
      return run.ready(page)
    },
    /**
     * `count` valid track() calls in one task, tagged {fc, n} (plus `bytes` of padding), then, in the same
     * task, a navigation to `navigate` if given: the page is left before any send could start.
     */
    async track(page: Page, count: number, { bytes = 0, navigate = '' } = {}): Promise<void> {
      const from = run.next(count)
      await page.evaluate(
        ({ event, fc, from, count, bytes, navigate }) => {
          const pad = 'x'.repeat(bytes)
          const o = (window as unknown as { onsite: { track(e: string, p: object): void } }).onsite
          for (let n = from; n < from + count; n++) o.track(event, bytes ? { fc, n, pad } : { fc, n })
          if (navigate) location.href = navigate
        },
        { event: EVENT, fc: id, from, count, bytes, navigate },
      )
    },
    /** Counts `count` calls about to be made as accepted; returns the first one's `n`. */
    next(count: number): number {
      run.accepted += count
      return run.accepted - count
    },
    faults: (f: Faults): void => stack.collector.faults(f),
    /** How many of the accepted calls have reached the collector. */
    delivered: (): number => deliveredNs().size,
    /** How many of the calls numbered from..to-1 have. */
    deliveredOf(from: number, to: number): number {
      return [...deliveredNs()].filter((n) => n >= from && n < to).length
    },
    /** Ingest requests the collector has seen (arrived, answered or not). */
    requests: (): number => stack.collector.snapshot().requests,
    waitDelivered: (ms: number): Promise<boolean> => until(() => run.delivered() >= run.accepted, ms),
    /** Console lines, of one context or of all. */
    lines: (ctx?: number): ConsoleLine[] => lines.filter((l) => ctx === undefined || l.ctx === ctx),
    note(key: string, value: string | number): void {
      notes[key] = value
    },
    sleep,
    async close(): Promise<void> {
      for (const ctx of contexts) await ctx.close().catch(() => {})
    },
  }
  await run.context()
  return run
}
export type Run = Awaited<ReturnType<typeof createRun>>

interface StoredEntry {
  messageId: string
  fc?: unknown
  n?: unknown
}

/**
 * Runs in a blank page of the store origin: the calls in onsite's storage, IndexedDB `onsite-queue`/`kv`
 * (idb-keyval: value {call, seq, at}) and localStorage `onsite:queue:*` (the same entry as JSON).
 */
const readStorage = async (): Promise<StoredEntry[]> => {
  const out: StoredEntry[] = []
  const take = (v: unknown) => {
    const call = (v as { call?: { messageId?: unknown; properties?: { fc?: unknown; n?: unknown } } } | null)?.call
    if (typeof call?.messageId === 'string') out.push({ messageId: call.messageId, fc: call.properties?.fc, n: call.properties?.n })
  }
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)
      if (!k?.startsWith('onsite:queue:')) continue
      try {
        take(JSON.parse(localStorage.getItem(k)!))
      } catch {}
    }
  } catch {}
  const idb = await new Promise<unknown[]>((resolve) => {
    setTimeout(() => resolve([]), 3000)
    try {
      const req = indexedDB.open('onsite-queue')
      // no such database: abort, so reading creates none (an empty v1 database would break idb-keyval later)
      req.onupgradeneeded = () => req.transaction?.abort()
      req.onerror = () => resolve([])
      req.onsuccess = () => {
        const db = req.result
        if (!db.objectStoreNames.contains('kv')) return db.close(), resolve([])
        const all = db.transaction('kv', 'readonly').objectStore('kv').getAll()
        all.onsuccess = () => (db.close(), resolve(all.result))
        all.onerror = () => (db.close(), resolve([]))
      }
    } catch {
      resolve([])
    }
  })
  idb.forEach(take)
  return out
}

const probe = async (run: Run): Promise<StoredEntry[]> => {
  const url = run.stack.page(PROBE_PATH, '<!doctype html><title>probe</title>')
  const found: StoredEntry[] = []
  for (const ctx of run.contexts) {
    const page = await ctx.newPage()
    try {
      await page.goto(url)
      found.push(...(await page.evaluate(readStorage)))
    } finally {
      await page.close()
    }
  }
  return found.filter((e) => e.fc === run.id)
}

interface Tally {
  ids: Set<string>
  ns: Set<number>
  duplicates: number
}
const tally = (run: Run): Tally => {
  const snap = run.stack.collector.snapshot()
  const mine = snap.events.filter(isMine(run.id)) as StoredCall[]
  const ids = new Set(mine.map((e) => e.messageId))
  const ns = new Set(mine.map(nOf))
  const wire = [...ids].reduce((sum, id) => sum + (snap.duplicates[id] ?? 0), 0)
  return { ids, ns, duplicates: wire + ids.size - ns.size }
}

/** Storage and the collector read as one picture: read again while calls arrived in between. */
const snapshotBoth = async (run: Run): Promise<{ t: Tally; stored: StoredEntry[] }> => {
  let before = tally(run)
  for (let i = 0; ; i++) {
    const stored = await probe(run)
    const t = tally(run)
    if (i === 2 || (t.ids.size === before.ids.size && t.duplicates === before.duplicates)) return { t, stored }
    before = t
  }
}

/** All delivered, and none of them still in storage (from where a later page would send it again). */
const settled = async (run: Run): Promise<boolean> => {
  if (run.delivered() < run.accepted) return false
  const { t, stored } = await snapshotBoth(run)
  return !stored.some((e) => t.ids.has(e.messageId))
}

export const measure = async (run: Run, t0: number, error?: string): Promise<Row> => {
  const { t, stored } = await snapshotBoth(run)
  const undelivered = new Set(stored.filter((e) => !t.ids.has(e.messageId)).map((e) => e.messageId)).size
  const texts = run.lines().map((l) => l.text)
  const dropped = texts.reduce((sum, s) => sum + Number(DROPPED.exec(s)?.[1] ?? 0), 0)
  const warned = texts.some((s) => MAY_LOSE.test(s))
  const delivered = t.ns.size
  const lost = Math.max(0, run.accepted - delivered - undelivered)
  const lostReported = warned ? lost : Math.min(lost, dropped)
  return {
    id: run.id,
    accepted: run.accepted,
    delivered,
    duplicates: t.duplicates,
    lost,
    lostReported,
    lostUnreported: lost - lostReported,
    stored: undelivered,
    deliveredStored: new Set(stored.filter((e) => t.ids.has(e.messageId)).map((e) => e.messageId)).size,
    dropped,
    warned,
    requests: run.requests(),
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    notes: run.notes,
    ...(error ? { error } : {}),
  }
}

/** Plays one case in fresh contexts against an emptied collector (no faults) and measures it. */
export const runCase = async (stack: Stack, c: FaultCase): Promise<Row> => {
  stack.collector.reset()
  const t0 = Date.now()
  const run = await createRun(stack, c.id)
  let error: string | undefined
  try {
    await c.scenario(run)
    // Not only delivered: a delivered call left in storage is sent again by a later page, and that
    // duplicate belongs in the row too.
    await until(() => settled(run), c.waitMs)
  } catch (e) {
    error = String((e as Error).message ?? e).split('\n')[0]
  }
  try {
    return await measure(run, t0, error)
  } finally {
    await run.close()
    stack.collector.reset()
  }
}

/** What is wrong with a row, as messages; empty: the case holds. */
export const verdict = (c: FaultCase, row: Row): string[] => {
  const out: string[] = []
  if (row.error) out.push(`scenario failed: ${row.error}`)
  if (row.lostUnreported) out.push(`${row.lostUnreported} lost unreported`)
  if (c.allDelivered !== false && row.lostReported) out.push(`${row.lostReported} lost (reported)`)
  if (!c.expectStored && row.stored) out.push(`${row.stored} stuck in storage`)
  return [...out, ...(c.checks?.(row) ?? [])]
}
