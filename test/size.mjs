// `npm run size`: where the bytes of dist/onsite.js (the core), dist/onsite-delivery.js (the delivery engine
// it loads on every page) and dist/onsite-offers.js (the offers it loads on pages with offers) go, and what
// each would weigh without some of its parts.
// Same esbuild + terser options as build.mjs; every row is a real build, gzip -9 like the budgets. The
// counterfactual rows answer "what would it take to reach the 10 KB target" with numbers, not guesses.
import { build } from 'esbuild'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { minify } from 'terser'
import ts from 'typescript'
import { browser, terserOptions } from '../build.mjs'


// Stand-ins with the same exports and no behaviour, by file name; `?real` imports the file as it is, for a
// stand-in that keeps some of its exports.
const STUBS = {
  // the offers: the offer still decides and counts, nothing renders
  render: {
    'render.ts': 'export const renderOffer = (..._: unknown[]): undefined => undefined',
    'wisepops.ts': "export const HANDOVER_EVENT = ''; export const segmentsValue = (_: unknown) => ''; export const connectWisepops = (..._: unknown[]): undefined => undefined",
  },
  // the core: track() sends any properties of a semantic event unchecked
  checks: { 'validate.ts': "export const validateEvent = (..._: unknown[]) => ''" },
  // the core: emails and phones in event properties go on the wire
  scrub: { 'traits.ts': "export { EMAIL, normalizeEmail, normalizePhone, cleanTraits } from './traits.ts?real'; export const cutPII = (s: string) => s; export const scrubPII = (p: unknown) => [p, []]" },
  // the core: no onsite_offers on cart and order events, no purchase seen by the governance
  history: {
    'history.ts': 'export const createHistory = (_: unknown) => ({ get: () => ({}), observe: () => undefined, clear() {} })',
    'attribution.ts': "export const HISTORY_KEY = ''; export const ATTRIBUTED = /$^/; export const live = (..._: unknown[]) => []",
  },
}

/** Replaces the arguments of every error()/warn()/debug() call with '' (the console line stays, empty). */
const silence = (path, src) => {
  const sf = ts.createSourceFile(path, src, ts.ScriptTarget.Latest, true)
  const cuts = []
  const visit = (n) => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && ['error', 'warn', 'debug'].includes(n.expression.text) && n.arguments.length)
      return void cuts.push([n.arguments[0].getStart(), n.arguments.at(-1).getEnd()])
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return cuts.sort((a, b) => b[0] - a[0]).reduce((s, [from, to]) => s.slice(0, from) + "''" + s.slice(to), src)
}

const variant = async (entry, { stub = [], quiet = false } = {}) => {
  const stubs = Object.assign({}, ...stub.map((k) => STUBS[k]))
  const plugin = {
    name: 'variant',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]([\w-]+[\\/])?[\w-]+\.ts$/ }, ({ path, suffix }) => {
        const name = path.split(/[\\/]/).at(-1)
        if (stubs[name] && suffix !== '?real') return { contents: stubs[name], loader: 'ts' }
        const src = readFileSync(path, 'utf8')
        return { contents: quiet ? silence(path, src) : src, loader: 'ts' }
      })
    },
  }
  const r = await build({ ...browser, sourcemap: false, entryPoints: [entry], write: false, metafile: true, format: 'iife', outfile: 'x.js', plugins: [plugin] })
  const code = (await minify(r.outputFiles[0].text, terserOptions())).code
  return { gz: gzipSync(code, { level: 9 }).length, raw: code.length, meta: r.metafile }
}

const kb = (n) => (n / 1000).toFixed(1) + ' KB'

/** Per-module bytes of one file, then its what-if builds: the stand-ins `cuts` names, one at a time and all. */
const report = async (file, entry, cuts) => {
  const full = await variant(entry)
  console.log(`${file} (${entry}): ${kb(full.raw)} raw, ${full.gz} B gzip (build.mjs counts its sourceMappingURL line too, ~30 B more)\n`)
  console.log('minified bytes per module, before terser (gzip works on the whole file, so shares are approximate):')
  const inputs = Object.values(full.meta.outputs)[0].inputs
  const total = Object.values(inputs).reduce((s, i) => s + i.bytesInOutput, 0)
  for (const [name, { bytesInOutput: n }] of Object.entries(inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)) {
    if (n) console.log(`  ${String(n).padStart(6)} B  ${((100 * n) / total).toFixed(1).padStart(4)}%  ${name}`)
  }
  console.log(`\nwhat-if builds of ${file} (gzip -9):`)
  const rows = [
    ['as built', full],
    ['without console message texts', await variant(entry, { quiet: true })],
    ...(await Promise.all(Object.entries(cuts).map(async ([k, what]) => [what, await variant(entry, { stub: [k] })]))),
    ...(Object.keys(cuts).length ? [['without all of these and the console texts', await variant(entry, { stub: Object.keys(cuts), quiet: true })]] : []),
  ]
  for (const [what, v] of rows) console.log(`  ${String(v.gz).padStart(6)} B  ${(v.gz - full.gz).toString().padStart(6)} B  ${what}`)
  console.log('')
}

await report('dist/onsite.js', 'src/global.ts', {
  checks: 'without the event checks (track sends semantic events unchecked)',
  scrub: 'without the PII scrub (emails and phones in properties go on the wire)',
  history: 'without the offer history (no onsite_offers on cart and order events)',
})
await report('dist/onsite-delivery.js', 'src/delivery/chunk.ts', {})
await report('dist/onsite-offers.js', 'src/offers/chunk.ts', { render: 'without the renderer and the Wisepops bridge' })
