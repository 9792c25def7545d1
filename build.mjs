// Builds the storefront script (IIFE for <script async>), the ESM build with types, and the Node
// collector and demo server. Prints raw and gzip size per file; `--check` fails past the budgets.
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { minify } from 'terser'

const args = new Set(process.argv.slice(2))
const quiet = args.has('--quiet')

/**
 * gzip bytes per built browser file: ceilings about 5% above the build, so the next fix does not have to
 * raise them; lower them with every cut, raise them only with the reason in the commit. Not met: the issue's
 * 10 KB target for the core, dist/onsite.js (`npm run size` shows where its bytes go).
 */
export const BUDGETS = {
  // the core: the API, config, consent, identity, capture; loads the two files below from next to itself
  'dist/onsite.js': 12850,
  // the delivery engine, on every page: outbox, storage tiers, retry, locks, transport;
  // dist/shopify/onsite-delivery.js is the same file
  'dist/onsite-delivery.js': 5400,
  // the offers, on pages with offers (decide, variants, render, styles, forms, codes fetched from codeUrl,
  // Wisepops, the decision log for attribution); dist/shopify/onsite-offers.js is the same file
  'dist/onsite-offers.js': 12650,
  // the npm build's entry: the API, the core and the delivery engine (the offers are a chunk of their own)
  'dist/onsite.mjs': 13300,
  // the npm build's files together: the entry, the offers and the code they share (dist/esm/)
  'npm build, all files': 29400,
  // the core plus the cart capture
  'dist/shopify/onsite.js': 17250,
  // The checkout pixel: about half of it is the storefront's own config, validation, PII scrub and
  // transport modules, reused so both send the same calls.
  'dist/shopify-pixel.js': 8500,
}

// Safari 14 / Chrome 91 / Firefox 80: optional chaining ships untranspiled (esbuild lowers it below Chrome 91
// for a V8 bug); older browsers are a rounding error on storefronts in 2026.
export const target = ['es2020', 'chrome91', 'safari14', 'firefox80']
export const browser = { bundle: true, minify: true, sourcemap: true, target, legalComments: 'none', logLevel: 'warning' }

/**
 * esbuild bundles and minifies; terser then compresses once more (two passes, no `unsafe` options): 4-5%
 * smaller gzip on these bundles, measured, because it inlines and merges more than esbuild's single pass.
 * The source map is carried through, so stack traces still point at src/.
 */
// A fresh object per call: terser writes into the options it is given (the ESM build's `module: true`
// reached the IIFE builds running beside it and dropped their "use strict" at random, 13 B run to run).
export const terserOptions = () => ({ ecma: 2020, compress: { passes: 2 }, mangle: { toplevel: true } })
const squeezeFile = async (file, esm) => {
  const out = await minify(readFileSync(file, 'utf8'), {
    ...terserOptions(), module: esm,
    sourceMap: { content: readFileSync(file + '.map', 'utf8'), url: basename(file) + '.map' },
  })
  writeFileSync(file, out.code)
  writeFileSync(file + '.map', out.map)
}
const squeeze = async (opts) => {
  await build(opts)
  await squeezeFile(opts.outfile, opts.format === 'esm')
}
/** A build that writes several files (code splitting): each one squeezed; returns their paths. */
const squeezeAll = async (opts) => {
  const { metafile } = await build({ ...opts, metafile: true })
  const files = Object.keys(metafile.outputs).filter((f) => !f.endsWith('.map'))
  await Promise.all(files.map((f) => squeezeFile(f, true)))
  return files
}

// Imported (test/size.mjs reuses the options above): build nothing.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()

async function main() {
  rmSync('dist', { recursive: true, force: true })
  await Promise.all([
    squeeze({ ...browser, entryPoints: ['src/global.ts'], outfile: 'dist/onsite.js', format: 'iife' }),
    // The npm build: split at the offers' import(), so an app's bundler keeps them out of its main chunk too
    // (inlined into one file, the import() was gone and every app shipped the offers on every page).
    squeezeAll({ ...browser, entryPoints: { onsite: 'src/index.ts' }, outdir: 'dist', format: 'esm', splitting: true, chunkNames: 'esm/[name]-[hash]', outExtension: { '.js': '.mjs' } }),
    // The delivery engine and the offers, loaded by the two script-tag builds from next to their own URL
    // (src/util/script.ts): the engine on every page, the offers on pages with offers.
    squeeze({ ...browser, entryPoints: ['src/delivery/chunk.ts'], outfile: 'dist/onsite-delivery.js', format: 'iife' }),
    squeeze({ ...browser, entryPoints: ['src/offers/chunk.ts'], outfile: 'dist/onsite-offers.js', format: 'iife' }),
    // The Shopify build: the same plus the cart capture; the theme snippet loads it (shopify/README.md).
    squeeze({ ...browser, entryPoints: ['src/global-shopify.ts'], outfile: 'dist/shopify/onsite.js', format: 'iife' }),
    // The Shopify checkout pixel: pasted as a custom pixel, it defines onsitePixel() (see src/shopify-pixel.ts).
    squeeze({ ...browser, entryPoints: ['src/shopify-pixel.ts'], outfile: 'dist/shopify-pixel.js', format: 'iife' }),
    build({
      entryPoints: {
        collector: 'demo/collector.ts', 'demo-server': 'demo/server.ts', bench: 'test/bench.ts', faults: 'test/faults/main.ts',
        // the audience service (npm's onsite/audiences and the onsite-audiences bin) and the lift report (onsite-report)
        audiences: 'src/audiences-server/index.ts', 'audiences-cli': 'src/audiences-server/cli.ts', 'bench-audiences': 'test/bench/audiences.ts',
        report: 'src/report/index.ts', 'report-cli': 'src/report/cli.ts', 'bench-report': 'test/bench/report.ts', simulate: 'demo/simulate.ts',
      },
      outdir: 'dist', outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm', packages: 'external', target: 'node20', sourcemap: true, logLevel: 'warning',
    }),
  ])
  // the Shopify build's engine and offers: the same files, uploaded beside dist/shopify/onsite.js
  for (const f of ['onsite-delivery.js', 'onsite-offers.js']) for (const ext of ['', '.map']) copyFileSync(`dist/${f}${ext}`, `dist/shopify/${f}${ext}`)
  // the report's SQL, read by dist/report.mjs from beside itself (and shipped for warehouses)
  copyFileSync('src/report/lift.sql', 'dist/lift.sql')
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', 'src/index.ts', '--declaration', '--emitDeclarationOnly', '--outDir', 'dist/types',
    '--strict', '--target', 'es2020', '--module', 'esnext', '--moduleResolution', 'bundler', '--allowImportingTsExtensions', '--skipLibCheck', '--lib', 'es2022,dom'], { stdio: 'inherit' })
  // tsc keeps the sources' './x.ts' specifiers in declarations; './x.js' is what every moduleResolution of a
  // consumer maps to ./x.d.ts (test/unit/package.test.ts compiles the packed package as a consumer would).
  for (const f of readdirSync('dist/types', { recursive: true })) {
    const p = 'dist/types/' + f
    if (p.endsWith('.d.ts')) writeFileSync(p, readFileSync(p, 'utf8').replace(/((?:from|import\()\s*(['"])\.\.?\/[\w/-]+)\.ts\2/g, '$1.js$2'))
  }

  let over = 0
  const sizes = (files) => files.map((f) => readFileSync(f)).reduce(([raw, gz], b) => [raw + b.length, gz + gzipSync(b, { level: 9 }).length], [0, 0])
  const npm = ['dist/onsite.mjs', ...readdirSync('dist/esm').filter((f) => f.endsWith('.mjs')).map((f) => 'dist/esm/' + f)]
  const rows = ['dist/onsite.js', 'dist/onsite-delivery.js', 'dist/onsite-offers.js', 'dist/onsite.mjs', 'npm build, all files', 'dist/shopify/onsite.js', 'dist/shopify-pixel.js', 'dist/collector.mjs', 'dist/demo-server.mjs']
  for (const file of rows) {
    const [raw, gz] = sizes(file == 'npm build, all files' ? npm : [file])
    const budget = BUDGETS[file]
    const flag = budget ? (gz > budget ? `  OVER BUDGET ${budget} B` : `  (budget ${budget} B)`) : ''
    if (budget && gz > budget) over++
    if (!quiet || flag.includes('OVER')) console.log(`${file.padEnd(24)} ${String(raw).padStart(7)} B raw  ${String(gz).padStart(6)} B gzip${flag}`)
  }
  if (over && args.has('--check')) {
    console.error('[onsite build] size budget exceeded: shrink the code or raise the budget in build.mjs with a reason')
    process.exit(1)
  }
}
