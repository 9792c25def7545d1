// The npm package as a consumer gets it: `npm pack` of the built repo, unpacked into a scratch project's
// node_modules, then the README's npm lines compiled with tsc (strict) and imported by Node. Needs dist/
// (npm test builds first). A wrong `types` path once shipped a package without declarations.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
let dir: string
let packed: string[]

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onsite-pkg-'))
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[]
  packed = info!.files.map((f) => f.path)
  const into = join(dir, 'node_modules/onsite')
  mkdirSync(into, { recursive: true })
  execFileSync('tar', ['-xzf', join(dir, info!.filename), '-C', into, '--strip-components=1'])
  writeFileSync(join(dir, 'package.json'), '{"type": "module", "private": true}')
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const compile = (moduleResolution: string, module: string) => {
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--exactOptionalPropertyTypes', '--skipLibCheck', 'false',
      '--lib', 'es2022,dom', '--target', 'es2022', '--module', module, '--moduleResolution', moduleResolution, 'app.ts'], { cwd: dir, encoding: 'utf8' })
    return ''
  } catch (e) {
    return String((e as { stdout?: string }).stdout || e)
  }
}

describe('the npm package', () => {
  it('holds every file its package.json points at, and the script-tag builds', () => {
    const targets = [pkg.main, pkg.module, pkg.types, pkg.exports['.'].types, pkg.exports['.'].import].map((p: string) => p.replace(/^\.\//, ''))
    for (const t of [...targets, 'dist/onsite.js', 'dist/onsite-delivery.js', 'dist/onsite-offers.js', 'dist/shopify/onsite.js', 'dist/shopify/onsite-delivery.js', 'dist/shopify/onsite-offers.js', 'dist/shopify-pixel.js']) expect(packed).toContain(t)
    // what it needs at run time is bundled: a consumer installs nothing else
    expect(pkg.dependencies ?? {}).toEqual({})
    expect(packed.filter((p) => /^(src|test|demo)\//.test(p))).toEqual([])
  })

  it.each([
    ['bundler', 'esnext'],
    ['node16', 'node16'],
  ])("the README's npm lines compile with tsc --strict (moduleResolution %s), and the types catch a mistake", (resolution, module) => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const lines = /## Install with npm[^]*?```ts\n([^]*?)```/.exec(readme)![1]!
    const typed = "\nimport type { OnsiteConfig, Explained, OfferConfig } from 'onsite'\nconst o: OfferConfig = { id: 'w', kind: 'bar', trigger: { delayMs: 500 }, content: { title: 'Hi', labels: { close: 'Schließen' } } }\nconst c: OnsiteConfig = { writeKey: 'k', consent: 'pending', offers: [o] }\nconst e: Explained | undefined = onsite.explain()\nvoid c, e\n"
    writeFileSync(join(dir, 'app.ts'), lines + typed)
    expect(compile(resolution, module)).toBe('')
    writeFileSync(join(dir, 'app.ts'), lines + "onsite.track('Product Viewed', 42)\n")
    expect(compile(resolution, module)).toMatch(/app\.ts.*error TS2559|error TS2345/)
    writeFileSync(join(dir, 'app.ts'), lines + "onsite.init({ writeKey: 'k', offers: [{ id: 'x', kind: 'modal', content: { title: 't' } }] })\n")
    expect(compile(resolution, module)).toMatch(/error TS2322/)
  }, 60_000)

  // What an app's bundler (esbuild here, as Vite uses it) makes of the package: the offers stay out of the
  // app's own chunk, and an import whose exports go unused leaves nothing behind ("sideEffects": false).
  const bundle = async (app: string) => {
    writeFileSync(join(dir, 'app.mjs'), app)
    const r = await build({ absWorkingDir: dir, entryPoints: ['app.mjs'], bundle: true, splitting: true, format: 'esm', minify: true, outdir: 'out', write: false, logLevel: 'silent' })
    const [main, ...chunks] = r.outputFiles.sort((a, b) => Number(b.path.endsWith('app.js')) - Number(a.path.endsWith('app.js')))
    return { main: main!.text, chunks: chunks.map((c) => c.text) }
  }

  it("splits at the offers' import() in an app's bundle: the renderer is a chunk of its own", async () => {
    const { main, chunks } = await bundle("import { onsite } from 'onsite'\nonsite.init({ writeKey: 'k' })\n")
    expect(main).toContain('writeKey')
    expect(main).not.toContain('onsite-offer')
    expect(chunks.filter((c) => c.includes('onsite-offer'))).toHaveLength(1)
    expect(main).toMatch(/import\("\.\/[\w-]+\.js"\)/)
  })

  it('tree-shakes: importing what is not used puts nothing in the app', async () => {
    const { main, chunks } = await bundle("import { onsite } from 'onsite'\nexport const n = 1\n")
    expect(main.length).toBeLessThan(40)
    // esbuild still writes a file for every import() it saw, here loaded by nothing
    expect(main).not.toContain('import')
    expect(chunks.length).toBeLessThan(2)
  })

  it('imports in Node without a window and does nothing until init', () => {
    writeFileSync(join(dir, 'run.mjs'), "import { onsite } from 'onsite'\nconsole.log(JSON.stringify([typeof onsite.init, onsite.version, onsite.anonymousId(), typeof globalThis.onsite]))")
    const out = execFileSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual(['function', pkg.version, '', 'undefined'])
  })
})
