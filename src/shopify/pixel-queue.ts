// The checkout pixel's calls from event to collector: stored in Shopify's browser.localStorage while
// consent allows (a checkout page may close any moment; the next one sends what it left), sent in chunks
// with backoff, each messageId once.
import { str } from '../util/check.ts'
import type { Call } from '../delivery/outbox.ts'
import { MAX_CALL_BYTES } from '../capture/taxonomy.ts'
import { byteLength, chunk, type Transport } from '../delivery/transport.ts'
import type { PixelConfig } from './pixel-config.ts'
import { at, list } from './pixel-map.ts'
import { invoke } from './pixel-sandbox.ts'
import { debug, error, warn } from '../util/log.ts'

const KEY = 'onsite_px'
const MAX_AGE_MS = 7 * 86400000
const MAX_TRIES = 5
const KEEP_SENT = 50

export interface Queue {
  config: PixelConfig
  transport: Transport
  now: () => number
  /** Shopify's browser.localStorage */
  storage: unknown
  /** analytics consent: without it calls wait in memory only */
  allowed: boolean
  queue: Call[]
  /** the messageIds delivered, the last KEEP_SENT of them stored */
  sent: string[]
  /** the messageIds sent or queued */
  seen: Set<string>
  failures: number
  /** the backoff after a failed send */
  timer?: ReturnType<typeof setTimeout> | undefined
  running?: Promise<void> | undefined
  /** a flush() came while a send loop ran: it goes round once more */
  again: boolean
  saving: Promise<unknown>
}

// Writes run in order, each with the state of its turn; the last one wins.
const write = (q: Queue, f: () => unknown) => void (q.saving = q.saving.then(f).catch(() => {}))
export const save = (q: Queue): void => write(q, () => q.allowed && invoke(q.storage, 'setItem', KEY, JSON.stringify({ q: q.queue, s: q.sent.slice(-KEEP_SENT) })))

/** Consent withdrawn: what is queued, stored or waiting for a retry is gone. */
export const discard = (q: Queue): void => {
  q.queue = []
  clearTimeout(q.timer)
  q.timer = undefined
  write(q, () => invoke(q.storage, 'removeItem', KEY))
}

/** The calls an earlier page left, but for those older than 7 days. */
export const load = (q: Queue): Promise<void> =>
  invoke(q.storage, 'getItem', KEY)
    .then((raw) => {
      const saved = JSON.parse(raw)
      const calls = list(at(saved, 'q')).filter((c): c is Call => str(at(c, 'messageId')) && str(at(c, 'type')) && str(at(c, 'timestamp')))
      const fresh = calls.filter((c) => Date.parse(c.timestamp) > q.now() - MAX_AGE_MS)
      if (fresh.length < calls.length) error(`dropped ${calls.length - fresh.length} call(s): older than 7 days`), save(q)
      q.sent = list(at(saved, 's')).filter(str)
      for (const c of [...q.sent, ...fresh.map((c) => c.messageId)]) q.seen.add(c)
      q.queue = fresh
    })
    .catch(() => {})

export const add = (q: Queue, calls: Call[]): void => {
  for (const call of calls) {
    const size = byteLength(JSON.stringify(call))
    if (size > MAX_CALL_BYTES) error(`${call.event ?? call.type} dropped: ${size} bytes, over Customer.io's 32 KB per call`)
    // A replayed Shopify event: the collector and Customer.io dedupe on messageId, but it need not leave at all.
    else if (q.seen.has(call.messageId)) debug(`${call.messageId} already sent`)
    else q.seen.add(call.messageId), q.queue.push(call), debug(`${call.event ?? call.type} queued`)
  }
}

const sendAll = async (q: Queue): Promise<void> => {
  if (!q.allowed || q.timer || !q.queue.length) return
  for (const c of chunk(q.queue, q.config.writeKey, new Date(q.now()).toISOString())) {
    const r = await q.transport.send(c, c.bytes <= q.transport.keepaliveRoom())
    if (!r.ok && (r.kind == 'retry' || r.kind == 'config')) {
      if (++q.failures >= MAX_TRIES) return warn(`sending failed ${q.failures}x (${r.status ? 'HTTP ' + r.status : 'network error'}); ${q.queue.length} call(s) kept for the next page`)
      const wait = Math.min(60000, r.retryAfterMs ?? 1000 * 2 ** (q.failures - 1))
      debug(`send failed; next try in ${wait} ms`)
      q.timer = setTimeout(() => {
        q.timer = undefined
        void flush(q)
      }, wait)
      return
    }
    q.queue = q.queue.filter((x) => !c.ids.includes(x.messageId))
    if (r.ok) q.sent.push(...c.ids), (q.failures = 0)
    else error(`dropped ${c.ids.length} call(s): ${q.config.apiHost} refused them with HTTP ${r.status}`)
    save(q)
  }
}

/** Sends what is queued, one send loop at a time. */
export const flush = (q: Queue): Promise<void> => {
  if (q.running) return (q.again = true), q.running
  // `running` is cleared in the same turn the loop ends, so a flush() arriving later starts a new loop.
  return (q.running = (async () => {
    try {
      do {
        q.again = false
        await sendAll(q)
      } while (q.again)
    } finally {
      q.running = undefined
    }
  })())
}
