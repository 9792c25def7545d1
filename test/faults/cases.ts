// The fault cases: each a real scenario in Chromium against the local collector, which counts every
// messageId. The promise under test: every accepted call is delivered once per messageId, or reported as
// dropped. `npm run faults` prints their table (test/faults/main.ts); test/browser/faults.test.ts asserts it.
import type { Page, Request } from 'playwright'
import type { Faults } from '../../demo/collector.ts'
import { breakIndexedDB, breakLocalStorage, clockFromQuery, fillLocalStorageAfter, hangIndexedDB } from './browser.ts'
import { EVENT, until, type FaultCase, type Row, type Run } from './run.ts'

export { runCase, verdict, type FaultCase, type Row } from './run.ts'

const DOWN: Faults = { status: 503 }
const HEALTHY: Faults = { fail: 0 }
const HOURS = 3600_000
// A bare tracked call is about 600 B (context, ids, timestamps); these pads make the sizes the cases name.
const KB_STRING = 1024
const CALL_1_5KB = 900
const EMPTY_CART = JSON.stringify({ token: 'fault-cart', items: [], currency: 'USD', total_price: 0, item_count: 0 })

const lines = (want: boolean, msg: string) => (want ? [] : [msg])

/** The endpoint misbehaves as `faults` says while one page tracks `n` calls (of `bytes` each, when given). */
const onePage = (id: string, title: string, waitMs: number, faults: Faults, n: number, bytes = 0): FaultCase => ({
  id,
  title,
  waitMs,
  async scenario(run) {
    run.faults(faults)
    await run.track(await run.open(run.page('p')), n, { bytes })
  },
})

/** Polls the collector's request count: the page's send has arrived (and is hanging or delayed there). */
const sendArrives = (run: Run, before: number) => until(() => run.requests() > before, 5000)

/**
 * One bounce per fresh context: track 5 and leave at once, then the shopper comes back to an onsite page,
 * which delivers what the pagehide send did not (and must not send again what it did).
 */
const bounce = (id: string, shopify: boolean): FaultCase => ({
  id,
  title: `init, track 5, leave in the same task, come back later; 3 runs (${shopify ? 'dist/shopify/onsite.js' : 'dist/onsite.js'})`,
  // the pages that came back are still open: time for them to clear what was delivered (or resend it)
  waitMs: 20_000,
  async scenario(run) {
    if (shopify) run.stack.page('/cart.js', EMPTY_CART, { 'Content-Type': 'application/json' })
    const url = run.page('p', { config: run.config(shopify ? { shopify: { root: '/' } } : {}), shopify })
    const away = run.plain('away')
    const byLeaving: number[] = []
    const byComingBack: number[] = []
    for (let r = 0; r < 3; r++) {
      const page = await run.open(url, r ? await run.context() : run.ctx)
      const from = run.accepted
      const got = () => run.deliveredOf(from, from + 5)
      await run.track(page, 5, { navigate: away })
      await page.waitForURL(away)
      await until(() => got() === 5, 3000)
      byLeaving.push(got())
      await page.goto(url)
      await run.ready(page)
      await until(() => got() === 5, 10_000)
      byComingBack.push(got() - byLeaving[r]!)
    }
    run.note('by pagehide', byLeaving.join('/'))
    run.note('by coming back', byComingBack.join('/'))
  },
})

/**
 * The requests to the collector as the browser's network stack saw them start (Resource Timing misses
 * keepalive fetches in Chromium, so it is not used). Resolves the wall-clock ms at which the first request
 * carrying call `n` of `run` started, or undefined when none did within `ms`.
 */
const watchWire = (run: Run, page: Page) => {
  const seen: Request[] = []
  page.on('request', (r) => r.url().startsWith(run.stack.collectorUrl + '/') && seen.push(r))
  return async (n: number, ms: number): Promise<number | undefined> => {
    const tag = new RegExp(`"fc":"${run.id}","n":${n}[,}]`)
    let req: Request | undefined
    await until(() => !!(req = seen.find((r) => tag.test(r.postData() ?? ''))), ms)
    if (!req) return undefined
    // startTime is filled in from the browser's own record once the request has finished
    await req.response().catch(() => null)
    return req.timing().startTime
  }
}

/** Tracks call `n` and returns the page's wall clock (ms, sub-ms precision) just before. */
const trackAt = (run: Run, page: Page, n: number) =>
  page.evaluate(
    ({ event, fc, n }) => {
      const at = performance.timeOrigin + performance.now()
      ;(window as unknown as { onsite: { track(e: string, p: object): void } }).onsite.track(event, { fc, n })
      return at
    },
    { event: EVENT, fc: run.id, n },
  )

export const cases: FaultCase[] = [
  {
    id: 'long-page',
    title: 'one page, 6 bursts of 60 tracks (a 1 KB string each), one burst every 1.5 s',
    waitMs: 30_000,
    async scenario(run) {
      const page = await run.open(run.page('p'))
      for (let burst = 0; burst < 6; burst++) {
        if (burst) await run.sleep(1500)
        await run.track(page, 60, { bytes: KB_STRING })
      }
    },
  },
  onePage('503x5', 'the next 5 requests get 503, then healthy; track 20', 45_000, { fail: 5, status: 503 }, 20),
  onePage('500-30s', '500 to every request for 30 s; track 20 at the start', 65_000, { status: 500, forMs: 30_000 }, 20),
  onePage('413-16k', 'a proxy answers 413 to bodies over 16 KB; 60 calls of ~1.5 KB in one burst', 30_000, { maxBodyBytes: 16_384 }, 60, CALL_1_5KB),
  {
    id: 'nav-503',
    title: 'one 503; track 60 and navigate same-origin (to an onsite page) in the same task',
    waitMs: 30_000,
    async scenario(run) {
      run.faults({ fail: 1, status: 503 })
      const next = run.page('next')
      const page = await run.open(run.page('p'))
      await run.track(page, 60, { navigate: next })
      await page.waitForURL(next)
      await run.ready(page)
    },
  },
  {
    id: 'cross-origin-backlog',
    title: 'collector down; 3 pages each track 300 (~600 B) and leave for another origin; healthy; the shopper comes back',
    waitMs: 30_000,
    async scenario(run) {
      run.faults(DOWN)
      // 127.0.0.1 and localhost are different origins served by the same static server
      const away = run.plain('away').replace('//127.0.0.1:', '//localhost:')
      const page = await run.ctx.newPage()
      for (let k = 0; k < 3; k++) {
        await page.goto(run.page(`p${k}`))
        await run.ready(page)
        await run.track(page, 300, { navigate: away })
        await page.waitForURL(away)
      }
      run.faults(HEALTHY)
      await page.goto(run.page('back'))
      await run.ready(page)
    },
  },
  bounce('bounce', false),
  bounce('bounce-shopify', true),
  {
    id: 'no-storage-reload-down',
    title: 'IndexedDB and localStorage unusable, collector down; track 10, reload, collector up (loss must be reported)',
    waitMs: 5000,
    allDelivered: false,
    async scenario(run) {
      await breakIndexedDB(run.ctx)
      await breakLocalStorage(run.ctx)
      run.faults(DOWN)
      const page = await run.open(run.page('p'))
      await run.track(page, 10)
      await run.sleep(1500) // a send is tried and fails
      await page.reload()
      await run.ready(page)
      run.faults(HEALTHY)
    },
  },
  {
    id: 'idb-broken-ls-full',
    title: 'IndexedDB unusable, localStorage full after 10 onsite writes per page; track 20, reload',
    waitMs: 15_000,
    allDelivered: false,
    async scenario(run) {
      await breakIndexedDB(run.ctx)
      await fillLocalStorageAfter(run.ctx, 10)
      const page = await run.open(run.page('p'))
      await run.track(page, 20)
      await page.reload()
      await run.ready(page)
    },
  },
  {
    id: 'clock-back',
    title: 'track 10 with the collector down; the wall clock goes back 2 h, reload, collector healthy',
    waitMs: 20_000,
    async scenario(run) {
      await clockFromQuery(run.ctx)
      run.faults(DOWN)
      const url = run.page('p')
      const page = await run.open(url)
      await run.track(page, 10)
      await run.sleep(1500) // a send is tried and fails, leaving its lease and backoff behind
      run.faults(HEALTHY)
      await page.goto(`${url}?clock=${-2 * HOURS}`)
      await run.ready(page)
    },
  },
  {
    id: 'clock-ahead',
    title: 'clock +3 h, collector down, track 10; navigate same-origin to a page with the right clock, collector healthy',
    waitMs: 30_000,
    async scenario(run) {
      await clockFromQuery(run.ctx)
      run.faults(DOWN)
      const url = run.page('p')
      const page = await run.open(`${url}?clock=${3 * HOURS}`)
      await run.track(page, 10)
      await run.sleep(1500)
      run.faults(HEALTHY)
      await page.goto(url)
      await run.ready(page)
    },
  },
  {
    id: 'lease-crash',
    title: 'tabs A and B; collector hangs; A tracks 10 and is closed mid-send; healthy; B stays idle',
    waitMs: 30_000,
    async scenario(run) {
      const url = run.page('tab')
      const a = await run.open(url)
      await run.open(url) // B: no calls, no reload
      run.faults({ hang: true })
      const before = run.requests()
      await run.track(a, 10)
      run.note('A sending', (await sendArrives(run, before)) ? 'yes' : 'no')
      await a.close({ runBeforeUnload: false })
      run.faults({ hang: false })
    },
  },
  {
    id: 'idb-hang',
    title: 'indexedDB.open never settles; track 10, wait for delivery, reload twice',
    waitMs: 10_000,
    async scenario(run) {
      await hangIndexedDB(run.ctx)
      const page = await run.open(run.page('p'))
      await run.track(page, 10)
      run.note('before reloads', (await run.waitDelivered(15_000)) ? 'all' : String(run.delivered()))
      for (let i = 0; i < 2; i++) {
        await page.reload()
        await run.ready(page)
        // long enough for a resend: past storage.ts's 2 s IndexedDB give-up and the start-up flush
        await run.sleep(3000)
      }
    },
    checks: (row) => [...lines(row.duplicates === 0, `${row.duplicates} duplicates on the wire`), ...lines(row.deliveredStored === 0, `${row.deliveredStored} delivered but still stored`)],
  },
  {
    id: 'tab-close-mid-send',
    title: 'tabs A and B; answers take 1.5 s; A tracks 10 and is closed while its request is in flight; B reloads twice',
    waitMs: 30_000,
    async scenario(run) {
      run.faults({ delayMs: 1500 })
      const url = run.page('tab')
      const a = await run.open(url)
      const b = await run.open(url)
      const before = run.requests()
      await run.track(a, 10)
      run.note('A in flight', (await sendArrives(run, before)) ? 'yes' : 'no')
      await a.close({ runBeforeUnload: false })
      for (let i = 0; i < 2; i++) {
        await b.reload()
        await run.ready(b)
        await run.sleep(1000)
      }
    },
    // duplicates are allowed after a crash: the row shows how many
    checks: (row) => lines(row.deliveredStored === 0, `${row.deliveredStored} delivered but still stored`),
  },
  {
    id: 'bad-apiHost',
    title: "apiHost 'https://cdp.customer.oi/v1' (DNS fails), track 3: an error names apiHost within 70 s; 'cdp.customer.io/v1': one error",
    waitMs: 0,
    expectStored: true,
    async scenario(run) {
      const notUrl = 'cdp.customer.io/v1'
      const other = await run.context() // context 1: the value that is no URL at all
      await run.open(run.page('not-url', { config: run.config({ apiHost: notUrl }) }), other)
      const page = await run.open(run.page('typo', { config: run.config({ apiHost: 'https://cdp.customer.oi/v1' }) }))
      const t0 = Date.now()
      await run.track(page, 3)
      const named = (ctx: number, value = '') => run.lines(ctx).filter((l) => l.type === 'error' && l.text.includes('apiHost') && l.text.includes(value))
      const seen = await until(() => named(0).length > 0, 70_000)
      run.note('typo error after', seen ? `${((Date.now() - t0) / 1000).toFixed(1)} s` : 'none in 70 s')
      // a repeated error would come with the next sends: give them a moment before counting
      await run.sleep(Math.max(0, 3000 - (Date.now() - t0)))
      run.note('not-url error lines', named(1, notUrl).length)
    },
    checks: (row) => [
      ...lines(!String(row.notes['typo error after']).startsWith('none'), 'no [onsite] error names apiHost within 70 s (typo host)'),
      ...lines(row.notes['not-url error lines'] === 1, `${row.notes['not-url error lines']} error lines name apiHost and "cdp.customer.io/v1" (want 1)`),
    ],
  },
  {
    ...onePage('403-blip', '403 to every request for 3 s; track 10 (nothing may be dropped)', 45_000, { status: 403, forMs: 3000 }, 10),
    checks: (row) => lines(row.dropped === 0, `${row.dropped} dropped`),
  },
  {
    id: 'latency',
    title: 'a steady page: 7 isolated track() calls, time from the call to its request on the wire',
    waitMs: 10_000,
    async scenario(run) {
      const page = await run.open(run.page('p'))
      await run.sleep(1000) // init settled: the start-up flush is over
      const wire = watchWire(run, page)
      const samples: number[] = []
      for (let i = 0; i < 7; i++) {
        const n = run.next(1)
        const at = await trackAt(run, page, n)
        const started = await wire(n, 5000)
        samples.push(started === undefined ? Infinity : started - at)
        await until(() => run.deliveredOf(n, n + 1) === 1, 10_000)
        await run.sleep(300) // isolated: nothing else in flight or queued
      }
      const median = [...samples].sort((x, y) => x - y)[3]!
      run.note('median ms', Number.isFinite(median) ? Math.round(median) : '>5000')
      run.note('samples ms', samples.map((x) => (Number.isFinite(x) ? Math.round(x) : '>5000')).join('/'))
    },
    timing: (row: Row) => {
      const m = row.notes['median ms']
      return lines(typeof m === 'number' && m < 300, `median ${m} ms from track() to the wire (want < 300)`)
    },
  },
]
