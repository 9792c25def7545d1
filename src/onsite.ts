// Assembles the pieces behind the public API. Nothing runs until init(): importing is free.
import { nanoid } from 'nanoid'
import { parseConfig } from './config.ts'
import { callContext, pageInfo } from './context.ts'
import { createCookies } from './cookie.ts'
import { createDelivery } from './delivery.ts'
import { createIdentity } from './identity.ts'
import { createLeases, createLock } from './lock.ts'
import { debug, error, setVerbose } from './log.ts'
import { createOutbox, type Call } from './outbox.ts'
import { browserBackends, createKV } from './storage.ts'
import { MAX_CALL_BYTES } from './taxonomy.ts'
import { byteLength, createTransport } from './transport.ts'
import { validateEvent, type Props } from './validate.ts'

type Traits = Record<string, unknown>

const isObj = (v: unknown): v is Props => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Starts everything for one page. `when()` is the time the shopper acted (replayed calls keep theirs). */
export const start = (w: Window, input: unknown, when: () => number) => {
  const config = parseConfig(input, w.location.href)
  if (!config) return undefined
  setVerbose(config.debug || /[?&]onsite_debug=1/.test(w.location.search))
  const now = () => Date.now()
  const backends = browserBackends(w)
  const ls = backends.localStorage
  const identity = createIdentity({
    cookies: createCookies(w.document, w.location.hostname, w.location.protocol === 'https:'),
    kv: createKV('id', backends),
    localStorage: ls,
    newId: nanoid,
  })
  // Every call waits for the ids to be settled; `.then` callbacks on one promise run in the order they
  // were added, so calls keep their order and see the identity as it was when they were made.
  const ready = identity.restore().catch((e) => error('could not restore ids: ' + e))
  const outbox = createOutbox(createKV('queue', backends))
  let channel: BroadcastChannel | undefined
  try {
    channel = new BroadcastChannel('onsite')
    channel.onmessage = (e) => Array.isArray(e.data) && outbox.forget(e.data)
  } catch {}
  const fetchFn: typeof fetch = (...a) => w.fetch(...a)
  const delivery = createDelivery({
    outbox,
    transport: createTransport(fetchFn, config.apiHost, now),
    lock: createLock('onsite-send', w.navigator, ls, nanoid(), now),
    leases: createLeases(ls, now),
    writeKey: config.writeKey,
    flushAt: config.flushAt,
    flushIntervalMs: config.flushIntervalMs,
    now,
    random: Math.random,
    announce: (ids) => channel?.postMessage(ids),
  })
  // Calls left by earlier pages (a crash, a closed tab, a failed send) go first.
  void ready.then(() => delivery.flush())
  w.addEventListener('pagehide', () => delivery.sendNow())
  w.document.addEventListener('visibilitychange', () => w.document.visibilityState === 'hidden' && delivery.sendNow())

  let seq = 0
  const emit = (type: string, fields: Record<string, unknown>) => {
    const call = { type, ...fields, messageId: 'onsite-' + nanoid(), timestamp: new Date(when()).toISOString(), context: callContext(w) } as Call
    const order = ++seq
    return ready.then(() => {
      call.anonymousId = identity.anonymousId()
      const userId = identity.userId()
      if (userId) call.userId = userId
      // The API answers 200 and silently drops calls over 32 KB, so they never leave the page.
      const size = byteLength(JSON.stringify(call))
      if (size > MAX_CALL_BYTES) return error(`${type} ${String(fields.event ?? '')} dropped: ${size} bytes, over Customer.io's 32 KB per call`)
      debug(`${type} ${String(fields.event ?? fields.name ?? '')} queued`)
      return delivery.add({ call, seq: order })
    })
  }

  return {
    page(properties?: unknown) {
      if (properties !== undefined && !isObj(properties)) return error('page(properties): properties must be an object')
      const p = pageInfo(w)
      void emit('page', { properties: { ...p, ...(properties as Props | undefined) } })
    },
    track(event: unknown, properties: unknown = {}) {
      const why = validateEvent(event, properties)
      if (why) return error(`track refused: ${why}`)
      void emit('track', { event, properties })
    },
    identify(userId?: unknown, traits?: unknown) {
      if (isObj(userId) && traits === undefined) [userId, traits] = [undefined, userId]
      if (userId !== undefined && (typeof userId !== 'string' || !userId.trim())) return error('identify(userId, traits): userId must be a non-empty string')
      if (traits !== undefined && !isObj(traits)) return error('identify(userId, traits): traits must be an object')
      void ready.then(() => {
        if (userId) return identity.setUserId((userId as string).trim())
      })
      void emit('identify', { traits: (traits ?? {}) as Traits })
    },
    reset() {
      void ready.then(() => identity.reset())
    },
    flush: (): Promise<void> => ready.then(() => delivery.flush()),
    anonymousId: () => identity.anonymousId(),
  }
}
export type Core = NonNullable<ReturnType<typeof start>>
