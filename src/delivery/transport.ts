// Sends calls the way Customer.io's browser library does: POST {apiHost}/b with a text/plain JSON body
// carrying the writeKey, which keeps the request a CORS "simple request" (no preflight). Unlike that
// library it reads the status (see Failure) and reads every answer to its end.
import { MAX_BATCH_BYTES } from '../capture/taxonomy.ts'
import type { Call } from './outbox.ts'
import { stringify } from '../util/json.ts'

/**
 * Chrome and Firefox refuse keepalive requests once 64 KiB of them are in flight (fetch spec, "keepalive"),
 * and a request counts until its answer's body is read: https://fetch.spec.whatwg.org/#http-network-or-cache-fetch
 */
export const KEEPALIVE_BUDGET = 64 * 1024 - 1024
/** A request given up on after this long; a send lease (delivery.ts) outlasts it. */
export const TIMEOUT_MS = 10000

export interface Chunk {
  ids: string[]
  body: string
  bytes: number
}
/**
 * retry: the endpoint or the network failed (0, 408, 429, 5xx); config: the brand's setup is wrong (401, 403,
 * 404: a bad key, a proxy, a path typo), calls are kept; split: the body is too large (413); refused: a call
 * in it is bad (other 4xx).
 */
export type Failure = 'retry' | 'config' | 'split' | 'refused'
export type Outcome = { ok: true } | { ok: false; kind: Failure; status: number; retryAfterMs?: number }

export const failure = (status: number): Failure =>
  status == 413 ? 'split' : status == 401 || status == 403 || status == 404 ? 'config' : status && status < 500 && status != 408 && status != 429 ? 'refused' : 'retry'


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

/**
 * A task later. Chromium rejects a page's requests as it dispatches pagehide, and runs the rejections between
 * the pagehide listeners, before onsite's own may have run: one task on, it is known whether the page is going.
 */
export const nextTask = (): Promise<void> => new Promise((go) => setTimeout(go, 0))

export interface TransportDeps {
  fetch: typeof fetch
  /** navigator.sendBeacon, bound; absent where the browser has none. */
  beacon?: ((url: string, body: string) => boolean) | undefined
  apiHost: string
  now: () => number
}

const TIMEOUT = new Error('timeout')
const unreached = (): Outcome => ({ ok: false, kind: 'retry', status: 0 })

export const createTransport = ({ fetch: fetchFn, beacon, apiHost, now }: TransportDeps) => {
  const url = apiHost + '/b'
  let inFlightKeepalive = 0
  const post = async (c: Chunk, keepalive: boolean, ms: number): Promise<Response> => {
    const abort = typeof AbortController == 'function' ? new AbortController() : undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    if (keepalive) inFlightKeepalive += c.bytes
    try {
      // Given up on, not only aborted: a page's fetch wrapper that ignores the signal and never settles
      // must not hold every later send of the page.
      return await Promise.race([
        fetchFn(url, { method: 'POST', body: c.body, headers: { 'Content-Type': 'text/plain' }, keepalive, credentials: 'omit', signal: abort?.signal ?? null })
          // The body is read to its end: until then a keepalive request holds its share of the budget.
          .then(async (res) => {
            try {
              await res.text()
            } catch {}
            return res
          }),
        new Promise<never>((_, fail) => (timer = setTimeout(() => (abort?.abort(), fail(TIMEOUT)), ms))),
      ])
    } finally {
      clearTimeout(timer)
      if (keepalive) inFlightKeepalive -= c.bytes
    }
  }
  const outcome = (res: Response): Outcome => {
    const status = res.status
    if (status >= 200 && status < 300) return { ok: true }
    const out: Outcome = { ok: false, kind: failure(status), status }
    const after = retryAfterMs(res.headers.get('Retry-After'), now())
    if (after !== undefined) out.retryAfterMs = after
    return out
  }
  return {
    /** Bytes still free in the keepalive budget. */
    keepaliveRoom: () => KEEPALIVE_BUDGET - inFlightKeepalive,
    /**
     * One request, keepalive when the body fits: a navigation then does not cancel it, and the server gets
     * it though no page reads the answer (Chrome cancels a page's plain requests as it navigates:
     * https://github.com/getsentry/sentry-javascript/pull/5697). A visible page uses half the budget, which
     * leaves the other half to what pagehide hands over; a `hidden` one all of it. A keepalive request the
     * browser refuses (the store's own keepalive requests used the budget) is sent again as a plain one, so
     * a refusal is never taken for the endpoint failing; not once `alive()` is false, as a keepalive request
     * rejects while the page is torn down and the browser still sends it. Both together take at most
     * TIMEOUT_MS, which the send lease is sized for.
     */
    async send(c: Chunk, hidden = false, alive: () => boolean = () => true): Promise<Outcome> {
      const end = now() + TIMEOUT_MS
      // The outcome, or false when the request failed, true when it was given up on. A failure settles a
      // task later: by then `alive()` (and the caller's own state) knows whether the page is going.
      const attempt = (keepalive: boolean): Promise<Outcome | boolean> =>
        post(c, keepalive, Math.max(0, end - now())).then(outcome, async (e) => e === TIMEOUT || (await nextTask(), false))
      const keepalive = c.bytes <= (hidden ? KEEPALIVE_BUDGET : KEEPALIVE_BUDGET >> 1) - inFlightKeepalive
      let res = await attempt(keepalive)
      if (res === false && keepalive && alive()) res = await attempt(false)
      return typeof res == 'object' ? res : unreached()
    },
    /**
     * The page is going away: hands the body to the browser, which sends it after the page is gone: a
     * keepalive fetch when it fits the budget left (its answer is read if the page lives on), else
     * sendBeacon. Chosen synchronously: a keepalive promise that rejects as the page is torn down does not
     * mean the request was not sent, so it is never followed by a beacon (two copies). Resolves to the
     * outcome when one is known; false when the browser took nothing.
     */
    unload(c: Chunk): Promise<Outcome | undefined> | false {
      if (c.bytes <= KEEPALIVE_BUDGET - inFlightKeepalive) return post(c, true, TIMEOUT_MS).then(outcome, () => undefined)
      try {
        return !!beacon?.(url, c.body) && Promise.resolve(undefined)
      } catch {
        return false
      }
    },
  }
}
export type Transport = ReturnType<typeof createTransport>
