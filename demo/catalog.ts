// The demo store's three products. Ids are numbers the size of Shopify's, money is in cents as Shopify's
// cart and Liquid give it (https://shopify.dev/docs/api/ajax/reference/cart), and one product has only
// Shopify's "Default Title" variant, because real carts answer `variant_title: null` for those.

export interface Variant {
  id: number
  /** "Default Title" for a product without options, as Shopify names it. */
  title: string
  sku: string
  /** Cents. */
  price: number
  /** Units left; absent: unlimited. Lets the demo answer a real 422 "can't add more". */
  inventory?: number
}
export interface Product {
  id: number
  handle: string
  title: string
  vendor: string
  type: string
  description: string
  /** Two colours for the generated product picture. */
  colors: [string, string]
  option: string
  variants: Variant[]
}

export const CURRENCY = 'USD'

export const PRODUCTS: readonly Product[] = [
  {
    id: 8840001101, handle: 'linen-shirt', title: 'Linen Shirt', vendor: 'Onsite Outfitters', type: 'Shirts',
    description: 'Washed linen, relaxed fit, mother-of-pearl buttons.', colors: ['#e9e4d4', '#b9ad88'], option: 'Size',
    variants: [
      { id: 47100011011, title: 'S', sku: 'LS-001-S', price: 4900 },
      { id: 47100011012, title: 'M', sku: 'LS-001-M', price: 4900 },
      { id: 47100011013, title: 'L', sku: 'LS-001-L', price: 4900 },
    ],
  },
  {
    id: 8840001102, handle: 'canvas-tote', title: 'Canvas Tote', vendor: 'Onsite Outfitters', type: 'Bags',
    description: 'Heavy cotton canvas, inside pocket, carries a week of groceries.', colors: ['#d9e3e8', '#7d98a6'], option: 'Title',
    variants: [{ id: 47100011021, title: 'Default Title', sku: 'CT-002', price: 1999 }],
  },
  {
    id: 8840001103, handle: 'wool-coat', title: 'Wool Coat', vendor: 'Onsite Outfitters', type: 'Outerwear',
    description: 'Boiled wool, fully lined, made to outlast a few winters.', colors: ['#d8d2cf', '#4a4543'], option: 'Color',
    variants: [
      { id: 47100011031, title: 'Charcoal', sku: 'WC-003-CH', price: 12000 },
      { id: 47100011032, title: 'Camel', sku: 'WC-003-CA', price: 12000, inventory: 2 },
    ],
  },
]

export const findProduct = (handle: string): Product | undefined => PRODUCTS.find((p) => p.handle === handle)

export const findVariant = (id: unknown): { product: Product; variant: Variant } | undefined => {
  const n = typeof id === 'number' ? id : typeof id === 'string' && /^\d{1,20}$/.test(id.trim()) ? Number(id) : NaN
  for (const product of PRODUCTS) {
    const variant = product.variants.find((v) => v.id === n)
    if (variant) return { product, variant }
  }
  return undefined
}

export const isDefaultVariant = (v: Variant): boolean => v.title === 'Default Title'

/** Cents to the decimal major-unit number events carry: 1999 -> 19.99 (exact for two decimals). */
export const major = (cents: number): number => Math.round(cents) / 100

/** "49.00 USD" */
export const money = (cents: number): string => `${(Math.round(cents) / 100).toFixed(2)} ${CURRENCY}`

/** A flat product picture, so the demo needs no image files. */
export const productSvg = (p: Product): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" width="600" height="600">` +
  `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${p.colors[0]}"/><stop offset="1" stop-color="${p.colors[1]}"/></linearGradient></defs>` +
  `<rect width="600" height="600" fill="url(#g)"/>` +
  `<text x="300" y="330" font-family="Georgia, serif" font-size="64" text-anchor="middle" fill="#1d1d1f" opacity=".55">${p.title}</text></svg>`
