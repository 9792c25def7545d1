// When and how calls leave the page: `flushIntervalMs` after the first of a burst, at once at `flushAt`
// calls, and when the page is hidden or unloads (keepalive, then sendBeacon). While the endpoint fails,
// retries never stop: jittered exponential backoff up to 30 s, Retry-After honoured. Each call is
// delivered once per messageId, or dropped with a reason printed: too old, refused, or too large.
import { debug, error, warn } from '../util/log.ts'
import type { Lock, Leases } from './lock.ts'
import type { Call, Entry, Outbox } from './outbox.ts'
import { chunk, TIMEOUT_MS, type Chunk, type Outcome, type Transport } from './transport.ts'

type Failed = Exclude<Outcome, { ok: true }>

const MAX_AGE_MS = 7 * 86400000
const BASE_MS = 1000
/** 401, 403, 404: the brand's key, proxy or path; retried more slowly, never dropped. */
const CONFIG_BASE_MS = 5000
const MAX_BACKOFF_MS = 30000
const MAX_RETRY_AFTER_MS = 600000
/** A host that fails every request this long gets one error naming config.apiHost. */
const FAILING_MS = 60000
/** How long a call sent at pagehide is left alone: its keepalive request may still be on its way. */
export const UNLOAD_LEASE_MS = 15000
/** Outlasts the request (the transport gives up at TIMEOUT_MS), so a live sender is never raced. */
export const SEND_LEASE_MS = TIMEOUT_MS + 2000
/**
 * A live tab sends its own calls, at pagehide too, without the send lock; leases in localStorage reach
 * other tabs' processes only after a few milliseconds. So another tab leaves a call alone until it is
 * this old: by then its page either sent it or is gone.
 */
export const FOREIGN_GRACE_MS = 5000
/** How long a delivered call's receipt is kept: past any removal from storage that was still pending. */
export const RECEIPT_MS = 86400000
const UNLOAD_BYTES = 60 * 1024

export interface DeliveryDeps {
  outbox: Outbox
  transport: Transport
  lock: Lock
  /** Calls being sent, by any tab. */
  leases: Leases
  /** Calls delivered, by any tab. */
  receipts: Leases
  writeKey: string
  /** For messages only. */
  apiHost: string
  flushAt: number
  flushIntervalMs: number
  /**
   * The clock of what other tabs and pages read (leases, when a call was stored): performance.timeOrigin +
   * performance.now(), which a wall-clock change during the page does not move.
   */
  now: () => number
  /** A monotonic clock (performance.now), for this page's own waits: wall-clock jumps cannot stall them. */
  clock: () => number
  random: () => number
  /** Tells the other tabs which calls were delivered. */
  announce: (ids: string[]) => void
}

export const createDelivery = (d: DeliveryDeps) => {
  let timer: ReturnType<typeof setTimeout> | undefined
  let timerAt = 0
  let stopped = false
  let hidden = false
  // in flight without keepalive: the browser cancels these when the page goes, so pagehide sends them again
  const fragile = new Set<string>()
  // a 413 lowers the batch size for the rest of the page
  let limit: number | undefined
  const retry = createRetry(d)

  const schedule = (ms: number) => {
    if (stopped) return
    const at = d.clock() + ms
    if (timer && timerAt <= at) return
    clearTimeout(timer)
    timerAt = at
    timer = setTimeout(() => {
      timer = undefined
      void flush()
    }, ms)
  }

  // sentAt is read from the same clock as the calls' timestamps (Date): the server corrects skew with it
  const pack = (calls: Call[], max = limit): Chunk[] => chunk(calls, d.writeKey, new Date().toISOString(), max)
  const mark = (ids: string[], on: boolean) => ids.forEach((id) => (on ? fragile.add(id) : fragile.delete(id)))

  // The receipt is written first, synchronously: a page that dies before IndexedDB removes the call (or
  // a database that never answers) leaves a receipt, not a call another page would send again.
  const delivered = async (ids: string[]) => {
    // consent withdrawn meanwhile: nothing is written after the wipe
    if (stopped) return
    d.receipts.take(ids, RECEIPT_MS)
    d.leases.release(ids)
    d.announce(ids)
    retry.succeeded()
    debug(`delivered ${ids.length} call(s)`)
    await d.outbox.remove(ids).catch(() => {})
  }

  const drop = async (ids: string[], reason: string) => {
    error(`dropped ${ids.length} call(s): ${reason}`)
    if (stopped) return
    d.leases.release(ids)
    await d.outbox.remove(ids).catch(() => {})
  }

  /** Another tab's call stored less than FOREIGN_GRACE_MS ago: when to look at it again. */
  const foreignUntil = (e: Entry, t: number) =>
    !d.outbox.owns(e.call.messageId) && e.at! > t - FOREIGN_GRACE_MS && e.at! <= t + 1000 ? e.at! + FOREIGN_GRACE_MS : 0
  // Old by both the time it was stored and its timestamp: a clock set back since then makes neither older.
  const tooOld = (e: Entry, t: number) => Math.max(e.at ?? 0, Date.parse(e.call.timestamp)) < t - MAX_AGE_MS

  /** The stored calls this run may send; the others get a look later, a receipt's removal, or a drop. */
  const sendable = async (): Promise<Call[]> => {
    const t = d.now()
    const leased = d.leases.held()
    const done = d.receipts.held()
    const gone: string[] = []
    const old: string[] = []
    const fresh: Call[] = []
    for (const e of await d.outbox.all()) {
      const id = e.call.messageId
      const until = leased.get(id) ?? foreignUntil(e, t)
      if (done.has(id)) gone.push(id)
      else if (until) schedule(until - t)
      else if (tooOld(e, t)) old.push(id)
      else fresh.push(e.call)
    }
    if (gone.length) await d.outbox.remove(gone).catch(() => {})
    if (old.length) await drop(old, 'older than 7 days; Customer.io would not attribute them')
    return fresh
  }

  /** Halves of a chunk the endpoint did not take whole: a bad or too large call is found in log2(n) sends. */
  const halves = (c: Chunk, byId: Map<string, Call>): Chunk[] => {
    const calls = c.ids.map((id) => byId.get(id)!)
    const mid = calls.length >> 1
    return [...pack(calls.slice(0, mid)), ...pack(calls.slice(mid))]
  }

  /** Sends one chunk and settles it; false when this run should stop (the endpoint is failing). */
  const sendOne = async (c: Chunk, queue: Chunk[], byId: Map<string, Call>): Promise<boolean> => {
    d.leases.take(c.ids, SEND_LEASE_MS)
    const keepalive = hidden
    if (!keepalive) mark(c.ids, true)
    const res = await d.transport.send(c, keepalive)
    mark(c.ids, false)
    if (res.ok) return await delivered(c.ids), true
    d.leases.release(c.ids)
    if (res.kind == 'retry' || res.kind == 'config') return schedule(retry.failed(res)), false
    if (c.ids.length > 1) {
      if (res.kind == 'split') limit = Math.max(1024, c.bytes >> 1)
      queue.unshift(...halves(c, byId))
    } else {
      await drop(c.ids, res.kind == 'split' ? `HTTP 413 for a single call of ${c.bytes} bytes: the endpoint takes nothing this large` : `the endpoint refused it with HTTP ${res.status}`)
    }
    return true
  }

  const sendAll = async () => {
    const wait = retry.waiting()
    if (wait > 0) return schedule(wait)
    const fresh = await sendable()
    const byId = new Map(fresh.map((c) => [c.messageId, c]))
    const queue = pack(fresh)
    while (queue.length && !stopped) {
      const c = queue.shift()!
      // Another tab may have sent some of these at its pagehide since the outbox was read: look again
      // right before sending, in the same task as taking the lease.
      const held = d.leases.held()
      const free = c.ids.filter((id) => !held.has(id))
      if (free.length < c.ids.length) {
        schedule(SEND_LEASE_MS)
        if (free.length) queue.unshift(...pack(free.map((id) => byId.get(id)!)))
      } else if (!(await sendOne(c, queue, byId))) return
    }
  }

  // A flush asked for while one runs gets one follow-up run, which covers calls queued meanwhile;
  // every caller in between shares it, so flush() resolves only once their calls were attempted.
  let running: Promise<void> | undefined
  let next: Promise<void> | undefined
  const flush = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    if (running) return (next ??= running.then(() => ((next = undefined), flush())))
    running = d
      .lock(sendAll)
      .then((held) => {
        // another tab is sending; it sends our calls too, but check again later in case it dies
        if (!held) schedule(Math.max(d.flushIntervalMs, 1000))
      })
      .catch((e) => error('flush failed: ' + e))
      .finally(() => (running = undefined))
    return running
  }

  /** What the page could not hand over durably at unload is said, with its count. */
  const unload = (): void => {
    if (stopped) return
    // into storage first, synchronously, whatever becomes of the requests below
    const lost = d.outbox.spill()
    if (lost) warn(`${lost} call(s) may be lost: storage refused them and the page is unloading`)
    if (retry.honouring()) return
    const leased = d.leases.held()
    const calls = d.outbox.mine().filter((e) => !leased.has(e.call.messageId) || fragile.has(e.call.messageId)).map((e) => e.call)
    for (const c of pack(calls, Math.min(limit ?? UNLOAD_BYTES, UNLOAD_BYTES))) {
      const sent = d.transport.unload(c)
      // nothing more fits the browser's budget: the rest is stored for the next page
      if (!sent) break
      d.leases.take(c.ids, UNLOAD_LEASE_MS)
      mark(c.ids, false)
      void sent.then((res) => {
        // still alive (the page was only hidden): settle it like any send
        if (res?.ok) return delivered(c.ids)
        if (res) d.leases.release(c.ids), schedule(retry.failed(res))
      })
    }
  }

  return {
    flush,
    /** Consent withdrawn: no more sends or timers from this page. */
    stop(): void {
      stopped = true
      clearTimeout(timer)
    },
    async add(entry: Entry): Promise<void> {
      entry.at = d.now()
      const stored = d.outbox.add(entry)
      const sent = d.outbox.mine().length >= d.flushAt ? flush() : schedule(d.flushIntervalMs)
      if (!(await stored)) retry.memoryOnly()
      await sent
    },
    /**
     * The page is hidden (on mobile often the last chance) or going away: this tab's undelivered calls
     * are stored synchronously and handed to the browser with keepalive, so the request outlives the page.
     * They stay stored under a lease; the next page sends them again if no answer was recorded, and the
     * messageId lets the server drop the copy.
     */
    hide: unload,
    /** The page is visible again: sends go without keepalive. */
    visible(on: boolean): void {
      hidden = !on
    },
    /** Another tab took or released leases: if it dies holding them, take over when they expire. */
    wake(): void {
      const t = d.now()
      for (const [id, until] of d.leases.held()) if (!d.outbox.owns(id)) schedule(until - t + 50)
    },
  }
}
export type Delivery = ReturnType<typeof createDelivery>

/** Backoff and the messages about a failing endpoint, one of each kind per page. */
const createRetry = (d: DeliveryDeps) => {
  let failures = 0
  let waitUntil = 0
  let honour = false
  let failingSince = 0
  const said = new Set<string>()
  const once = (key: string, say: () => void): void => void (said.has(key) || (said.add(key), say()))
  let last = ''
  // a timer, not the next try: with backoff the next try may come well after the minute
  let watch: ReturnType<typeof setTimeout> | undefined
  const report = (res: Failed) => {
    last = res.status ? `HTTP ${res.status}` : 'network error'
    if (res.kind == 'config')
      once('config', () => error(`the endpoint answered ${last}: calls are kept and sent again; check config.writeKey and config.apiHost ("${d.apiHost}")`))
    if (failingSince) return
    failingSince = d.clock()
    watch = setTimeout(() => once('host', () => error(`config.apiHost "${d.apiHost}": every request failed for a minute (${last}); calls are kept and sent again: check the host`)), FAILING_MS)
  }
  return {
    /** Records a failure; returns how long to wait before the next try. */
    failed(res: Failed): number {
      failures++
      report(res)
      const exp = Math.min(MAX_BACKOFF_MS, (res.kind == 'config' ? CONFIG_BASE_MS : BASE_MS) * 2 ** (failures - 1))
      honour = res.retryAfterMs !== undefined
      const wait = honour ? Math.min(res.retryAfterMs!, MAX_RETRY_AFTER_MS) : exp * (0.5 + d.random() / 2)
      waitUntil = d.clock() + wait
      debug(`send failed ${failures}x (${res.status || 'network error'}); next try in ${Math.round(wait)} ms`)
      return wait
    },
    succeeded(): void {
      failures = failingSince = waitUntil = 0
      clearTimeout(watch)
    },
    /** ms still to wait before the next try (0: go). */
    waiting: (): number => Math.max(0, waitUntil - d.clock()),
    /** The server asked for a pause (Retry-After) that has not ended: pagehide sends nothing either. */
    honouring: (): boolean => honour && d.clock() < waitUntil,
    memoryOnly: (): void => once('memory', () => warn('storage refused the queue (full or blocked): calls not yet delivered can be lost if the page unloads')),
  }
}
