// JSON to and from localStorage, and a JSON.stringify that a page's Array.prototype.toJSON cannot bend.
// Prototype.js (still on some old storefronts) defines one that turns every array into a string: products[]
// would reach Customer.io as text and the cart snapshot would never read back. It is set aside for the one
// synchronous call, so no other code can observe it missing.
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

/**
 * A JSON value of localStorage: undefined when the key is absent, corrupt or storage refused (never throws;
 * JSON.parse(null) is null, and a missing `ls` throws inside the try).
 */
export const loadJSON = <T>(ls: Storage | undefined, key: string): T | undefined => {
  try {
    return JSON.parse(ls!.getItem(key)!) ?? undefined
  } catch {}
}

/** Stores `value` as JSON in localStorage, or removes the key when it is undefined; a refusal is ignored. */
export const saveJSON = (ls: Storage | undefined, key: string, value?: unknown): void => {
  try {
    value === undefined ? ls!.removeItem(key) : ls!.setItem(key, stringify(value))
  } catch {}
}
