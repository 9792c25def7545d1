// What one observed add call added: the answer's line items say which lines (keyed as the diff keys
// them), the request says how many of each. The answer's own `quantity` is the fallback when the request
// cannot be read (a Request object, a Blob): it may be the line's total rather than the units just added,
// which the diff then caps (cart-diff.ts), never counting more than the cart shows.
import { isObj } from '../util/check.ts'
import { lineKey, type Claim, type Props } from './cart-diff.ts'

const count = (v: unknown): number => {
  const n = v == null || v === '' ? 1 : Number(v)
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}

/**
 * The request's items as [variant id, quantity] pairs, from what the host gave fetch or send: JSON (`id` or
 * `items[]`), urlencoded text, FormData (Dawn's product form) or URLSearchParams (`id`, `quantity`).
 */
export const askedItems = (sent: unknown): [string, number][] => {
  let o = sent
  if (typeof sent == 'string') {
    try {
      o = JSON.parse(sent)
    } catch {
      o = new URLSearchParams(sent)
    }
  }
  const f = o as URLSearchParams
  if (f && typeof f.get == 'function') o = { id: f.get('id'), quantity: f.get('quantity') }
  return isObj(o) ? (Array.isArray(o.items) ? o.items : [o]).filter((it: unknown) => isObj(it) && it.id != null).map((it: Props) => [String(it.id), count(it.quantity)]) : []
}

/** The call's claims: one per line it added to, with the units it asked for there. */
export const addClaims = (sent: unknown, got: unknown): Claim[] => {
  let asked: [string, number][] = []
  try {
    asked = askedItems(sent)
  } catch {}
  const byKey = new Map<string, number>()
  const lines = isObj(got) ? (Array.isArray(got.items) ? got.items : [got]) : []
  for (const it of lines) {
    const k = isObj(it) ? lineKey(it) : ''
    if (!k) continue
    // the first request item for this variant not yet matched: two items of one variant are two lines
    const i = asked.findIndex(([id, n]) => n && id == it.variant_id)
    const q = i < 0 ? count(it.quantity ?? 0) : asked[i]![1]
    if (i >= 0) asked[i] = ['', 0]
    if (q) byKey.set(k, (byKey.get(k) ?? 0) + q)
  }
  return [...byKey].map(([k, q]) => ({ k, q }))
}
