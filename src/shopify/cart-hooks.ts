// The cart capture's observer of the host's own requests: fetch and XMLHttpRequest are wrapped so a
// finished call to /cart/(add|change|update|clear) is noticed. The host keeps its `this`, arguments,
// exceptions and what its promise settles with. Only an add is read: its request body as the host gave
// it, and its answer through a clone, so the host's own Response stays unread.

// The wrappers' quick look at any URL, before the exact check on its path and origin.
const MAYBE_CART = /\/cart\/(?:add|change|update|clear)\b/i
const ADD = /\/cart\/add\b/i

/**
 * A finished cart call: `tell(url)`. An add is told when it leaves, so that a refresh can wait for the
 * adds in flight: `tell(url, body, got)`, where `got` settles with the answer's JSON (undefined when it is
 * not JSON), or false when the call failed. It never rejects.
 */
export type Sub = (url: string, sent?: unknown, got?: Promise<unknown>) => void
export type Fns = ((...a: any[]) => any)[]
interface Hub {
  subs: Set<Sub>
  orig: Fns
  mine: Fns
}

/**
 * Replaces `keys` of `target` with the wrappers `wrap` makes, once per target whatever the number of
 * watchers (a global symbol marks it, so two copies of the script share it too); each watcher subscribes.
 * The last to leave restores the originals if ours are still the ones installed: someone who wrapped after
 * us would lose their wrapper, so ours then stays as a pass-through. Returns [unsubscribe, originals].
 */
export const patch = (target: any, keys: string[], wrap: (orig: Fns, tell: Sub) => Fns, sub: Sub): [() => void, Fns] | undefined => {
  if (!target) return
  const sym = Symbol.for('onsite.cart.' + keys.join())
  let hub: Hub | undefined = target[sym]
  if (!hub) {
    const orig: Fns = keys.map((k) => target[k])
    if (orig.some((f) => typeof f != 'function')) return
    const subs = new Set<Sub>()
    const mine = wrap(orig, (...a) =>
      subs.forEach((s) => {
        try {
          s(...a)
        } catch {}
      }),
    )
    keys.forEach((k, i) => (target[k] = mine[i]))
    target[sym] = hub = { subs, orig, mine }
  }
  const h = hub
  h.subs.add(sub)
  const off = () => {
    h.subs.delete(sub)
    if (h.subs.size || !keys.every((k, i) => target[k] === h.mine[i])) return
    keys.forEach((k, i) => (target[k] = h.orig[i]))
    delete target[sym]
  }
  return [off, h.orig]
}

/**
 * The wrapper as the function it replaces: a Proxy of the original that runs `f` when called. Page scripts
 * and anti-tamper checks see the original's name, length, keys and prototype, `toString()` gives the
 * original's source, and `Function.prototype.toString.call` answers "[native code]" as for any Proxy of a
 * function (a plain wrapper would show our source there). `new` fails as it does on the original.
 * https://tc39.es/ecma262/#sec-function.prototype.tostring (a callable Proxy is NativeFunction)
 */
const native = <F extends Function>(f: F, orig: Function): F => {
  try {
    return new Proxy(orig, {
      apply: (_, self, args) => f.apply(self, args),
      get: (t, k) => (k === 'toString' ? () => t.toString() : Reflect.get(t, k)),
    }) as unknown as F
  } catch {
    return f
  }
}

/** An add's answer: settled by `land`, with false for a failure. */
const landing = (): [Promise<unknown>, (v: unknown) => void] => {
  let land!: (v: unknown) => void
  return [new Promise((r) => (land = r)), land]
}

/**
 * The host keeps its own `this`, arguments, exceptions and, for any other URL, the very promise the
 * original returned. A cart request's promise gets our handler, which marks it handled, so the host gets
 * the promise derived from it instead: the same Response, or a rejection with the same reason that reaches
 * `unhandledrejection` if the host ignores it. An add's answer is read from a clone made before the host
 * can see the Response.
 */
export const wrapFetch = ([orig]: Fns, tell: Sub): Fns => [
  native(
    {
      fetch(this: unknown, input: unknown, init?: RequestInit) {
        const p = orig!.apply(this, arguments as any)
        try {
          const url = typeof input == 'string' ? input : typeof (input as Request).url == 'string' ? (input as Request).url : String(input)
          if (!MAYBE_CART.test(url)) return p
          const add = ADD.test(url)
          const sent = add ? init?.body : undefined
          const [got, land] = landing()
          // something other than a thenable makes `p.then` throw: the host then gets it as the original gave it
          const q = p.then((r: Response) => {
            try {
              if (!r.ok) land(false)
              else if (add) land(r.clone().json().catch(() => {}))
              else tell(url)
            } catch {
              land(false)
            }
            return r
          })
          // a branch of its own: the host's promise still carries the rejection
          p.then(null, () => land(false))
          if (add) tell(url, sent, got)
          return q
        } catch {
          return p
        }
      },
    }.fetch,
    orig!,
  ),
]

/** XMLHttpRequest (jQuery themes): the URL is noted at open(), `loadend` is watched from send(). */
export const wrapXhr = ([open, send]: Fns, tell: Sub): Fns => {
  const urls = new WeakMap<object, string>()
  const mine = {
    open(this: XMLHttpRequest, _method: string, url: unknown) {
      const r = open!.apply(this, arguments as any)
      try {
        urls.set(this, String(url))
      } catch {}
      return r
    },
    send(this: XMLHttpRequest, body?: unknown) {
      try {
        const url = urls.get(this)
        const xhr = this
        if (url && MAYBE_CART.test(url)) {
          const add = ADD.test(url)
          const [got, land] = landing()
          xhr.addEventListener('loadend', () => {
            const ok = xhr.status >= 200 && xhr.status < 300
            if (!add) return ok && tell(url)
            try {
              land(ok && (xhr.responseType == 'json' ? xhr.response : JSON.parse(xhr.responseText)))
            } catch {
              land(ok && undefined)
            }
          })
          if (add) tell(url, body, got)
        }
      } catch {}
      return send!.apply(this, arguments as any)
    },
  }
  return [native(mine.open, open!), native(mine.send, send!)]
}
