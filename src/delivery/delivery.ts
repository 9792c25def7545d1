// When and how calls leave the page: `flushIntervalMs` after the first of a burst, at once at `flushAt`
// calls, and when the page is hidden or unloads (keepalive, then sendBeacon). Every request is keepalive
// when it fits (transport.ts): one in flight as the shopper navigates still reaches the server. While the
// endpoint fails, retries never stop (retry.ts). Each call is delivered once per messageId, or dropped with a reason
// printed: too old, refused, or too large.
import { debug, error, warn } from '../util/log.ts'
import type { Lock, Leases } from './lock.ts'
import type { Call, Entry, Outbox } from './outbox.ts'
import { createRetry, type Retry } from './retry.ts'
import { chunk, TIMEOUT_MS, type Chunk, type Transport } from './transport.ts'

const MAX_AGE_MS = 7 * 86400000
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

/** What one page's delivery knows between its steps. */
interface State {
  d: DeliveryDeps
  retry: Retry
  schedule: (ms: number) => void
  stopped: boolean
  hidden: boolean
  /**
   * pagehide was heard. Chromium still runs the page's promise callbacks as it tears the page down, and a
   * fetch started from one of them reaches the server: a send cut short by the page's going rejects, and
   * neither its lease is released nor anything sent again from here (the next page decides, after the lease).
   */
  gone: boolean
  /** a 413 lowers the batch size for the rest of the page */
  limit?: number
}

/** One timer, kept at the earliest time asked for. */
const createTimer = (clock: () => number, run: () => void) => {
  let timer: ReturnType<typeof setTimeout> | undefined
  let at = 0
  return {
    schedule(ms: number): void {
      if (timer && at <= clock() + ms) return
      clearTimeout(timer)
      at = clock() + ms
      timer = setTimeout(() => ((timer = undefined), run()), ms)
    },
    stop: () => clearTimeout(timer),
  }
}

// sentAt is read from the same clock as the calls' timestamps (Date): the server corrects skew with it
const pack = (s: State, calls: Call[], max = s.limit): Chunk[] => chunk(calls, s.d.writeKey, new Date().toISOString(), max)

// The receipt is written first, synchronously: a page that dies before IndexedDB removes the call (or a
// database that never answers) leaves a receipt, not a call another page would send again.
const delivered = async (s: State, ids: string[]) => {
  // consent withdrawn meanwhile: nothing is written after the wipe
  if (s.stopped) return
  s.d.receipts.take(ids, RECEIPT_MS)
  s.d.leases.release(ids)
  s.d.announce(ids)
  s.retry.succeeded()
  debug(`delivered ${ids.length} call(s)`)
  await s.d.outbox.remove(ids).catch(() => {})
}

const drop = async (s: State, ids: string[], reason: string) => {
  error(`dropped ${ids.length} call(s): ${reason}`)
  if (s.stopped) return
  s.d.leases.release(ids)
  await s.d.outbox.remove(ids).catch(() => {})
}

/** Another tab's call stored less than FOREIGN_GRACE_MS ago: when to look at it again (0: now). */
const foreignUntil = (s: State, e: Entry, t: number) =>
  !s.d.outbox.owns(e.call.messageId) && e.at! > t - FOREIGN_GRACE_MS && e.at! <= t + 1000 ? e.at! + FOREIGN_GRACE_MS : 0
// Old by both the time it was stored and its timestamp: a clock set back since then makes neither older.
const tooOld = (e: Entry, t: number) => Math.max(e.at ?? 0, Date.parse(e.call.timestamp)) < t - MAX_AGE_MS

/** The stored calls this run may send; the others get a look later, a receipt's removal, or a drop. */
const sendable = async (s: State): Promise<Call[]> => {
  const t = s.d.now()
  const leased = s.d.leases.held()
  const done = s.d.receipts.held()
  const gone: string[] = []
  const old: string[] = []
  const fresh: Call[] = []
  for (const e of await s.d.outbox.all()) {
    const id = e.call.messageId
    const until = leased.get(id) ?? foreignUntil(s, e, t)
    if (done.has(id)) gone.push(id)
    else if (until) s.schedule(until - t)
    else if (tooOld(e, t)) old.push(id)
    else fresh.push(e.call)
  }
  if (gone.length) await s.d.outbox.remove(gone).catch(() => {})
  if (old.length) await drop(s, old, 'older than 7 days; Customer.io would not attribute them')
  return fresh
}

/** Halves of a chunk the endpoint did not take whole: a bad or too large call is found in log2(n) sends. */
const halves = (s: State, c: Chunk, byId: Map<string, Call>): Chunk[] => {
  const calls = c.ids.map((id) => byId.get(id)!)
  const mid = calls.length >> 1
  return [...pack(s, calls.slice(0, mid)), ...pack(s, calls.slice(mid))]
}

/** Sends one chunk and settles it; false when this run should stop (the endpoint is failing). */
const sendOne = async (s: State, c: Chunk, queue: Chunk[], byId: Map<string, Call>): Promise<boolean> => {
  s.d.leases.take(c.ids, SEND_LEASE_MS)
  const res = await s.d.transport.send(c, s.hidden, () => !s.gone)
  if (res.ok) return await delivered(s, c.ids), true
  // Cut short by the page's going (a failure settles a task late, after onsite's pagehide listener): a
  // keepalive request still goes, and a plain one (too large for the budget) may have arrived. The lease
  // keeps it from the other tabs and the next page until it ends.
  if (!res.status && s.gone) return false
  s.d.leases.release(c.ids)
  if (res.kind == 'retry' || res.kind == 'config') return s.schedule(s.retry.failed(res)), false
  if (c.ids.length > 1) {
    if (res.kind == 'split') s.limit = Math.max(1024, c.bytes >> 1)
    queue.unshift(...halves(s, c, byId))
  } else {
    await drop(s, c.ids, res.kind == 'split' ? `HTTP 413 for a single call of ${c.bytes} bytes: the endpoint takes nothing this large` : `the endpoint refused it with HTTP ${res.status}`)
  }
  return true
}

const sendAll = async (s: State) => {
  const wait = s.retry.waiting()
  if (wait > 0) return s.schedule(wait)
  const fresh = await sendable(s)
  const byId = new Map(fresh.map((c) => [c.messageId, c]))
  const queue = pack(s, fresh)
  while (queue.length && !s.stopped && !s.gone) {
    const c = queue.shift()!
    // Another tab may have sent some of these at its pagehide since the outbox was read: look again
    // right before sending, in the same task as taking the lease.
    const held = s.d.leases.held()
    const free = c.ids.filter((id) => !held.has(id))
    if (free.length < c.ids.length) {
      s.schedule(SEND_LEASE_MS)
      if (free.length) queue.unshift(...pack(s, free.map((id) => byId.get(id)!)))
    } else if (!(await sendOne(s, c, queue, byId))) return
  }
}

/**
 * The page is hidden (on mobile often the last chance) or going away: this tab's undelivered calls are
 * stored synchronously and handed to the browser with keepalive (else sendBeacon), so the request outlives
 * the page. They stay stored under a lease; the next page sends them again if no answer was recorded,
 * and the messageId lets the server drop the copy. What could not be stored is said, with its count.
 */
const unload = (s: State, gone: boolean): void => {
  if (s.stopped) return
  s.gone ||= gone
  const lost = s.d.outbox.spill()
  if (lost) warn(`${lost} call(s) may be lost: storage refused them and the page is unloading`)
  if (s.retry.honouring()) return
  const leased = s.d.leases.held()
  // A call being sent right now stays with its request: if the page's going cancels it, the server most
  // likely has it already, and the next page sends it again once its lease ends (no copy sent twice now).
  const calls = s.d.outbox.mine().filter((e) => !leased.has(e.call.messageId)).map((e) => e.call)
  for (const c of pack(s, calls, Math.min(s.limit ?? UNLOAD_BYTES, UNLOAD_BYTES))) {
    const sent = s.d.transport.unload(c)
    // nothing more fits the browser's budget: the rest is stored for the next page
    if (!sent) break
    s.d.leases.take(c.ids, UNLOAD_LEASE_MS)
    // still alive (the page was only hidden): settle it like any send
    void sent.then((res) => (res?.ok ? delivered(s, c.ids) : res && (s.d.leases.release(c.ids), s.schedule(s.retry.failed(res)))))
  }
}

export const createDelivery = (d: DeliveryDeps) => {
  const timer = createTimer(d.clock, () => void flush())
  const s: State = { d, retry: createRetry(d), schedule: (ms) => void (s.stopped || timer.schedule(ms)), stopped: false, hidden: false, gone: false }

  // A flush asked for while one runs gets one follow-up run, which covers calls queued meanwhile;
  // every caller in between shares it, so flush() resolves only once their calls were attempted.
  let running: Promise<void> | undefined
  let next: Promise<void> | undefined
  const flush = (): Promise<void> => {
    if (s.stopped || s.gone) return Promise.resolve()
    if (running) return (next ??= running.then(() => ((next = undefined), flush())))
    const run = d
      .lock(() => sendAll(s))
      // another tab is sending; it sends our calls too, but check again later in case it dies
      .then((held) => void (held || s.schedule(Math.max(d.flushIntervalMs, 1000))))
      .catch((e) => error('flush failed: ' + e))
      .finally(() => (running = undefined))
    return (running = run)
  }

  return {
    flush,
    /** Consent withdrawn: no more sends or timers from this page. */
    stop(): void {
      s.stopped = true
      timer.stop()
    },
    async add(entry: Entry): Promise<void> {
      entry.at = d.now()
      const stored = d.outbox.add(entry)
      // made after pagehide (the store's own listener, say): it leaves the way the page's other calls did
      const sent = s.gone ? unload(s, true) : d.outbox.mine().length >= d.flushAt ? flush() : s.schedule(d.flushIntervalMs)
      if (!(await stored)) s.retry.memoryOnly()
      await sent
    },
    /** The page is hidden, or going away (`gone`: pagehide). */
    hide: (gone = false) => unload(s, gone),
    /** The page is visible again (or back from the back/forward cache): sends keep half the keepalive budget free. */
    visible(on: boolean): void {
      s.hidden = !on
      if (on && s.gone) (s.gone = false), s.schedule(d.flushIntervalMs)
    },
    /** Another tab took or released leases: if it dies holding them, take over when they expire. */
    wake(): void {
      const t = d.now()
      for (const [id, until] of d.leases.held()) if (!d.outbox.owns(id)) s.schedule(until - t + 50)
    },
  }
}
export type Delivery = ReturnType<typeof createDelivery>
