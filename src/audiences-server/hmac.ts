// HMAC-SHA256 in hex. On Node (and Deno) node:crypto does it synchronously, in microseconds; elsewhere
// (Cloudflare Workers without nodejs_compat) Web Crypto does, whose every call is a trip through a worker
// thread. node:crypto is looked up with process.getBuiltinModule rather than imported, so bundlers for
// edge runtimes never see the import. Verification is constant-time on both paths: a forged signature
// learns nothing from how long the answer took.

type NodeCrypto = typeof import('node:crypto')
const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined

const enc = new TextEncoder()
const keys = new Map<string, Promise<CryptoKey>>()
const key = (secret: string): Promise<CryptoKey> => {
  let k = keys.get(secret)
  if (!k) {
    // a handful of secrets per process (token, App Proxy, the pepper below): the map stays tiny
    k = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    keys.set(secret, k)
  }
  return k
}

const HEX = /^[0-9a-fA-F]{64}$/

/** hmacHex with Web Crypto only (what edge runtimes without node:crypto run). */
export const webHmacHex = async (secret: string, message: string): Promise<string> => {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key(secret), enc.encode(message)))
  let out = ''
  for (const b of mac) out += b.toString(16).padStart(2, '0')
  return out
}

const bytes = (hex: string): Uint8Array<ArrayBuffer> | undefined => {
  if (!HEX.test(hex)) return undefined
  const out = new Uint8Array(new ArrayBuffer(32))
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** hmacVerify with Web Crypto only. */
export const webHmacVerify = async (secret: string, message: string, hex: string): Promise<boolean> => {
  const given = bytes(hex)
  return !!given && crypto.subtle.verify('HMAC', await key(secret), given, enc.encode(message))
}

/** Lowercase hex HMAC-SHA256 of `message` under `secret` (what Shopify Liquid's hmac_sha256 prints). */
export const hmacHex = async (secret: string, message: string): Promise<string> =>
  node ? node.createHmac('sha256', secret).update(message).digest('hex') : webHmacHex(secret, message)

/** True when `hex` (64 hex digits, either case) is the HMAC-SHA256 of `message` under `secret`. */
export const hmacVerify = async (secret: string, message: string, hex: string): Promise<boolean> => {
  if (!node) return webHmacVerify(secret, message, hex)
  const given = bytes(hex)
  return !!given && node.timingSafeEqual(node.createHmac('sha256', secret).update(message).digest(), given)
}

const pepper = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16)).join('')

/** Whether two strings are equal, in time that depends on neither (both are MACed under a random key first). */
export const safeEqual = async (a: string, b: string): Promise<boolean> => hmacVerify(pepper, a, await hmacHex(pepper, b))
