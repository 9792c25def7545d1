// The identity and consent keys of the config: consent, identifyBy, defaultCountry, cioUserId, customer.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config.ts'
import { isOtherPerson, resolveUserId } from '../../src/identity/identify.ts'
import { createIdentity } from '../../src/identity/identity.ts'
import { createKV } from '../../src/delivery/storage.ts'
import { cleanTraits } from '../../src/capture/traits.ts'
import { captureErrors, MemStorage } from './fakes.ts'

const BASE = 'https://shop.example/'
const parse = (extra: Record<string, unknown>, shopify = false) => parseConfig({ writeKey: 'pk_1', ...extra }, BASE, [], shopify)

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  log = captureErrors()
})
afterEach(() => {
  log.spy.mockRestore()
})

/** Exactly one error, naming the key, and saying the default is used. */
const oneErrorFor = (key: string) => {
  expect(log.messages()).toHaveLength(1)
  expect(log.messages()[0]).toMatch(new RegExp(`^\\[onsite\\] config\\.${key} .*; using the default$`))
}

describe('consent', () => {
  it('defaults to "granted", or to "shopify" on a Shopify storefront', () => {
    expect(parse({})?.consent).toBe('granted')
    expect(parse({}, true)?.consent).toBe('shopify')
    expect(log.messages()).toEqual([])
  })

  it.each(['granted', 'pending', 'denied', 'shopify'])('accepts %j', (consent) => {
    expect(parse({ consent })?.consent).toBe(consent)
    expect(parse({ consent }, true)?.consent).toBe(consent)
    expect(log.messages()).toEqual([])
  })

  // Fails closed: a typo in a consent setting must not store and send as if consent were given.
  it.each(['yes', 'Granted', 'pendng', true, '', null, ['granted']])('refuses %j with one error naming the states, and waits as "pending"', (consent) => {
    expect(parse({ consent })?.consent).toBe('pending')
    expect(log.messages()).toEqual([
      '[onsite] config.consent must be one of "granted", "pending", "denied", "shopify"; using "pending"',
    ])
  })

  it('a bad value on Shopify waits as "pending" too', () => {
    expect(parse({ consent: 'maybe' }, true)?.consent).toBe('pending')
    expect(log.messages()).toHaveLength(1)
  })
})

describe('identifyBy', () => {
  it('defaults to "anonymous"', () => {
    expect(parse({})?.identifyBy).toBe('anonymous')
  })

  it.each(['email', 'anonymous'])('accepts %j', (identifyBy) => {
    expect(parse({ identifyBy })?.identifyBy).toBe(identifyBy)
    expect(log.messages()).toEqual([])
  })

  it.each(['userId', 'Email', 'phone', 1, false])('refuses %j', (identifyBy) => {
    expect(parse({ identifyBy })?.identifyBy).toBe('anonymous')
    oneErrorFor('identifyBy')
  })
})

describe('defaultCountry', () => {
  it('defaults to "US"', () => {
    expect(parse({})?.defaultCountry).toBe('US')
  })

  it.each(['GB', 'DE', 'de', 'Ch'])('accepts the two-letter code %j', (defaultCountry) => {
    expect(parse({ defaultCountry })?.defaultCountry).toBe(defaultCountry)
    expect(log.messages()).toEqual([])
  })

  it.each(['USA', 'U', 'U1', '', ' US', 44, null, 'United Kingdom'])('refuses %j', (defaultCountry) => {
    expect(parse({ defaultCountry })?.defaultCountry).toBe('US')
    oneErrorFor('defaultCountry')
    expect(log.messages()[0]).toContain('ISO 3166')
  })
})

describe('cioUserId', () => {
  // Pipelines documents no "cio_" userId: a link sends the cio_id trait with the anonymous id only
  it('defaults to "" (no userId from a link)', () => {
    expect(parse({})?.cioUserId).toBe('')
  })

  it.each(['{id}', 'cio_{id}', 'email-{id}-x'])('accepts the template %j', (cioUserId) => {
    expect(parse({ cioUserId })?.cioUserId).toBe(cioUserId)
    expect(log.messages()).toEqual([])
  })

  it('false becomes "" (the cio_id trait only, no userId), without an error', () => {
    expect(parse({ cioUserId: false })?.cioUserId).toBe('')
    expect(log.messages()).toEqual([])
  })

  it.each(['cio_', '', '{ID}', true, null, 0])('refuses %j (no {id} placeholder)', (cioUserId) => {
    expect(parse({ cioUserId })?.cioUserId).toBe('')
    oneErrorFor('cioUserId')
  })
})

describe('customer', () => {
  it('a guest rendered as {id: null, email: null} or an empty id is no customer', () => {
    expect(parse({ customer: { id: null, email: null } })).not.toHaveProperty('customer')
    expect(parse({ customer: { id: '' } })).not.toHaveProperty('customer')
    expect(parse({ customer: { id: true } })).not.toHaveProperty('customer')
  })

  it('is absent by default', () => {
    expect(parse({})).not.toHaveProperty('customer')
  })

  it('keeps a string id and the email as given', () => {
    expect(parse({ customer: { id: 'c-42', email: 'Jane@Example.com' } })?.customer).toEqual({ id: 'c-42', email: 'Jane@Example.com' })
    expect(log.messages()).toEqual([])
  })

  it('a numeric id (Liquid renders customer.id as a number) becomes a string', () => {
    expect(parse({ customer: { id: 7003221541101, email: 'a@x.io' } })?.customer).toEqual({ id: '7003221541101', email: 'a@x.io' })
  })

  it('the id is trimmed; a blank id is left out', () => {
    expect(parse({ customer: { id: '  42 ' } })?.customer).toEqual({ id: '42' })
    expect(parse({ customer: { id: '   ', email: 'a@x.io' } })?.customer).toEqual({ email: 'a@x.io' })
  })

  it('an email alone is a customer', () => {
    expect(parse({ customer: { email: 'a@x.io' } })?.customer).toEqual({ email: 'a@x.io' })
  })

  it('an email that is not a string is left out', () => {
    expect(parse({ customer: { id: 1, email: 42 } })?.customer).toEqual({ id: '1' })
  })

  it('unknown keys of the customer are not kept', () => {
    expect(parse({ customer: { id: 1, first_name: 'Jane', tags: ['vip'] } })?.customer).toEqual({ id: '1' })
  })

  it.each([
    ['null (a page with nobody signed in)', null],
    ['an empty object', {}],
    ['id and email null (Liquid renders a signed-out customer so)', { id: null, email: null }],
  ])('%s means no customer, without an error', (_label, customer) => {
    const out = parse({ customer })
    expect(out).toBeDefined()
    expect(out).not.toHaveProperty('customer')
    expect(log.messages()).toEqual([])
  })

  it.each([
    ['a string', '123'],
    ['a number', 123],
    ['an array', [{ id: 1 }]],
    ['true', true],
  ])('%s is refused with one error, and there is no customer', (_label, customer) => {
    const out = parse({ customer })
    expect(out).toBeDefined()
    expect(out).not.toHaveProperty('customer')
    oneErrorFor('customer')
  })
})

it('a config with every identity key set well parses without errors', () => {
  expect(
    parse({ consent: 'pending', identifyBy: 'email', defaultCountry: 'GB', cioUserId: 'cio_{id}', redactParams: ['Promo '], customer: { id: 9, email: 'a@x.io' } }),
  ).toEqual({
    writeKey: 'pk_1',
    apiHost: 'https://cdp.customer.io/v1',
    flushAt: 20,
    flushIntervalMs: 100,
    debug: false,
    consent: 'pending',
    identifyBy: 'email',
    defaultCountry: 'GB',
    cioUserId: 'cio_{id}',
    redactParams: ['promo'], attributionDays: 7,
    customer: { id: '9', email: 'a@x.io' },
  })
  expect(log.messages()).toEqual([])
})

it('one error per bad identity key, each keeping its default (consent: "pending")', () => {
  const out = parse({ consent: 'on', identifyBy: 'id', defaultCountry: 'usa', cioUserId: 'x', customer: 'me' })
  expect(out).toMatchObject({ consent: 'pending', identifyBy: 'anonymous', defaultCountry: 'US', cioUserId: '' })
  expect(out).not.toHaveProperty('customer')
  expect(log.messages().map((m) => m.match(/^\[onsite\] config\.(\w+) /)?.[1])).toEqual(['consent', 'identifyBy', 'defaultCountry', 'cioUserId', 'customer'])
})

it('a misspelt identity key is reported as unknown, listing the known ones', () => {
  parse({ identify_by: 'email' })
  expect(log.messages()).toHaveLength(1)
  expect(log.messages()[0]).toMatch(/^\[onsite\] config\.identify_by is unknown and ignored \(known: /)
  for (const k of ['consent', 'identifyBy', 'defaultCountry', 'cioUserId', 'customer']) expect(log.messages()[0]).toContain(k)
})

// A script of the page (or an attacker's) that puts email, id or userId on Object.prototype must not make
// onsite identify the shopper as that person (every call would carry the inherited userId).
describe('a polluted Object.prototype', () => {
  const proto = Object.prototype as Record<string, unknown>
  const keys = { email: 'attacker@evil.example', id: 'attacker-123', userId: 'attacker-123', phone: '+14155550123' }
  beforeEach(() => void Object.assign(proto, keys))
  afterEach(() => Object.keys(keys).forEach((k) => delete proto[k]))

  it('config.customer {} (or a guest) is no customer', () => {
    expect(Object.keys(parse({ customer: {} })!)).not.toContain('customer')
    expect(Object.keys(parse({})!)).not.toContain('customer')
  })

  it('identify traits without an email or phone get none', () => {
    expect({ ...cleanTraits({ first_name: 'Jane' }, 'US') }).toEqual({ first_name: 'Jane' })
    expect(resolveUserId({}, { userId: undefined, traits: cleanTraits({}, 'US') }, 'email')).toBeUndefined()
  })

  it('a new visitor has no userId', () => {
    const id = createIdentity({ cookies: { get: () => '', set: () => {}, del: () => {} }, kv: createKV('id', {}), localStorage: new MemStorage(), newId: () => 'a1' })
    expect(id.userId()).toBeUndefined()
    expect(isOtherPerson(id.person(), undefined, { traits: { email: 'jane@example.com' } })).toBe(false)
  })
})
