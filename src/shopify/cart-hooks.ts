// The cart capture's observer of the host's own requests: fetch and XMLHttpRequest are wrapped so a
// finished call to /cart/(add|change|update|clear) is noticed. The host keeps its exact promise, `this`,
// arguments and exceptions; bodies are never read.

// The wrappers' quick look at any URL, before the exact check on its path and origin.
const MAYBE_CART = /\/cart\/(?:add|change|update|clear)\b/i

export type Sub = (url: string) => void
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
    const mine = wrap(orig, (url) =>
      subs.forEach((s) => {
        try {
          s(url)
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
 * The host gets the very promise the original fetch returned, with its own `this`, arguments and
 * exceptions; we only read `ok` once it settles, never the body. Watching a promise marks it handled, so
 * only cart requests are watched: a failed one the host ignores no longer reaches `unhandledrejection`.
 */
export const wrapFetch = ([orig]: Fns, tell: Sub): Fns => [
  function (this: unknown, input: unknown) {
    const p = orig!.apply(this, arguments as any)
    try {
      const url = typeof input == 'string' ? input : typeof (input as Request).url == 'string' ? (input as Request).url : String(input)
      if (MAYBE_CART.test(url)) Promise.resolve(p).then((r: Response) => r?.ok && tell(url), () => {})
    } catch {}
    return p
  },
]

/** XMLHttpRequest (jQuery themes): the URL is noted at open(), `loadend` is watched from send(). */
export const wrapXhr = ([open, send]: Fns, tell: Sub): Fns => {
  const urls = new WeakMap<object, string>()
  return [
    function (this: XMLHttpRequest, _method: string, url: unknown) {
      const r = open!.apply(this, arguments as any)
      try {
        urls.set(this, String(url))
      } catch {}
      return r
    },
    function (this: XMLHttpRequest) {
      try {
        const url = urls.get(this)
        const xhr = this
        if (url && MAYBE_CART.test(url)) xhr.addEventListener('loadend', () => xhr.status >= 200 && xhr.status < 300 && tell(url))
      } catch {}
      return send!.apply(this, arguments as any)
    },
  ]
}
