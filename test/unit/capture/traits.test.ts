import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cleanTraits, normalizeEmail, normalizePhone, scrubPII } from '../../../src/capture/traits.ts'
import { captureWarnings } from '../fakes.ts'

describe('normalizeEmail', () => {
  it.each([
    ['  Jane.Doe@Example.COM ', 'jane.doe@example.com'],
    ['jane@example.com', 'jane@example.com'],
    ['JANE+news@Mail.Example.co.uk', 'jane+news@mail.example.co.uk'],
    ['\tj@x.io\n', 'j@x.io'],
  ])('%j -> %j', (input, out) => {
    expect(normalizeEmail(input)).toBe(out)
  })

  it.each(['not-an-email', 'jane@', '@example.com', 'jane@example', 'a b@c.com', 'jane@@example.com', 'jane@.com', 'jane@example..com', 'jane@exa mple.com', '', '   '])(
    '%j is not an email -> ""',
    (input) => {
      expect(normalizeEmail(input)).toBe('')
    },
  )

  it.each([undefined, null, 42, true, {}, ['jane@example.com'], { toString: () => 'jane@example.com' }])('non-string %j -> ""', (input) => {
    expect(normalizeEmail(input)).toBe('')
  })
})

describe('normalizePhone', () => {
  it('drops the (0) trunk prefix of numbers written "+44 (0)20 ..."', () => {
    expect(normalizePhone('+44 (0)20 7946 0958', 'US')).toBe('+442079460958')
  })

  it.each([
    // already international
    ['+1 (555) 555-0123', 'US', '+15555550123'],
    ['+44 20 7946 0958', 'US', '+442079460958'],
    ['+49 30 123456', 'GB', '+4930123456'],
    // 00 international prefix
    ['0044 20 7946 0958', 'US', '+442079460958'],
    [' 0049-151-23456789 ', 'GB', '+4915123456789'],
    // national in the default country, separators stripped
    ['(555) 555-0123', 'US', '+15555550123'],
    ['555.555.0123', 'US', '+15555550123'],
    ['555/555/0123', 'US', '+15555550123'],
    // US/CA: the 1 of an 11-digit national number is the country code, not doubled
    ['1 555 555 0123', 'US', '+15555550123'],
    ['1-416-555-0123', 'CA', '+14165550123'],
    // trunk 0 dropped
    ['020 7946 0958', 'GB', '+442079460958'],
    ['07700 900123', 'GB', '+447700900123'],
    ['030 123456', 'DE', '+4930123456'],
    ['0151 23456789', 'DE', '+4915123456789'],
    // country code is case-insensitive
    ['07700 900123', 'gb', '+447700900123'],
  ])('%j in %s -> %j', (input, country, out) => {
    expect(normalizePhone(input, country)).toBe(out)
  })

  it('accepts a number value, read as national', () => {
    expect(normalizePhone(5555550123, 'US')).toBe('+15555550123')
  })

  it('a 1 that starts a 10-digit US number is not taken for the country code', () => {
    // only an 11-digit number loses its leading 1
    expect(normalizePhone('1555550123', 'US')).toBe('+11555550123')
  })

  it('a GB number starting with 1 keeps it (the 11-digit rule is for +1 countries only)', () => {
    expect(normalizePhone('12345678901', 'GB')).toBe('+4412345678901')
  })

  it.each([
    ['12345', 'US'], // +112345: 6 digits
    ['+1234567', 'US'], // 7 digits
    ['+1234567890123456', 'US'], // 16 digits, over E.164's 15
    ['00 1234 5678 9012 3456', 'US'],
    ['555-CALL-NOW', 'US'],
    ['+1 555 abc 0123', 'US'],
    ['+', 'US'],
    ['', 'US'],
    ['   ', 'US'],
    ['++15555550123', 'US'],
    ['+1 555 555 0123 ext. 4', 'US'],
  ])('%j in %s -> "" (too short, too long or not digits)', (input, country) => {
    expect(normalizePhone(input, country)).toBe('')
  })

  it('the length limits are inclusive: 8 to 15 digits', () => {
    expect(normalizePhone('+12345678', 'US')).toBe('+12345678')
    expect(normalizePhone('+123456789012345', 'US')).toBe('+123456789012345')
  })

  it.each(['XX', '', 'ZZ', 'United States'])('a national number in an unknown country %j -> ""', (country) => {
    expect(normalizePhone('020 7946 0958', country)).toBe('')
  })

  it('an unknown country does not matter when the number has its + or 00 prefix', () => {
    expect(normalizePhone('+386 1 234 5678', 'XX')).toBe('+38612345678')
    expect(normalizePhone('00386 1 234 5678', 'XX')).toBe('+38612345678')
  })

  it.each([undefined, null, true, {}, ['+15555550123']])('non-string, non-number %j -> ""', (input) => {
    expect(normalizePhone(input, 'US')).toBe('')
  })
})

describe('scrubPII', () => {
  it('removes email keys with any text and phone keys with a number in them, and reports their paths', () => {
    const [out, removed] = scrubPII({
      email: 'jane@example.com',
      'e-mail': 'x',
      Email_Address: 'typo',
      phone: '555 0100 12',
      phone_number: 5555550123,
      mobile: '+447700900123',
      telephone: '0612345678',
      tel: '0612345678',
      SMS: '0612345678',
      product_id: 'p1',
    })
    expect(out).toEqual({ product_id: 'p1' })
    expect(removed).toEqual(['email', 'e-mail', 'Email_Address', 'phone', 'phone_number', 'mobile', 'telephone', 'tel', 'SMS'])
  })

  it('a phone key whose value holds no number names no one: kept', () => {
    const props = { phone: 'n/a', mobile: 'ios', sms: 'subscribed', grid_cell: 3, is_mobile: true, tel: '1' }
    expect(scrubPII(props)).toEqual([props, []])
  })

  it('a PII key that is null or undefined is not reported', () => {
    const [out, removed] = scrubPII({ email: null, phone: undefined, n: 1 })
    expect(out).toEqual({ email: null, n: 1 })
    expect(removed).toEqual([])
  })

  it('keys that merely contain a PII word are judged by their value', () => {
    const [out, removed] = scrubPII({ email_consent: true, phone_type: 'mobile', emailed: 'yes' })
    expect(out).toEqual({ email_consent: true, phone_type: 'mobile', emailed: 'yes' })
    expect(removed).toEqual([])
  })

  // each of these once went out as it was
  it('drops prefixed phone and email keys, and cuts phone numbers out of text and URLs', () => {
    const [out, removed] = scrubPII({
      shipping_phone: '(415) 555-0123',
      contactPhone: '415.555.0123',
      billingEmail: 'nobody',
      note: 'call me at +1 415 555 0123 please',
      url: 'https://shop.example/thanks?phone=%2B14155550123&order=1001',
      search: '?shipping_phone=4155550123&tel=0612345678&hotel=ritz',
      stamp: '2026-11-23T10:00:00+01:00',
      sku: 'TEE-1001+2',
      phone_type: 'mobile',
    })
    expect(out).toEqual({
      note: 'call me at please',
      url: 'https://shop.example/thanks?phone=&order=1001',
      search: '?shipping_phone=&tel=&hotel=ritz',
      stamp: '2026-11-23T10:00:00+01:00',
      sku: 'TEE-1001+2',
      phone_type: 'mobile',
    })
    expect(removed).toEqual(['shipping_phone', 'contactPhone', 'billingEmail', 'note', 'url', 'search'])
  })

  // Cuts too eager eat product and search data: all of this must arrive as it is.
  it('keeps product, search and flag data that only looks like a phone or a PII key', () => {
    const props = {
      url: 'https://shop.example/search?q=ean+4006381333931&view-mobile=1&is_mobile=1&grid_cell=3',
      search: '?q=order+100234567',
      sku: 'BNDL+2024-12-25',
      app_version: '2.3.0+20241123',
      link: '/products/case?compatible-phone=iphone-15',
      token: '?t=ab%2B12345678cd',
      geo: '+40.712776-074.005974',
      microphone: true,
      headphone: 'USB-C',
      headphones: 'over-ear',
      hotel: '12345678',
      query: '/search?hotel=12345678&grid_cell=3',
      big: 'serial +4000000000000000001',
      discount: 'Rabatt: +1 234 567,00 €',
      small: '+1000000',
      smartphone: 'Pixel 9',
      iphone: '15 Pro',
      automobile: 'no',
      is_mobile: true,
      consent_email: true,
      opt_in_email: false,
      email_consent: true,
    }
    expect(scrubPII(props)).toEqual([props, []])
  })

  it('cuts a phone in a bracketed checkout parameter, encoded or not', () => {
    const [out, removed] = scrubPII({ a: '/x?checkout[shipping_address][phone]=(415)%20555-0123&y=1', b: '/x?checkout%5Bphone%5D=%2B14155550123' })
    expect(out).toEqual({ a: '/x?checkout[shipping_address][phone]=&y=1', b: '/x?checkout%5Bphone%5D=' })
    expect(removed).toEqual(['a', 'b'])
  })

  it('removes a value that is a whole email or an international phone number, under any key', () => {
    const [out, removed] = scrubPII({ contact: '  Jane.Doe@Example.com ', whatsapp: '+1 (555) 555-0123', note: 'hello', n: 3 })
    expect(out).toEqual({ note: 'hello', n: 3 })
    expect(removed).toEqual(['contact', 'whatsapp'])
  })

  it('cuts a %40-encoded email out of a URL', () => {
    const [out, removed] = scrubPII({ referrer: 'https://shop.example/welcome?e=jane.doe%40example.com&ok=1' })
    expect(out).toEqual({ referrer: 'https://shop.example/welcome?e=&ok=1' })
    expect(removed).toEqual(['referrer'])
  })

  it('cuts emails out of a URL that holds two, leaving the rest', () => {
    const [out, removed] = scrubPII({ url: 'https://shop.example/thanks?from=jane@example.com&to=bob@example.org&utm_source=mail#top' })
    expect(out).toEqual({ url: 'https://shop.example/thanks?from=&to=&utm_source=mail#top' })
    expect(removed).toEqual(['url'])
  })

  // Not a timing test of speed but of complexity: these took 15-35 s with unbounded quantifiers (linear
  // now, a few ms); 1 s leaves room for any machine.
  it.each([
    ['a query of one long token', '/p?utm_content=' + 'a'.repeat(100_000)],
    ['percent-encoded filler', '%41'.repeat(33_000)],
    ['a long dotted domain', 'a@' + 'b.'.repeat(50_000) + 'c'],
    ['many @', 'a@'.repeat(50_000)],
    ['many almost-phones', ' +1 2'.repeat(20_000)],
    ['many encoded almost-phones', '=%2B1%20'.repeat(12_500)],
    ['many phone parameters', '?phone=12&'.repeat(10_000)],
    ['one long phone-ish run', '+' + '1 '.repeat(50_000)],
  ])('scans adversarial 100 KB strings in linear time: %s', (_label, input) => {
    const t0 = performance.now()
    scrubPII({ url: input })
    expect(performance.now() - t0).toBeLessThan(1000)
  })

  it('copies only own keys: a key put on Object.prototype never reaches an event; null-prototype objects are scrubbed', () => {
    const proto = Object.prototype as Record<string, unknown>
    proto.apiHost = 'https://evil.example/v1'
    try {
      const bare = Object.assign(Object.create(null), { email: 'a@b.io', q: 'x' })
      expect(scrubPII({ a: 1, bare })).toEqual([{ a: 1, bare: { q: 'x' } }, ['bare.email']])
    } finally {
      delete proto.apiHost
    }
  })

  it.each([
    'customer_email', 'customerEmail', 'emailAddress', 'phoneNumber', 'mobile_phone', 'cell', 'Customer_Phone',
    // compound and separated names
    'telephone_number', 'billingTelephone', 'shipping_telephone', 'cellphone', 'homephone', 'billingphone',
    'shipping-phone', 'Shipping Phone', 'mobile-phone', 'customer.phone', 'contact[phone]', 'smsNumber', 'phone_no', 'cell_number',
  ])('drops the PII key %s', (key) => {
    expect(scrubPII({ [key]: '0612345678', keep: 1 })).toEqual([{ keep: 1 }, [key]])
  })

  // + as a space in queries, form-serialised names, a + after any punctuation
  it.each([
    ['/x?phone=%2B44+20+7946+0958&y=1', '/x?phone=&y=1'],
    ['/x?shipping_phone=415+555+0123', '/x?shipping_phone='],
    ['/x?phone=+1+415+555+0123', '/x?phone='],
    ['/x?phone=(415)+555-0123', '/x?phone='],
    ['/x?contact%5Bphone%5D=%2B1+%28415%29+555-0123', '/x?contact%5Bphone%5D='],
    ['/x?customer%5Bphone%5D=415+555+0123', '/x?customer%5Bphone%5D='],
    ['/x?note=call+me+%2B1+415+555+0123', '/x?note=call+me+'],
    ['see https://x.io/?phone=4155550123 now', 'see https://x.io/?phone= now'],
    ['/x?phone=4155550123/', '/x?phone=/'],
    ['{"phone":"+14155550123"}', '{"phone":""}'],
    ['<b>+14155550123</b>', '<b></b>'],
    ['a;+14155550123', 'a;'],
    ['[+14155550123]', '[]'],
    ['https://x/p/+14155550123', 'https://x/p/'],
    ['call%20me%20%2B14155550123', 'call%20me%20'],
  ])('cuts the phone out of %s', (input, want) => {
    expect(scrubPII({ s: input })).toEqual([{ s: want }, ['s']])
  })

  it('cuts a double-encoded email (a return_to URL inside a query) out of a URL', () => {
    const [out, removed] = scrubPII({ url: 'https://shop.example/account?return_to=%2Fthanks%3Femail%3Djane%2540example.com&x=1' })
    // the encoded token the email stands in goes with it (no delimiter inside an encoded URL)
    expect(out.url).toBe('https://shop.example/account?return_to=&x=1')
    expect(removed).toEqual(['url'])
  })

  it('cuts an email out of free text', () => {
    const [out, removed] = scrubPII({ text: 'write to jane@example.com, thanks', two: 'mail one@x.com or two%40y.org' })
    expect(out).toEqual({ text: 'write to , thanks', two: 'mail or' })
    expect(removed).toEqual(['text', 'two'])
  })

  // Browsers keep a raw @ in a query: only the email is cut, the rest of the URL stays.
  it('cuts a raw email out of a URL, leaving the rest (not the whole URL)', () => {
    const [out, removed] = scrubPII({ url: 'https://shop.example/thanks?email=jane@example.com&utm_source=mail#top' })
    expect(out).toEqual({ url: 'https://shop.example/thanks?email=&utm_source=mail#top' })
    expect(removed).toEqual(['url'])
  })

  it('leaves image file names like tee@2x.png alone', () => {
    expect(scrubPII({ image_url: 'https://cdn.example/tee@2x.png?v=1', name: 'tee@2x.webp' })).toEqual([{ image_url: 'https://cdn.example/tee@2x.png?v=1', name: 'tee@2x.webp' }, []])
  })

  it('cuts a raw email out of a path, leaving the rest', () => {
    const [out] = scrubPII({ path: '/account/jane@example.com/orders' })
    expect(out).toEqual({ path: '/account//orders' })
  })

  // Form GETs and URLSearchParams write jane+news@gmail.com as jane%2Bnews%40gmail.com: all of it must go.
  it('cuts a whole email whose + is URL-encoded (%2B)', () => {
    // what new URLSearchParams({ email: 'jane.doe+news@gmail.com' }).toString() gives
    const [out, removed] = scrubPII({ url: 'https://shop.example/welcome?email=jane.doe%2Bnews%40gmail.com' })
    expect(removed).toEqual(['url'])
    expect(out).toEqual({ url: 'https://shop.example/welcome?email=' })
  })

  it('scrubs nested objects and arrays, with the path of each removal', () => {
    const input = {
      order_id: 'o1',
      customer: { email: 'jane@example.com', name: 'Jane', address: { city: 'Berlin', phone: '+4930123456' } },
      products: [
        { sku: 'A1', note: 'gift for bob@example.com' },
        { sku: 'B2', contact: 'bob@example.com' },
      ],
      tags: ['vip', 'jane@example.com', '+447700900123'],
    }
    const [out, removed] = scrubPII(input)
    expect(out).toEqual({
      order_id: 'o1',
      customer: { name: 'Jane', address: { city: 'Berlin' } },
      products: [{ sku: 'A1', note: 'gift for' }, { sku: 'B2' }],
      tags: ['vip', undefined, undefined],
    })
    expect(removed).toEqual(['customer.email', 'customer.address.phone', 'products[0].note', 'products[1].contact', 'tags[1]', 'tags[2]'])
    expect(JSON.stringify(out)).not.toMatch(/@|\+44|\+49/)
  })

  it('leaves non-PII values untouched: numeric ids, SKUs, prices, booleans, national-looking digits', () => {
    const input = {
      order_id: 12345678901,
      product_id: '1234567890',
      sku: 'SKU-12345678',
      gtin: '00012345678905',
      variant: 'size-10/blue',
      price: 49.99,
      quantity: 2,
      in_stock: true,
      coupon: 'SAVE-20%',
      url: 'https://shop.example/products/tee?variant=4455667788&ref=%2Fhome',
      empty: '',
      nothing: null,
      list: [1, 'two', { three: 3 }],
    }
    const [out, removed] = scrubPII(input)
    expect(out).toEqual(input)
    expect(removed).toEqual([])
  })

  it('returns a copy and does not mutate its input', () => {
    const input = { email: 'jane@example.com', nested: { contact: 'jane@example.com', keep: 1 }, list: ['jane@example.com'] }
    const snapshot = structuredClone(input)
    const [out] = scrubPII(input)
    expect(input).toEqual(snapshot)
    expect(out).not.toBe(input)
    expect(out.nested).not.toBe(input.nested)
  })

  // Regression: a Date used to be walked like a plain object and sent as {}.
  it('keeps a Date property (it serialises to the same JSON as before the scrub)', () => {
    const at = new Date('2024-06-11T10:00:00.000Z')
    const [out] = scrubPII({ delivery_date: at })
    expect(JSON.stringify(out)).toBe(JSON.stringify({ delivery_date: at }))
  })
})

describe('cleanTraits', () => {
  let warnings: ReturnType<typeof captureWarnings>
  beforeEach(() => {
    warnings = captureWarnings()
  })
  afterEach(() => {
    warnings.spy.mockRestore()
  })

  it('normalises email and phone and keeps the other traits, silently', () => {
    expect(cleanTraits({ email: ' Jane@Example.COM', phone: '020 7946 0958', name: 'Jane', plan: 'pro' }, 'GB')).toEqual({
      email: 'jane@example.com',
      phone: '+442079460958',
      name: 'Jane',
      plan: 'pro',
    })
    expect(warnings.messages()).toEqual([])
  })

  it('leaves out a bad email with one [onsite] warning naming it, and keeps the rest', () => {
    expect(cleanTraits({ email: 'jane@', name: 'Jane', phone: '+15555550123' }, 'US')).toEqual({ name: 'Jane', phone: '+15555550123' })
    expect(warnings.messages()).toHaveLength(1)
    expect(warnings.messages()[0]).toMatch(/^\[onsite\] identify: traits\.email "jane@" is not an email address/)
    expect(warnings.messages()[0]).toContain('it is left out')
  })

  it('leaves out a bad phone with one warning that names the country and the fix', () => {
    expect(cleanTraits({ phone: '555-CALL', email: 'a@b.co' }, 'DE')).toEqual({ email: 'a@b.co' })
    expect(warnings.messages()).toHaveLength(1)
    expect(warnings.messages()[0]).toMatch(/^\[onsite\] identify: traits\.phone "555-CALL" is not a phone number/)
    expect(warnings.messages()[0]).toContain('national DE format')
    expect(warnings.messages()[0]).toContain('config.defaultCountry')
  })

  it('warns once per bad field', () => {
    expect(cleanTraits({ email: 'not-an-email', phone: '12', first_name: 'J' }, 'US')).toEqual({ first_name: 'J' })
    expect(warnings.messages()).toHaveLength(2)
    expect(warnings.messages().every((m) => m.startsWith('[onsite] '))).toBe(true)
    expect(warnings.messages()[0]).toContain('traits.email')
    expect(warnings.messages()[1]).toContain('traits.phone')
  })

  it('absent or null email and phone are not warned about', () => {
    expect(cleanTraits({ name: 'J' }, 'US')).toEqual({ name: 'J' })
    expect(cleanTraits({ email: null, phone: undefined }, 'US')).toEqual({ email: null, phone: undefined })
    expect(warnings.messages()).toEqual([])
  })

  it('reads a national phone in the given country', () => {
    expect(cleanTraits({ phone: '0151 23456789' }, 'DE')).toEqual({ phone: '+4915123456789' })
    expect(cleanTraits({ phone: '0151 23456789' }, 'US')).toEqual({ phone: '+115123456789' })
  })

  it('does not mutate its input', () => {
    const input = { email: ' Jane@Example.COM', phone: 'bad', name: 'Jane' }
    const snapshot = { ...input }
    const out = cleanTraits(input, 'US')
    expect(input).toEqual(snapshot)
    expect(out).not.toBe(input)
    expect(out).toEqual({ email: 'jane@example.com', name: 'Jane' })
  })
})
