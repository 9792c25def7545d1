// Turns one API call into the call that goes on the wire: context and time when the shopper acted, then, in
// the call's turn (once the ids are settled), the identity and session, the 32 KB check, and the outbox.
import type { Call } from '../delivery/outbox.ts'
import { byteLength } from '../delivery/transport.ts'
import type { Identity } from '../identity/identity.ts'
import type { Session } from '../identity/session.ts'
import { stringify } from '../util/json.ts'
import { debug, error } from '../util/log.ts'
import { callContext } from './context.ts'
import { MAX_CALL_BYTES } from './taxonomy.ts'
import { scrubPII } from './traits.ts'
import type { Props } from './validate.ts'

export interface EmitDeps {
  w: Window
  /** When the shopper acted (a replayed call keeps its time). */
  when: () => number
  newId: () => string
  identity: Identity
  sessions: { touch(at: number): Session }
  /** Runs `fn` in the call's turn: after the ids are settled, in the order the calls were made. */
  later: (fn: () => void) => void
  add: (entry: { call: Call; seq: number }) => Promise<void>
  /** Consent withdrawn: calls still waiting are discarded. */
  stopped: () => boolean
  /** The brand's own secret URL parameter names (config.redactParams). */
  redact?: readonly string[]
}

/** `prepare` runs in the call's turn and may adjust the call or cancel it by returning false. */
export type Prepare = (call: Call) => boolean | void

export const createEmitter = (d: EmitDeps) => {
  let seq = 0

  /** Completes a call with the identity and session as they are in its turn, and hands it to delivery. */
  const queue = (call: Call, at: number, order: number, prepare?: Prepare) => {
    const name = `${call.type} ${String(call.event ?? '')}`.trim()
    if (d.stopped() || prepare?.(call) === false) return
    const session = d.sessions.touch(at)
    ;(call.context as Props).session = session
    if (call.type === 'page') (call.properties as Props).returning = session.returning
    call.anonymousId = d.identity.anonymousId()
    const userId = d.identity.userId()
    if (userId) call.userId = userId
    // The API answers 200 and silently drops calls over 32 KB, so they never leave the page.
    const text = stringify(call)
    const size = byteLength(text)
    if (size > MAX_CALL_BYTES) return error(`${name} dropped: ${size} bytes, over Customer.io's 32 KB per call`)
    debug(name + ' queued')
    // Stored as it will be sent, plain JSON: IndexedDB cannot clone a function, a DOM node or a Symbol.
    void d.add({ call: JSON.parse(text), seq: order }).catch((e) => error(`${name} dropped: ${e}`))
  }

  return (type: string, fields: Props, prepare?: Prepare): void => {
    const at = d.when()
    const context = callContext(d.w, d.redact)
    // An email in the URL (`?email=...` after a newsletter form) is cut out of the page context too.
    context.page = scrubPII(context.page as Props)[0]
    const call = { type, ...fields, messageId: 'onsite-' + d.newId(), timestamp: new Date(at).toISOString(), context } as Call
    const order = ++seq
    d.later(() => {
      try {
        queue(call, at, order, prepare)
      } catch (e) {
        // a BigInt, a throwing toJSON: never an exception into the page
        error(`${type} ${String(fields.event ?? '')} dropped: ${e}`)
      }
    })
  }
}
export type Emit = ReturnType<typeof createEmitter>
