// @vitest-environment node
// The layout is part of the design: src/ reads as the pipeline, with no import circles (a circle makes
// the order modules start in depend on who imports first) and no function too long to read at once.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'

const files = readdirSync('src', { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => normalize(join('src', f)))
const imports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+'(\.\.?\/[^']+)'/gm)].map((m) => normalize(join(dirname(file), m[1]!)))

/** Every import circle, as the list of files around it. */
export const circles = (graph: Map<string, string[]>): string[][] => {
  const found: string[][] = []
  const done = new Set<string>()
  const visit = (f: string, path: string[]) => {
    const at = path.indexOf(f)
    if (at >= 0) return void found.push([...path.slice(at), f])
    if (done.has(f)) return
    done.add(f)
    for (const g of graph.get(f) ?? []) visit(g, [...path, f])
  }
  for (const f of graph.keys()) visit(f, [])
  return found
}

describe('src/ layout', () => {
  it('has no import circles', () => {
    expect(circles(new Map(files.map((f) => [f, imports(f)])))).toEqual([])
  })

  it('finds a circle when there is one (the check itself can fail)', () => {
    expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual([['a', 'b', 'c', 'a']])
  })

  it('every import of src/ resolves to a file', () => {
    const all = new Set(files)
    const missing = files.flatMap((f) => imports(f).filter((g) => !all.has(g)).map((g) => `${f} -> ${g}`))
    expect(missing).toEqual([])
  })

  it('is split by stage: no .ts file directly in src/ but the entries and the wiring', () => {
    const top = files.filter((f) => !f.slice(4).includes('/')).sort()
    expect(top).toEqual(['src/config.ts', 'src/global-shopify.ts', 'src/global.ts', 'src/index.ts', 'src/install.ts', 'src/onsite.ts', 'src/shopify-pixel.ts', 'src/version.ts'])
  })
})
