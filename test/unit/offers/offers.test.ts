import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseAudiences, parseOffers, type Offer } from '../../../src/offers/offers.ts'
import { captureErrors } from '../fakes.ts'
import { NO_TARGETING } from '../../offer-fixture.ts'

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  log = captureErrors()
})
afterEach(() => {
  log.spy.mockRestore()
})

const min = (over: Record<string, unknown> = {}) => ({ id: 'o', kind: 'popup', content: { title: 'Hi' }, ...over })
const one = (over: Record<string, unknown> = {}): Offer | undefined => parseOffers({ offers: [min(over)] }).offers[0]

const DEFAULTS: Offer = {
  id: 'o', name: 'o', kind: 'popup', priority: 0,
  audience: { all: [], any: [], none: [] }, pages: { types: [], urls: [] },
  trigger: { delayMs: 0, scrollPercent: 0, exitIntent: false, inactivityMs: 0 }, targeting: NO_TARGETING,
  frequency: { maxViews: 1, everyHours: 24, stopAfterDismiss: true, stopAfterSubmit: true },
  incentive: false, position: 'bottom', reserveSpace: false, renderer: 'onsite', suppressAfterPurchase: true, holdoutPercent: 0, variation: 'a', variants: [],
  content: { title: 'Hi', body: '', form: 'none', labels: { email: 'Email', phone: 'Phone', thanks: 'Thank you!', close: 'Close', submit: 'Sign up', codeLoading: 'Getting your code…', codeError: 'Your code could not be loaded.', phoneError: 'Please enter a valid phone number.' } },
}
const LABELS = { email: 'Email', phone: 'Phone', thanks: 'Thank you!', close: 'Close', submit: 'Sign up', codeLoading: 'Getting your code…', codeError: 'Your code could not be loaded.', phoneError: 'Please enter a valid phone number.' }
const GOVERNANCE = { maxOffersPerSession: 1, incentiveCooldownDays: 14, purchaseQuietDays: 7 }

// The example, verbatim: it must parse as given with no error.
const EXAMPLE = {
  offers: [{
    id: 'cart_recovery', name: 'Cart recovery 10%', kind: 'popup', priority: 10,
    audience: { all: ['cio_cart_abandon_4h'], any: [], none: ['vip'] },
    pages: { types: ['product', 'collection', 'home'], urls: ['/products/*'] },
    trigger: { delayMs: 0, scrollPercent: 0, exitIntent: false, inactivityMs: 0 },
    frequency: { maxViews: 3, everyHours: 24, stopAfterDismiss: true, stopAfterSubmit: true },
    incentive: true, suppressAfterPurchase: true, holdoutPercent: 10, variation: 'a',
    content: { title: '...', body: '...', cta: { text: '...', url: '...' }, image: '...', code: 'SAVE10', form: 'email', consentText: '...' },
  }],
  governance: { maxOffersPerSession: 1, incentiveCooldownDays: 14, purchaseQuietDays: 7 },
  audiences: { flags: { cio_cart_abandon_4h: true, vip: false }, syncedAt: '2026-11-22T10:00:00Z' },
}

// An independent description of the parsed shape: every offer parseOffers returns must satisfy it.
const OfferSchema: z.ZodType<unknown> = z.strictObject({
  id: z.string().min(1), name: z.string(), kind: z.enum(['popup', 'bar', 'embed']), target: z.string().optional(),
  priority: z.number(),
  audience: z.strictObject({ all: z.array(z.string()), any: z.array(z.string()), none: z.array(z.string()) }),
  pages: z.strictObject({ types: z.array(z.string()), urls: z.array(z.string()) }),
  trigger: z.strictObject({ delayMs: z.int().min(0), scrollPercent: z.number().min(0).max(100), exitIntent: z.boolean(), inactivityMs: z.int().min(0) }),
  targeting: z.strictObject({
    utm: z.strictObject(Object.fromEntries(['source', 'medium', 'campaign', 'term', 'content'].map((k) => [k, z.array(z.string())]))),
    referrers: z.array(z.string()), landingPaths: z.array(z.string()), devices: z.array(z.enum(['mobile', 'tablet', 'desktop'])),
    cart: z.strictObject({ minValue: z.number().min(0), maxValue: z.number().min(0), minItems: z.int().min(0), maxItems: z.int().min(0) }),
    start: z.string(), end: z.string(),
  }),
  frequency: z.strictObject({ maxViews: z.int().min(0), everyHours: z.number().min(0), stopAfterDismiss: z.boolean(), stopAfterSubmit: z.boolean() }),
  incentive: z.boolean(), position: z.enum(['bottom', 'top']), reserveSpace: z.boolean(), renderer: z.enum(['onsite', 'wisepops']), suppressAfterPurchase: z.boolean(), holdoutPercent: z.number().min(0).max(100), variation: z.string(),
  variants: z.array(z.strictObject({ id: z.string().min(1), weight: z.number().gt(0), offer: z.lazy(() => OfferSchema) })),
  content: z.strictObject({
    title: z.string().min(1), body: z.string(), cta: z.object({ text: z.string().min(1), url: z.string().optional() }).optional(),
    image: z.string().optional(), code: z.string().optional(), codeUrl: z.string().optional(), form: z.enum(['none', 'email', 'email_phone']), consentText: z.string().optional(), smsConsentText: z.string().optional(), smsConsentVersion: z.string().optional(),
    labels: z.strictObject({ email: z.string(), phone: z.string(), thanks: z.string(), close: z.string(), submit: z.string(), codeLoading: z.string(), codeError: z.string(), phoneError: z.string() }),
  }),
})

describe('parseOffers: defaults and the documented shape', () => {
  it('an offer with only id, kind and content.title gets every documented default, silently', () => {
    expect(parseOffers({ offers: [min()] })).toEqual({ offers: [DEFAULTS], governance: GOVERNANCE })
    expect(log.messages()).toEqual([])
  })

  it("the issue's example parses as given", () => {
    const { offers, governance } = parseOffers(EXAMPLE)
    const { id, name, kind, priority, audience, pages, trigger, frequency, incentive, suppressAfterPurchase, holdoutPercent, variation, content } = EXAMPLE.offers[0]!
    expect(offers).toEqual([{ id, name, kind, priority, audience, pages, trigger, targeting: NO_TARGETING, frequency, incentive, position: 'bottom', reserveSpace: false, renderer: 'onsite', suppressAfterPurchase, holdoutPercent, variation, variants: [], content: { ...content, labels: LABELS } }])
    expect(governance).toEqual(EXAMPLE.governance)
    expect(log.messages()).toEqual([])
  })

  it.each([undefined, {}, { offers: [] }, { writeKey: 'pk_1', audiences: {}, pageType: 'home' }])('no offers configured (%j) is not an error', (input) => {
    expect(parseOffers(input)).toEqual({ offers: [], governance: GOVERNANCE })
    expect(log.messages()).toEqual([])
  })

  it.each([
    [null, /^\[onsite\] config must be an object; using the default$/],
    ['offers', /^\[onsite\] config must be an object; using the default$/],
    [{ offers: { id: 'o' } }, /^\[onsite\] config\.offers must be an array; using the default$/],
    [{ offers: [], governance: 3 }, /^\[onsite\] config\.governance must be an object; using the default$/],
  ])('a malformed config (%j) gives one error and the defaults', (input, msg) => {
    expect(parseOffers(input)).toEqual({ offers: [], governance: GOVERNANCE })
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(msg)
  })

  it('a hostile title is kept as-is: it is text, and escaping is the renderer\'s job', () => {
    const title = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    const o = one({ content: { title, body: '</div><svg onload=alert(3)>' } })
    expect(o?.content.title).toBe(title)
    expect(o?.content.body).toBe('</div><svg onload=alert(3)>')
    expect(log.messages()).toEqual([])
  })

  it('an embed keeps its target', () => {
    expect(one({ kind: 'embed', target: '#offer-slot' })).toMatchObject({ kind: 'embed', target: '#offer-slot' })
  })
})

describe('parseOffers: a bad key names the offer and the key, and uses the default', () => {
  it('the exact message of the issue', () => {
    const o = parseOffers({ offers: [{ ...min({ id: 'cart_recovery' }), frequency: { maxViews: -1 } }] }).offers[0]
    expect(log.messages()).toEqual(['[onsite] offers[0] ("cart_recovery").frequency.maxViews must be an integer >= 0; using the default'])
    expect(o?.frequency.maxViews).toBe(1)
  })

  it.each([
    ['name', { name: 3 }, 'name must be a string'],
    ['priority', { priority: '10' }, 'priority must be a number'],
    ['priority', { priority: Infinity }, 'priority must be a number'],
    ['audience.all', { audience: { all: 'vip' } }, 'audience.all must be an array of strings'],
    ['audience.any', { audience: { any: [1] } }, 'audience.any must be an array of strings'],
    ['audience.none', { audience: { none: [null] } }, 'audience.none must be an array of strings'],
    ['pages.types', { pages: { types: 'product' } }, 'pages.types must be an array of strings'],
    ['pages.urls', { pages: { urls: [/x/] } }, 'pages.urls must be an array of strings'],
    ['trigger.delayMs', { trigger: { delayMs: 1.5 } }, 'trigger.delayMs must be an integer >= 0'],
    ['trigger.scrollPercent', { trigger: { scrollPercent: 101 } }, 'trigger.scrollPercent must be a number from 0 to 100'],
    ['trigger.exitIntent', { trigger: { exitIntent: 'yes' } }, 'trigger.exitIntent must be a boolean'],
    ['trigger.inactivityMs', { trigger: { inactivityMs: -5 } }, 'trigger.inactivityMs must be an integer >= 0'],
    ['frequency.maxViews', { frequency: { maxViews: 2.5 } }, 'frequency.maxViews must be an integer >= 0'],
    ['frequency.everyHours', { frequency: { everyHours: -1 } }, 'frequency.everyHours must be a number >= 0'],
    ['frequency.stopAfterDismiss', { frequency: { stopAfterDismiss: 0 } }, 'frequency.stopAfterDismiss must be a boolean'],
    ['frequency.stopAfterSubmit', { frequency: { stopAfterSubmit: 'false' } }, 'frequency.stopAfterSubmit must be a boolean'],
    ['incentive', { incentive: 1 }, 'incentive must be a boolean'],
    ['suppressAfterPurchase', { suppressAfterPurchase: null }, 'suppressAfterPurchase must be a boolean'],
    ['renderer', { renderer: 'optinmonster' }, 'renderer must be one of "onsite", "wisepops"'],
    ['position', { position: 'left' }, 'position must be one of "bottom", "top"'],
    ['content.labels.thanks', { content: { title: 'Hi', labels: { thanks: 3 } } }, 'content.labels.thanks must be a string'],
    ['holdoutPercent', { holdoutPercent: 150 }, 'holdoutPercent must be a number from 0 to 100'],
    ['holdoutPercent', { holdoutPercent: NaN }, 'holdoutPercent must be a number from 0 to 100'],
    ['variation', { variation: ['a'] }, 'variation must be a string'],
    ['content.body', { content: { title: 'Hi', body: 5 } }, 'content.body must be a string'],
    ['content.form', { content: { title: 'Hi', form: 'phone' } }, 'content.form must be one of "none", "email", "email_phone"'],
    ['content.code', { content: { title: 'Hi', code: 10 } }, 'content.code must be a string'],
    ['content.consentText', { content: { title: 'Hi', consentText: true } }, 'content.consentText must be a string'],
    ['content.image', { content: { title: 'Hi', image: 'javascript:alert(1)' } }, 'content.image must be an http(s) URL or a path'],
    ['content.cta', { content: { title: 'Hi', cta: { text: '', url: '/x' } } }, 'content.cta must be { text, url } with a url that is http(s) or a path'],
    ['content.cta', { content: { title: 'Hi', cta: 'Shop now' } }, 'content.cta must be { text, url } with a url that is http(s) or a path'],
    ['content.cta', { content: { title: 'Hi', cta: { text: 'Go', url: 'javascript:alert(1)' } } }, 'content.cta must be { text, url } with a url that is http(s) or a path'],
  ])('%s: %j', (path, over, msg) => {
    const o = one(over)
    expect(log.messages()).toEqual([`[onsite] offers[0] ("o").${msg}; using the default`])
    // the default is used for that key, and nothing else changes
    expect(o).toEqual(DEFAULTS)
    expect(path.split('.').reduce<any>((x, k) => x[k], o)).toEqual(path.split('.').reduce<any>((x, k) => x[k], DEFAULTS))
  })

  it('one error per bad key, the good keys of the same offer still apply', () => {
    const o = one({ priority: 5, frequency: { maxViews: 'three', everyHours: 12 }, trigger: { exitIntent: true, delayMs: -1 } })
    expect(o?.priority).toBe(5)
    expect(o?.frequency).toEqual({ ...DEFAULTS.frequency, everyHours: 12 })
    expect(o?.trigger).toEqual({ ...DEFAULTS.trigger, exitIntent: true })
    expect(log.messages()).toEqual([
      '[onsite] offers[0] ("o").trigger.delayMs must be an integer >= 0; using the default',
      '[onsite] offers[0] ("o").frequency.maxViews must be an integer >= 0; using the default',
    ])
  })

  it('the offer is named by its index and id', () => {
    parseOffers({ offers: [min({ id: 'a' }), min({ id: 'b', priority: 'high' })] })
    expect(log.messages()).toEqual(['[onsite] offers[1] ("b").priority must be a number; using the default'])
  })

  it.each([
    [{ frequency: 3 }, 'frequency must be an object; using the default'],
    [{ frequncy: { maxViews: 3 } }, 'frequncy is unknown and ignored (known: id, kind, target, content, name, priority, audience, pages, trigger, targeting, frequency, incentive, position, reserveSpace, renderer, suppressAfterPurchase, holdoutPercent, variation, variants)'],
    [{ trigger: { delay: 5000 } }, 'trigger.delay is unknown and ignored (known: delayMs, scrollPercent, exitIntent, inactivityMs)'],
    [{ content: { title: 'Hi', 'bad key\n': 1 } }, 'content."bad key\\n" is unknown and ignored (known: title, body, image, code, consentText, smsConsentText, smsConsentVersion, codeUrl, cta, form, labels)'],
  ])('a misplaced or misspelt key is reported: %j', (over, msg) => {
    expect(one(over)).toEqual(DEFAULTS)
    expect(log.messages()).toEqual([`[onsite] offers[0] ("o").${msg}`])
  })

  it('keys named after Object.prototype members do not reach the prototype', () => {
    const raw = JSON.parse('{"offers": [{"id": "o", "kind": "popup", "content": {"title": "Hi"}, "__proto__": {"toString": "x"}, "toString": "y", "constructor": {"a": 1}}]}')
    const o = parseOffers(raw).offers[0]
    expect(o).toEqual(DEFAULTS)
    expect(Object.prototype.toString).toBeTypeOf('function')
    expect(({} as any).a).toBeUndefined()
    expect(log.messages()).toHaveLength(3)
    for (const m of log.messages()) expect(m).toMatch(/^\[onsite\] offers\[0\] \("o"\)\.\w+ is unknown and ignored \(known: [^)]+\)$/)
  })

  it('every message is one line, even with a hostile id', () => {
    parseOffers({ offers: [min({ id: 'x\ny', priority: 'z' }), { id: 'a\nb', kind: 'modal', content: { title: 'Hi' } }] })
    expect(log.messages()).toHaveLength(2)
    for (const m of log.messages()) expect(m).not.toContain('\n')
    expect(log.messages()[0]).toBe('[onsite] offers[0] ("x\\ny").priority must be a number; using the default')
  })
})

describe('parseOffers: URLs are http(s) or relative, never a script', () => {
  it.each([
    'https://shop.example/cart',
    'HTTP://shop.example/x.png',
    '/discount/SAVE10?redirect=/cart',
    '//cdn.shopify.com/s/files/1/x.png',
    'cart',
    '?step=2',
    '#offer',
    '/a:b',
  ])('accepts %s', (url) => {
    expect(one({ content: { title: 'Hi', image: url, cta: { text: 'Go', url } } })?.content).toEqual({ title: 'Hi', body: '', form: 'none', image: url, cta: { text: 'Go', url }, labels: LABELS })
    expect(log.messages()).toEqual([])
  })

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    '\u0001javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'blob:https://shop.example/x',
    'mailto:a@b.c',
    '',
    '   ',
  ])('refuses %j', (url) => {
    const o = one({ content: { title: 'Hi', image: url, cta: { text: 'Go', url } } })
    expect(o?.content).toEqual({ title: 'Hi', body: '', form: 'none', labels: LABELS })
    expect(log.messages()).toHaveLength(2)
    expect(log.messages()[0]).toMatch(/^\[onsite\] offers\[0\] \("o"\)\.content\.image must be an http\(s\) URL or a path; using the default$/)
    expect(log.messages()[1]).toMatch(/^\[onsite\] offers\[0\] \("o"\)\.content\.cta must be /)
  })

  it('a cta without a url is kept (a button that submits or closes)', () => {
    expect(one({ content: { title: 'Hi', cta: { text: 'Get my code' } } })?.content.cta).toEqual({ text: 'Get my code' })
    expect(log.messages()).toEqual([])
  })
})

describe('parseOffers: content.codeUrl, where the code is fetched from instead of the page source', () => {
  const withUrl = (codeUrl: unknown, content: Record<string, unknown> = {}) => one({ content: { title: 'Hi', form: 'email', codeUrl, ...content } })?.content
  const ERROR = 'must be an https URL or a path on the store, with a form and no content.code; using the default'

  it.each(['https://codes.example/mint', 'HTTPS://shop.example/apps/onsite/code', '/apps/onsite/code', '/code?shop=x'])('accepts %s', (url) => {
    expect(withUrl(url)).toEqual({ title: 'Hi', body: '', form: 'email', codeUrl: url, labels: LABELS })
    expect(log.messages()).toEqual([])
  })

  it('with an email_phone form too', () => {
    expect(withUrl('/c', { form: 'email_phone' })?.codeUrl).toBe('/c')
    expect(log.messages()).toEqual([])
  })

  it.each([
    'http://shop.example/code', // the email would travel in the clear
    '//codes.example/mint', // protocol-relative: another host, and http on an http page
    '/\\codes.example/mint', // a browser reads the backslash as a slash: another host
    'apps/onsite/code', // relative to the page: a different URL on every page
    'javascript:alert(1)',
    'https://',
    '',
    42,
  ])('refuses %j with one error naming the key', (url) => {
    expect(withUrl(url)).toEqual({ title: 'Hi', body: '', form: 'email', labels: LABELS })
    expect(log.messages()).toEqual([`[onsite] offers[0] ("o").content.codeUrl ${ERROR}`])
  })

  it('an offer with both code and codeUrl: codeUrl is ignored with one error (the code is public already)', () => {
    expect(withUrl('/apps/onsite/code', { code: 'SAVE10' })).toEqual({ title: 'Hi', body: '', form: 'email', code: 'SAVE10', labels: LABELS })
    expect(log.messages()).toEqual([`[onsite] offers[0] ("o").content.codeUrl ${ERROR}`])
  })

  it('an offer without a form: codeUrl is ignored with one error (only a submit fetches the code)', () => {
    expect(withUrl('/apps/onsite/code', { form: 'none' })).toEqual({ title: 'Hi', body: '', form: 'none', labels: LABELS })
    expect(withUrl('/apps/onsite/code', { form: undefined })).toEqual({ title: 'Hi', body: '', form: 'none', labels: LABELS })
    expect(log.messages()).toEqual([`[onsite] offers[0] ("o").content.codeUrl ${ERROR}`, `[onsite] offers[0] ("o").content.codeUrl ${ERROR}`])
  })

  it('takes the loading and fallback words from labels', () => {
    expect(withUrl('/c', { labels: { codeLoading: 'Un instant…', codeError: 'Code envoyé par email.' } })?.labels).toEqual({ ...LABELS, codeLoading: 'Un instant…', codeError: 'Code envoyé par email.' })
  })
})

describe('parseOffers: offers that cannot be shown are skipped with one error', () => {
  it.each([
    ['not an object', 'popup', 'offers[0] must be an object; the offer is skipped'],
    ['no id', { kind: 'popup', content: { title: 'Hi' } }, 'offers[0].id must be a unique non-empty string, not an Object member like "constructor"; the offer is skipped'],
    ['a blank id', min({ id: '  ' }), 'offers[0].id must be a unique non-empty string, not an Object member like "constructor"; the offer is skipped'],
    ['a __proto__ id', min({ id: '__proto__' }), 'offers[0] ("__proto__").id must be a unique non-empty string, not an Object member like "constructor"; the offer is skipped'],
    ['a toString id', min({ id: 'toString' }), 'offers[0] ("toString").id must be a unique non-empty string, not an Object member like "constructor"; the offer is skipped'],
    ['a numeric id', min({ id: 7 }), 'offers[0].id must be a unique non-empty string, not an Object member like "constructor"; the offer is skipped'],
    ['no kind', { id: 'o', content: { title: 'Hi' } }, 'offers[0] ("o").kind must be one of "popup", "bar", "embed"; the offer is skipped'],
    ['an unknown kind', min({ kind: 'modal' }), 'offers[0] ("o").kind must be one of "popup", "bar", "embed"; the offer is skipped'],
    ['an embed without target', min({ kind: 'embed' }), 'offers[0] ("o").target must be a CSS selector; the offer is skipped'],
    ['an embed with a blank target', min({ kind: 'embed', target: ' ' }), 'offers[0] ("o").target must be a CSS selector; the offer is skipped'],
    ['no content', { id: 'o', kind: 'bar' }, 'offers[0] ("o").content.title must be a non-empty string; the offer is skipped'],
    ['no title', min({ content: { body: 'x' } }), 'offers[0] ("o").content.title must be a non-empty string; the offer is skipped'],
    ['an empty title', min({ content: { title: '' } }), 'offers[0] ("o").content.title must be a non-empty string; the offer is skipped'],
    ['a title that is not a string', min({ content: { title: ['Hi'] } }), 'offers[0] ("o").content.title must be a non-empty string; the offer is skipped'],
    ['content that is not an object', min({ content: 'Hi' }), 'offers[0] ("o").content.title must be a non-empty string; the offer is skipped'],
    ['a skipped offer with other bad keys too', min({ kind: 'modal', priority: 'high', frequency: 3, extra: 1 }), 'offers[0] ("o").kind must be one of "popup", "bar", "embed"; the offer is skipped'],
  ])('%s', (_label, raw, msg) => {
    const { offers } = parseOffers({ offers: [raw, min({ id: 'ok', priority: 'bad' })] })
    expect(offers.map((o) => o.id)).toEqual(['ok'])
    expect(log.messages()).toEqual([`[onsite] ${msg}`, '[onsite] offers[1] ("ok").priority must be a number; using the default'])
  })

  it('a duplicate id: the later offer is skipped, the first kept', () => {
    const { offers } = parseOffers({ offers: [min({ id: 'a', priority: 1 }), min({ id: 'b' }), min({ id: 'a', priority: 9 })] })
    expect(offers.map((o) => [o.id, o.priority])).toEqual([['a', 1], ['b', 0]])
    expect(log.messages()).toEqual(['[onsite] offers[2] ("a").id must be a unique non-empty string, not an Object member like "constructor"; the offer is skipped'])
  })

  it('an offer skipped for another reason does not claim its id', () => {
    const { offers } = parseOffers({ offers: [min({ id: 'a', kind: 'modal' }), min({ id: 'a', kind: 'bar' })] })
    expect(offers.map((o) => o.kind)).toEqual(['bar'])
    expect(log.messages()).toHaveLength(1)
  })
})

describe('parseOffers: variants', () => {
  const AB = { variants: [{ id: 'a', weight: 2 }, { id: 'b', content: { title: 'Half off', body: 'Today' }, position: 'top', incentive: true }] }

  it('each variant is the whole offer with its own content keys, position and incentive over the offer\'s', () => {
    const o = one({ kind: 'bar', content: { title: 'Hi', body: 'Base', cta: { text: 'Go' } }, ...AB })!
    expect(o.variants.map((v) => [v.id, v.weight])).toEqual([['a', 2], ['b', 1]])
    const [a, b] = o.variants.map((v) => v.offer)
    expect(a).toEqual({ ...o, variation: 'a', variants: [] })
    expect(b!.content).toEqual({ ...o.content, title: 'Half off', body: 'Today' })
    expect([b!.position, b!.incentive, b!.variation, b!.id]).toEqual(['top', true, 'b', 'o'])
    expect(log.messages()).toEqual([])
  })

  it('a bad variant key gets its default with one error naming the variant; a variant without an id or reusing one is left out', () => {
    const o = one({ variants: [{ id: 'a', weight: -1 }, { id: 'b', content: { title: '' } }, { weight: 1 }, { id: 'a' }, 'x', { id: 'c', colour: 'red' }] })!
    expect(o.variants.map((v) => [v.id, v.weight, v.offer.content.title])).toEqual([['a', 1, 'Hi'], ['c', 1, 'Hi']])
    expect(log.messages()).toEqual([
      '[onsite] offers[0] ("o").variants[0].weight must be a number >= 0; using the default',
      '[onsite] offers[0] ("o").variants[1].content.title must be a non-empty string; the variant is left out',
      '[onsite] offers[0] ("o").variants[2].id must be a unique non-empty string; the variant is left out',
      '[onsite] offers[0] ("o").variants[3].id must be a unique non-empty string; the variant is left out',
      '[onsite] offers[0] ("o").variants[4].id must be a unique non-empty string; the variant is left out',
      '[onsite] offers[0] ("o").variants[5].colour is unknown and ignored (known: id, weight, content, position, incentive)',
    ])
  })

  it('weight 0 turns a variant off; with none left the offer shows as it is, with one error', () => {
    expect(one({ variants: [{ id: 'a', weight: 0 }, { id: 'b' }] })!.variants.map((v) => v.id)).toEqual(['b'])
    expect(one({ variants: [{ id: 'a', weight: 0 }] })!.variants).toEqual([])
    expect(log.messages()).toEqual(['[onsite] offers[0] ("o").variants has no variant with a weight > 0; the offer shows as it is'])
  })

  it('variants that are not a list: one error, no variants', () => {
    expect(one({ variants: { a: 1 } })!.variants).toEqual([])
    expect(log.messages()).toEqual(['[onsite] offers[0] ("o").variants must be an array of { id, weight, content, position, incentive }; using the default'])
  })
})

describe('parseOffers: governance', () => {
  it('takes valid values', () => {
    expect(parseOffers({ governance: { maxOffersPerSession: 2, incentiveCooldownDays: 0, purchaseQuietDays: 1.5 } }).governance).toEqual({ maxOffersPerSession: 2, incentiveCooldownDays: 0, purchaseQuietDays: 1.5 })
    expect(log.messages()).toEqual([])
  })

  it.each([
    [{ maxOffersPerSession: 1.5 }, 'config.governance.maxOffersPerSession must be an integer >= 0; using the default'],
    [{ maxOffersPerSession: -1 }, 'config.governance.maxOffersPerSession must be an integer >= 0; using the default'],
    [{ incentiveCooldownDays: '14' }, 'config.governance.incentiveCooldownDays must be a number >= 0; using the default'],
    [{ purchaseQuietDays: -7 }, 'config.governance.purchaseQuietDays must be a number >= 0; using the default'],
    [{ maxOffers: 2 }, 'config.governance.maxOffers is unknown and ignored (known: maxOffersPerSession, incentiveCooldownDays, purchaseQuietDays)'],
  ])('%j', (governance, msg) => {
    expect(parseOffers({ governance }).governance).toEqual(GOVERNANCE)
    expect(log.messages()).toEqual([`[onsite] ${msg}`])
  })
})

describe('parseOffers: fuzz', () => {
  // Random junk in every key: the result is always well-formed and every message is one [onsite] line.
  const junk = [undefined, null, 0, -1, 1.5, 1e12, 'x', '', true, [], ['a'], [1], {}, { a: 1 }, 'javascript:x', NaN]
  it('any mix of junk gives offers that satisfy the documented shape', () => {
    let seed = 1
    const pick = () => junk[(seed = (seed * 16807) % 2147483647) % junk.length]
    const keys = ['name', 'priority', 'incentive', 'holdoutPercent', 'variation', 'variants', 'target', 'suppressAfterPurchase', 'position', 'renderer']
    const nested: Record<string, string[]> = {
      audience: ['all', 'any', 'none'], pages: ['types', 'urls'], trigger: ['delayMs', 'scrollPercent', 'exitIntent', 'inactivityMs'],
      frequency: ['maxViews', 'everyHours', 'stopAfterDismiss', 'stopAfterSubmit'], content: ['body', 'cta', 'image', 'code', 'codeUrl', 'form', 'consentText', 'labels'],
    }
    for (let n = 0; n < 300; n++) {
      const raw: Record<string, any> = { id: 'o' + n, kind: ['popup', 'bar', 'embed'][n % 3], target: '#slot' }
      for (const k of keys) if (n % 2) raw[k] = pick()
      for (const [k, subs] of Object.entries(nested)) raw[k] = n % 7 === 0 ? pick() : Object.fromEntries(subs.map((s) => [s, pick()]))
      if (typeof raw.content === 'object' && raw.content) raw.content.title = 'T'
      const { offers } = parseOffers({ offers: [raw] })
      for (const o of offers) expect(() => OfferSchema.parse(o)).not.toThrow()
    }
    for (const m of log.messages()) expect(m).toMatch(/^\[onsite\] [^\n]+$/)
  })
})

describe('parseAudiences', () => {
  it('syncedAt null (the audience service, for a person it has no rows for) is no time, silently', () => {
    expect(parseAudiences({ flags: { vip: true }, syncedAt: null })).toEqual({ flags: { vip: true } })
    expect(log.messages()).toEqual([])
  })

  it("the issue's example", () => {
    expect(parseAudiences(EXAMPLE.audiences)).toEqual({ flags: { cio_cart_abandon_4h: true, vip: false }, syncedAt: Date.UTC(2026, 10, 22, 10) })
    expect(log.messages()).toEqual([])
  })

  it.each([
    [undefined, { flags: {} }],
    [{}, { flags: {} }],
    [{ syncedAt: 1764000000000 }, { flags: {}, syncedAt: 1764000000000 }],
    // other keys of the answer (a newer endpoint's) are not ours to judge
    [{ flags: {}, generatedAt: 'now', person: { id: 1 } }, { flags: {} }],
    [{ syncedAt: '2026-11-22T10:00:00+01:00' }, { flags: {}, syncedAt: Date.UTC(2026, 10, 22, 9) }],
  ])('%j', (input, want) => {
    expect(parseAudiences(input)).toEqual(want)
    expect(log.messages()).toEqual([])
  })

  it.each([
    [[], { flags: {} }, 'audiences must be an object; using the default'],
    [{ flags: ['vip'] }, { flags: {} }, 'audiences.flags must be an object; using the default'],
    [{ flags: { vip: 'true', a: true } }, { flags: { a: true } }, 'audiences.flags.vip must be a boolean; using the default'],
    [{ flags: { b: 1 }, syncedAt: 'yesterday' }, { flags: {} }, 'audiences.flags.b must be a boolean; using the default'],
    [{ flags: { 'x\ny': 1 } }, { flags: {} }, 'audiences.flags."x\\ny" must be a boolean; using the default'],
    [{ syncedAt: 'yesterday' }, { flags: {} }, 'audiences.syncedAt must be an ISO date or a time in ms; using the default'],
    [{ syncedAt: false }, { flags: {} }, 'audiences.syncedAt must be an ISO date or a time in ms; using the default'],
  ])('%j: errors and keeps what is valid', (input, want, first) => {
    expect(parseAudiences(input)).toEqual(want)
    expect(log.messages()[0]).toBe(`[onsite] ${first}`)
  })
})
