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
    if (!queue.some((c) => c[0] === 'init') && document.getElementById('onsite-config')) queue.unshift(['init', []])
    ;(onsite as unknown as { _replay(q: QueuedCall[]): void })._replay(queue)
  } catch (e) {
    try {
      console.error('[onsite] failed to start: ' + e)
    } catch {}
  }
}
