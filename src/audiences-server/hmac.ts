// HMAC-SHA256 in hex with Web Crypto, so the same code runs on Node, Cloudflare Workers, Vercel and Deno.
// Verification goes through crypto.subtle.verify, which compares in constant time: a forged signature
// learns nothing from how long the answer took.

const enc = new TextEncoder()
const keys = new Map<string, Promise<CryptoKey>>()

const key = (secret: string): Promise<CryptoKey> => {
  let k = keys.get(secret)
  if (!k) {
    // a handful of secrets per process (token, App Proxy): the map stays tiny
    k = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    keys.set(secret, k)
  }
  return k
}

const HEX = /^[0-9a-f]{64}$/

/** Lowercase hex HMAC-SHA256 of `message` under `secret` (what Shopify Liquid's hmac_sha256 prints). */
export const hmacHex = async (secret: string, message: string): Promise<string> => {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key(secret), enc.encode(message)))
  let out = ''
  for (const b of mac) out += b.toString(16).padStart(2, '0')
  return out
}

/** True when `hex` (64 hex digits, either case) is the HMAC-SHA256 of `message` under `secret`. */
export const hmacVerify = async (secret: string, message: string, hex: string): Promise<boolean> => {
  const h = hex.toLowerCase()
  if (!HEX.test(h)) return false
  const mac = new Uint8Array(32)
  for (let i = 0; i < 32; i++) mac[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16)
  return crypto.subtle.verify('HMAC', await key(secret), mac, enc.encode(message))
}

const pepper = crypto.getRandomValues(new Uint8Array(32)).join('.')

/** Whether two strings are equal, in time that depends on neither (both are MACed under a random key first). */
export const safeEqual = async (a: string, b: string): Promise<boolean> => hmacVerify(pepper, a, await hmacHex(pepper, b))
