// A short, synchronous fingerprint of a string: stored where only "is it the same value?" is asked (the
// person last identified, the audience cache), so the email or phone itself is never kept at rest. Not
// a cryptographic hash: it keeps a value out of plain sight on the shopper's own device, nothing more.

/** Two 32-bit FNV-1a passes with different offsets, as 14 base-36 characters. */
export const fingerprint = (s: string): string => {
  let a = 0x811c9dc5
  let b = 0x2c1b3c6d
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15)
  }
  return (a >>> 0).toString(36).padStart(7, '0') + (b >>> 0).toString(36).padStart(7, '0')
}

/** How a trait is remembered: its fingerprint, never the value (an email or phone is not kept at rest). */
export const remembered = (v: unknown): string => fingerprint(JSON.stringify(v) ?? '')
