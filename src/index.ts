// The public API. `onsite` is the same object as the global of the script-tag build.
import { error } from './log.ts'
import { start, type Core } from './onsite.ts'
import { VERSION } from './version.ts'

export type Method = 'init' | 'page' | 'track' | 'identify' | 'reset' | 'flush'
/** A call recorded before the script arrived: [method, args, time of the call in ms]. */
export type QueuedCall = [string, unknown[], number?]

export interface Onsite {
  /** Starts onsite. Without a config, reads `<script type="application/json" id="onsite-config">`. */
  init(config?: OnsiteConfig): void
  page(properties?: Record<string, unknown>): void
  track(event: string, properties?: Record<string, unknown>): void
  identify(userId?: string | Record<string, unknown>, traits?: Record<string, unknown>): void
  reset(): void
  /** Sends what is queued now; resolves after the attempt (failed sends stay queued and retry). */
  flush(): Promise<void>
  /** The visitor's anonymous id ('' before init). */
  anonymousId(): string
  readonly version: string
}

export interface OnsiteConfig {
  writeKey: string
  apiHost?: string
  region?: 'us' | 'eu'
  flushAt?: number
  flushIntervalMs?: number
  debug?: boolean
}

const MAX_EARLY = 200

/** Reads the config a page (or the Shopify snippet) rendered into a JSON script element. */
const pageConfig = (): unknown => {
  const el = typeof document === 'object' ? document.getElementById('onsite-config') : null
  if (!el) return undefined
  try {
    return JSON.parse(el.textContent || '')
  } catch (e) {
    error(`#onsite-config is not valid JSON (${(e as Error).message}): render it with Liquid's | json filter or JSON.stringify`)
    return null
  }
}

export const createOnsite = (): Onsite => {
  let core: Core | undefined
  let stopped = false
  let at: number | undefined
  const early: QueuedCall[] = []
  const when = () => at ?? Date.now()

  /** Runs a call with the time it was made, so replayed calls keep their original timestamps. */
  const replay = (calls: QueuedCall[]) => {
    for (const [method, args, t] of calls) {
      at = t
      try {
        run(method, args)
      } finally {
        at = undefined
      }
    }
  }

  const run = (method: string, args: unknown[]): unknown => {
    try {
      if (method === 'init') return init(args[0])
      if (!['page', 'track', 'identify', 'reset', 'flush'].includes(method)) return error(`onsite.${method} is not a function of onsite ${VERSION}`)
      if (!core) {
        if (method === 'flush') return Promise.resolve()
        if (!stopped && early.length < MAX_EARLY) early.push([method, args, when()])
        return undefined
      }
      return (core[method as keyof Core] as (...a: unknown[]) => unknown)(...args)
    } catch (e) {
      // Never throw into the store's page.
      error(`${method} failed: ${(e as Error)?.message ?? e}`)
      return method === 'flush' ? Promise.resolve() : undefined
    }
  }

  const init = (config?: unknown) => {
    if (core || stopped) return error('init was called twice; the first config stays in force')
    if (typeof window !== 'object') return error('init needs a browser window')
    core = start(window, config === undefined ? pageConfig() : config, when)
    if (!core) {
      stopped = true
      early.length = 0
      return
    }
    const w = window as unknown as { onsite?: unknown }
    if (!w.onsite || !(w.onsite as Onsite).version) w.onsite = api
    replay(early.splice(0))
  }

  const api: Onsite = {
    init: (config) => void run('init', [config]),
    page: (...a) => void run('page', a),
    track: (...a) => void run('track', a),
    identify: (...a) => void run('identify', a),
    reset: () => void run('reset', []),
    flush: () => run('flush', []) as Promise<void>,
    anonymousId: () => core?.anonymousId() ?? '',
    version: VERSION,
  }
  Object.defineProperty(api, '_replay', { value: replay })
  return api
}

/** The one onsite of this page. Importing it does nothing until `onsite.init()`. */
export const onsite: Onsite = /* @__PURE__ */ createOnsite()
export default onsite
