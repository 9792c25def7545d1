// The store's sections, the parts of a page a theme re-renders without a reload, as Shopify serves them
// (https://shopify.dev/docs/api/ajax/section-rendering): each is wrapped in
// `<div id="shopify-section-ID" class="shopify-section">`, the same markup in the full page and in
// answers to `?sections=a,b` / `?section_id=a` and to the Ajax cart's `sections` parameter, so a Dawn-style
// drawer can swap `#CartDrawer`, `.drawer__inner` or `.js-contents` out of them. `cart-drawer` and
// `cart-icon-bubble` are in the layout of every page; `main-cart-items` and `main-cart-footer` belong to
// the cart page's template, so they render (not null) only in the context of /cart.
import { money } from './catalog.ts'
import type { cartJson } from './cart.ts'
import { html, localPath, raw, type Html } from './http.ts'

export type CartView = ReturnType<typeof cartJson>
/** What a section is rendered from: the visitor's cart (after the change, for the Ajax cart) and the page's path. */
export interface SectionCtx {
  cart: CartView | undefined
  path: string
}

/** Shopify renders at most five sections a request; more is a 400. */
export const MAX_SECTIONS = 5

const wrap = (id: string, inner: Html): Html => html`<div id="shopify-section-${id}" class="shopify-section">${inner}</div>`

const count = (c: SectionCtx) => c.cart?.item_count ?? 0

/** The header's cart link holds this section's contents (Dawn: `#cart-icon-bubble`). */
export const bubbleInner = (c: SectionCtx): Html => html`Cart <span class="count" data-cart-count>${count(c)}</span>`

const qty = (prefix: string, line: number, it: CartView['items'][number]) =>
  html`<span class="qty-cell"><button type="button" class="small" data-qty-step="-1" data-line="${line}" aria-label="One less ${it.product_title}">−</button><input type="number" min="0" max="99" value="${it.quantity}" id="${prefix}-${line}" data-line-qty data-line="${line}" aria-label="Quantity of ${it.title}"><button type="button" class="small" data-qty-step="1" data-line="${line}" aria-label="One more ${it.product_title}">+</button></span>`

const drawerLines = (cart: CartView): Html =>
  html`<ul class="drawer__lines" id="CartDrawer-CartItems">${cart.items.map((it, i) => html`<li class="drawer-line" id="CartDrawer-Item-${i + 1}" data-drawer-line="${i + 1}" data-variant-id="${it.variant_id}">
  <img src="${it.image}" alt="" width="56" height="56">
  <span class="drawer-line__name"><a href="${it.url}">${it.product_title}</a>${it.variant_title ? html`<br><span class="hint">${it.variant_title}</span>` : ''}</span>
  ${qty('Drawer-quantity', i + 1, it)}
  <span class="num" data-line-price>${money(it.final_line_price)}</span>
  <button type="button" class="small link" data-remove data-line="${i + 1}" aria-label="Remove ${it.title}">Remove</button>
</li>`)}</ul>`

/** The drawer: `<cart-drawer>` (open: class `active`) around `#CartDrawer`, whose `.drawer__inner` holds the lines. */
const cartDrawer = (c: SectionCtx): Html => {
  const cart = c.cart
  const empty = !cart?.items.length
  const body = empty
    ? html`<p class="empty drawer__inner-empty">Your cart is empty. <a href="/collections/all">Continue shopping</a></p>`
    : html`<cart-drawer-items>${drawerLines(cart!)}</cart-drawer-items>
<div class="drawer__footer"><p class="cart-total">Subtotal <strong data-drawer-subtotal>${money(cart!.total_price)}</strong></p>
<p class="actions"><a href="/cart">View cart</a> <a class="button primary" href="/checkout" data-drawer-checkout>Check out</a></p></div>`
  return html`<cart-drawer class="drawer${empty ? ' is-empty' : ''}" data-item-count="${count(c)}"><div id="CartDrawer" class="cart-drawer">
<div id="CartDrawer-Overlay" class="cart-drawer__overlay"></div>
<div class="drawer__inner${empty ? ' is-empty' : ''}" role="dialog" aria-modal="true" aria-label="Your cart" tabindex="-1">
<div class="drawer__header"><h2>Your cart</h2><button type="button" class="drawer__close small" data-drawer-close aria-label="Close the cart">×</button></div>
${body}
</div></div></cart-drawer>`
}

/** The cart page's lines (Dawn's `cart-items#main-cart-items`, re-rendered from its `.js-contents`). */
const mainCartItems = (c: SectionCtx): Html => {
  const cart = c.cart
  const inner = !cart?.items.length
    ? html`<p class="empty">Your cart is empty. <a href="/collections/all">Continue shopping</a></p>`
    : html`<table class="cart-table"><tbody>${cart.items.map((it, i) => html`<tr id="CartItem-${i + 1}" data-line-row="${i + 1}">
  <td><img src="${it.image}" alt="" width="64" height="64"></td>
  <td><a href="${it.url}">${it.product_title}</a>${it.variant_title ? html`<br><span class="hint">${it.variant_title}</span>` : ''}<br><span class="hint">${money(it.price)}</span></td>
  <td>${qty('Quantity', i + 1, it)}</td>
  <td class="num">${money(it.final_line_price)}</td>
  <td><a href="/cart/change?line=${i + 1}&amp;quantity=0" data-remove data-line="${i + 1}">Remove</a></td>
</tr>`)}</tbody></table>`
  return html`<cart-items id="main-cart-items" data-id="main-cart-items"><div class="js-contents">${inner}</div></cart-items>`
}

const mainCartFooter = (c: SectionCtx): Html => {
  const cart = c.cart
  const inner = cart?.items.length
    ? html`<p class="cart-total">Subtotal <strong data-cart-subtotal>${money(cart.total_price)}</strong></p>
<p class="actions"><button type="button" data-clear-cart>Empty cart</button> <a class="button primary" href="/checkout" data-checkout>Check out</a></p>`
    : raw('')
  return html`<div id="main-cart-footer" data-id="main-cart-footer"><div class="js-contents">${inner}</div></div>`
}

type Render = (c: SectionCtx) => Html | undefined
const SECTIONS: Record<string, Render> = {
  'cart-drawer': cartDrawer,
  'cart-icon-bubble': bubbleInner,
  'main-cart-items': (c) => (c.path === '/cart' ? mainCartItems(c) : undefined),
  'main-cart-footer': (c) => (c.path === '/cart' ? mainCartFooter(c) : undefined),
}

/** One section with its wrapper, or undefined when the page at `c.path` has no section of that id. */
export const renderSection = (id: string, c: SectionCtx): Html | undefined => {
  const inner = Object.hasOwn(SECTIONS, id) ? SECTIONS[id]!(c) : undefined
  return inner && wrap(id, inner)
}

/** `{id: html}` for the ids asked, null for an id the page does not have (as Shopify answers). */
export const renderSections = (ids: readonly string[], c: SectionCtx): Record<string, string | null> =>
  Object.fromEntries(ids.map((id) => [id, renderSection(id, c)?.s ?? null]))

/** The `sections` parameter: a comma list (a FormData of an array gives one) or an array; ids trimmed, no blanks, no repeats. */
export const sectionIds = (v: unknown): string[] => {
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v.map(String) : []
  return [...new Set(list.map((s) => s.trim()).filter(Boolean))]
}

/**
 * The page the Ajax cart renders its sections for: `sections_url` (a path on this store), else the page
 * that made the request (its Referer, as Shopify does since 2021), else the home page.
 */
export const sectionsPath = (sectionsUrl: unknown, referer: string | undefined, origin: string): string => {
  if (typeof sectionsUrl === 'string' && sectionsUrl) return new URL(localPath(sectionsUrl), 'http://x').pathname
  try {
    const r = new URL(referer ?? '')
    if (r.origin === origin) return r.pathname
  } catch {}
  return '/'
}
