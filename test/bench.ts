// `npm run bench`: prints size and speed numbers of the built dist/onsite.js in Chromium, then the same
// measurements of onsite and of Customer.io's own browser library side by side (test/bench/compare.ts). It
// measures; it asserts nothing about speed (timed assertions flake), only that the measured calls arrived.
// Numbers go to the README by hand. BENCH_RUNS=n (default 15) runs per row; BENCH_ONLY=onsite|compare runs
// one part; BENCH_FRESH=context runs the comparison in new contexts of one Chromium instead of a new
// Chromium per run.
import { existsSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { ensureChromium } from './chromium.ts'
import { startStack } from './browser/harness.ts'
import { compare } from './bench/compare.ts'

// Cross-origin isolation gives performance.now() 5 us resolution instead of 100 us.
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
const RUNS = Number(process.env.BENCH_RUNS) || 15
const ONLY = process.env.BENCH_ONLY ?? ''
const RATES = [1, 4] as const
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
const fmt = (xs: number[], missed = 0) =>
  xs.length ? `median ${q(xs, 0.5).toFixed(2)} ms, p95 ${q(xs, 0.95).toFixed(2)} ms (n=${xs.length}${missed ? `, ${missed} timed out and left out` : ''})` : `ERROR: every run timed out (${missed})`

process.env.CHROMIUM_PATH ||= ensureChromium()
// The core and the delivery engine it loads on every page, inline as one store could put them (the engine's
// tag first: the core then finds it and loads nothing).
const code = ['dist/onsite-delivery.js', 'dist/onsite.js'].map((f) => readFileSync(f, 'utf8')).join('</script><script>')
// dist/onsite-offers.js: the offers, a third file the script-tag build loads when the config has offers
for (const f of ['dist/onsite.js', 'dist/onsite-delivery.js', 'dist/onsite-offers.js'].filter((f) => existsSync(f))) {
  const b = readFileSync(f)
  console.log(`${f}: ${b.length} B raw, ${gzipSync(b, { level: 9 }).length} B gzip`)
}

const stack = await startStack()
try {
  if (ONLY !== 'compare') await onsiteRows()
  if (ONLY !== 'onsite') await compare(stack, { runs: RUNS, rates: RATES, fresh: process.env.BENCH_FRESH === 'context' ? 'context' : 'browser' })
} finally {
  await stack.close()
}

async function onsiteRows() {
  const config = { writeKey: 'bench-key', apiHost: stack.collectorUrl }
  const json = JSON.stringify(config)
  // The bundle inline between two marks: parse + evaluate + auto-init from #onsite-config, no network.
  const evalPage = stack.page('/eval', `<!doctype html><title>bench</title>
<script type="application/json" id="onsite-config">${json}</script>
<script>window.t0=performance.now()</script><script>${code}</script><script>window.t1=performance.now()</script>`, ISOLATED)
  // From track() to the moment its batch is handed to fetch() (a wrapper in the page).
  const wirePage = (extra: object) =>
    stack.page(`/wire${Object.keys(extra).join('')}`, `<!doctype html><title>bench</title>
<script type="application/json" id="onsite-config">${JSON.stringify({ ...config, ...extra })}</script>
<script src="/dist/onsite.js"></script>`, ISOLATED)

  // From the script tag, and from init(), to the decision and to the popup on screen, with one offer for
  // everyone. Script tag: the bundle is fetched and auto-inits from #onsite-config. init(): the page calls
  // onsite.init() itself once the script has run (no #onsite-config), timed from that call. "Decided" is
  // the task that decides and renders an immediate popup (a MutationObserver sees its host element
  // arrive); "painted" is two animation frames later.
  // no view cap, so the next page view of the same visitor shows it again
  const offer = { id: 'bench', kind: 'popup', frequency: { maxViews: 0 }, content: { title: 'Bench offer', body: '10% off', form: 'email' } }
  const offerConfig = JSON.stringify({ ...config, offers: [offer] })
  const watch = `<script>new MutationObserver((_, o) => {
  if (!document.querySelector('onsite-offer')) return
  o.disconnect()
  window.td = performance.now()
  requestAnimationFrame(() => requestAnimationFrame(() => (window.tp = performance.now())))
}).observe(document.documentElement, { childList: true, subtree: true })</script>`
  // the two files the core loads here, preloaded as the Shopify snippet and the README's snippet do
  const preload = ['onsite-delivery.js', 'onsite-offers.js'].map((f) => `<link rel="preload" as="script" href="/dist/${f}">`).join('')
  const offerPages = {
    'script tag': stack.page('/offer-tag', `<!doctype html><title>bench</title>
<script type="application/json" id="onsite-config">${offerConfig}</script>${watch}
<script>window.t0=performance.now()</script>${preload}<script src="/dist/onsite.js"></script>`, ISOLATED),
    'init()': stack.page('/offer-init', `<!doctype html><title>bench</title>${watch}${preload}
<script src="/dist/onsite.js" onload='window.t0=performance.now();onsite.init(${offerConfig})'></script>`, ISOLATED),
  }

  for (const rate of RATES) {
    const ctx = await stack.browser.newContext()
    const page = await ctx.newPage()
    const cdp = await ctx.newCDPSession(page)
    await cdp.send('Emulation.setCPUThrottlingRate', { rate })
    const evalMs: number[] = []
    for (let i = 0; i < RUNS; i++) {
      await page.goto(evalPage)
      evalMs.push(await page.evaluate(() => (window as any).t1 - (window as any).t0))
    }
    console.log(`script evaluation + init(), CPU ${rate}x: ${fmt(evalMs)}`)
    for (const [label, extra] of [['default config', {}], ['flushAt: 1', { flushAt: 1 }]] as const) {
      const wire: number[] = []
      const url = wirePage(extra)
      for (let i = 0; i < Math.ceil(RUNS / 2); i++) {
        await page.goto(url)
        await page.waitForFunction(() => (window as any).onsite.version)
        // let the start-up flush of earlier runs' calls go first
        await page.waitForTimeout(100)
        wire.push(
          await page.evaluate(
            () =>
              new Promise<number>((resolve) => {
                // The moment fetch() is called for a batch is when the request leaves the script.
                const w = window as any
                const real = w.fetch
                const t = performance.now()
                w.fetch = (url: string, init: unknown) => {
                  if (String(url).endsWith('/b')) resolve(performance.now() - t)
                  return real(url, init)
                }
                w.onsite.track('Bench Event', { n: 1 })
              }),
          ),
        )
      }
      console.log(`track() to request on the wire, ${label}, CPU ${rate}x: ${fmt(wire)}`)
    }
    for (const [from, url] of Object.entries(offerPages)) {
      // a visitor's first page view (a new browser context: IndexedDB created, no ids yet), then their next
      const rows = { 'first page view': { decided: [] as number[], painted: [] as number[], missed: 0 }, 'next page view': { decided: [] as number[], painted: [] as number[], missed: 0 } }
      for (let i = 0; i < RUNS; i++) {
        const c = await stack.browser.newContext()
        const p = await c.newPage()
        await (await c.newCDPSession(p)).send('Emulation.setCPUThrottlingRate', { rate })
        for (const row of Object.values(rows)) {
          await p.goto(url)
          // a popup that never shows is counted and printed, not a crash of the whole bench
          if (!(await p.waitForFunction(() => (window as any).tp, undefined, { timeout: 10_000 }).then(() => true, () => false))) {
            row.missed++
            continue
          }
          const [d, s] = await p.evaluate(() => [(window as any).td - (window as any).t0, (window as any).tp - (window as any).t0])
          row.decided.push(d!)
          row.painted.push(s!)
        }
        await c.close()
      }
      for (const [view, { decided, painted, missed }] of Object.entries(rows)) {
        console.log(`${from} to offer decided (popup in the DOM), ${view}, CPU ${rate}x: ${fmt(decided, missed)}`)
        console.log(`${from} to popup painted, ${view}, CPU ${rate}x: ${fmt(painted, missed)}`)
      }
    }
    await ctx.close()
  }
}
