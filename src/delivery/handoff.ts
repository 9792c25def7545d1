// The page's delivery from its first call, while the engine (load.ts) is still on its way. Calls made
// before it runs are written ahead to localStorage in the outbox's own format, so the engine (of this page,
// or of the next one if this page dies first) finds them; a page hidden or closed before the engine ran
// hands them to the browser in keepalive requests, as the engine itself would. In: the config, the storage
// backends and the loader; out: what the core calls (`add`, `flush`, `leave`, `stop`, `clear`).
import type { Config } from '../config.ts'
import { error } from '../util/log.ts'
import { loadJSON, saveJSON } from '../util/json.ts'
import type { DeliveryLoader, Engine } from './load.ts'
import type { Entry } from './outbox.ts'
import type { Backends } from './storage.ts'
import { RECEIPT_MS, UNLOAD_LEASE_MS } from './delivery.ts'
import { LEASES_KEY, RECEIPTS_KEY, type PageDelivery } from './page.ts'
import { chunk, KEEPALIVE_BUDGET } from './transport.ts'

/** The outbox's localStorage tier (storage.ts keeps a KV's keys under `onsite:<name>:`). */
const QUEUE = 'onsite:queue:'

/** Adds ids with an expiry to a lease map of localStorage, the way lock.ts keeps them. */
const stamp = (ls: Storage | undefined, key: string, ids: string[], ms: number) => {
  const m = loadJSON<Record<string, number>>(ls, key) ?? {}
  for (const id of ids) m[id] = Date.now() + ms
  saveJSON(ls, key, m)
}

/**
 * The calls waiting for the engine leave with keepalive (the page may be going away): each request that
 * fits the browser's 64 KiB budget, under a lease so no other tab sends them meanwhile; the rest stay
 * written ahead for the next page. One that is answered while the page lives is done: its copy goes.
 */
const sendAhead = (w: Window, config: Config, ls: Storage | undefined, waiting: Entry[]) => {
  let room = KEEPALIVE_BUDGET
  for (const c of chunk(waiting.map((e) => e.call), config.writeKey, new Date().toISOString())) {
    if ((room -= c.bytes) < 0) return
    stamp(ls, LEASES_KEY, c.ids, UNLOAD_LEASE_MS)
    // out of the list as it is sent: a page that goes sends pagehide and visibilitychange, and the second
    // must not send it again; an unanswered one is still written ahead for the next page, after the lease
    waiting.splice(0, waiting.length, ...waiting.filter((e) => !c.ids.includes(e.call.messageId)))
    const sent = w.fetch(config.apiHost + '/b', { method: 'POST', body: c.body, headers: { 'Content-Type': 'text/plain' }, keepalive: true, credentials: 'omit' })
    void sent.then((res) => {
      if (!res.ok) return
      stamp(ls, RECEIPTS_KEY, c.ids, RECEIPT_MS)
      for (const id of c.ids) saveJSON(ls, QUEUE + id)
    }, () => {})
  }
}

/** `leaving` runs first when the page is hidden or goes away (the calls still waiting for ids settle). */
export const handoff = (w: Window, config: Config, backends: Backends, leaving: () => void, load: DeliveryLoader) => {
  const ls = backends.localStorage
  const waiting: Entry[] = []
  let real: PageDelivery | undefined
  let stopped = false
  const early = () => {
    leaving()
    if (!real && !stopped && waiting.length) sendAhead(w, config, ls, waiting)
  }
  const onHide = () => w.document.visibilityState === 'hidden' && early()
  w.addEventListener('pagehide', early)
  w.document.addEventListener('visibilitychange', onHide)
  const unlisten = () => (w.removeEventListener('pagehide', early), w.document.removeEventListener('visibilitychange', onHide))

  const arrive = (m: Engine) => {
    if (stopped || real) return m
    unlisten()
    real = m.deliverFromPage(w, config, backends, leaving)
    for (const e of waiting.splice(0)) void real.add(e)
    return m
  }
  // Tried again with a growing wait: the calls are safe in localStorage meanwhile.
  const attempt = (wait: number): Promise<Engine | undefined> =>
    stopped ? Promise.resolve(undefined) : load().then(arrive, (e: Error) => {
      if (wait == 1000) error(`${e.message}; calls are kept on this browser and sent once it loads`)
      if (!stopped) setTimeout(() => void attempt(Math.min(wait * 2, 60000)), wait)
      return undefined
    })
  return {
    /** The engine, or undefined when its first load failed (later attempts still hand it the calls). */
    engine: attempt(1000),
    add(entry: Entry): Promise<void> {
      if (real) return real.add(entry)
      entry.at = Date.now()
      waiting.push(entry)
      saveJSON(ls, QUEUE + entry.call.messageId, entry)
      return Promise.resolve()
    },
    flush: (): Promise<void> => real?.flush() ?? Promise.resolve(),
    /** The page is going away (pagehide heard before the core started). */
    leave: () => (real ? real.leave() : early()),
    stop(): void {
      stopped = true
      unlisten()
      real?.stop()
    },
    /** Consent withdrawn: the outbox is emptied; false when the engine never ran (its databases are not open). */
    clear: (): Promise<boolean> => (real ? real.clear().then(() => true) : ((waiting.length = 0), Promise.resolve(false))),
  }
}
export type Handoff = ReturnType<typeof handoff>
