// products[] of the cart events: the cart's lines after the change, in the shape of the event's own
// product fields. A call over 32 KB is dropped whole (capture/emit.ts), so a long cart is cut: the first
// MAX_PRODUCTS lines, fewer once their JSON passes MAX_PRODUCTS_BYTES, leaving the rest of the call (page
// context, onsite_offers) its room. `value` always counts the whole cart.
import { byteLength } from '../delivery/transport.ts'
import { stringify } from '../util/json.ts'

export const MAX_PRODUCTS = 50
export const MAX_PRODUCTS_BYTES = 16_000

export const cartProducts = (lines: readonly { q: number; p: Record<string, unknown> }[]): Record<string, unknown>[] => {
  const out: Record<string, unknown>[] = []
  let bytes = 0
  for (const l of lines.slice(0, MAX_PRODUCTS)) {
    const p = { ...l.p, quantity: l.q }
    bytes += byteLength(stringify(p)) + 1
    if (bytes > MAX_PRODUCTS_BYTES) break
    out.push(p)
  }
  return out
}
