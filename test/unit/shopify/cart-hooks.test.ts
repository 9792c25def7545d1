// The fetch and XMLHttpRequest wrappers must leave the host page's behaviour as the originals give it:
// the same settlement and errors (including whether a rejection counts as unhandled), the same `name`,
// `length` and `String()`, the very promise for anything that is not a cart request.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { patch, wrapFetch, wrapXhr, type Fns } from '../../../src/shopify/cart-hooks.ts'

/** A stand-in for the page's fetch: named `fetch`, one declared parameter like the native, answers via `impl`. */
const pageFetch = (impl: (input: unknown) => unknown) =>
  ({
    fetch(input: unknown) {
      return impl(input)
    },
  }).fetch

const deferredResponse = () => {
  let resolve!: (r: Response) => void
  return { promise: new Promise<Response>((r) => (resolve = r)), resolve: (r: Response) => resolve(r) }
}

const offs: (() => void)[] = []
afterEach(() => offs.splice(0).forEach((off) => off()))

/** Installs our wrapper on a fresh window-like object; returns it and the subscriber's calls. */
const install = (orig: (...a: any[]) => unknown) => {
  const w = { fetch: orig }
  const sub = vi.fn()
  const [off] = patch(w, ['fetch'], wrapFetch, sub)!
  offs.push(off)
  return { w, sub }
}

/**
 * Runs `host` and collects the reasons Node reports as unhandled rejections (as a browser fires
 * `unhandledrejection`). Vitest's own listener is set aside meanwhile, since it fails the run on one.
 */
const unhandled = async (host: () => void): Promise<unknown[]> => {
  const seen: unknown[] = []
  const mine = (reason: unknown) => void seen.push(reason)
  const theirs = process.listeners('unhandledRejection')
  process.removeAllListeners('unhandledRejection')
  process.on('unhandledRejection', mine)
  try {
    host()
    await new Promise((r) => setTimeout(r, 20))
  } finally {
    process.off('unhandledRejection', mine)
    theirs.forEach((l) => process.on('unhandledRejection', l))
  }
  return seen
}

describe('wrapFetch: the host page keeps its own promise behaviour', () => {
  it('a rejected cart fetch the host ignores still reaches unhandledrejection, with the same reason', async () => {
    const reason = new TypeError('Failed to fetch')
    const { w, sub } = install(pageFetch(() => Promise.reject(reason)))
    // the page fires and forgets, as many themes do
    const seen = await unhandled(() => void w.fetch('/cart/change.js'))
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBe(reason)
    expect(sub).not.toHaveBeenCalled()
  })

  it('a rejected add the host ignores: still unhandled for the host, and its answer to us is false', async () => {
    const reason = new TypeError('Failed to fetch')
    const { w, sub } = install(pageFetch(() => Promise.reject(reason)))
    const seen = await unhandled(() => void w.fetch('/cart/add.js', { method: 'POST', body: 'id=1' }))
    expect(seen).toEqual([reason])
    expect(sub.mock.calls[0]!.slice(0, 2)).toEqual(['/cart/add.js', 'id=1'])
    expect(await sub.mock.calls[0]![2]).toBe(false)
  })

  it('a rejected cart fetch the host handles: the host sees the same reason, nothing is unhandled', async () => {
    const reason = new TypeError('Failed to fetch')
    const { w } = install(pageFetch(() => Promise.reject(reason)))
    let got: unknown
    const seen = await unhandled(() => void (w.fetch('/cart/change.js') as Promise<Response>).catch((e) => (got = e)))
    expect(seen).toEqual([])
    expect(got).toBe(reason)
  })

  it('a successful cart fetch notifies the subscriber and the host gets the very same Response', async () => {
    const res = new Response('{}', { status: 200 })
    const { w, sub } = install(pageFetch(() => Promise.resolve(res)))
    expect(await w.fetch('/cart/change.js')).toBe(res)
    expect(sub.mock.calls).toEqual([['/cart/change.js']])
    expect(res.bodyUsed).toBe(false)
  })

  it('a failed (not ok) cart answer reaches the host untouched and notifies no one', async () => {
    const res = new Response('', { status: 422 })
    const { w, sub } = install(pageFetch(() => Promise.resolve(res)))
    expect(await w.fetch(new Request('https://shop.example/cart/update.js'))).toBe(res)
    expect(sub).not.toHaveBeenCalled()
  })

  it('an add is told as it leaves, with its body; its answer comes from a clone, the host reads its own', async () => {
    const line = { id: 111, variant_id: 111, quantity: 1 }
    const answer = deferredResponse()
    const { w, sub } = install(pageFetch(() => answer.promise))
    const body = new FormData()
    body.append('id', '111')
    const sent = w.fetch('/cart/add', { method: 'POST', body }) as Promise<Response>
    // told before the answer: a refresh can wait for it
    expect(sub.mock.calls.map((c) => c.slice(0, 2))).toEqual([['/cart/add', body]])
    const res = new Response(JSON.stringify(line), { status: 200 })
    answer.resolve(res)
    expect(await sent).toBe(res)
    expect(res.bodyUsed).toBe(false)
    expect(await res.json()).toEqual(line)
    expect(await sub.mock.calls[0]![2]).toEqual(line)
  })

  it('an add answered 422 is told false; one answered with something other than JSON, undefined', async () => {
    const answers = [new Response('{"status":422}', { status: 422 }), new Response('<html>', { status: 200 })]
    const { w, sub } = install(pageFetch(() => Promise.resolve(answers.shift())))
    expect(((await w.fetch('/cart/add.js')) as Response).status).toBe(422)
    expect(await ((await w.fetch('/cart/add.js')) as Response).text()).toBe('<html>')
    expect(await Promise.all(sub.mock.calls.map((c) => c[2]))).toEqual([false, undefined])
  })

  it('a non-cart fetch returns the original promise itself', () => {
    const p = Promise.resolve(new Response(''))
    const { w, sub } = install(pageFetch(() => p))
    expect(w.fetch('/products/tee.js')).toBe(p)
    expect(sub).not.toHaveBeenCalled()
  })

  it('whatever a replaced fetch returns that is not a promise reaches the host as is', () => {
    const odd = { status: 200 }
    const { w } = install(pageFetch(() => odd))
    expect(w.fetch('/cart/add.js')).toBe(odd)
  })

  it('an exception the original throws synchronously propagates unchanged', () => {
    const err = new TypeError("Failed to execute 'fetch' on 'Window': Invalid name")
    const { w } = install(
      pageFetch(() => {
        throw err
      }),
    )
    expect(() => w.fetch('/cart/add.js')).toThrow(err)
    expect(() => w.fetch('/products/tee.js')).toThrow(err)
  })

  it('passes `this` and every argument through', async () => {
    const orig = vi.fn(function (this: unknown, ..._a: unknown[]) {
      return Promise.resolve(new Response(''))
    })
    const { w } = install(orig)
    const init = { method: 'POST' }
    await w.fetch('/cart/add.js', init, 'extra')
    expect(orig.mock.contexts[0]).toBe(w)
    expect(orig.mock.calls[0]).toEqual(['/cart/add.js', init, 'extra'])
  })
})

describe('the wrappers look like the functions they replace', () => {
  const looksLike = (mine: Function, orig: Function) => {
    expect(mine).not.toBe(orig)
    expect(mine.name).toBe(orig.name)
    expect(mine.length).toBe(orig.length)
    expect(String(mine)).toBe(String(orig))
    // what anti-tamper scripts read: never the wrapper's own source
    expect(Function.prototype.toString.call(mine)).toMatch(/^function \w*\(\) \{\s*\[native code\]\s*\}$/)
    expect(Object.keys(mine)).toEqual([])
    expect('prototype' in mine).toBe('prototype' in orig)
  }

  it('fetch: same name, length and String() as the original', () => {
    const orig = pageFetch(() => Promise.resolve(new Response('')))
    const { w } = install(orig)
    expect(w.fetch.name).toBe('fetch')
    expect(w.fetch.length).toBe(1)
    looksLike(w.fetch, orig)
  })

  it('fetch: also against the environment’s own fetch', () => {
    const orig = globalThis.fetch
    const [mine] = wrapFetch([orig] as Fns, () => {})
    looksLike(mine!, orig)
  })

  it('XMLHttpRequest open and send: same name, length and String() as the originals', () => {
    const proto = XMLHttpRequest.prototype
    const [open, send] = wrapXhr([proto.open, proto.send] as Fns, () => {})
    looksLike(open!, proto.open)
    looksLike(send!, proto.send)
    const fake = { open(_m: string, _u: string) {}, send() {} }
    const [o2, s2] = wrapXhr([fake.open, fake.send] as Fns, () => {})
    expect([o2!.name, o2!.length, s2!.name, s2!.length]).toEqual(['open', 2, 'send', 0])
  })
})
