import { describe, expect, it } from 'vitest'
import { isOtherPerson, planIdentify, resolveUserId, type IdentifyInput } from '../../../src/identity/identify.ts'
import type { Person } from '../../../src/identity/identity.ts'
import { remembered } from '../../../src/util/hash.ts'

/** Traits as a Person keeps them: fingerprints, never the values. */
const fp = (t: Record<string, unknown>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, remembered(v)]))

const hard = (userId: string | undefined, traits: Record<string, unknown> = {}): IdentifyInput => ({ userId, traits })
const soft = (userId: string | undefined, traits: Record<string, unknown> = {}): IdentifyInput => ({ userId, traits, soft: true })

describe('resolveUserId', () => {
  it('an explicit userId is used as given', () => {
    expect(resolveUserId({}, hard('u1', { email: 'a@x.io' }), 'anonymous')).toBe('u1')
    expect(resolveUserId({}, hard('u1', { email: 'a@x.io' }), 'email')).toBe('u1')
  })

  it('without a userId: undefined with identifyBy "anonymous", the email with identifyBy "email"', () => {
    expect(resolveUserId({}, hard(undefined, { email: 'a@x.io' }), 'anonymous')).toBeUndefined()
    expect(resolveUserId({}, hard(undefined, { email: 'a@x.io' }), 'email')).toBe('a@x.io')
  })

  it('identifyBy "email" without an email gives no userId', () => {
    expect(resolveUserId({}, hard(undefined, { plan: 'pro' }), 'email')).toBeUndefined()
  })

  it.each([
    ['a hard userId', { userId: 'u1' }],
    ['a hard userId with traits', { userId: 'u1', traits: fp({ email: 'a@x.io' }), sentWith: 'A' }],
    // a forwarded email's link on a browser known by its email: identifying it as cio_x would merge two people
    ['an email, without a userId', { traits: fp({ email: 'a@x.io' }), sentWith: 'A' }],
    ['an email captured after an earlier link', { userId: 'cio_y', soft: true, traits: fp({ cio_id: 'y', email: 'a@x.io' }) }],
  ])('a soft id never takes over %s: null', (_label, cur: Person) => {
    expect(resolveUserId(cur, soft('cio_x', { cio_id: 'x' }), 'anonymous')).toBeNull()
    // not even when the link gives only the cio_id trait (cioUserId: false)
    expect(resolveUserId(cur, soft(undefined, { cio_id: 'x' }), 'anonymous')).toBeNull()
    expect(resolveUserId(cur, soft('cio_x', { cio_id: 'x' }), 'email')).toBeNull()
  })

  it('a soft id applies when nobody is known, or over another soft id', () => {
    expect(resolveUserId({}, soft('cio_x'), 'anonymous')).toBe('cio_x')
    expect(resolveUserId({ traits: { plan: 'pro' } }, soft('cio_x'), 'anonymous')).toBe('cio_x')
    expect(resolveUserId({ userId: 'cio_y', soft: true }, soft('cio_x'), 'anonymous')).toBe('cio_x')
  })

  it('a soft input never makes the email its userId', () => {
    expect(resolveUserId({}, soft(undefined, { email: 'a@x.io', cio_id: 'x' }), 'email')).toBeUndefined()
  })

  it('a hard identify over a soft id resolves to its own userId', () => {
    expect(resolveUserId({ userId: 'cio_x', soft: true }, hard('u1'), 'anonymous')).toBe('u1')
    expect(resolveUserId({ userId: 'cio_x', soft: true }, hard(undefined, { email: 'a@x.io' }), 'email')).toBe('a@x.io')
  })
})

describe('isOtherPerson', () => {
  it('nobody known yet: never another person', () => {
    expect(isOtherPerson({}, 'u1', hard('u1'))).toBe(false)
    expect(isOtherPerson({}, undefined, hard(undefined, { email: 'a@x.io' }))).toBe(false)
  })

  it('two userIds: other when they differ', () => {
    expect(isOtherPerson({ userId: 'u1' }, 'u1', hard('u1'))).toBe(false)
    expect(isOtherPerson({ userId: 'u1' }, 'u2', hard('u2'))).toBe(true)
  })

  it('the same userId with a new email is the same person (the email changed)', () => {
    expect(isOtherPerson({ userId: 'u1', traits: fp({ email: 'a@x.io' }) }, 'u1', hard('u1', { email: 'b@x.io' }))).toBe(false)
  })

  it('an email typed by a logged-in customer is theirs: a userId is not compared with an email', () => {
    expect(isOtherPerson({ userId: 'u1', traits: fp({ email: 'a@x.io' }) }, undefined, hard(undefined, { email: 'b@x.io' }))).toBe(false)
    expect(isOtherPerson({ traits: fp({ email: 'a@x.io' }) }, 'u1', hard('u1', { email: 'b@x.io' }))).toBe(false)
  })

  it('two emails, when neither has a userId: other when they differ', () => {
    expect(isOtherPerson({ traits: fp({ email: 'a@x.io' }) }, undefined, hard(undefined, { email: 'b@x.io' }))).toBe(true)
    expect(isOtherPerson({ traits: fp({ email: 'a@x.io' }) }, undefined, hard(undefined, { email: 'a@x.io' }))).toBe(false)
  })

  it('one side without an email is not another person', () => {
    expect(isOtherPerson({ traits: fp({ email: 'a@x.io' }) }, undefined, hard(undefined, { plan: 'pro' }))).toBe(false)
    expect(isOtherPerson({ traits: fp({ plan: 'free' }) }, undefined, hard(undefined, { email: 'a@x.io' }))).toBe(false)
  })

  it('a login or capture after a tracked-link click upgrades the soft id, never a reset', () => {
    const clicked: Person = { userId: 'cio_x', soft: true, traits: fp({ cio_id: 'x', email: 'a@x.io' }) }
    expect(isOtherPerson(clicked, 'u1', hard('u1'))).toBe(false)
    expect(isOtherPerson(clicked, undefined, hard(undefined, { email: 'b@x.io' }))).toBe(false)
    expect(isOtherPerson(clicked, 'b@x.io', hard(undefined, { email: 'b@x.io' }))).toBe(false)
  })

  it('two different soft ids are two people', () => {
    expect(isOtherPerson({ userId: 'cio_x', soft: true }, 'cio_y', soft('cio_y'))).toBe(true)
    expect(isOtherPerson({ userId: 'cio_x', soft: true }, 'cio_x', soft('cio_x'))).toBe(false)
  })
})

describe('planIdentify', () => {
  it('remembers traits as fingerprints only: no email or phone in what is kept', () => {
    const plan = planIdentify({}, 'A1', 'u1', hard('u1', { email: 'jane@x.io', phone: '+14155550123' }))
    expect(plan.call).toEqual({ email: 'jane@x.io', phone: '+14155550123' })
    expect(JSON.stringify(plan.person)).not.toMatch(/jane|4155550123/)
  })

  it('the first identify sends every trait and remembers the person', () => {
    const plan = planIdentify({}, 'A1', 'u1', hard('u1', { email: 'a@x.io', plan: 'pro' }))
    expect(plan).toEqual({
      call: { email: 'a@x.io', plan: 'pro' },
      person: { userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'pro' }), sentWith: 'A1' },
    })
  })

  it('an identify with neither traits nor a userId (its only email was refused) sends nothing', () => {
    expect(planIdentify({}, 'A1', undefined, hard(undefined))).toEqual({ person: { traits: {}, sentWith: 'A1' } })
  })

  it('a trait alone, without userId or email, is still sent (an anonymous profile may hold it)', () => {
    expect(planIdentify({}, 'A1', undefined, hard(undefined, { email_consent: false })).call).toEqual({ email_consent: false })
  })

  it('an identical identify with the same anonymous id makes no call', () => {
    const first = planIdentify({}, 'A1', 'u1', hard('u1', { email: 'a@x.io', plan: 'pro' }))
    const again = planIdentify(first.person, 'A1', 'u1', hard('u1', { email: 'a@x.io', plan: 'pro' }))
    expect(again.call).toBeUndefined()
    expect(again).not.toHaveProperty('call')
    expect(again.person).toEqual(first.person)
  })

  it('no call when nothing changed, also for traits-only identifies of a known userId', () => {
    const cur: Person = { userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'pro' }), sentWith: 'A1' }
    expect(planIdentify(cur, 'A1', undefined, hard(undefined, { plan: 'pro' })).call).toBeUndefined()
    expect(planIdentify(cur, 'A1', undefined, hard(undefined)).call).toBeUndefined()
  })

  it('nested traits are compared by value', () => {
    const cur: Person = { traits: fp({ address: { city: 'Berlin', zip: '10115' } }), sentWith: 'A1' }
    expect(planIdentify(cur, 'A1', undefined, hard(undefined, { address: { city: 'Berlin', zip: '10115' } })).call).toBeUndefined()
    expect(planIdentify(cur, 'A1', undefined, hard(undefined, { address: { city: 'Munich', zip: '80331' } })).call).toEqual({
      address: { city: 'Munich', zip: '80331' },
    })
  })

  // the email is not kept at rest (only its fingerprint): a call carries it when its input does
  it('sends only the traits that changed, and no email it was not given', () => {
    const cur: Person = { userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'free', name: 'Jane' }), sentWith: 'A1' }
    const plan = planIdentify(cur, 'A1', 'u1', hard('u1', { plan: 'pro', name: 'Jane' }))
    expect(plan.call).toEqual({ plan: 'pro' })
    expect(plan.person).toEqual({ userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'pro', name: 'Jane' }), sentWith: 'A1' })
  })

  it('a changed email is sent as the new one', () => {
    const cur: Person = { userId: 'u1', traits: fp({ email: 'a@x.io' }), sentWith: 'A1' }
    const plan = planIdentify(cur, 'A1', 'u1', hard('u1', { email: 'b@x.io' }))
    expect(plan.call).toEqual({ email: 'b@x.io' })
    expect(plan.person.traits).toEqual(fp({ email: 'b@x.io' }))
  })

  it('without a known email, the call has no email key', () => {
    const plan = planIdentify({ traits: fp({ plan: 'free' }), sentWith: 'A1' }, 'A1', undefined, hard(undefined, { plan: 'pro' }))
    expect(plan.call).toEqual({ plan: 'pro' })
    expect(plan.call).not.toHaveProperty('email')
  })

  it('a new userId with unchanged traits is sent (the login links the anonymous id)', () => {
    const cur: Person = { traits: fp({ email: 'a@x.io' }), sentWith: 'A1' }
    const plan = planIdentify(cur, 'A1', 'u1', hard('u1', { email: 'a@x.io' }))
    expect(plan.call).toEqual({ email: 'a@x.io' })
    expect(plan.person.userId).toBe('u1')
  })

  it('a traits-only identify keeps the known userId', () => {
    const cur: Person = { userId: 'u1', traits: {}, sentWith: 'A1' }
    const plan = planIdentify(cur, 'A1', undefined, hard(undefined, { plan: 'pro' }))
    expect(plan.call).toEqual({ plan: 'pro' })
    expect(plan.person.userId).toBe('u1')
  })

  it('a new anonymous id (storage wiped) resends everything, even when nothing changed', () => {
    const cur: Person = { userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'pro' }), sentWith: 'A1' }
    const plan = planIdentify(cur, 'A2', 'u1', hard('u1', { email: 'a@x.io', plan: 'pro' }))
    expect(plan.call).toEqual({ email: 'a@x.io', plan: 'pro' })
    expect(plan.person).toEqual({ userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'pro' }), sentWith: 'A2' })
  })

  it('a new anonymous id sends a call even without traits (the userId links it)', () => {
    const cur: Person = { userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'pro' }), sentWith: 'A1' }
    const plan = planIdentify(cur, 'A2', undefined, hard(undefined))
    expect(plan.call).toEqual({})
    expect(plan.person.sentWith).toBe('A2')
    expect(plan.person.userId).toBe('u1')
  })

  it('a soft identify marks the person soft', () => {
    const plan = planIdentify({}, 'A1', 'cio_x', soft('cio_x', { cio_id: 'x' }))
    expect(plan).toEqual({ call: { cio_id: 'x' }, person: { userId: 'cio_x', soft: true, traits: fp({ cio_id: 'x' }), sentWith: 'A1' } })
  })

  it('a hard identify with a userId upgrades a soft person: new userId, no longer soft, traits kept', () => {
    const cur: Person = { userId: 'cio_x', soft: true, traits: fp({ cio_id: 'x' }), sentWith: 'A1' }
    const plan = planIdentify(cur, 'A1', 'u1', hard('u1', { email: 'a@x.io' }))
    expect(plan.call).toEqual({ email: 'a@x.io' })
    expect(plan.person).toEqual({ userId: 'u1', traits: fp({ cio_id: 'x', email: 'a@x.io' }), sentWith: 'A1' })
    expect(plan.person).not.toHaveProperty('soft')
  })

  it('a hard login with the same userId as the soft one only drops the soft mark (no call)', () => {
    const cur: Person = { userId: 'u1', soft: true, traits: {}, sentWith: 'A1' }
    const plan = planIdentify(cur, 'A1', 'u1', hard('u1'))
    expect(plan.call).toBeUndefined()
    expect(plan.person).toEqual({ userId: 'u1', traits: {}, sentWith: 'A1' })
  })

  it('a hard identify without a userId keeps the soft id and its mark', () => {
    const cur: Person = { userId: 'cio_x', soft: true, traits: fp({ cio_id: 'x' }), sentWith: 'A1' }
    const plan = planIdentify(cur, 'A1', undefined, hard(undefined, { email: 'a@x.io' }))
    expect(plan.call).toEqual({ email: 'a@x.io' })
    expect(plan.person).toEqual({ userId: 'cio_x', soft: true, traits: fp({ cio_id: 'x', email: 'a@x.io' }), sentWith: 'A1' })
  })

  it('does not mutate the known person or the input', () => {
    const cur: Person = { userId: 'u1', traits: fp({ email: 'a@x.io', plan: 'free' }), sentWith: 'A1' }
    const input = hard('u1', { plan: 'pro' })
    const before = [structuredClone(cur), structuredClone(input)]
    planIdentify(cur, 'A1', 'u1', input)
    expect([cur, input]).toEqual(before)
  })
})

/**
 * The three functions as the identify of onsite.ts chains them, on one browser: a different person
 * resets (new anonymous id, nothing carried over) before the plan is made.
 */
const device = (identifyBy = 'anonymous') => {
  let n = 1
  let person: Person = {}
  let anonymousId = 'A1'
  const sent: { anonymousId: string; userId?: string; traits: Record<string, unknown> }[] = []
  return {
    sent,
    person: () => person,
    anonymousId: () => anonymousId,
    identify(input: IdentifyInput): 'ignored' | 'reset' | 'sent' | 'skipped' {
      const userId = resolveUserId(person, input, identifyBy)
      if (userId === null) return 'ignored'
      let reset = false
      if (isOtherPerson(person, userId, input)) {
        anonymousId = `A${++n}`
        person = {}
        reset = true
      }
      const plan = planIdentify(person, anonymousId, userId, input)
      person = plan.person
      if (!plan.call) return 'skipped'
      sent.push({ anonymousId, ...(person.userId ? { userId: person.userId } : {}), traits: plan.call })
      return reset ? 'reset' : 'sent'
    },
  }
}

describe('identify sequences on one device', () => {
  it('a tracked link clicked after a login is ignored: the soft id never overrides the customer', () => {
    const d = device()
    expect(d.identify(hard('u1', { email: 'a@x.io' }))).toBe('sent')
    expect(d.identify(soft('cio_forwarded', { cio_id: 'forwarded' }))).toBe('ignored')
    expect(d.person()).toEqual({ userId: 'u1', traits: fp({ email: 'a@x.io' }), sentWith: 'A1' })
    expect(d.sent).toHaveLength(1)
  })

  it('a login after a tracked-link click upgrades it on the same anonymous id', () => {
    const d = device()
    d.identify(soft('cio_x', { cio_id: 'x' }))
    expect(d.identify(hard('u1', { email: 'a@x.io' }))).toBe('sent')
    expect(d.anonymousId()).toBe('A1')
    expect(d.sent).toEqual([
      { anonymousId: 'A1', userId: 'cio_x', traits: { cio_id: 'x' } },
      { anonymousId: 'A1', userId: 'u1', traits: { email: 'a@x.io' } },
    ])
    // and now a later link is ignored
    expect(d.identify(soft('cio_y', { cio_id: 'y' }))).toBe('ignored')
  })

  it('a second login as someone else resets and sends their traits in full', () => {
    const d = device()
    d.identify(hard('u1', { email: 'a@x.io', plan: 'pro' }))
    expect(d.identify(hard('u2', { email: 'b@x.io' }))).toBe('reset')
    expect(d.sent[1]).toEqual({ anonymousId: 'A2', userId: 'u2', traits: { email: 'b@x.io' } })
    expect(d.person()).toEqual({ userId: 'u2', traits: fp({ email: 'b@x.io' }), sentWith: 'A2' })
  })

  it('two captured emails without a login are two people (identifyBy "anonymous")', () => {
    const d = device()
    d.identify(hard(undefined, { email: 'a@x.io' }))
    expect(d.identify(hard(undefined, { email: 'a@x.io' }))).toBe('skipped')
    expect(d.identify(hard(undefined, { email: 'b@x.io' }))).toBe('reset')
    expect(d.sent.map((s) => [s.anonymousId, s.traits.email])).toEqual([
      ['A1', 'a@x.io'],
      ['A2', 'b@x.io'],
    ])
  })

  it('with identifyBy "email" the email is the userId, and a new email is a new person', () => {
    const d = device('email')
    d.identify(hard(undefined, { email: 'a@x.io' }))
    expect(d.sent[0]).toEqual({ anonymousId: 'A1', userId: 'a@x.io', traits: { email: 'a@x.io' } })
    expect(d.identify(hard(undefined, { email: 'b@x.io' }))).toBe('reset')
    expect(d.sent[1]).toEqual({ anonymousId: 'A2', userId: 'b@x.io', traits: { email: 'b@x.io' } })
  })

  it('a logged-in customer typing another email in a capture form stays the same person', () => {
    const d = device()
    d.identify(hard('u1', { email: 'a@x.io' }))
    expect(d.identify(hard(undefined, { email: 'work@x.io' }))).toBe('sent')
    expect(d.sent[1]).toEqual({ anonymousId: 'A1', userId: 'u1', traits: { email: 'work@x.io' } })
  })

  it('the same customer rendered on every page is identified once', () => {
    const d = device()
    for (let i = 0; i < 5; i++) d.identify(hard('u1', { email: 'a@x.io' }))
    expect(d.sent).toHaveLength(1)
  })
})
