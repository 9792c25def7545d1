import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { scriptLoader } from '../../../src/util/script.ts'

const CHUNK_GLOBAL = '__testChunk'
const chunkLoader = (file: string) => scriptLoader<unknown>(file, CHUNK_GLOBAL, 'the offers')

const asCurrent = (attrs: { src?: string; nonce?: string }) => {
  const el = document.createElement('script')
  if (attrs.src) el.src = attrs.src
  if (attrs.nonce) el.nonce = attrs.nonce
  Object.defineProperty(document, 'currentScript', { get: () => el, configurable: true })
}
// happy-dom loads no scripts (it fires error at once): the element is kept out of the document and its
// load / error handlers are called by the test, as a browser would. Chromium loads the real file in the
// browser tests of offers.
let appended: HTMLScriptElement[] = []
const injected = () => appended
beforeEach(() => {
  appended = []
  vi.spyOn(document.head, 'append').mockImplementation((...nodes) => void appended.push(...(nodes as HTMLScriptElement[])))
})
afterEach(() => {
  vi.restoreAllMocks()
  Object.defineProperty(document, 'currentScript', { get: () => null, configurable: true })
  delete (window as unknown as Record<string, unknown>)[CHUNK_GLOBAL]
})

describe('scriptLoader', () => {
  it('loads the file next to the script that is running, with its query and nonce, once', async () => {
    asCurrent({ src: 'https://cdn.example/shop/assets/onsite.js?v=123', nonce: 'n0nce' })
    const load = chunkLoader('onsite-offers.js')
    const started = () => undefined
    const got = load()
    expect(load()).toBe(got)
    const [s, ...more] = injected()
    expect(more).toEqual([])
    expect(s!.src).toBe('https://cdn.example/shop/assets/onsite-offers.js?v=123')
    expect(s!.nonce).toBe('n0nce')
    ;(window as unknown as Record<string, unknown>)[CHUNK_GLOBAL] = started
    s!.onload!(new Event('load'))
    expect(await got).toBe(started)
  })

  it("loads a file the page preloads from the preload's own URL (Shopify gives each asset its own ?v=)", async () => {
    asCurrent({ src: 'https://cdn.example/shop/assets/onsite.js?v=123' })
    const links = ['https://cdn.example/other/onsite-offers.js?v=1', 'https://cdn.example/shop/assets/onsite-offers.js?v=456']
    for (const href of links) document.head.insertAdjacentHTML('beforeend', `<link rel="preload" as="script" href="${href}">`)
    try {
      void chunkLoader('onsite-offers.js')().catch(() => {})
      void chunkLoader('onsite-delivery.js')().catch(() => {})
      expect(injected().map((s) => s.src)).toEqual(['https://cdn.example/shop/assets/onsite-offers.js?v=456', 'https://cdn.example/shop/assets/onsite-delivery.js?v=123'])
    } finally {
      document.head.querySelectorAll('link').forEach((l) => l.remove())
    }
  })

  it('uses the file a tag of its own already ran, without loading it again', async () => {
    asCurrent({ src: 'https://cdn.example/onsite.js' })
    const engine = { ready: true }
    ;(window as unknown as Record<string, unknown>)[CHUNK_GLOBAL] = engine
    expect(await chunkLoader('onsite-delivery.js')()).toBe(engine)
    expect(injected()).toEqual([])
  })

  it('rejects, naming the file, when the script fails to load or defines nothing', async () => {
    asCurrent({ src: 'https://cdn.example/onsite.js' })
    const failed = chunkLoader('onsite-offers.js')()
    injected()[0]!.onerror!(new Event('error'))
    await expect(failed).rejects.toThrow('could not load https://cdn.example/onsite-offers.js: upload onsite-offers.js next to onsite.js')
    appended = []
    const empty = chunkLoader('onsite-offers.js')()
    injected()[0]!.onload!(new Event('load'))
    await expect(empty).rejects.toThrow('did not define the offers')
  })

  it('tries again after a failed load (a network blip must not cost the page its delivery), once at a time', async () => {
    asCurrent({ src: 'https://cdn.example/onsite.js' })
    const load = chunkLoader('onsite-delivery.js')
    const first = load()
    const [s1] = injected()
    s1!.onerror!(new Event('error'))
    await expect(first).rejects.toThrow('could not load https://cdn.example/onsite-delivery.js')
    const second = load()
    expect(load()).toBe(second)
    const [, s2, ...more] = injected()
    expect(more).toEqual([])
    const engine = { ok: true }
    ;(window as unknown as Record<string, unknown>)[CHUNK_GLOBAL] = engine
    s2!.onload!(new Event('load'))
    expect(await second).toBe(engine)
    expect(load()).toBe(second)
  })

  it('rejects without a request when the core was not loaded from a URL (an inline script)', async () => {
    asCurrent({})
    await expect(chunkLoader('onsite-offers.js')()).rejects.toThrow('onsite.js was not loaded from a URL')
    expect(injected()).toEqual([])
  })
})
