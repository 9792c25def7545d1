// Renders shopify/onsite.liquid the way a theme does (`{% render 'onsite' %}` from the layout) with liquidjs,
// against sample Shopify objects. Not a test file. The objects follow the Liquid reference
// (https://shopify.dev/docs/api/liquid/objects): money in hundredths, ids as numbers, `customer` nil for a
// guest; the Shopify-only filters the snippet uses are modelled on their documented output.
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Liquid } from 'liquidjs'

export const SNIPPET_PATH = new URL('../shopify/onsite.liquid', import.meta.url)
export const SNIPPET = readFileSync(SNIPPET_PATH, 'utf8')

/** The static loader stub of README "Install on a store", byte for byte. */
export const STUB =
  '!function(w,s){s=w.onsite;if(s&&(s._q||s.version||s.push))return;s=w.onsite={_q:[],anonymousId:function(){return""},explain:function(){}};"init page track identify reset flush consent".split(" ").forEach(function(m){s[m]=function(){s._q.push([m,[].slice.call(arguments),Date.now()]);if(m=="flush")return Promise.resolve()}})}(window);onsite.page();'

export const SHOP_HOST = 'shop.example'
/** What `'onsite.js' | asset_url` gives: a protocol-relative CDN URL with a version. */
export const ASSET_URL = `//${SHOP_HOST}/cdn/shop/t/7/assets/onsite.js?v=1700000000`
/** The delivery engine next to it, preloaded. */
export const DELIVERY_URL = `//${SHOP_HOST}/cdn/shop/t/7/assets/onsite-delivery.js?v=1700000000`
/** The offers file, preloaded on pages whose config has offers. */
export const OFFERS_URL = `//${SHOP_HOST}/cdn/shop/t/7/assets/onsite-offers.js?v=1700000000`

/**
 * `asset_url`: "//{shop}/cdn/shop/t/{theme}/assets/{file}?v={version}".
 * `image_url`: "//{shop}/cdn/shop/{src}?v={version}&width=N"; a width or height is required
 * (https://shopify.dev/docs/api/liquid/filters/image_url: "If neither are specified, then an error is returned").
 */
const registerShopifyFilters = (engine: Liquid) => {
  // https://shopify.dev/docs/api/liquid/filters/hmac_sha256: the HMAC-SHA256 of the input with the key, in hex
  engine.registerFilter('hmac_sha256', (input: unknown, key: unknown) => createHmac('sha256', String(key)).update(String(input)).digest('hex'))
  engine.registerFilter('asset_url', (name: unknown) => `//${SHOP_HOST}/cdn/shop/t/7/assets/${String(name)}?v=1700000000`)
  engine.registerFilter('image_url', (input: unknown, ...args: unknown[]) => {
    // liquidjs passes keyword arguments (`width: 600`) as [name, value] pairs.
    const opts = Object.fromEntries(args.filter(Array.isArray) as [string, unknown][])
    if (opts.width === undefined && opts.height === undefined) throw new Error('image_url: a width or height is required')
    const img = (input as { featured_image?: unknown })?.featured_image ?? input
    const src = typeof img === 'string' ? img : (img as { src?: string })?.src
    if (!src) return ''
    const size = [opts.width !== undefined && `width=${opts.width}`, opts.height !== undefined && `height=${opts.height}`].filter(Boolean)
    return `//${SHOP_HOST}/cdn/shop/${src}?v=1700000000&${size.join('&')}`
  })
}

/** Merchant settings, applied the way a merchant edits the top of the snippet. */
export interface Settings {
  writeKey?: string
  apiHost?: string
  consent?: string
  tagPrefix?: string
  metafieldNamespace?: string
  metafieldKey?: string
  offers?: string
  governance?: string
  audiencesUrl?: string
  tokenSecret?: string
}

const ASSIGNS: Record<string, string> = {
  writeKey: 'onsite_write_key', apiHost: 'onsite_api_host', consent: 'onsite_consent', tagPrefix: 'onsite_tag_prefix',
  metafieldNamespace: 'onsite_metafield_namespace', metafieldKey: 'onsite_metafield_key',
  audiencesUrl: 'onsite_audiences_url', tokenSecret: 'onsite_token_secret',
}

/** The snippet's source with `settings` written in; throws when a setting's line is not found. */
export const configure = (s: Settings): string => {
  let src = SNIPPET
  // A function replacement: the value is inserted as is, never read as a `$&` pattern.
  const swap = (re: RegExp, to: (m: string) => string, what: string) => {
    if (!re.test(src)) throw new Error(`setting ${what} not found in onsite.liquid`)
    src = src.replace(re, to)
  }
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue
    // A Liquid string literal cannot escape its quote: settings here never contain one.
    if (ASSIGNS[k]) swap(new RegExp(`assign ${ASSIGNS[k]} = '[^']*'`), () => `assign ${ASSIGNS[k]} = '${v}'`, k)
    else swap(new RegExp(`capture onsite_${k} -%\\}\\n`), (m) => m + v + '\n', k)
  }
  return src
}

/** Renders `{% render 'onsite' %}` with the Shopify objects as globals (a rendered snippet sees only globals). */
export const renderOnsite = (globals: Record<string, unknown>, settings: Settings = { writeKey: 'wk_test' }): Promise<string> => {
  const engine = new Liquid({ templates: { 'onsite.liquid': configure(settings) }, extname: '.liquid', strictFilters: true })
  registerShopifyFilters(engine)
  return engine.parseAndRender("{% render 'onsite' %}", {}, { globals })
}

export const image = (file: string) => ({ src: `files/${file}`, width: 2000, height: 2000, alt: '' })

/** A guest on the home page, EUR, unless `over` says otherwise (shallow). */
export const page = (pageType: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  request: { design_mode: false, page_type: pageType, host: SHOP_HOST, origin: `https://${SHOP_HOST}` },
  routes: { root_url: '/' },
  shop: { currency: 'EUR', permanent_domain: 'shop-example.myshopify.com' },
  cart: { currency: { iso_code: 'EUR' }, item_count: 0, total_price: 0 },
  canonical_url: `https://${SHOP_HOST}/`,
  customer: null,
  ...over,
})

export interface VariantIn {
  id?: number
  title?: string
  sku?: string | null
  price?: number
  featured_image?: unknown
}

export const product = (over: Record<string, unknown> = {}, variant: VariantIn = {}) => ({
  id: 8123456789012,
  title: 'Linen tee',
  handle: 'linen-tee',
  url: '/products/linen-tee',
  has_only_default_variant: false,
  featured_image: image('tee.jpg'),
  selected_or_first_available_variant: { id: 45123456789012, title: 'Sand / M', sku: 'TEE-SND-M', price: 1999, featured_image: null, ...variant },
  ...over,
})

/** A product page: `product` global, canonical URL without the variant parameter. */
export const productPage = (p = product(), over: Record<string, unknown> = {}) =>
  page('product', { product: p, canonical_url: `https://${SHOP_HOST}/products/${String(p.handle)}`, ...over })

export const customer = (over: Record<string, unknown> = {}) => ({
  id: 7012345678901,
  email: 'jane@example.com',
  tags: [] as unknown[],
  metafields: {} as Record<string, unknown>,
  ...over,
})

/** `customer.metafields.<ns>.<key>.value` holding `value` (a JSON or list metafield). */
export const metafield = (value: unknown, ns = 'onsite', key = 'audiences') => ({ [ns]: { [key]: { value, type: 'json' } } })
