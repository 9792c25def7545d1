// When and how calls leave the page: at `flushAt` calls or after `flushIntervalMs`, at once when the page
// is hidden or unloads, with jittered exponential backoff (Retry-After honoured) while the endpoint fails.
// Each call is delivered once per messageId, or dropped with a reason printed: too old, or refused.
import { debug, error } from './log.ts'
import type { Lock, Leases } from './lock.ts'
import type { Call, Entry, Outbox } from './outbox.ts'
import { chunk, type Chunk, type Transport } from './transport.ts'

const MAX_AGE_MS = 7 * 86400000
const MAX_BACKOFF_MS = 60000
/** How long a call sent at pagehide is left alone: its keepalive request may still be on its way. */
export const UNLOAD_LEASE_MS = 15000
const SEND_LEASE_MS = 20000
/**
 * A live tab sends its own calls, at pagehide too, without the send lock; leases in localStorage reach
 * other tabs' processes only after a few milliseconds. So another tab leaves a call alone until it is
 * this old: by then its page either sent it or is gone.
 */
export const FOREIGN_GRACE_MS = 5000

export interface DeliveryDeps {
  outbox: Outbox
  transport: Transport
  lock: Lock
  leases: Leases
  writeKey: string
  flushAt: number
  flushIntervalMs: number
  now: () => number
  random: () => number
  /** Tells the other tabs which calls were delivered. */
  announce: (ids: string[]) => void
}

export const createDelivery = (d: DeliveryDeps) => {
  let timer: ReturnType<typeof setTimeout> | undefined
  let timerAt = 0
  let running: Promise<void> | undefined
  let failures = 0
  let waitUntil = 0
  const sending = new Set<string>()

  let stopped = false
  const schedule = (ms: number) => {
    if (stopped) return
    const at = d.now() + ms
    if (timer && timerAt <= at) return
    clearTimeout(timer)
    timerAt = at
    timer = setTimeout(() => {
      timer = undefined
      void flush()
    }, ms)
  }

  const pack = (calls: Call[], limit?: number): Chunk[] => chunk(calls, d.writeKey, new Date(d.now()).toISOString(), limit)
  const mark = (ids: string[], on: boolean) => ids.forEach((id) => (on ? sending.add(id) : sending.delete(id)))
  // Delivered: out of the outbox before the lease ends (see sendAll), then the other tabs are told.
  const delivered = async (ids: string[]) => {
    await d.outbox.remove(ids)
    d.leases.release(ids)
    d.announce(ids)
  }

  const drop = (ids: string[], reason: string) => {
    error(`dropped ${ids.length} call(s): ${reason}`)
    return d.outbox.remove(ids)
  }

  const backoff = (retryAfterMs: number | undefined) => {
    failures++
    const exp = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1))
    const wait = retryAfterMs ?? exp * (0.5 + d.random() / 2)
    waitUntil = d.now() + wait
    debug(`send failed ${failures}x; next try in ${Math.round(wait)} ms`)
    schedule(wait)
  }

  const sendAll = async () => {
    if (d.now() < waitUntil) return schedule(waitUntil - d.now())
    const leased = d.leases.held()
    const old: string[] = []
    const fresh: Call[] = []
    for (const e of await d.outbox.all()) {
      const id = e.call.messageId
      const until = leased.get(id) ?? (!d.outbox.owns(id) && e.at! > d.now() - FOREIGN_GRACE_MS ? e.at! + FOREIGN_GRACE_MS : 0)
      // sent by a page that is gone, or by another tab right now: look again when the lease ends
      if (until) schedule(until - d.now())
      else if (Date.parse(e.call.timestamp) < d.now() - MAX_AGE_MS) old.push(id)
      else fresh.push(e.call)
    }
    if (old.length) await drop(old, 'older than 7 days; Customer.io would not attribute them')
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
        continue
      }
      d.leases.take(c.ids, SEND_LEASE_MS)
      mark(c.ids, true)
      const res = await d.transport.send(c, c.bytes <= d.transport.keepaliveRoom())
      mark(c.ids, false)
      // Delivered calls leave the outbox before their lease ends: a page that dies in between leaves a
      // lease that keeps other tabs off them, not a free call that would be sent again.
      if (res.ok) {
        await delivered(c.ids)
        failures = 0
        debug(`delivered ${c.ids.length} call(s)`)
        continue
      }
      d.leases.release(c.ids)
      if (res.retry) {
        return backoff(res.retryAfterMs)
      } else if (c.ids.length > 1) {
        // One bad call must not sink its batch: resend one by one to find it.
        queue.unshift(...c.ids.map((id) => pack([byId.get(id)!])[0]!))
      } else {
        await drop(c.ids, `the endpoint refused it with HTTP ${res.status}`)
      }
    }
  }

  // A flush asked for while one runs gets one follow-up run, which covers calls queued meanwhile;
  // every caller in between shares it, so flush() resolves only once their calls were attempted.
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
      if (d.outbox.mine().length >= d.flushAt) {
        await stored
        return flush()
      }
      schedule(d.flushIntervalMs)
      await stored
    },
    /**
     * The page is going away (or hidden, which on mobile may be the last chance): send this tab's
     * undelivered calls now, synchronously, with keepalive so the request outlives the page. They stay
     * in the outbox; the next page resends them after a grace period if no answer was recorded, and the
     * messageId lets the server drop the copy (at-least-once on the wire, once per messageId).
     */
    sendNow(): void {
      if (stopped || d.now() < waitUntil) return
      const leased = d.leases.held()
      const calls = d.outbox.mine().filter((e) => !leased.has(e.call.messageId) && !sending.has(e.call.messageId)).map((e) => e.call)
      for (const c of pack(calls, 60 * 1024)) {
        if (c.bytes > d.transport.keepaliveRoom()) break
        d.leases.take(c.ids, UNLOAD_LEASE_MS)
        mark(c.ids, true)
        void d.transport
          .send(c, true)
          .then((res) => {
            mark(c.ids, false)
            // still alive (the page was only hidden): settle it like any send
            if (res.ok) return delivered(c.ids)
          })
          // not removed: the lease runs out and the next send delivers it again, deduplicated by messageId
          .catch(() => {})
      }
    },
  }
}
export type Delivery = ReturnType<typeof createDelivery>
