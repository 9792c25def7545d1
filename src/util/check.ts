// The one checker behind config.ts and offers.ts. A spec maps each known key to its default, and the
// default says how the key is checked:
//   true / false, 'text'      must be of the same type (a boolean, a string)
//   { ...spec }               a nested object, checked key by key (not an object: its defaults are used)
//   [ok, what, default, req]  a rule: `ok(value)` must hold; `what` says what is expected ("an integer
//                             >= 0"); no default: the key is absent unless given; `req`: the key must be
//                             valid, or check() throws "<name> must be <what>" before printing anything;
//                             `instead`: the value a bad one gets (default: `d`)
//   0                         a known key that is not checked here (ignored, and not in the result)
//   '*': rule or 0            the rule (or 0) for every key the spec does not name; without it such a
//                             key is unknown
// A bad key gets one `[onsite]` error naming it and what is expected, and its default is used; an
// unknown key gets one error and is ignored; a key set to undefined counts as absent. Only the spec's
// keys are written (and '*' rules accept no objects), so a "__proto__" key never reaches a prototype.
import { error } from './log.ts'

export type Rule = [ok: (v: any) => unknown, what: string, d?: unknown, req?: unknown, instead?: unknown]
export interface Spec {
  [k: string]: Spec | Rule | string | boolean | 0
}

export const isObj = (v: unknown): v is Record<string, any> => typeof v == 'object' && !!v && !Array.isArray(v)
/**
 * A copy of `v`'s own enumerable keys on a null prototype: reading `.email` or `.userId` from it never finds
 * a key a page (or an attacker's script) put on Object.prototype.
 */
export const own = (v: unknown): Record<string, any> => Object.assign(Object.create(null), v)
export const str = (v: unknown): v is string => typeof v == 'string'
/** A non-blank string. */
export const text = (v: unknown): v is string => str(v) && !!v.trim()

const bad = (name: string, what: string, instead?: unknown): void => error(`${name} must be ${what}; using ${instead ? JSON.stringify(instead) : 'the default'}`)

/** A finite number (an integer when `int`) from `min` to `max` (0: no maximum). */
export const num = (d: number, int?: 0 | 1, max = 0, min = 0): Rule => [
  (v) => Number[int ? 'isInteger' : 'isFinite'](v) && v >= min && !(max && v > max),
  (int ? 'an integer' : 'a number') + (max ? ` from ${min} to ${max}` : ' >= 0'),
  d,
]

/** One of `list`; the default is `list[i]`, and a bad value gets `instead` when given. */
export const oneOf = (list: unknown[], i = 0, req?: 0 | 1, instead?: unknown): Rule => [(v) => list.includes(v), `one of "${list.join('", "')}"`, list[i], req, instead]

/** A list of strings (a fresh [] by default, so no two results share one). */
export const strings = (): Rule => [(v) => Array.isArray(v) && v.every(str), 'an array of strings', []]

/** The checked copy of `raw`, named `at` in errors: every key of `spec`, from `raw` when valid. */
export const check = (spec: Spec, raw: unknown, at: string): any => {
  // own keys only: a key someone put on Object.prototype (a polluted merge on the store's page) must not
  // become a config value, such as an apiHost that sends every call elsewhere
  const r = isObj(raw) ? own(raw) : {}
  const out: any = {}
  const name = (k: string) => at + '.' + (/^\w+$/.test(k) ? k : JSON.stringify(k))
  // Defaults and required keys first (spec order), so a throw comes before any error is printed.
  for (const k of Object.keys(spec)) {
    const s: any = spec[k]
    if (isObj(s)) out[k] = check(s as Spec, r[k], name(k))
    else {
      const [ok, what, d, req] = s.pop ? s : [0, 0, s]
      if (req && !ok(r[k])) throw `${name(k)} must be ${what}`
      if (d !== undefined && s !== 0) out[k] = d
    }
  }
  if (raw !== undefined && !isObj(raw)) bad(at, 'an object')
  for (const k in r) {
    const s: any = spec.hasOwnProperty(k) ? spec[k] : spec['*']
    const v = r[k]
    if (v === undefined || isObj(s) || s === 0) continue
    if (s === undefined) error(`${name(k)} is unknown and ignored (known: ${Object.keys(spec).join(', ')})`)
    else {
      const [ok, what, , , instead] = s.pop ? s : [(x: unknown) => typeof x == typeof s, 'a ' + typeof s]
      if (ok(v)) out[k] = v
      else if ((bad(name(k), what, instead), instead)) out[k] = instead
    }
  }
  return out
}
