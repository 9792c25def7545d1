// One identify per change of person: the rules of identify.ts applied to the identity as it is in the
// call's turn. A different person starts a new anonymous id and session; an unchanged one sends nothing.
import type { Emit } from '../capture/emit.ts'
import { own } from '../util/check.ts'
import { debug } from '../util/log.ts'
import { isOtherPerson, planIdentify, resolveUserId, type IdentifyInput } from './identify.ts'
import type { Identity } from './identity.ts'
import type { Sessions } from './session.ts'

export const createIdentify = (emit: Emit, identity: Identity, sessions: Sessions, identifyBy: string) => (input: IdentifyInput) =>
  emit('identify', { traits: {} }, (call) => {
    // own keys only: an Object.prototype.userId set by the page must not become this shopper's userId
    input = own(input) as IdentifyInput
    const userId = resolveUserId(identity.person(), input, identifyBy)
    if (userId === null) return debug('a tracked link id was ignored: this browser already knows its person (a userId or an email); a link may identify an anonymous browser only'), false
    if (isOtherPerson(identity.person(), userId, input)) {
      debug('a different person identified: starting a new anonymous id')
      void identity.reset()
      sessions.end()
    }
    const plan = planIdentify(identity.person(), identity.anonymousId(), userId, input)
    void identity.setPerson(plan.person)
    if (!plan.call) return debug('identify skipped: nothing changed'), false
    call.traits = plan.call
  })
