// JSON.stringify that a page's Array.prototype.toJSON cannot bend. Prototype.js (still on some old
// storefronts) defines one that turns every array into a string: products[] would reach Customer.io as
// text and the cart snapshot would never read back. It is set aside for
// the one synchronous call, so no other code can observe it missing.
export const stringify = (v: unknown): string => {
  const proto = Array.prototype as { toJSON?: unknown }
  const own = Object.getOwnPropertyDescriptor(proto, 'toJSON')
  if (!own?.configurable) return JSON.stringify(v)
  delete proto.toJSON
  try {
    return JSON.stringify(v)
  } finally {
    Object.defineProperty(proto, 'toJSON', own)
  }
}
