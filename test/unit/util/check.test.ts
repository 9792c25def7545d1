// The generic checker behind parseConfig and parseOffers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { check, num, oneOf, str, strings, text, type Spec } from '../../../src/util/check.ts'
import { captureErrors } from '../fakes.ts'

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  log = captureErrors()
})
afterEach(() => {
  log.spy.mockRestore()
})

const SPEC = (): Spec => ({
  on: false,
  label: 'x',
  count: num(5, 1, 10, 1),
  ratio: num(0.5),
  mode: oneOf(['a', 'b', 'c'], 1),
  tags: strings(),
  note: [str, 'a string'],
  inner: { deep: true, n: num(0, 1) },
})
const DEFAULTS = { on: false, label: 'x', count: 5, ratio: 0.5, mode: 'b', tags: [], inner: { deep: true, n: 0 } }

describe('check', () => {
  it('absent keys get their defaults; a rule without a default stays absent', () => {
    expect(check(SPEC(), {}, 'c')).toEqual(DEFAULTS)
    expect(check(SPEC(), undefined, 'c')).toEqual(DEFAULTS)
    expect(check(SPEC(), {}, 'c')).not.toHaveProperty('note')
    expect(log.messages()).toEqual([])
  })

  it('valid values are kept', () => {
    const raw = { on: true, label: '', count: 10, ratio: 1e9, mode: 'c', tags: ['t'], note: 'n', inner: { deep: false, n: 3 } }
    expect(check(SPEC(), raw, 'c')).toEqual(raw)
    expect(log.messages()).toEqual([])
  })

  it.each([
    ['on', 'yes', 'c.on must be a boolean'],
    ['label', 1, 'c.label must be a string'],
    ['count', 0, 'c.count must be an integer from 1 to 10'],
    ['count', 2.5, 'c.count must be an integer from 1 to 10'],
    ['count', 11, 'c.count must be an integer from 1 to 10'],
    ['ratio', -1, 'c.ratio must be a number >= 0'],
    ['ratio', Infinity, 'c.ratio must be a number >= 0'],
    ['ratio', '1', 'c.ratio must be a number >= 0'],
    ['mode', 'd', 'c.mode must be one of "a", "b", "c"'],
    ['tags', ['t', 1], 'c.tags must be an array of strings'],
    ['note', null, 'c.note must be a string'],
    ['inner', 'x', 'c.inner must be an object'],
    ['inner', [], 'c.inner must be an object'],
  ])('%s = %j: one error naming it, the default used', (key, value, msg) => {
    const out = check(SPEC(), { [key]: value }, 'c')
    expect(out).toEqual(DEFAULTS)
    expect(log.messages()).toEqual([`[onsite] ${msg}; using the default`])
  })

  it('a rule with `instead` gives a bad value that instead of the default, and says so', () => {
    const spec = { mode: oneOf(['a', 'b'], 0, 0, 'b') }
    expect(check(spec, {}, 'c')).toEqual({ mode: 'a' })
    expect(check(spec, { mode: 'x' }, 'c')).toEqual({ mode: 'b' })
    expect(log.messages()).toEqual(['[onsite] c.mode must be one of "a", "b"; using "b"'])
  })

  it('a key set to undefined counts as absent', () => {
    expect(check(SPEC(), { on: undefined, nope: undefined }, 'c')).toEqual(DEFAULTS)
    expect(log.messages()).toEqual([])
  })

  it('nested keys are named by their path; unknown keys list the known ones', () => {
    check(SPEC(), { inner: { n: -1, deeep: 1 }, 'a\nb': 1 }, 'c')
    expect(log.messages()).toEqual([
      '[onsite] c.inner.n must be an integer >= 0; using the default',
      '[onsite] c.inner.deeep is unknown and ignored (known: deep, n)',
      '[onsite] c."a\\nb" is unknown and ignored (known: on, label, count, ratio, mode, tags, note, inner)',
    ])
  })

  it('results never share a default array', () => {
    const a = check(SPEC(), {}, 'c')
    const b = check(SPEC(), {}, 'c')
    expect(a.tags).not.toBe(b.tags)
  })

  it('a required key that is missing or bad throws before anything is printed', () => {
    const spec: Spec = { id: [text, 'a non-empty string', '', 1], inner: { title: [text, 'a title', '', 1] }, on: false }
    expect(() => check(spec, { on: 'bad', extra: 1, inner: { title: 'T' } }, 'o')).toThrow('o.id must be a non-empty string')
    expect(() => check(spec, { id: 'i', on: 'bad', inner: 3 }, 'o')).toThrow('o.inner.title must be a title')
    expect(() => check(spec, 'nope', 'o')).toThrow('o.id must be a non-empty string')
    expect(log.messages()).toEqual([])
    expect(check(spec, { id: 'i', inner: { title: 'T' } }, 'o')).toEqual({ id: 'i', inner: { title: 'T' }, on: false })
  })

  it("'*' is the rule for keys the spec does not name", () => {
    const out = check({ '*': [(v) => v === !!v, 'a boolean'] }, { a: true, b: 1, c: false }, 'f')
    expect(out).toEqual({ a: true, c: false })
    expect(log.messages()).toEqual(['[onsite] f.b must be a boolean; using the default'])
  })

  it("'*': 0 ignores the keys the spec does not name, silently", () => {
    const out = check({ label: 'x', on: false, '*': 0 }, JSON.parse('{"on": true, "other": {"x": 1}, "__proto__": {"x": 1}, "label": 3}'), 'c')
    expect(out).toEqual({ label: 'x', on: true })
    expect(Object.keys(out)).toEqual(['label', 'on'])
    expect(log.messages()).toEqual(['[onsite] c.label must be a string; using the default'])
  })

  it('"__proto__", "constructor" and "toString" keys never reach a prototype', () => {
    const raw = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"polluted": 1}, "toString": "x", "inner": {"__proto__": {"polluted": 1}}}')
    const out = check(SPEC(), raw, 'c')
    expect(out).toEqual(DEFAULTS)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.getPrototypeOf(out.inner)).toBe(Object.prototype)
    expect(({} as any).polluted).toBeUndefined()
    expect(Object.prototype.toString).toBeTypeOf('function')
    expect(log.messages()).toHaveLength(4)
    // a '*' rule accepts no objects, so a "__proto__" object is refused there too
    const flags = check({ '*': [(v) => v === !!v, 'a boolean'] }, JSON.parse('{"__proto__": {"polluted": 1}, "a": true}'), 'f')
    expect(Object.getPrototypeOf(flags)).toBe(Object.prototype)
    expect(flags).toEqual({ a: true })
  })
})
