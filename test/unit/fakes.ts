// Small fakes shared by the unit tests. Not a test file (no `.test.ts`), so vitest does not collect it.
import { vi } from 'vitest'

/** An in-memory Web Storage, with hooks to make writes fail the way browsers do. */
export class MemStorage implements Storage {
  [name: string]: any
  readonly #m = new Map<string, string>()
  /** Throw a QuotaExceededError on setItem when this returns true (called with the key). */
  failWrite: (key: string) => boolean = () => false

  get length(): number {
    return this.#m.size
  }
  key(i: number): string | null {
    return [...this.#m.keys()][i] ?? null
  }
  getItem(k: string): string | null {
    return this.#m.get(k) ?? null
  }
  setItem(k: string, v: string): void {
    if (this.failWrite(k)) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    this.#m.set(k, String(v))
  }
  removeItem(k: string): void {
    this.#m.delete(k)
  }
  clear(): void {
    this.#m.clear()
  }
  /** Everything stored, for assertions. */
  dump(): Record<string, string> {
    return Object.fromEntries(this.#m)
  }
}

export interface Deferred<T> {
  promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
}
export const deferred = <T = void>(): Deferred<T> => {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Seeded PRNG (mulberry32): the same seed gives the same corpus on every run. */
export const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Spies on console.error (silenced) and returns a reader of the messages printed so far. */
export const captureErrors = () => {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
  return { spy, messages: (): string[] => spy.mock.calls.map((c) => String(c[0])) }
}

/** Lets pending promise callbacks run (several hops of async/await). */
export const settle = async (rounds = 20): Promise<void> => {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}

/** Spies on console.warn (silenced) and returns a reader of the messages printed so far. */
export const captureWarnings = () => {
  const spy = vi.spyOn(console, 'warn').mockImplementation(() => {})
  return { spy, messages: (): string[] => spy.mock.calls.map((c) => String(c[0])) }
}

/** A Storage whose every method and property throws, like localStorage in a sandboxed iframe. */
export const throwingStorage = (): Storage =>
  new Proxy(new MemStorage(), {
    get() {
      throw new DOMException('The operation is insecure.', 'SecurityError')
    },
  })

/** A BroadcastChannel that goes nowhere: each createOnsite() in a test stays on its own. */
export class FakeChannel {
  onmessage: ((e: MessageEvent) => void) | null = null
  postMessage(): void {}
  close(): void {}
}

/** What a test page looks like to createOnsite(): a fetch that records every batch and answers 200. */
export const stubPage = (fetchOk: ReturnType<typeof vi.fn<typeof fetch>>, record: (url: string, init: RequestInit, body: any) => void): void => {
  fetchOk.mockReset()
  fetchOk.mockImplementation(async (url, init) => {
    record(String(url), init!, JSON.parse(String(init!.body)))
    return new Response('{}', { status: 200 })
  })
  vi.stubGlobal('fetch', fetchOk)
  vi.stubGlobal('BroadcastChannel', FakeChannel)
  localStorage.clear()
  document.cookie = 'onsite_aid=; max-age=0; path=/'
  document.body.innerHTML = ''
}

/** Late timers of finished tests (retries, intervals) must never reach happy-dom's real fetch. */
const noNetwork: typeof fetch = () => Promise.reject(new TypeError('no network in unit tests'))

export const unstubPage = (): void => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.stubGlobal('fetch', noNetwork)
  vi.restoreAllMocks()
  delete (window as unknown as { onsite?: unknown }).onsite
}
