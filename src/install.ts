// What the script-tag builds do when they load: install the global and replay what the loader stub recorded.
import type { Onsite, QueuedCall } from './api.ts'
import { warn } from './util/log.ts'
import { domReady } from './offers/wait.ts'

export const install = (onsite: Onsite): void => {
  try {
    const w = window as unknown as { onsite?: unknown }
    const prior = w.onsite as { _q?: QueuedCall[]; version?: string } | unknown[] | undefined
    // a second copy of the script (theme + app embed) leaves the first one in charge
    if (prior && (prior as { version?: string }).version) return
    w.onsite = onsite
    // Two loader shapes: the README's stub ({_q: [[method, args, time]]}) or a plain array of [method, ...args].
    const queue: QueuedCall[] = Array.isArray(prior)
      ? prior.filter(Array.isArray).map((c) => [String(c[0]), c.slice(1)])
      : Array.isArray(prior?._q)
        ? prior._q.filter((c) => Array.isArray(c) && Array.isArray(c[1]))
        : []
    // Code that kept a reference to the stub (`const o = window.onsite` before the script came) calls
    // the script from now on, instead of a queue nobody reads. The stub only (it has a
    // queue): never a <form id="onsite"> the browser exposed as window.onsite, whose reset() would become
    // ours; and a frozen stub keeps its methods without stopping the start.
    if (Array.isArray((prior as { _q?: unknown })?._q))
      for (const m in onsite)
        try {
          if (typeof (prior as Record<string, unknown>)[m] == 'function') (prior as Record<string, unknown>)[m] = onsite[m as keyof Onsite]
        } catch {}
    const given = queue.some((c) => c[0] === 'init')
    const found = () => !!document.querySelector('script#onsite-config')
    if (!given && found()) queue.push(['init', []])
    // A consent() recorded by the stub applies before init, wherever it was recorded: otherwise init would
    // start with the config's default ("granted") and store ids before a later consent("pending") in the
    // queue could stop it. The other calls keep their order (they wait for init in memory either way).
    const rank = (c: QueuedCall) => (c[0] === 'consent' ? 0 : c[0] === 'init' ? 1 : 2)
    const o = onsite as unknown as { _replay(q: QueuedCall[]): void; _inited: boolean }
    o._replay(queue.sort((a, b) => rank(a) - rank(b)))
    if (given || o._inited) return
    // An async script can run before the parser reaches a config placed after it: look again once the
    // document is parsed; then say what is missing instead of waiting in silence.
    const later = () =>
      o._inited || (found() ? onsite.init() : warn('no config yet: add #onsite-config or call onsite.init(); calls wait'))
    void domReady(document).then(later)
  } catch (e) {
    try {
      console.error('[onsite] failed to start: ' + e)
    } catch {}
  }
}
