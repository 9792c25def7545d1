// @vitest-environment node
// shopify/onsite.liquid rendered with liquidjs against sample Shopify objects: the output must be exactly the
// three expected elements, shopper text must stay inert text inside an HTML-escaped attribute, and the
// config must be what onsite.js accepts without a console error.
import { runInNewContext } from 'node:vm'
import { Window } from 'happy-dom'
import { Liquid } from 'liquidjs'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { parseConfig } from '../../src/config.ts'
import { parseAudiences, parseOffers } from '../../src/offers/offers.ts'
import { validateEvent } from '../../src/capture/validate.ts'
import { ASSET_URL, DELIVERY_URL, OFFERS_URL, SNIPPET, STUB, customer, image, metafield, page, product, productPage, renderOnsite, type Settings } from '../shopify-fixtures.ts'
import { captureErrors } from './fakes.ts'
import { verifyVisitor } from '../../src/audiences-server/token.ts'

const KEYS = ['offers', 'governance', 'audiences', 'audiencesUrl', 'audiencesToken', 'audiencesWaitMs', 'audiencesTtlMs', 'pageType', 'shopify']
const HOSTILE = `</script><script>alert(1)</script>"'&<!--`
const SHOP = { root: '/', currency: 'EUR' }
type Cfg = Record<string, any>

afterEach(() => void vi.restoreAllMocks())

/**
 * Checks the output twice, as text (independent of any parser) and as a browser parses it, and returns the
 * config onsite.js would read from `#onsite-config`.
 */
const inspect = (html: string): Cfg => {
  expect(html.match(/<script/gi)).toHaveLength(3)
  expect(html.match(/<\/script/gi)).toHaveLength(3)
  expect(html).not.toContain('<!--')
  const first = /^<script type="application\/json" id="onsite-config" data-config="([^"<>']*)"><\/script>\n/.exec(html)
  expect(first, html).not.toBeNull()
  // the offers file is preloaded exactly where the config has offers (the core loads it there, and only there)
  const offers = /(&quot;|&#34;)offers\1:/.test(first![1]!)
  const preloads = [DELIVERY_URL, ...(offers ? [OFFERS_URL] : [])]
  expect(html.slice(first![0].length)).toBe(
    `<script>${STUB}</script>\n${preloads.map((u) => `<link rel="preload" as="script" href="${u}">\n`).join('')}<script src="${ASSET_URL}" async></script>`,
  )

  const win = new Window()
  try {
    const doc = new win.DOMParser().parseFromString(`<!doctype html><html><head>${html}</head><body></body></html>`, 'text/html')
    const els = [...doc.head.children]
    const links = preloads.map(() => 'LINK')
    expect(els.map((e) => e.tagName)).toEqual(['SCRIPT', 'SCRIPT', ...links, 'SCRIPT'])
    expect(doc.body.childNodes).toHaveLength(0)
    expect(doc.querySelectorAll('script, img, svg, iframe, [onerror], [onload]')).toHaveLength(3)
    const names = els.map((e) => e.getAttributeNames())
    expect(names).toEqual([['type', 'id', 'data-config'], [], ...preloads.map(() => ['rel', 'as', 'href']), ['src', 'async']])
    expect(els.map((e) => e.textContent)).toEqual(['', STUB, ...preloads.map(() => ''), ''])
    expect(els.slice(2, -1).map((e) => e.getAttribute('href'))).toEqual(preloads)
    expect(els.at(-1)!.getAttribute('src')).toBe(ASSET_URL)
    // What onsite.js's auto-init reads.
    const el = doc.getElementById('onsite-config')!
    expect(el).toBe(els[0])
    const config = JSON.parse(el.getAttribute('data-config')!)
    expect('offers' in config).toBe(offers)
    return config
  } finally {
    void win.happyDOM.close()
  }
}

/** onsite's own checks accept the config without a single console error. */
const accept = (config: Cfg) => {
  const errors = captureErrors()
  expect(parseConfig(config, 'https://shop.example/', KEYS, true)).toBeDefined()
  if (config.audiences) parseAudiences(config.audiences)
  if (config.offers || config.governance) parseOffers(config)
  const p = config.shopify?.product
  if (p) expect(validateEvent('Product Viewed', p)).toBe('')
  expect(errors.messages()).toEqual([])
}

const load = async (globals: Record<string, unknown>, settings?: Settings): Promise<Cfg> => {
  const config = inspect(await renderOnsite(globals, settings))
  accept(config)
  return config
}

const flagsOf = async (c: Record<string, unknown>, settings?: Settings) => (await load(page('index', { customer: customer(c) }), settings)).audiences

describe('shopify/onsite.liquid', () => {
  test('a guest on the home page: no customer, no flags', async () => {
    expect(await load(page('index'))).toEqual({ writeKey: 'wk_test', consent: 'shopify', pageType: 'home', customer: null, shopify: SHOP })
  })

  test('a signed-in customer on a product page, with tag and metafield flags', async () => {
    const c = customer({ tags: ['cio:vip', 'wholesale'], metafields: metafield({ flags: { cart_abandon_4h: true }, syncedAt: '2026-11-22T10:00:00Z' }) })
    expect(await load(productPage(product(), { customer: c }))).toEqual({
      writeKey: 'wk_test',
      consent: 'shopify',
      pageType: 'product',
      customer: { id: '7012345678901', email: 'jane@example.com' },
      audiences: { flags: { cart_abandon_4h: true, vip: true }, syncedAt: '2026-11-22T10:00:00Z' },
      shopify: {
        ...SHOP,
        product: {
          product_id: '8123456789012', variant_id: '45123456789012', sku: 'TEE-SND-M', name: 'Linen tee', variant: 'Sand / M',
          price: 19.99, currency: 'EUR', url: 'https://shop.example/products/linen-tee',
          image_url: 'https://shop.example/cdn/shop/files/tee.jpg?v=1700000000&width=600',
        },
      },
    })
  })

  test('the product: the variant image first, no "Default Title", no blank sku, the cart currency', async () => {
    const p = product({ has_only_default_variant: true }, { title: 'Default Title', sku: '', price: 5000, featured_image: image('tee-sand.jpg') })
    const c = await load(productPage(p, { cart: { currency: { iso_code: 'CAD' } }, routes: { root_url: '/en-ca' } }))
    expect(c.shopify).toEqual({
      root: '/en-ca',
      currency: 'CAD',
      product: {
        product_id: '8123456789012', variant_id: '45123456789012', name: 'Linen tee', price: 50, currency: 'CAD',
        url: 'https://shop.example/products/linen-tee', image_url: 'https://shop.example/cdn/shop/files/tee-sand.jpg?v=1700000000&width=600',
      },
    })
    // Without any image there is no image_url; without a cart currency the shop's is used.
    const bare = await load(productPage(product({ featured_image: null }), { cart: {}, shop: { currency: 'USD' } }))
    expect(bare.shopify.product).not.toHaveProperty('image_url')
    expect(bare.shopify.currency).toBe('USD')
    expect(bare.shopify.product.currency).toBe('USD')
  })

  test.each([
    [0, 0], [1, 0.01], [10, 0.1], [1999, 19.99], [5000, 50], [123456789, 1234567.89], [99999999999, 999999999.99],
  ])('price %i in hundredths is %d in major units', async (cents, major) => {
    const c = await load(productPage(product({}, { price: cents })))
    expect(c.shopify.product.price).toBe(major)
  })

  test('the price expression of the snippet is exact for every amount up to 100000.00', () => {
    const expr = /"price":\{\{\s*([^}]+?)\s*\}\}/.exec(SNIPPET)?.[1]
    expect(expr).toMatch(/divided_by: 100\.0/)
    const engine = new Liquid({ strictFilters: true })
    const tpl = engine.parse(`{{ ${expr} }}`)
    const samples = [...Array(100001).keys(), 10000000, 10000001, 2 ** 40, 2 ** 40 + 99]
    for (const n of [...samples, ...samples.map((n) => n * 100 + 99)]) {
      const out = engine.renderSync(tpl, { onsite_variant: { price: n } }) as string
      const exact = `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`
      if (!/^\d+(\.\d+)?$/.test(out) || JSON.parse(out) !== Number(exact)) expect(`${n} -> ${out}`).toBe(`${n} -> ${exact}`)
    }
  })

  test('JPY: hundredths too (150000 is 1500 yen)', async () => {
    const c = await load(productPage(product({}, { price: 150000 }), { cart: { currency: { iso_code: 'JPY' } } }))
    expect(c.shopify.product).toMatchObject({ price: 1500, currency: 'JPY' })
  })

  test.each([
    ['index', 'home'], ['product', 'product'], ['collection', 'collection'], ['list-collections', 'collection'], ['cart', 'cart'],
    ['search', 'search'], ['page', 'page'], ['blog', 'blog'], ['article', 'article'], ['customers/account', 'account'],
    ['customers/order', 'account'], ['customers/login', 'account'], ['404', 'other'], ['password', 'other'],
    ['gift_card', 'other'], ['metaobject', 'other'], ['', 'other'],
  ])('page type %j is %j', async (shopifyType, pageType) => {
    const c = await load(page(shopifyType))
    expect(c.pageType).toBe(pageType)
    // Only a product page carries a product, even when a product object is around.
    expect(c.shopify.product).toBeUndefined()
  })

  test('a product object outside a product page is ignored', async () => {
    expect((await load(page('collection', { product: product() }))).shopify).toEqual(SHOP)
  })

  test('the theme editor renders nothing at all', async () => {
    const g = productPage(product(), { customer: customer({ tags: ['cio:vip'] }) })
    expect(await renderOnsite({ ...g, request: { design_mode: true, page_type: 'product' } })).toBe('')
  })

  test('hostile product, variant, sku, URL, email, tag and metafield text stays text', async () => {
    const odd = `${HOSTILE} \\ \n\t\u2028\u2029 {{ x }} {% raw %} ]]> \u00e9\ud83d\ude00`
    const email = `"><img src=x onerror=alert(1)>${HOSTILE}@evil.example`
    const p = product({ title: odd }, { title: HOSTILE, sku: HOSTILE })
    const c = await load(productPage(p, {
      canonical_url: `https://shop.example/products/x?q="><script>alert(1)</script>`,
      customer: customer({
        id: 42,
        email,
        tags: ['cio:"><script>alert(1)</script>', `cio:${HOSTILE}`, 'cio:__proto__'],
        metafields: metafield({ flags: { [HOSTILE + 'm']: true, '</script>': false } }),
      }),
    }))
    expect(c.customer).toEqual({ id: '42', email })
    expect(c.shopify.product).toMatchObject({ name: odd, variant: HOSTILE, sku: HOSTILE, url: 'https://shop.example/products/x?q="><script>alert(1)</script>' })
    // Tag flags are lowercased: the hostile text is lowercase already.
    expect(Object.entries(c.audiences.flags)).toEqual([
      [HOSTILE + 'm', true], ['</script>', false], ['"><script>alert(1)</script>', true], [HOSTILE, true], ['__proto__', true],
    ])
  })

  test('the raw attribute holds no markup character, whatever the json filter escapes', async () => {
    const html = await renderOnsite(productPage(product({ title: HOSTILE }), { customer: customer({ email: HOSTILE, tags: [`cio:${HOSTILE}`] }) }))
    const attr = /data-config="([^"]*)"/.exec(html)![1]!
    expect(attr).not.toMatch(/[<>"']/)
    expect(attr).toContain('&lt;/script&gt;')
  })

  test('the loader stub runs and queues the first page call', async () => {
    const html = await renderOnsite(page('index'))
    const code = /<script>(.*)<\/script>/.exec(html)![1]!
    const w: Record<string, any> = { Date }
    w.window = w
    runInNewContext(code, w)
    expect(JSON.parse(JSON.stringify(w.onsite._q))).toEqual([['page', [], expect.any(Number)]])
  })

  test('no Liquid value is written inside a script body: the source has exactly the three script lines and the preloads', () => {
    const code = SNIPPET.replace(/\{%-?\s*comment\s*-?%\}[\s\S]*?\{%-?\s*endcomment\s*-?%\}/g, '')
    const lines = code.split('\n').filter((l) => /<\/?(script|link)/i.test(l))
    expect(lines).toEqual([
      '<script type="application/json" id="onsite-config" data-config="{{ onsite_json | escape }}"></script>',
      `<script>${STUB}</script>`,
      `<link rel="preload" as="script" href="{{ 'onsite-delivery.js' | asset_url }}">`,
      `<link rel="preload" as="script" href="{{ 'onsite-offers.js' | asset_url }}">`,
      `<script src="{{ 'onsite.js' | asset_url }}" async></script>`,
    ])
  })
})

describe('audience flags', () => {
  test('tags: the prefix in any case, trimmed, lowercased, each name once; others ignored', async () => {
    const tags = ['cio:VIP', ' cio:vip ', 'CIO: Cart_Abandon ', 'cio:', 'cio:   ', 'wholesale', 'vip', 'xcio:no', 'cio:two words']
    expect(await flagsOf({ tags })).toEqual({ flags: { vip: true, cart_abandon: true, 'two words': true } })
  })

  test('a customer without tags or metafield has empty flags; a guest has none', async () => {
    expect(await flagsOf({})).toEqual({ flags: {} })
    expect(await load(page('cart', { customer: null }))).not.toHaveProperty('audiences')
  })

  test('a custom tag prefix; an empty prefix turns tag flags off', async () => {
    expect(await flagsOf({ tags: ['seg_vip', 'cio:no'] }, { writeKey: 'wk', tagPrefix: 'seg_' })).toEqual({ flags: { vip: true } })
    expect(await flagsOf({ tags: ['cio:vip', 'vip'] }, { writeKey: 'wk', tagPrefix: '' })).toEqual({ flags: {} })
  })

  test('metafield object: only true is true; names as written; it wins over a tag of the same name', async () => {
    const mf = metafield({ flags: { VIP: true, lapsed: false, odd: 'yes', one: 1 }, syncedAt: 1764000000000 })
    expect(await flagsOf({ tags: ['cio:lapsed', 'cio:vip'], metafields: mf })).toEqual({
      flags: { VIP: true, lapsed: false, odd: false, one: false, vip: true },
      syncedAt: 1764000000000,
    })
  })

  test('metafield list: each string is a flag; other items are skipped', async () => {
    const mf = metafield(['vip', 'cart_abandon', 3, '', null, { a: 1 }, ['x'], 'vip'])
    expect(await flagsOf({ tags: ['cio:vip', 'cio:new'], metafields: mf })).toEqual({ flags: { vip: true, cart_abandon: true, new: true } })
  })

  test('metafield values of another shape give no flags', async () => {
    for (const value of ['vip', 42, null, true, { flags: ['vip'] }, { other: 1 }]) {
      expect(await flagsOf({ tags: ['cio:a'], metafields: metafield(value) })).toEqual({ flags: { a: true } })
    }
    // A flags list is not read, but the sync time still is.
    expect(await flagsOf({ metafields: metafield({ flags: ['vip'], syncedAt: '2026-11-22T10:00:00Z' }) })).toEqual({ flags: {}, syncedAt: '2026-11-22T10:00:00Z' })
  })

  test('another metafield namespace and key; an empty namespace turns it off', async () => {
    const mf = metafield(['vip'], 'custom', 'cio_segments')
    expect(await flagsOf({ metafields: mf }, { writeKey: 'wk', metafieldNamespace: 'custom', metafieldKey: 'cio_segments' })).toEqual({ flags: { vip: true } })
    expect(await flagsOf({ metafields: metafield(['vip']) }, { writeKey: 'wk', metafieldNamespace: '' })).toEqual({ flags: {} })
  })
})

describe('merchant settings', () => {
  test('apiHost and consent when set', async () => {
    const c = await load(page('index'), { writeKey: 'wk', apiHost: '/cio/v1', consent: 'pending' })
    expect(c).toMatchObject({ writeKey: 'wk', apiHost: '/cio/v1', consent: 'pending' })
    expect(parseConfig(c, 'https://shop.example/', KEYS, true)).toMatchObject({ apiHost: 'https://shop.example/cio/v1', consent: 'pending' })
    // Consent emptied: left to onsite's own default.
    expect(await load(page('index'), { writeKey: 'wk', consent: '' })).not.toHaveProperty('consent')
  })

  test('offers and governance are copied in; their text is inert too', async () => {
    const offers = [{ id: 'welcome', kind: 'popup', pages: { types: ['home'] }, content: { title: HOSTILE, body: '10% off', form: 'email' } }]
    const governance = { maxOffersPerSession: 1, incentiveCooldownDays: 14 }
    const c = await load(page('index'), { writeKey: 'wk', offers: JSON.stringify(offers, null, 2), governance: JSON.stringify(governance) })
    expect(c).toMatchObject({ offers, governance })
    expect(parseOffers(c).offers.map((o) => o.content.title)).toEqual([HOSTILE])
  })

  test('the audience service: a signed-in customer gets a token the service accepts; a guest gets null; App Proxy (no secret): no token', async () => {
    const secret = 'tok_secret_1'
    const settings = { writeKey: 'wk', audiencesUrl: 'https://aud.example/audiences', tokenSecret: secret }
    const signed = await load(page('index', { customer: customer({ id: 42 }) }), settings)
    expect(signed.audiencesUrl).toBe('https://aud.example/audiences')
    expect(signed.audiencesToken).toMatch(/^42\.\d{10}\.[0-9a-f]{64}$/)
    const v = await verifyVisitor(signed.audiencesToken, secret)
    expect(v).toMatchObject({ ok: true, id: '42' })
    if (v.ok) expect(v.exp * 1000 - Date.now()).toBeGreaterThan(23 * 3600e3)
    expect(await verifyVisitor(signed.audiencesToken, 'another secret')).toMatchObject({ ok: false })
    expect(JSON.stringify(signed)).not.toContain(secret)
    expect((await load(page('index'), settings)).audiencesToken).toBeNull()
    const proxy = await load(page('index', { customer: customer({ id: 42 }) }), { writeKey: 'wk', audiencesUrl: '/apps/onsite/audiences' })
    expect(proxy.audiencesUrl).toBe('/apps/onsite/audiences')
    expect(proxy).not.toHaveProperty('audiencesToken')
    expect(await load(page('index'), { writeKey: 'wk' })).not.toHaveProperty('audiencesUrl')
  })

  test('the snippet as shipped (no write key) still renders, and onsite says what is missing', async () => {
    const c = inspect(await renderOnsite(page('index'), {}))
    expect(c.writeKey).toBe('')
    const errors = captureErrors()
    expect(parseConfig(c, 'https://shop.example/', KEYS, true)).toBeUndefined()
    expect(errors.messages()).toEqual([expect.stringMatching(/^\[onsite\] config\.writeKey is missing/)])
  })
})
