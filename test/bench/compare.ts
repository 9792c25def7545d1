// onsite vs Customer.io's own browser library (@customerio/cdp-analytics-browser), in the same harness, with
// a fresh browser per measurement (a first visit: a new Chromium process, so no code cache, no HTTP cache and
// no warm process of any kind; `fresh: 'context'` shares one process between new contexts, which is faster).
// Prints a markdown table of medians and ratios.
// A number is printed only for calls the collector really stored; anything else is an error row.
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Browser, BrowserContext, Page, Request } from 'playwright'
import { launchBrowser } from '../chromium.ts'
import type { Stack } from '../browser/harness.ts'
import { ONSITE, ONSITE_DELIVERY, ONSITE_OFFERS, PEER_STANDALONE, PEER_UMD, PEER_VERSION, startCdn } from './cdn.ts'
import type { Cdn } from './cdn.ts'

const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
const WRITE_KEY = 'bench-key'
const EVENT = 'Bench Event'
type Lib = 'onsite' | 'peer'
const LIBS: readonly Lib[] = ['onsite', 'peer']

/** Metrics measured per run, in table order. */
const METRICS = {
  eval: 'script parse + evaluate + start-up from page config (inline script)',
  init: 'init call alone, its synchronous part (`onsite.init(config)`; Customer.io: `AnalyticsBrowser.load({ writeKey, cdnURL })`, UMD build)',
  cold: 'init call + `track()` in the same task → `fetch()` of that call (first visit; Customer.io fetches its settings first)',
  warm: '`track()` → `fetch()` of that call (library ready, idle)',
  net: '`track()` → request start in the browser network stack (library ready)',
  warm1: '`track()` → `fetch()`, onsite with `flushAt: 1` (Customer.io: as above, it sends each call at once)',
} as const
type Metric = keyof typeof METRICS

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const ms = (x: number) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1)) + ' ms'
const sleep = (n: number) => new Promise((r) => setTimeout(r, n))

/**
 * Installed before any page script: records when a script hands a request to the collector to the browser
 * (fetch, sendBeacon or XHR), on the page's clock, with its body to tell the calls apart. Both libraries look
 * `fetch` up on `window` at call time, so the wrapper sees their requests.
 */
const wireHook = (ingest: string[]) => `(() => {
  const to = ${JSON.stringify(ingest.map((u) => u + '/'))}
  const log = (window.__wire = [])
  const rec = (url, body) => { url = String(url); if (to.some((p) => url.startsWith(p))) log.push({ t: performance.now(), url, body: typeof body === 'string' ? body : '' }) }
  const f = window.fetch
  window.fetch = function (input, init) { rec(input && input.url ? input.url : input, init && init.body); return f.apply(this, arguments) }
  if (navigator.sendBeacon) { const b = navigator.sendBeacon.bind(navigator); navigator.sendBeacon = (u, d) => (rec(u, d), b(u, d)) }
  const o = XMLHttpRequest.prototype.open, s = XMLHttpRequest.prototype.send
  XMLHttpRequest.prototype.open = function (m, u) { this.__u = u; return o.apply(this, arguments) }
  XMLHttpRequest.prototype.send = function (body) { rec(this.__u, body); return s.apply(this, arguments) }
})()`

/**
 * Customer.io's JS snippet (the stub queue it installs as window.cioanalytics), with `load` reduced to what
 * the script tag it would insert tells the library: the write key, the load options and the CDN (here the
 * local one). Used where the library is inline, so no script tag is inserted.
 */
const peerStub = (cdn: string) => `!function(){var i="cioanalytics",a=window[i]=window[i]||[];if(a.initialize||a.invoked)return;a.invoked=!0;
a.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware"];
a.factory=function(e){return function(){var t=Array.prototype.slice.call(arguments);t.unshift(e);a.push(t);return a}};
for(var e=0;e<a.methods.length;e++){var k=a.methods[e];a[k]=a.factory(k)}
a.load=function(key,o){a._writeKey=key;a._loadOptions=o;a._cdn=${JSON.stringify(cdn)}};a.SNIPPET_VERSION="4.15.3";a.load(${JSON.stringify(WRITE_KEY)})}();`

interface Pages {
  /** New contexts in the stack's browser instead of a browser per measurement. */
  shared: boolean
  /** The eval page of onsite with `flushAt: 1`. */
  eval1: string
  cdn: string
  /** URL prefixes calls are sent to: the collector, for both libraries. */
  ingest: string[]
  eval: Record<Lib, string>
  init: Record<Lib, string>
}

function pages(stack: Stack, cdn: Cdn, shared: boolean): Pages {
  const config = JSON.stringify({ writeKey: WRITE_KEY, apiHost: stack.collectorUrl })
  // inline, the engine's tag goes first, so the core finds it and loads no file
  const onsite = [ONSITE_DELIVERY, ONSITE].map((f) => readFileSync(f, 'utf8')).join('</script><script>')
  const peer = readFileSync(PEER_STANDALONE, 'utf8')
  const head = '<!doctype html><title>bench</title>'
  return {
    shared,
    eval1: stack.page('/cmp/onsite-eval-flushat1', `${head}
<script type="application/json" id="onsite-config">${JSON.stringify({ writeKey: WRITE_KEY, apiHost: stack.collectorUrl, flushAt: 1 })}</script>
<script>${onsite}</script>`, ISOLATED),
    cdn: cdn.origin,
    ingest: [stack.collectorUrl],
    eval: {
      // as the existing eval row: the bundle inline between two marks, auto-init from #onsite-config
      onsite: stack.page('/cmp/onsite-eval', `${head}
<script type="application/json" id="onsite-config">${config}</script>
<script>window.t0=performance.now()</script><script>${onsite}</script><script>window.t1=performance.now()</script>`, ISOLATED),
      // the CDN build inline, started from the snippet's stub (write key, CDN) exactly as its script tag would be
      peer: stack.page('/cmp/peer-eval', `${head}
<script>${peerStub(cdn.origin)}</script>
<script>window.t0=performance.now()</script><script data-global-customerio-analytics-key="cioanalytics">${peer}</script><script>window.t1=performance.now()</script>`, ISOLATED),
    },
    init: {
      // the script loaded (no config in the page), then the page's own init call
      // with the README snippet's preload of the engine, as a store's page has it
      onsite: stack.page('/cmp/onsite-init', `${head}<link rel="preload" as="script" href="${cdn.onsiteSrc.replace(/[^/]*$/, 'onsite-delivery.js')}"><script src="${cdn.onsiteSrc}"></script>`, ISOLATED),
      peer: stack.page('/cmp/peer-init', `${head}<script src="${cdn.umdSrc}"></script>`, ISOLATED),
    },
  }
}

interface Ctx {
  /** The browser launched for this measurement alone (none when contexts share the stack's). */
  own?: Browser
  ctx: BrowserContext
  page: Page
  requests: Request[]
  external: string[]
  errors: string[]
}

/**
 * A new browser context (empty HTTP cache, no cookies or storage, its own renderer), cache disabled, CPU
 * throttled; in a browser launched for it alone unless `p.shared`.
 */
async function fresh(stack: Stack, p: Pages, rate: number): Promise<Ctx> {
  const own = p.shared ? undefined : await launchBrowser(process.env.CHROMIUM_PATH || undefined)
  const ctx = await (own ?? stack.browser).newContext()
  await ctx.addInitScript({ content: wireHook(p.ingest) })
  const page = await ctx.newPage()
  const cdp = await ctx.newCDPSession(page)
  await cdp.send('Emulation.setCPUThrottlingRate', { rate })
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  // a browser just launched still starts itself up for a while: the shopper's had been open and idle
  if (own) await sleep(500)
  const c: Ctx = { ...(own ? { own } : {}), ctx, page, requests: [], external: [], errors: [] }
  page.on('request', (r) => {
    if (p.ingest.some((u) => r.url().startsWith(u + '/'))) c.requests.push(r)
    else if (!/^(http:\/\/127\.0\.0\.1[:/]|data:|about:)/.test(r.url())) c.external.push(r.url())
  })
  page.on('pageerror', (e) => c.errors.push(e.message))
  return c
}

const tag = (id: string) => `"bench_run":"${id}"`

/**
 * Waits (in Node, without touching the page: polling the page would load its main thread during the
 * measurement) for the request carrying the call tagged `id`, then reads when the page handed it to
 * fetch/sendBeacon/XHR (page clock) and when the browser started it (wall clock, ms).
 */
async function wire(c: Ctx, id: string, within = 10_000): Promise<{ called?: number; started?: number }> {
  const deadline = Date.now() + within
  let req: Request | undefined
  while (!(req = c.requests.find((r) => (r.postData() ?? '').includes(tag(id)))) && Date.now() < deadline) await sleep(10)
  if (!req) return {}
  const called = await c.page.evaluate((needle) => ((window as any).__wire as Array<{ t: number; body: string }>).find((w) => w.body.includes(needle))?.t, tag(id))
  // startTime is filled in from the browser's own record once the request has finished
  await req.response().catch(() => null)
  return { ...(called === undefined ? {} : { called }), started: req.timing().startTime }
}

/** Whether the collector stored the track call tagged `id` (polls up to 5 s). */
async function arrived(stack: Stack, id: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (stack.collector.events().some((e) => e.type === 'track' && (e.properties as Record<string, unknown> | undefined)?.bench_run === id)) return true
    await sleep(50)
  }
  return false
}

/** calib: a fixed JS loop timed in the page after the measurements, to show the machine's speed and throttle. */
type Sample = Partial<Record<Metric, number>> & { problems: string[]; calib?: number }

/** Runs `fn` in a fresh context and closes it; what went wrong around it goes to the sample's problems. */
async function inFresh(stack: Stack, p: Pages, rate: number, s: Sample, fn: (c: Ctx) => Promise<void>): Promise<void> {
  const c = await fresh(stack, p, rate)
  try {
    await fn(c)
  } catch (e) {
    s.problems.push((e as Error).message.split('\n')[0]!)
  } finally {
    if (c.external.length) s.problems.push(`requests outside the bench: ${[...new Set(c.external)].join(', ')}`)
    if (c.errors.length) s.problems.push(`page errors: ${c.errors.join('; ')}`)
    await c.ctx.close()
    await c.own?.close()
  }
}

/** Once the library is ready and idle: track() → fetch() and → request start, for a call the collector stored. */
async function warmTrack(stack: Stack, c: Ctx, lib: Lib, id: string, s: Sample, called: Metric, started?: Metric): Promise<void> {
  const ready = c.page.evaluate(
    (lib) =>
      lib === 'onsite'
        ? (window as any).onsite.flush().then(() => true) // starts the core and sends what start-up queued
        : new Promise<boolean>((r) => (window as any).cioanalytics.ready(() => r(true))),
    lib,
  )
  if (!(await Promise.race([ready.catch(() => false), sleep(15_000).then(() => false)]))) return void s.problems.push(`${called}: library never ready`)
  await sleep(300) // start-up requests settle
  const { t, at } = await c.page.evaluate(
    ({ lib, id, event }) => {
      const w = window as any
      const t = performance.now()
      ;(lib === 'onsite' ? w.onsite : w.cioanalytics).track(event, { bench_run: id })
      return { t, at: performance.timeOrigin + t }
    },
    { lib, id, event: EVENT },
  )
  const w = await wire(c, id)
  if (w.called === undefined) return void s.problems.push(`${called}: the call was never sent`)
  if (!(await arrived(stack, id))) return void s.problems.push(`${called}: sent, not stored by the collector`)
  s[called] = w.called - t
  if (started && w.started !== undefined) s[started] = w.started - at
}

/**
 * One run of one library at one CPU rate, each part in a fresh context: the eval page (then track() once
 * ready), the init page, and for onsite the eval page again with `flushAt: 1`.
 */
async function runOnce(stack: Stack, p: Pages, lib: Lib, rate: number, run: string): Promise<Sample> {
  const s: Sample = { problems: [] }
  await inFresh(stack, p, rate, s, async (c) => {
    await c.page.goto(p.eval[lib])
    s.eval = await c.page.evaluate(() => (window as any).t1 - (window as any).t0)
    await warmTrack(stack, c, lib, `${run}-warm`, s, 'warm', 'net')
    s.calib = await c.page.evaluate(() => {
      const t = performance.now()
      let x = 0
      for (let i = 0; i < 1e7; i++) x += i % 7
      return performance.now() - t + (x < 0 ? 1 : 0)
    })
  })
  if (lib === 'onsite')
    await inFresh(stack, p, rate, s, async (c) => {
      await c.page.goto(p.eval1)
      await warmTrack(stack, c, lib, `${run}-warm1`, s, 'warm1')
    })
  else if (s.warm !== undefined) s.warm1 = s.warm // Customer.io's library sends each call at once already
  // the script already loaded (no config): the init call timed alone, then track() at once → wire
  await inFresh(stack, p, rate, s, async (c) => {
    await c.page.goto(p.init[lib])
    const id = `${run}-cold`
    const { t0, t1 } = await c.page.evaluate(
      ({ lib, id, event, key, apiHost, cdnURL }) => {
        const w = window as any
        const t0 = performance.now()
        const a = lib === 'onsite' ? (w.onsite.init({ writeKey: key, apiHost }), w.onsite) : w.AnalyticsNext.AnalyticsBrowser.load({ writeKey: key, cdnURL })
        const t1 = performance.now()
        a.track(event, { bench_run: id })
        return { t0, t1 }
      },
      { lib, id, event: EVENT, key: WRITE_KEY, apiHost: stack.collectorUrl, cdnURL: p.cdn },
    )
    s.init = t1 - t0
    const w = await wire(c, id)
    if (w.called === undefined) s.problems.push('cold: the call was never sent')
    else if (!(await arrived(stack, id))) s.problems.push('cold: sent, not stored by the collector')
    else s.cold = w.called - t0
  })
  return s
}

export interface CompareOptions {
  runs: number
  rates: readonly number[]
  /** 'browser' (a new Chromium per measurement) or 'context' (new contexts in one Chromium). */
  fresh: 'browser' | 'context'
}

/** Runs the comparison and prints its table; returns the table (markdown). */
export async function compare(stack: Stack, { runs, rates, fresh: mode }: CompareOptions): Promise<string> {
  const cdn = await startCdn(WRITE_KEY, stack.collectorUrl)
  const out: string[] = []
  const say = (line: string) => (console.log(line), out.push(line))
  try {
    const p = pages(stack, cdn, mode === 'context')
    const bytes = (file: string) => {
      const b = readFileSync(file)
      return { raw: b.length, gz: gzipSync(b, { level: 9 }).length }
    }
    const core = bytes(ONSITE)
    const engine = bytes(ONSITE_DELIVERY)
    // every page loads both: they are counted together
    const files = { onsite: { raw: core.raw + engine.raw, gz: core.gz + engine.gz }, peer: bytes(PEER_STANDALONE), umd: bytes(PEER_UMD) }
    // webpack chunks 573 (customerio-gist-web) + 926 (inAppPlugin): what the library loads when in-app is on
    const inApp = ['573.js', 'inAppPlugin.js'].map((f) => bytes(join(dirname(PEER_STANDALONE), f))).reduce((a, b) => ({ raw: a.raw + b.raw, gz: a.gz + b.gz }))
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
    const results: Record<number, Record<Lib, Sample[]>> = {}
    const t = Date.now()
    const load0 = loadavg().map((x) => x.toFixed(1)).join(' ')
    for (const rate of rates) {
      const r = (results[rate] = { onsite: [], peer: [] } as Record<Lib, Sample[]>)
      for (let i = 0; i < runs; i++) {
        // alternate the order so neither library always runs on a warmer machine
        for (const lib of i % 2 ? [...LIBS].reverse() : LIBS) r[lib].push(await runOnce(stack, p, lib, rate, `${lib}-${rate}x-${i}`))
      }
    }
    const served = [...new Set(cdn.log.map((l) => `${l.path} ${l.status}`))]
    // files loaded at runtime beyond the script itself (and the peer's settings), as the CDN saw them
    const extra = (lib: Lib) => {
      const main = /^\/(onsite\/onsite\.js|umd\/index\.js|v1\/analytics-js\/snippet\/.*|v1\/projects\/.*\/settings)$/
      const xs = cdn.log.filter((l) => !main.test(l.path) && l.path.startsWith('/onsite/') === (lib === 'onsite'))
      return xs.length ? [...new Set(xs.map((l) => `${l.path} (${l.status})`))].join(', ') : 'none'
    }
    const offers = existsSync(ONSITE_OFFERS) ? bytes(ONSITE_OFFERS) : undefined

    say('')
    say(`### onsite vs Customer.io (\`@customerio/cdp-analytics-browser\` ${PEER_VERSION}), n=${runs} runs per cell, ${mode === 'context' ? 'a new context per run in one Chromium' : 'a new Chromium per run'}, ${((Date.now() - t) / 1000).toFixed(0)} s`)
    say('')
    say('| metric | CPU | onsite median | Customer.io median | onsite / Customer.io |')
    say('| --- | --- | ---: | ---: | ---: |')
    say(`| script files of every page, raw (onsite: \`dist/onsite.js\` ${kb(core.raw)} + \`dist/onsite-delivery.js\` ${kb(engine.raw)}; Customer.io: \`dist/umd/standalone.js\`, its CDN build) | | ${kb(files.onsite.raw)} | ${kb(files.peer.raw)} | ${(files.onsite.raw / files.peer.raw).toFixed(2)} |`)
    say(`| script files of every page, gzip -9 (onsite: ${kb(core.gz)} + ${kb(engine.gz)}) | | ${kb(files.onsite.gz)} | ${kb(files.peer.gz)} | ${(files.onsite.gz / files.peer.gz).toFixed(2)} |`)
    say(`| further files loaded at runtime in these runs (from the CDN's log) | | ${extra('onsite')} | ${extra('peer')} | |`)
    say(`| on-site messages add-on, gzip -9, not loaded here (onsite: \`dist/onsite-offers.js\` when the config has offers; Customer.io: chunks 573.js + inAppPlugin.js when the workspace enables in-app) | | ${offers ? `${kb(offers.gz)} more` : 'in the file above'} | ${kb(inApp.gz)} more | ${offers ? (offers.gz / inApp.gz).toFixed(2) : ''} |`)
    const problems: string[] = []
    for (const [m, label] of Object.entries(METRICS) as Array<[Metric, string]>) {
      for (const rate of rates) {
        const cell = (lib: Lib) => {
          const xs = results[rate]![lib].map((s) => s[m]).filter((x): x is number => x !== undefined)
          return { xs, med: xs.length ? median(xs) : NaN, missing: runs - xs.length }
        }
        const [a, b] = [cell('onsite'), cell('peer')]
        const show = (c: ReturnType<typeof cell>) => (c.xs.length ? ms(c.med) : 'ERROR') + (c.missing ? ` (${c.missing}/${runs} runs failed)` : '')
        const ratio = a.xs.length && b.xs.length ? (a.med / b.med).toFixed(2) : 'n/a'
        say(`| ${label} | ${rate}x | ${show(a)} | ${show(b)} | ${ratio} |`)
      }
    }
    for (const rate of rates)
      for (const lib of LIBS)
        results[rate]![lib].forEach((s, i) => s.problems.length && problems.push(`${lib} ${rate}x run ${i}: ${s.problems.join('; ')}`))
    // the assertion behind every number: the measured calls are in the collector
    const stored = (lib: Lib) => stack.collector.events().filter((e) => String((e.properties as Record<string, unknown> | undefined)?.bench_run ?? '').startsWith(`${lib}-`)).length
    const expected = { onsite: 3 * runs * rates.length, peer: 2 * runs * rates.length }
    const calib = rates.map((rate) => {
      const xs = LIBS.flatMap((lib) => results[rate]![lib].map((s) => s.calib).filter((x): x is number => x !== undefined))
      return `${ms(median(xs))} at ${rate}x`
    })
    say('')
    say(`Machine check: a fixed JS loop (1e7 iterations) took ${calib.join(', ')} (median over the runs); load average ${load0} before, ${loadavg().map((x) => x.toFixed(1)).join(' ')} after.`)
    say(`Measured calls stored by the collector: onsite ${stored('onsite')}/${expected.onsite}, Customer.io ${stored('peer')}/${expected.peer} (a number above counts only stored calls).`)
    say(`Customer.io UMD build of the npm API (\`dist/umd/index.js\`, used for the init rows): ${kb(files.umd.raw)} raw, ${kb(files.umd.gz)} gzip.`)
    say(`CDN requests seen: ${served.join(', ')}`)
    if (problems.length) {
      say('')
      say(`ERRORS (${problems.length} runs; their numbers are left out above):`)
      for (const x of [...new Set(problems)].slice(0, 20)) say(`- ${x}`)
    }
  } finally {
    await cdn.close()
  }
  return out.join('\n')
}
