// Init scripts that break a page the way real browsers and devices do. They run in the page (no closures:
// Playwright sends their source), before any script of it, and leave the storage probe page alone so it
// reads what onsite managed to store.
import type { BrowserContext } from 'playwright'
import { PROBE_PATH } from './run.ts'

/** Touching `indexedDB` throws (a sandboxed frame, a privacy mode). */
const noIndexedDB = (probe: string) => {
  if (location.pathname === probe) return
  Object.defineProperty(window, 'indexedDB', { configurable: true, get: () => { throw new DOMException('blocked', 'SecurityError') } })
}

/** Touching `localStorage` throws. */
const noLocalStorage = (probe: string) => {
  if (location.pathname === probe) return
  Object.defineProperty(window, 'localStorage', { configurable: true, get: () => { throw new DOMException('blocked', 'SecurityError') } })
}

/** indexedDB.open() returns a request that never fires (Safari has shipped this; see src/delivery/storage.ts). */
const hungIndexedDB = (probe: string) => {
  if (location.pathname === probe) return
  // A plain EventTarget: handlers can be set on it (a real IDBRequest's setters refuse a fake `this`).
  IDBFactory.prototype.open = () => Object.assign(new EventTarget(), { readyState: 'pending', result: undefined, error: null, source: null, transaction: null }) as unknown as IDBOpenDBRequest
}

/** localStorage takes `writes` writes of onsite's keys per page, then throws QuotaExceededError for them. */
const quotaAfter = ([probe, writes]: [string, number]) => {
  if (location.pathname === probe) return
  let left = writes
  const real = Storage.prototype.setItem
  Storage.prototype.setItem = function (this: Storage, key: string, value: string) {
    const ours = String(key).startsWith('onsite:')
    if (ours && left <= 0) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    real.call(this, key, value)
    if (ours) left--
  }
}

/** `?clock=<ms>` moves the page's wall clock (Date, Date.now) by that much; performance.now is untouched. */
const shiftedClock = () => {
  const offset = Number(new URLSearchParams(location.search).get('clock')) || 0
  if (!offset) return
  const Real = Date
  const now = () => Real.now() + offset
  window.Date = new Proxy(Real, {
    construct: (T, args) => Reflect.construct(T, args.length ? args : [now()]),
    apply: () => new Real(now()).toString(),
    get: (T, key) => (key === 'now' ? now : Reflect.get(T, key)),
  })
}

export const breakIndexedDB = (ctx: BrowserContext) => ctx.addInitScript(noIndexedDB, PROBE_PATH)
export const breakLocalStorage = (ctx: BrowserContext) => ctx.addInitScript(noLocalStorage, PROBE_PATH)
export const hangIndexedDB = (ctx: BrowserContext) => ctx.addInitScript(hungIndexedDB, PROBE_PATH)
export const fillLocalStorageAfter = (ctx: BrowserContext, writes: number) => ctx.addInitScript(quotaAfter, [PROBE_PATH, writes] as [string, number])
export const clockFromQuery = (ctx: BrowserContext) => ctx.addInitScript(shiftedClock)
