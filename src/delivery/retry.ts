// Backoff while the endpoint fails, and what is said about it: one message of each kind per page.
import { debug, error, warn } from '../util/log.ts'
import type { Outcome } from './transport.ts'

export type Failed = Exclude<Outcome, { ok: true }>

const BASE_MS = 1000
/** 401, 403, 404: the brand's key, proxy or path; retried more slowly, never dropped. */
const CONFIG_BASE_MS = 5000
const MAX_BACKOFF_MS = 30000
const MAX_RETRY_AFTER_MS = 600000
/** A host that fails every request this long gets one error naming config.apiHost. */
const FAILING_MS = 60000

export interface RetryDeps {
  apiHost: string
  /** monotonic */
  clock: () => number
  random: () => number
}

export const createRetry = (d: RetryDeps) => {
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
export type Retry = ReturnType<typeof createRetry>
