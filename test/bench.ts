// `npm run bench`: prints size and speed numbers of the built dist/onsite.js in Chromium. It measures;
// it asserts nothing (timed assertions flake). Numbers go to the README by hand.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { ensureChromium } from './chromium.ts'
import { startStack } from './browser/harness.ts'

// Cross-origin isolation gives performance.now() 5 us resolution instead of 100 us.
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
const RUNS = Number(process.env.BENCH_RUNS) || 25
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
const fmt = (xs: number[]) => `median ${q(xs, 0.5).toFixed(2)} ms, p95 ${q(xs, 0.95).toFixed(2)} ms (n=${xs.length})`

process.env.CHROMIUM_PATH ||= ensureChromium()
const code = readFileSync('dist/onsite.js', 'utf8')
console.log(`dist/onsite.js: ${code.length} B raw, ${gzipSync(code, { level: 9 }).length} B gzip`)

const stack = await startStack()
try {
  const config = { writeKey: 'bench-key', apiHost: stack.collectorUrl }
  const json = JSON.stringify(config)
  // The bundle inline between two marks: parse + evaluate + auto-init from #onsite-config, no network.
  const evalPage = stack.page('/eval', `<!doctype html><title>bench</title>
<script type="application/json" id="onsite-config">${json}</script>
<script>window.t0=performance.now()</script><script>${code}</script><script>window.t1=performance.now()</script>`, ISOLATED)
  // From track() to the request leaving the page, read from Resource Timing.
  const wirePage = (extra: object) =>
    stack.page(`/wire${Object.keys(extra).join('')}`, `<!doctype html><title>bench</title>
<script type="application/json" id="onsite-config">${JSON.stringify({ ...config, ...extra })}</script>
<script src="/dist/onsite.js"></script>`, ISOLATED)

  // From the script tag to a decision (explain() answers) and to the popup open on screen, with one offer
  // for everyone, after two animation frames so it was painted.
  const offer = { id: 'bench', kind: 'popup', content: { title: 'Bench offer', body: '10% off', form: 'email' } }
  const offerPage = stack.page('/offer', `<!doctype html><title>bench</title>
<script type="application/json" id="onsite-config">${JSON.stringify({ ...config, offers: [offer] })}</script>
<script>window.t0=performance.now()</script><script src="/dist/onsite.js"></script>`, ISOLATED)

  for (const rate of [1, 4]) {
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
    for (const [label, extra] of [['default config (flushIntervalMs 1000)', {}], ['flushAt: 1', { flushAt: 1 }]] as const) {
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
    const decided: number[] = []
    const painted: number[] = []
    for (let i = 0; i < RUNS; i++) {
      // a new context each time: a popup seen once is capped for the day
      const c = await stack.browser.newContext()
      const p = await c.newPage()
      await (await c.newCDPSession(p)).send('Emulation.setCPUThrottlingRate', { rate })
      await p.goto(offerPage)
      const [d, s] = await p.evaluate(
        () =>
          new Promise<[number, number]>((resolve) => {
            let d = 0
            const tick = () => {
              const w = window as any
              if (!d && w.onsite?.explain?.()) d = performance.now()
              const open = document.querySelector('onsite-offer')?.shadowRoot?.querySelector('dialog[open]')
              if (d && open) requestAnimationFrame(() => requestAnimationFrame(() => resolve([d - w.t0, performance.now() - w.t0])))
              else requestAnimationFrame(tick)
            }
            tick()
          }),
      )
      decided.push(d)
      painted.push(s)
      await c.close()
    }
    console.log(`script tag to offer decision, CPU ${rate}x: ${fmt(decided)}`)
    console.log(`script tag to popup painted, CPU ${rate}x: ${fmt(painted)}`)
    await ctx.close()
  }
} finally {
  await stack.close()
}
