// @vitest-environment node
// The layout is part of the design: src/ reads as the pipeline, with no import circles (a circle makes
// the order modules start in depend on who imports first) and no function too long to read at once.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import ts from 'typescript'
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

/** Functions longer than `max` lines, inner functions counted in their outer one: "file:line name (n lines)". */
export const longFunctions = (file: string, text: string, max: number): string[] => {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: string[] = []
  const visit = (n: ts.Node) => {
    if (ts.isFunctionDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isMethodDeclaration(n)) {
      const [a, b] = [n.getStart(), n.getEnd()].map((p) => sf.getLineAndCharacterOfPosition(p).line)
      const name = ts.isVariableDeclaration(n.parent) ? n.parent.name.getText() : (n.name?.getText() ?? '(anonymous)')
      if (b! - a! + 1 > max) out.push(`${file}:${a! + 1} ${name} (${b! - a! + 1} lines)`)
    }
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return out
}

describe('src/ layout', () => {
  it('has no function over 80 lines (a long closure becomes named steps)', () => {
    expect(files.flatMap((f) => longFunctions(f, readFileSync(f, 'utf8'), 80))).toEqual([])
  })

  it('finds a long function when there is one', () => {
    expect(longFunctions('x.ts', `const f = () => {\n${'  g()\n'.repeat(80)}}`, 80)).toEqual(['x.ts:1 f (82 lines)'])
  })

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
    expect(top).toEqual(['src/api.ts', 'src/config.ts', 'src/global-shopify.ts', 'src/global.ts', 'src/index.ts', 'src/install.ts', 'src/onsite.ts', 'src/shopify-pixel.ts', 'src/version.ts'])
  })
})
