import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseConfig, resolveHost, secretReason } from '../../src/config.ts'
import { captureErrors } from './fakes.ts'

const BASE = 'https://shop.example/products/tee?variant=1'
const IDENTITY_DEFAULTS = { consent: 'granted', identifyBy: 'anonymous', defaultCountry: 'US', cioUserId: '', redactParams: [], attributionDays: 7 }
const US = 'https://cdp.customer.io/v1'

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  log = captureErrors()
})
afterEach(() => {
  log.spy.mockRestore()
})

it('reads own keys only: keys on a polluted Object.prototype are neither config values nor unknown keys', () => {
  const proto = Object.prototype as Record<string, unknown>
  proto.apiHost = 'https://evil.example/v1'
  proto.extra = { nested: [1] }
  try {
    expect(parseConfig({ writeKey: 'pk' }, BASE)?.apiHost).toBe(US)
    expect(log.messages()).toEqual([])
  } finally {
    delete proto.apiHost
    delete proto.extra
  }
})

describe('writeKey (fatal when wrong)', () => {
  it.each([
    ['missing', {}],
    ['empty', { writeKey: '' }],
    ['blank', { writeKey: '   ' }],
  ])('%s -> undefined and exactly one [onsite] error', (_label, input) => {
    expect(parseConfig(input, BASE)).toBeUndefined()
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] config\.writeKey is missing/)
  })

  it.each([
    [42, 'number'],
    [{ key: 'pk' }, 'object'],
    [true, 'boolean'],
  ])('a writeKey of %j -> undefined and one error naming its type', (writeKey, type) => {
    expect(parseConfig({ writeKey }, BASE)).toBeUndefined()
    expect(log.messages()).toEqual([`[onsite] config.writeKey must be a string, not a ${type}: use your JavaScript source's write key. Nothing will be sent.`])
  })

  it.each([
    ['a secret key', 'sk_live_x', 'secret key'],
    ['a Track API site_id:api_key pair', 'abc123:def456', 'site_id:api_key'],
  ])('refuses %s', (_label, writeKey, why) => {
    expect(parseConfig({ writeKey }, BASE)).toBeUndefined()
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] config\.writeKey /)
    expect(log.messages()[0]).toContain(why)
    expect(log.messages()[0]).toContain('Nothing will be sent')
  })

  it.each(['pk_live_abc123', 'cdpWriteKey0123456789', 'AbC123-_x'])('accepts %s', (writeKey) => {
    expect(parseConfig({ writeKey }, BASE)?.writeKey).toBe(writeKey)
    expect(log.messages()).toEqual([])
  })

  it('trims the key', () => {
    expect(parseConfig({ writeKey: '  pk_abc \n' }, BASE)?.writeKey).toBe('pk_abc')
  })

  // init("pk_...") has no writeKey key: the message names config.writeKey, which shows what to pass.
  it.each([null, 'pk_abc', 3, undefined, ['pk_abc']])('refuses a config that is not an object (%j)', (input) => {
    expect(parseConfig(input, BASE)).toBeUndefined()
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] config\.writeKey is missing: .*Nothing will be sent\.$/)
  })

  it.each([
    ['sk_test_123', true],
    ['site:key', true],
    ['pk_123', false],
    ['abc', false],
    ['a b:c', true],
    ['a:b:c', true],
    ['site : key', true],
    ['SK_live_x', true],
    ['Basic c2l0ZTprZXk=', true],
    ['bearer abc', true],
    ['basically', false],
    [btoa('f82ad78f695bd32f9d99:1a621ef65edfe6d3b6ae'), true],
    [btoa('site:key'), true],
    ['f82ad78f695bd32f9d99', true],
    ['20436c6351668b25a74a2c289a639d3f', true],
    ['Bearer%2020436c6351668b25a74a2c289a639d3f', true],
    ['basic+c2l0ZTprZXk=', true],
    ['site%3Akey', true],
    ['wk_live_8f3kd9Qx', false],
    ['f82ad78f695bd32f9d9', false],
    [btoa('no colon here'), false],
    ['YWJjZGVmZ2g', false],
  ])('secretReason(%s) is non-empty: %s', (key, secret) => {
    expect(secretReason(key) !== '').toBe(secret)
  })
})

describe('defaults and region', () => {
  it('uses the US host and the documented defaults', () => {
    expect(parseConfig({ writeKey: 'pk_1' }, BASE)).toEqual({ writeKey: 'pk_1', apiHost: US, flushAt: 20, flushIntervalMs: 100, debug: false, ...IDENTITY_DEFAULTS })
  })

  it('region eu selects the EU host', () => {
    expect(parseConfig({ writeKey: 'pk_1', region: 'eu' }, BASE)?.apiHost).toBe('https://cdp-eu.customer.io/v1')
    expect(log.messages()).toEqual([])
  })

  it('an unknown region keeps the US host, with one error naming region', () => {
    expect(parseConfig({ writeKey: 'pk_1', region: 'asia' }, BASE)?.apiHost).toBe(US)
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] config\.region /)
  })

  it('apiHost wins over region', () => {
    expect(parseConfig({ writeKey: 'pk_1', region: 'eu', apiHost: 'https://cio.shop.example/v1' }, BASE)?.apiHost).toBe('https://cio.shop.example/v1')
  })
})

describe('apiHost', () => {
  it.each([
    ['https://cdp.customer.io/v1', 'https://cdp.customer.io/v1'],
    ['https://proxy.example/v1/', 'https://proxy.example/v1'],
    ['https://proxy.example/v1///', 'https://proxy.example/v1'],
    ['https://proxy.example', 'https://proxy.example'],
    ['http://localhost:8787/v1', 'http://localhost:8787/v1'],
    ['http://127.0.0.1:8787/v1', 'http://127.0.0.1:8787/v1'],
    ['http://[::1]:8787/v1', 'http://[::1]:8787/v1'],
    ['/cio/v1', 'https://shop.example/cio/v1'],
    ['/cio/v1/', 'https://shop.example/cio/v1'],
  ])('accepts %s as %s', (apiHost, expected) => {
    expect(parseConfig({ writeKey: 'pk_1', apiHost }, BASE)?.apiHost).toBe(expected)
    expect(log.messages()).toEqual([])
  })

  it.each([
    ['plain http to a remote host', 'http://example.com'],
    ['http to a host that only starts with localhost', 'http://localhost.evil.example/v1'],
    ['another scheme', 'ftp://example.com/v1'],
    ['javascript:', 'javascript:alert(1)'],
    ['not a string', 42],
    ['an unparsable URL', 'https://'],
    ['a host without a scheme', 'cdp.customer.io/v1'],
  ])('refuses %s, keeps the default and names apiHost', (_label, apiHost) => {
    expect(parseConfig({ writeKey: 'pk_1', apiHost }, BASE)?.apiHost).toBe(US)
    expect(log.messages()).toEqual([`[onsite] config.apiHost ${JSON.stringify(apiHost)} is not an https URL or a path such as "/cio/v1": calls go to ${US} until it is fixed`])
  })

  it('a relative host on an http page stays http (and so is refused off localhost)', () => {
    expect(resolveHost('/cio/v1', 'http://shop.example/')).toBe('')
    expect(resolveHost('/cio/v1', 'http://localhost:3000/')).toBe('http://localhost:3000/cio/v1')
  })

  // new URL('', base) is the page itself, so an empty apiHost silently becomes the current page URL
  // and calls would be posted to "<page URL>/b". It should be refused like any other bad host.
  it('refuses an empty apiHost instead of posting to the current page', () => {
    expect(parseConfig({ writeKey: 'pk_1', apiHost: '' }, BASE)?.apiHost).toBe(US)
    expect(log.messages()).toHaveLength(1)
  })
})

describe('numbers and flags', () => {
  it.each([
    ['flushAt', 0],
    ['flushAt', 1.5],
    ['flushAt', '5'],
    ['flushAt', 101],
    ['flushAt', NaN],
    ['flushIntervalMs', -1],
    ['flushIntervalMs', 60001],
    ['flushIntervalMs', '1000'],
    ['debug', 'yes'],
    ['debug', 1],
  ])('%s = %j -> one error naming it, default kept', (key, value) => {
    const defaults = parseConfig({ writeKey: 'pk_1' }, BASE)!
    const out = parseConfig({ writeKey: 'pk_1', [key]: value }, BASE)!
    expect(out).toEqual(defaults)
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(new RegExp(`^\\[onsite\\] config\\.${key} .*using the default$`))
  })

  it.each([
    ['flushAt', 1],
    ['flushAt', 100],
    ['flushIntervalMs', 0],
    ['flushIntervalMs', 60000],
    ['debug', true],
  ])('%s = %j is accepted', (key, value) => {
    expect(parseConfig({ writeKey: 'pk_1', [key]: value }, BASE)).toMatchObject({ [key]: value })
    expect(log.messages()).toEqual([])
  })
})

describe('unknown keys', () => {
  it('an unknown key gets one error and is ignored', () => {
    const out = parseConfig({ writeKey: 'pk_1', flushInterval: 5000 }, BASE)
    expect(out).toEqual(parseConfig({ writeKey: 'pk_1' }, BASE))
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] config\.flushInterval is unknown and ignored \(known: writeKey, region, apiHost, flushAt, flushIntervalMs, /)
  })

  it('extraKeys are allowed by the caller', () => {
    expect(parseConfig({ writeKey: 'pk_1', offers: {} }, BASE, ['offers'])).toBeDefined()
    expect(log.messages()).toEqual([])
  })

  it('extraKeys are not in the result, and are listed as known', () => {
    expect(parseConfig({ writeKey: 'pk_1', offers: 3, __proto__: 1 }, BASE, ['offers', '__proto__'])).toEqual(parseConfig({ writeKey: 'pk_1' }, BASE))
    parseConfig({ writeKey: 'pk_1', ofers: [] }, BASE, ['offers'])
    expect(log.messages()).toEqual([expect.stringMatching(/^\[onsite\] config\.ofers is unknown and ignored \(known: offers, writeKey, /)])
  })

  it('a key set to undefined is absent (a JS caller passing an unset variable)', () => {
    expect(parseConfig({ writeKey: 'pk_1', customer: undefined, debug: undefined, nope: undefined }, BASE)).toEqual(parseConfig({ writeKey: 'pk_1' }, BASE))
    expect(log.messages()).toEqual([])
  })

  it('"__proto__" and "constructor" keys are reported and never reach a prototype', () => {
    const out = parseConfig(JSON.parse('{"writeKey": "pk_1", "__proto__": {"debug": true, "polluted": 1}, "constructor": {"polluted": 1}}'), BASE)!
    expect(out.debug).toBe(false)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(({} as any).polluted).toBeUndefined()
    expect(log.messages()).toHaveLength(2)
  })
})

it('every error of a config with many problems is one line starting with "[onsite] config."', () => {
  const out = parseConfig(
    { writeKey: 'pk_1', region: 'mars', apiHost: 'http://example.com\n', flushAt: '5', flushIntervalMs: -1, debug: 'no', extra: 1 },
    BASE,
  )
  expect(out).toEqual({ writeKey: 'pk_1', apiHost: US, flushAt: 20, flushIntervalMs: 100, debug: false, ...IDENTITY_DEFAULTS })
  const messages = log.messages()
  expect(messages).toHaveLength(6)
  for (const m of messages) {
    expect(m).toMatch(/^\[onsite\] config\./)
    expect(m).not.toMatch(/[\r\n]/)
  }
})

// log.ts promises one line per message, but an unknown key is printed raw (not JSON.stringify'd).
it('an unknown key containing a newline is still reported on one line', () => {
  parseConfig({ writeKey: 'pk_1', 'multi\nline': 2 }, BASE)
  expect(log.messages()).toHaveLength(1)
  expect(log.messages()[0]).not.toMatch(/[\r\n]/)
})
