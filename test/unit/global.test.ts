// The script-tag entry runs on import: each test re-imports it after vi.resetModules().
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { VERSION } from '../../src/version.ts'
import { captureErrors, captureWarnings } from './fakes.ts'

type Api = { version: string; flush(): Promise<void>; anonymousId(): string }
type Body = { batch: Record<string, any>[]; writeKey: string }

class FakeChannel {
  onmessage = null
  postMessage(): void {}
  close(): void {}
}
const noNetwork: typeof fetch = () => Promise.reject(new TypeError('no network in unit tests'))

let bodies: Body[]
let log: ReturnType<typeof captureErrors>
const w = window as unknown as { onsite?: unknown }
const load = async () => {
  vi.resetModules()
  // happy-dom runs no script files: the delivery engine is there as if its tag had run first
  await import('../../src/delivery/chunk.ts')
  await import('../../src/global.ts')
  return w.onsite as Api
}
const calls = (writeKey: string) => bodies.filter((b) => b.writeKey === writeKey).flatMap((b) => b.batch)

beforeEach(() => {
  bodies = []
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>(async (_url, init) => {
      bodies.push(JSON.parse(String(init!.body)))
      return new Response('{}', { status: 200 })
    }),
  )
  vi.stubGlobal('BroadcastChannel', FakeChannel)
  localStorage.clear()
  document.cookie = 'onsite_aid=; max-age=0; path=/'
  document.body.innerHTML = ''
  delete w.onsite
  log = captureErrors()
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.stubGlobal('fetch', noNetwork)
  vi.restoreAllMocks()
  delete w.onsite
})

describe('global entry', () => {
  it("replays the README stub's queue ({_q: [[method, args, time]]}) and installs itself", async () => {
    const t = Date.now() - 5000
    w.onsite = { _q: [['init', [{ writeKey: 'wk_stub' }], t], ['track', ['Stubbed', { a: 1 }], t]] }
    const api = await load()
    expect(api.version).toBe(VERSION)
    await api.flush()
    await vi.waitFor(() => expect(calls('wk_stub')).toHaveLength(1), { timeout: 2000, interval: 10 })
    expect(calls('wk_stub')[0]).toMatchObject({ event: 'Stubbed', properties: { a: 1 }, timestamp: new Date(t).toISOString() })
  })

  it('accepts a plain array of [method, ...args]', async () => {
    w.onsite = [['init', { writeKey: 'wk_array' }], ['track', 'From Array', { b: 2 }], 'junk']
    const api = await load()
    await api.flush()
    await vi.waitFor(() => expect(calls('wk_array')).toHaveLength(1), { timeout: 2000, interval: 10 })
    expect(calls('wk_array')[0]).toMatchObject({ event: 'From Array', properties: { b: 2 } })
  })

  it('inits from #onsite-config when the queue has no init', async () => {
    document.body.innerHTML = '<script type="application/json" id="onsite-config">{"writeKey":"wk_tag"}</script>'
    w.onsite = { _q: [['track', ['Tagged', {}], Date.now()]] }
    const api = await load()
    await api.flush()
    await vi.waitFor(() => expect(calls('wk_tag')).toHaveLength(1), { timeout: 2000, interval: 10 })
  })

  it('with no stub and no config it installs itself, waits for init, and says so in one warning', async () => {
    const warnings = captureWarnings()
    const api = await load()
    expect(api.version).toBe(VERSION)
    expect(api.anonymousId()).toBe('')
    expect(log.messages()).toEqual([])
    expect(warnings.messages()).toEqual([
      '[onsite] no config yet: add #onsite-config or call onsite.init(); calls wait',
    ])
  })

  it('a config placed after the script (an async script that ran early) is found once the document is parsed', async () => {
    const warnings = captureWarnings()
    Object.defineProperty(document, 'readyState', { configurable: true, get: () => 'loading' })
    try {
      w.onsite = { _q: [['track', ['Early', {}], Date.now()]] }
      const api = await load()
      document.body.innerHTML = '<script type="application/json" id="onsite-config">{"writeKey":"wk_late_el"}</script>'
      document.dispatchEvent(new Event('DOMContentLoaded'))
      await api.flush()
      await vi.waitFor(() => expect(calls('wk_late_el').map((c) => c.event)).toEqual(['Early']), { timeout: 2000, interval: 10 })
      expect(warnings.messages()).toEqual([])
    } finally {
      delete (document as { readyState?: unknown }).readyState
    }
  })

  it('leaves an onsite that is already loaded alone (script included twice)', async () => {
    const existing = { version: '9.9.9' }
    w.onsite = existing
    await load()
    expect(w.onsite).toBe(existing)
  })

  describe('a consent() the stub recorded applies before init, wherever it stands in the queue', () => {
    const untouched = async (api: Api) => {
      await api.flush()
      await new Promise((r) => setTimeout(r, 50))
      expect(bodies).toEqual([])
      expect(api.anonymousId()).toBe('')
      expect(document.cookie).not.toMatch(/onsite_aid=/)
      expect(Object.keys(localStorage)).toEqual([])
    }

    it('after page(), with the config in #onsite-config (the init the script adds itself)', async () => {
      document.body.innerHTML = '<script type="application/json" id="onsite-config">{"writeKey":"wk_c1"}</script>'
      w.onsite = { _q: [['page', [], Date.now()], ['consent', ['pending'], Date.now()]] }
      await untouched(await load())
    })

    it('after an explicit init in the stub', async () => {
      w.onsite = { _q: [['init', [{ writeKey: 'wk_c2' }], Date.now()], ['track', ['Early', {}], Date.now()], ['consent', ['pending'], Date.now()]] }
      await untouched(await load())
    })

    it('the last recorded state wins: granted then denied sends nothing; pending then granted sends in order', async () => {
      w.onsite = { _q: [['init', [{ writeKey: 'wk_c3' }]], ['consent', ['granted']], ['track', ['Never', {}]], ['consent', ['denied']]] }
      await untouched(await load())
      delete w.onsite
      const t = Date.now() - 1000
      w.onsite = { _q: [['init', [{ writeKey: 'wk_c4', consent: 'pending' }], t], ['track', ['A', {}], t], ['consent', ['granted'], t + 1], ['track', ['B', {}], t + 2]] }
      const api = await load()
      await api.flush()
      await vi.waitFor(() => expect(calls('wk_c4').map((c) => c.event)).toEqual(['A', 'B']), { timeout: 2000, interval: 10 })
      expect(calls('wk_c4')[0]!.timestamp).toBe(new Date(t).toISOString())
    })
  })

  it("the README's stub answers every method before the script loads, and the script replays what it recorded", async () => {
    const stub = /<script>(!function\(w,s\)[^<]*)<\/script>/.exec(readFileSync('README.md', 'utf8'))![1]!
    new Function(stub)()
    const early = w.onsite as Record<string, (...a: unknown[]) => unknown>
    expect(early.anonymousId!()).toBe('')
    expect(early.explain!()).toBeUndefined()
    for (const m of ['init', 'page', 'track', 'identify', 'reset', 'flush', 'consent']) expect(early[m]).toBeTypeOf('function')
    await expect(early.flush!()).resolves.toBeUndefined()
    early.init!({ writeKey: 'wk_readme_stub' })
    early.track!('Stubbed', { n: 1 })
    const api = await load()
    await api.flush()
    await vi.waitFor(() => expect(calls('wk_readme_stub').map((c) => c.type + ' ' + (c.event ?? ''))).toEqual(['page ', 'track Stubbed']), { timeout: 2000, interval: 10 })
  })

  const readmeStub = () => new Function(/<script>(!function\(w,s\)[^<]*)<\/script>/.exec(readFileSync('README.md', 'utf8'))![1]!)()

  it("the README's stub answers like the script: a Promise from flush() only", async () => {
    readmeStub()
    const early = w.onsite as Record<string, (...a: unknown[]) => unknown>
    expect(early.track!('X')).toBeUndefined()
    expect(early.flush!()).toBeInstanceOf(Promise)
    delete w.onsite
    const api = (await load()) as unknown as Record<string, (...a: unknown[]) => unknown>
    expect(api.track!('X')).toBeUndefined()
    expect(api.flush!()).toBeInstanceOf(Promise)
  })

  it('code holding the stub from before the script came calls the script afterwards', async () => {
    readmeStub()
    const held = w.onsite as Record<string, (...a: unknown[]) => unknown>
    held.init!({ writeKey: 'wk_held' })
    const api = await load()
    expect(held.track).toBe((api as unknown as Record<string, unknown>).track)
    held.track!('Through the old reference')
    await api.flush()
    await vi.waitFor(() => expect(calls('wk_held').map((c) => c.event ?? c.type)).toEqual(['page', 'Through the old reference']), { timeout: 2000, interval: 10 })
  })

  it('a malformed entry in the stub queue is skipped; onsite still starts and replays the rest', async () => {
    readmeStub()
    const q = (w.onsite as { _q: unknown[] })._q
    ;(w.onsite as Record<string, (...a: unknown[]) => unknown>).init!({ writeKey: 'wk_garbage' })
    q.push(null, 'track', ['track'], ['track', 'not an array'])
    ;(w.onsite as Record<string, (...a: unknown[]) => unknown>).track!('Kept')
    const api = await load()
    await api.flush()
    await vi.waitFor(() => expect(calls('wk_garbage').map((c) => c.event ?? c.type)).toEqual(['page', 'Kept']), { timeout: 2000, interval: 10 })
    expect(log.messages()).toEqual([])
  })

  it('a frozen stub still starts onsite and replays its queue', async () => {
    readmeStub()
    ;(w.onsite as Record<string, (...a: unknown[]) => unknown>).init!({ writeKey: 'wk_frozen' })
    Object.freeze(w.onsite)
    const api = await load()
    expect(api.version).toBe(VERSION)
    await api.flush()
    await vi.waitFor(() => expect(calls('wk_frozen').map((c) => c.type)).toEqual(['page']), { timeout: 2000, interval: 10 })
    expect(log.messages()).toEqual([])
  })

  it('without a stub, an element exposed as window.onsite (<form id="onsite">) keeps its own methods', async () => {
    const form = document.createElement('form')
    w.onsite = form
    const reset = form.reset
    const api = await load()
    expect(api.version).toBe(VERSION)
    expect(form.reset).toBe(reset)
  })

  it('the README stub is not fooled by an element with id="onsite" (browsers expose it as window.onsite)', () => {
    w.onsite = document.createElement('meta')
    readmeStub()
    expect((w.onsite as { _q?: unknown[] })._q).toEqual([['page', [], expect.any(Number)]])
  })
})
