// Delivery for one page: the outbox, the transport and the locks wired to the page's own events (hidden,
// pagehide, other tabs' leases). In: the config and the storage backends; out: `add` and `flush`.
import type { Config } from '../config.ts'
import { setVerbose, warn } from '../util/log.ts'
import { createDelivery, SEND_LEASE_MS, UNLOAD_LEASE_MS } from './delivery.ts'
import { createLeases, createLock } from './lock.ts'
import { createOutbox } from './outbox.ts'
import { createKV, type Backends } from './storage.ts'
import { createTransport } from './transport.ts'

/** Where the tabs keep the calls being sent (leases) and the calls delivered (receipts): see lock.ts. */
export const LEASES_KEY = 'onsite:leases'
export const RECEIPTS_KEY = 'onsite:sent'

/**
 * This page's own waits run on a monotonic clock; what other pages read on timeOrigin + that clock: a wall
 * clock set back or forward while the page lives moves neither.
 */
const clocks = () => {
  const perf = typeof performance == 'object' && typeof performance.now == 'function' && performance.timeOrigin > 0 ? performance : undefined
  return perf ? { clock: () => perf.now(), shared: () => perf.timeOrigin + perf.now() } : { clock: Date.now, shared: Date.now }
}

/** Delivered ids reach the other tabs' outboxes by BroadcastChannel (where there is one). */
const tabsChannel = (forget: (ids: string[]) => void): BroadcastChannel | undefined => {
  try {
    const channel = new BroadcastChannel('onsite')
    channel.onmessage = (e) => Array.isArray(e.data) && forget(e.data)
    return channel
  } catch {}
}

/** `leaving` runs first when the page is hidden or goes away (the calls still waiting for ids settle). */
export const deliverFromPage = (w: Window, config: Config, backends: Backends, leaving: () => void) => {
  // In the script-tag build this file has its own copy of the log module: its debug lines follow the core's.
  setVerbose(config.debug)
  const ls = backends.localStorage
  const nav = w.navigator
  const { clock, shared } = clocks()
  const outbox = createOutbox(createKV('queue', backends))
  if (!backends.indexedDB && !ls) warn('no IndexedDB or localStorage on this page: calls not yet delivered can be lost when the page unloads')
  const channel = tabsChannel(outbox.forget)
  const delivery = createDelivery({
    outbox,
    transport: createTransport({ fetch: (...a) => w.fetch(...a), beacon: (url, body) => nav.sendBeacon(url, body), apiHost: config.apiHost, now: Date.now }),
    lock: createLock('onsite-send', nav),
    leases: createLeases(ls, shared, LEASES_KEY, SEND_LEASE_MS + UNLOAD_LEASE_MS),
    receipts: createLeases(ls, shared, RECEIPTS_KEY),
    writeKey: config.writeKey,
    apiHost: config.apiHost,
    flushAt: config.flushAt,
    flushIntervalMs: config.flushIntervalMs,
    now: shared,
    clock,
    random: Math.random,
    announce: (ids) => channel?.postMessage(ids),
  })
  const hide = (gone: boolean) => (leaving(), delivery.hide(gone))
  const leave = () => hide(true)
  const onHide = () => {
    const hidden = w.document.visibilityState === 'hidden'
    delivery.visible(!hidden)
    if (hidden) hide(false)
  }
  // back from the back/forward cache: the page lives again
  const onShow = (e: PageTransitionEvent) => e.persisted && delivery.visible(w.document.visibilityState !== 'hidden')
  // another tab took or released leases: if it dies holding them, this tab takes over when they expire
  const onStorage = (e: StorageEvent) => e.key === LEASES_KEY && delivery.wake()
  w.addEventListener('pagehide', leave)
  w.addEventListener('pageshow', onShow)
  w.addEventListener('storage', onStorage)
  w.document.addEventListener('visibilitychange', onHide)
  return {
    add: delivery.add,
    flush: delivery.flush,
    leave,
    /** Consent withdrawn: no more sends, listeners or messages; `clear` then empties the outbox. */
    stop(): void {
      w.removeEventListener('pagehide', leave)
      w.removeEventListener('pageshow', onShow)
      w.removeEventListener('storage', onStorage)
      w.document.removeEventListener('visibilitychange', onHide)
      delivery.stop()
      channel?.close()
    },
    clear: () => outbox.clear(),
  }
}
export type PageDelivery = ReturnType<typeof deliverFromPage>
