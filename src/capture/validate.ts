import { isObj, str, text } from '../util/check.ts'
import { CURRENCY, EVENTS, PROPS, type PropType, own } from './taxonomy.ts'

export type Props = Record<string, unknown>

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

const CHECKS: Record<PropType, [(v: unknown) => boolean, string]> = {
  m: [(v) => num(v) && v >= 0, 'a number >= 0 in major units (12.5, not "12.50" or 1250 cents)'],
  q: [(v) => num(v) && v >= 0 && Number.isSafeInteger(v), 'an integer >= 0'],
  i: [(v) => (str(v) && v !== '') || num(v), 'a non-empty string or a number'],
  s: [str, 'a string'],
  c: [(v) => str(v) && CURRENCY.test(v), 'an ISO 4217 code such as "USD"'],
  p: [(v) => Array.isArray(v) && v.every(isObj), 'an array of product objects'],
}

/** Checks the known properties of one object; returns the first problem, or '' when fine. Sets `money`. */
const checkProps = (props: Props, path: string, seen: { money: boolean }): string => {
  for (const key in props) {
    const type = own(PROPS, key)
    const v = props[key]
    if (!type || v === undefined || v === null) continue
    const [ok, want] = CHECKS[type]
    if (!ok(v)) return `${path}${key} must be ${want}, got ${JSON.stringify(v)}`
    if (type === 'm') seen.money = true
    if (type === 'p') {
      for (let i = 0; i < (v as Props[]).length; i++) {
        const err = checkProps((v as Props[])[i]!, `${path}${key}[${i}].`, seen)
        if (err) return err
      }
    }
  }
  return ''
}

/**
 * Returns why a track call must be refused, or '' when it may be sent. Semantic events get their
 * property types, required properties and the currency rule checked; custom events only need plain
 * object properties. Nothing is coerced: a call is sent as given or not at all.
 */
export const validateEvent = (event: unknown, props: unknown): string => {
  if (!text(event)) return 'event name must be a non-empty string'
  if (!isObj(props)) return `"${event}" properties must be a plain object`
  const required = own(EVENTS, event)
  if (!required) return ''
  for (const key of required) {
    if (props[key] === undefined || props[key] === null) return `"${event}" needs ${key}`
  }
  const seen = { money: false }
  const err = checkProps(props, '', seen)
  if (err) return `"${event}": ${err}`
  if (seen.money && props.currency == null) return `"${event}" has amounts but no currency: add currency: "USD" (ISO 4217)`
  return ''
}
