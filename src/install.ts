// What the script-tag builds do when they load: install the global and replay what the loader stub recorded.
import type { Onsite, QueuedCall } from './index.ts'

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
        ? prior._q
        : []
    if (!queue.some((c) => c[0] === 'init') && document.getElementById('onsite-config')) queue.push(['init', []])
    // A consent() recorded by the stub applies before init, wherever it was recorded: otherwise init would
    // start with the config's default ("granted") and store ids before a later consent("pending") in the
    // queue could stop it. The other calls keep their order (they wait for init in memory either way).
    const rank = (c: QueuedCall) => (c[0] === 'consent' ? 0 : c[0] === 'init' ? 1 : 2)
    ;(onsite as unknown as { _replay(q: QueuedCall[]): void })._replay(queue.sort((a, b) => rank(a) - rank(b)))
  } catch (e) {
    try {
      console.error('[onsite] failed to start: ' + e)
    } catch {}
  }
}
