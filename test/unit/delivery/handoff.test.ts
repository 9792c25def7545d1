// The core's delivery before the engine file has run: calls written ahead, handed over, or sent at pagehide.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Config } from '../../../src/config.ts'
import { handoff } from '../../../src/delivery/handoff.ts'
import type { Engine } from '../../../src/delivery/load.ts'
import type { Entry } from '../../../src/delivery/outbox.ts'
import { LEASES_KEY, RECEIPTS_KEY, type PageDelivery } from '../../../src/delivery/page.ts'
import { captureErrors, deferred, MemStorage } from '../fakes.ts'

const config = { writeKey: 'wk_handoff', apiHost: 'https://collector.example/v1' } as Config
const entry = (n: number): Entry => ({ call: { type: 'track', event: `E${n}`, messageId: `m${n}`, timestamp: new Date(1e12 + n).toISOString() }, seq: n })

let ls: MemStorage
let posts: { url: string; init: RequestInit; batch: { messageId: string }[] }[]
let answer: () => Promise<Response>
const fakeEngine = () => {
  const got: Entry[] = []
  const real = { add: vi.fn(async (e: Entry) => void got.push(e)), flush: vi.fn(async () => {}), leave: vi.fn(), stop: vi.fn(), clear: vi.fn(async () => {}) }
  const engine = { deliverFromPage: vi.fn(() => real as unknown as PageDelivery), createKV: vi.fn() } as unknown as Engine
  return { engine, real, got }
}
const queued = () => Object.keys(ls.dump()).filter((k) => k.startsWith('onsite:queue:')).sort()
const hide = () => window.dispatchEvent(new Event('pagehide'))

beforeEach(() => {
  ls = new MemStorage()
  posts = []
  answer = async () => new Response('{}', { status: 200 })
  vi.spyOn(window, 'fetch').mockImplementation(async (url, init) => {
    posts.push({ url: String(url), init: init!, batch: JSON.parse(String(init!.body)).batch })
    return answer()
  })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('handoff', () => {
  it('writes calls ahead in the outbox format while the engine loads, then hands them to it in order', async () => {
    const arrival = deferred<Engine>()
    const h = handoff(window, config, { localStorage: ls }, () => {}, () => arrival.promise)
    await h.add(entry(1))
    await h.add(entry(2))
    expect(queued()).toEqual(['onsite:queue:m1', 'onsite:queue:m2'])
    expect(JSON.parse(ls.getItem('onsite:queue:m1')!)).toMatchObject({ call: { messageId: 'm1', event: 'E1' }, seq: 1, at: expect.any(Number) })
    const { engine, real, got } = fakeEngine()
    arrival.resolve(engine)
    expect(await h.engine).toBe(engine)
    expect(got.map((e) => e.call.messageId)).toEqual(['m1', 'm2'])
    await h.add(entry(3))
    expect(real.add).toHaveBeenCalledTimes(3)
    // from now on the engine owns storage: the core writes nothing more ahead
    expect(queued()).toEqual(['onsite:queue:m1', 'onsite:queue:m2'])
    hide()
    expect(posts).toEqual([])
    h.stop()
  })

  it('a page hidden before the engine ran sends the waiting calls with keepalive, leased, and forgets them once answered', async () => {
    const leaving = vi.fn()
    const h = handoff(window, config, { localStorage: ls }, leaving, () => new Promise(() => {}))
    await h.add(entry(1))
    await h.add(entry(2))
    hide()
    expect(leaving).toHaveBeenCalled()
    expect(posts).toHaveLength(1)
    expect(posts[0]!.url).toBe('https://collector.example/v1/b')
    expect(posts[0]!.init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' })
    expect(posts[0]!.batch.map((c) => c.messageId)).toEqual(['m1', 'm2'])
    expect(Object.keys(JSON.parse(ls.getItem(LEASES_KEY)!))).toEqual(['m1', 'm2'])
    await vi.waitFor(() => expect(queued()).toEqual([]))
    expect(Object.keys(JSON.parse(ls.getItem(RECEIPTS_KEY)!))).toEqual(['m1', 'm2'])
    // answered: a second hide sends nothing again
    hide()
    expect(posts).toHaveLength(1)
    h.stop()
  })

  it('a keepalive send that fails keeps the calls written ahead for the next page', async () => {
    answer = async () => new Response('', { status: 503 })
    const h = handoff(window, config, { localStorage: ls }, () => {}, () => new Promise(() => {}))
    await h.add(entry(1))
    hide()
    await vi.waitFor(() => expect(posts).toHaveLength(1))
    await new Promise((r) => setTimeout(r, 10))
    expect(queued()).toEqual(['onsite:queue:m1'])
    expect(ls.getItem(RECEIPTS_KEY)).toBeNull()
    h.stop()
  })

  it('a failed load says so once and is tried again with a growing wait; the engine then gets the calls', async () => {
    vi.useFakeTimers()
    const errors = captureErrors()
    const { engine, got } = fakeEngine()
    let tries = 0
    const load = vi.fn(() => (++tries < 3 ? Promise.reject(new Error('could not load onsite-delivery.js')) : Promise.resolve(engine)))
    const h = handoff(window, config, { localStorage: ls }, () => {}, load)
    await h.add(entry(1))
    expect(await h.engine).toBeUndefined()
    await vi.advanceTimersByTimeAsync(999)
    expect(load).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(load).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1999)
    expect(load).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(load).toHaveBeenCalledTimes(3)
    expect(got.map((e) => e.call.messageId)).toEqual(['m1'])
    expect(errors.messages()).toEqual([expect.stringMatching(/^\[onsite\] could not load onsite-delivery\.js; calls are kept on this browser/)])
    h.stop()
  })

  it('stopped (consent withdrawn) before the engine ran: no retry, no keepalive send, clear() says the engine never ran', async () => {
    vi.useFakeTimers()
    const load = vi.fn(() => Promise.reject(new Error('offline')))
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const h = handoff(window, config, { localStorage: ls }, () => {}, load)
    await h.add(entry(1))
    await h.engine
    h.stop()
    hide()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(load).toHaveBeenCalledTimes(1)
    expect(posts).toEqual([])
    expect(await h.clear()).toBe(false)
  })
})
