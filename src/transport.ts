// Sends calls the way Customer.io's browser library does: POST {apiHost}/b with a text/plain JSON body
// carrying the writeKey, which keeps the request a CORS "simple request" (no preflight). Unlike that
// library it reads the status: 2xx delivered; network error, 408, 429 and 5xx retry; other 4xx refused.
import { MAX_BATCH_BYTES } from './taxonomy.ts'
import type { Call } from './outbox.ts'
import { stringify } from './json.ts'

/** Chrome and Firefox refuse keepalive requests once 64 KiB of them are in flight (fetch spec, "keepalive"). */
export const KEEPALIVE_BUDGET = 64 * 1024 - 1024
const TIMEOUT_MS = 15000

export interface Chunk {
  ids: string[]
  body: string
  bytes: number
}
export type Outcome = { ok: true } | { ok: false; retry: boolean; status: number; retryAfterMs?: number }

const encoder = /* @__PURE__ */ (() => (typeof TextEncoder === 'function' ? new TextEncoder() : undefined))()
export const byteLength = (s: string): number => (encoder ? encoder.encode(s).length : s.length * 3)

/** Splits calls into request bodies of at most `limit` bytes, in order, each call serialized once. */
export const chunk = (calls: Call[], writeKey: string, sentAt: string, limit = MAX_BATCH_BYTES): Chunk[] => {
  const tail = `],"writeKey":${JSON.stringify(writeKey)},"sentAt":"${sentAt}"}`
  const overhead = byteLength('{"batch":[' + tail)
  const out: Chunk[] = []
  let parts: string[] = []
  let ids: string[] = []
  let bytes = overhead
  const close = () => {
    if (parts.length) out.push({ ids, body: '{"batch":[' + parts.join(',') + tail, bytes })
    parts = []
    ids = []
    bytes = overhead
  }
  for (const call of calls) {
    const json = stringify({ ...call, sentAt })
    const size = byteLength(json) + 1
    if (parts.length && bytes + size > limit) close()
    parts.push(json)
    ids.push(call.messageId)
    bytes += size
  }
  close()
  return out
}

/** Retry-After is seconds or an HTTP date (RFC 9110 10.2.3). */
export const retryAfterMs = (value: string | null, now: number): number | undefined => {
  if (!value) return undefined
  const secs = Number(value)
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(value) - now
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

export const createTransport = (fetchFn: typeof fetch, apiHost: string, now: () => number) => {
  let inFlightKeepalive = 0
  return {
    /** Bytes still free in the keepalive budget. */
    keepaliveRoom: () => KEEPALIVE_BUDGET - inFlightKeepalive,
    async send(c: Chunk, keepalive: boolean): Promise<Outcome> {
      if (keepalive) inFlightKeepalive += c.bytes
      const abort = typeof AbortController === 'function' ? new AbortController() : undefined
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        // Not only aborted but also given up on: a page's fetch wrapper that ignores the signal and never
        // settles held every later send of the page (QA, 2026-11-23).
        const res = await Promise.race([
          fetchFn(apiHost + '/b', {
            method: 'POST',
            body: c.body,
            headers: { 'Content-Type': 'text/plain' },
            keepalive,
            credentials: 'omit',
            signal: abort?.signal ?? null,
          }),
          new Promise<never>((_, fail) => (timer = setTimeout(() => (abort?.abort(), fail()), TIMEOUT_MS))),
        ])
        const status = res.status
        if (status >= 200 && status < 300) return { ok: true }
        const out: Outcome = { ok: false, retry: status === 408 || status === 429 || status >= 500, status }
        const after = retryAfterMs(res.headers.get('Retry-After'), now())
        if (after !== undefined) out.retryAfterMs = after
        return out
      } catch {
        return { ok: false, retry: true, status: 0 }
      } finally {
        clearTimeout(timer)
        if (keepalive) inFlightKeepalive -= c.bytes
      }
    },
  }
}
export type Transport = ReturnType<typeof createTransport>
