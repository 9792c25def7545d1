// Renders the store's pages from the plain HTML templates in demo/templates: every page carries the
// onsite install (config in an escaped attribute, stub, async bundle) or, on checkout pages, the pixel
// sandbox instead; and the QA panel beside the store (fixed, outside the store's flow, so it moves
// nothing the page's layout-shift numbers count).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PRODUCTS, findVariant, isDefaultVariant, money, type Product, type Variant } from './catalog.ts'
import { cartJson, type Cart } from './cart.ts'
import { totals, type Order } from './checkout.ts'
import { fill, html, jsonAttr, raw, type Html } from './http.ts'
import { bubbleInner, renderSection, type SectionCtx } from './sections.ts'
import { CART_OFFER, EMAIL_PATTERN, KNOWN_FLAGS, holdoutPercent, storeConfig, type Audiences, type Customer, type PageState } from './store-config.ts'

/** What every page needs to know about the request. */
export interface Ctx {
  origin: string
  apiHost: string
  customer: Customer | null
  /** The visitor's flags as the audience service holds them (for the QA panel). */
  audiences: Audiences
  audiencesToken: string | null
  cart: Cart | undefined
  /** The request's path: the context its sections render in. */
  path: string
  /** The QA panel as the visitor left it: collapsed, opened (on a phone, where it starts collapsed), or as the screen suits. */
  panel: 'closed' | 'open' | ''
}

/** What the sections of this request render from. */
export const sectionCtx = (c: Ctx): SectionCtx => ({ cart: c.cart && cartJson(c.cart, c.origin), path: c.path })

export const createPages = (templates: string) => {
  // Read per request, like the static files: an edited template shows on reload.
  const tpl = (name: string) => readFile(join(templates, name + '.html'), 'utf8')

  const panel = async (c: Ctx, onsite: boolean, pageType: string): Promise<Html> => {
    const flags = KNOWN_FLAGS.map((f) => html`<label class="flag"><input type="checkbox" data-flag="${f}"${c.audiences.flags[f] ? raw(' checked') : ''}> <code>${f}</code></label>`)
    const qa = { onsite, pageType, customer: c.customer, audiences: c.audiences, knownFlags: KNOWN_FLAGS, cartOffer: { id: CART_OFFER, holdoutPercent: holdoutPercent(CART_OFFER) } }
    return raw(fill(await tpl('panel'), {
      qa: raw(jsonAttr(qa)),
      customer: c.customer ? `${c.customer.email} (id ${c.customer.id})` : 'guest',
      flags,
      syncedAt: c.audiences.syncedAt ?? 'never',
      decisionNote: onsite ? 'Waiting for onsite…' : 'No onsite.js on checkout pages: nothing is decided here.',
    }))
  }

  const page = async (c: Ctx, v: { title: string; pageType: string; main: Html; product?: PageState['product']; sandbox?: unknown }): Promise<string> => {
    const install = v.sandbox !== undefined
      ? fill(await tpl('pixel-snippet'), { sandbox: raw(jsonAttr(v.sandbox)) })
      : fill(await tpl('onsite-snippet'), {
        config: raw(jsonAttr(storeConfig({ pageType: v.pageType, apiHost: c.apiHost, customer: c.customer, audiencesToken: c.audiencesToken, ...(v.product ? { product: v.product } : {}) }))),
      })
    const account = c.customer
      ? html`<a href="/account" class="who">${c.customer.email}</a><a href="/account/logout" data-logout>Log out</a>`
      : html`<a href="/account/login">Log in</a>`
    return fill(await tpl('layout'), {
      htmlClass: c.panel ? `qa-${c.panel}` : '',
      title: v.title,
      install: raw(install),
      account,
      cartBubble: bubbleInner(sectionCtx(c)),
      // checkout pages run no theme: no drawer there
      cartDrawer: v.sandbox === undefined ? renderSection('cart-drawer', sectionCtx(c)) ?? '' : '',
      main: v.main,
      panel: await panel(c, v.sandbox === undefined, v.pageType),
    })
  }

  const cards = () =>
    PRODUCTS.map((p) => html`<li class="card"><a href="/products/${p.handle}"><img src="/images/${p.handle}.svg" alt="" width="600" height="600"><span class="name">${p.title}</span><span class="price">${money(p.variants[0]!.price)}</span></a></li>`)

  /** The capture form; `error` (a refused email, shown again) when the form was posted without scripts. */
  const newsletterForm = async (id: string, email = '', error = '') =>
    raw(fill(await tpl('newsletter-form'), { id, email, emailPattern: EMAIL_PATTERN, message: error, messageClass: error ? 'error' : 'hint' }))

  const summary = (lines: Cart['lines'], code: string): Html => {
    const t = totals(lines, code)
    const rows = lines.map((l) => {
      const { product: p, variant: v } = findVariant(l.variantId)!
      return html`<li><span>${p.title}${isDefaultVariant(v) ? '' : ` (${v.title})`} × ${l.quantity}</span><span>${money(v.price * l.quantity)}</span></li>`
    })
    return html`<h2>Summary</h2><ul class="summary-lines">${rows}</ul><dl class="summary-totals">
${t.discount ? html`<dt>Discount</dt><dd>−${money(t.discount)}</dd>` : ''}<dt>Shipping</dt><dd>${t.shipping ? money(t.shipping) : 'free'}</dd><dt>Total</dt><dd><strong>${money(t.total)}</strong></dd></dl>`
  }

  return {
    page,
    home: async (c: Ctx) => page(c, { title: 'Home', pageType: 'home', main: raw(fill(await tpl('home'), { cards: cards(), newsletterForm: await newsletterForm('home-newsletter') })) }),
    collection: async (c: Ctx) => page(c, { title: 'All products', pageType: 'collection', main: raw(fill(await tpl('collection'), { cards: cards() })) }),
    product: async (c: Ctx, p: Product, v: Variant, props: PageState['product']) => {
      const picker = isDefaultVariant(v)
        ? html`<input type="hidden" name="id" value="${v.id}">`
        : html`<label>${p.option} <select name="id" data-variant-select>${p.variants.map((x) => html`<option value="${x.id}"${x.id === v.id ? raw(' selected') : ''}>${x.title}</option>`)}</select></label>`
      const main = fill(await tpl('product'), { image: `/images/${p.handle}.svg`, title: p.title, vendor: p.vendor, price: money(v.price), description: p.description, productId: p.id, variantPicker: picker })
      return page(c, { title: p.title, pageType: 'product', main: raw(main), product: props })
    },
    cart: async (c: Ctx) => {
      const sc = sectionCtx(c)
      return page(c, { title: 'Cart', pageType: 'cart', main: raw(fill(await tpl('cart'), { items: renderSection('main-cart-items', sc)!, footer: renderSection('main-cart-footer', sc)! })) })
    },
    checkout: async (c: Ctx, lines: Cart['lines'], sandbox: unknown) =>
      page(c, { title: 'Checkout', pageType: 'checkout', sandbox, main: raw(fill(await tpl('checkout'), { email: c.customer?.email ?? '', emailPattern: EMAIL_PATTERN, summary: summary(lines, '') })) }),
    thankYou: async (c: Ctx, o: Order, sandbox: unknown) =>
      page(c, { title: 'Thank you', pageType: 'checkout', sandbox, main: raw(fill(await tpl('thank-you'), { orderId: o.id, orderName: o.name, email: o.email, summary: summary(o.lines, o.discountCode) })) }),
    login: async (c: Ctx, email = '', error = '') =>
      page(c, { title: 'Log in', pageType: 'account', main: raw(fill(await tpl('login'), { email, emailPattern: EMAIL_PATTERN, error: error ? html`<p class="error" role="alert">${error}</p>` : '' })) }),
    account: async (c: Ctx, who: Customer) => page(c, { title: 'Account', pageType: 'account', main: raw(fill(await tpl('account'), { email: who.email, id: who.id })) }),
    newsletter: async (c: Ctx, subscribed: boolean, email = '', error = '') =>
      page(c, { title: 'Newsletter', pageType: 'page', main: raw(fill(await tpl('newsletter'), { status: subscribed ? html`<p class="ok" role="status">Thanks, you are subscribed.</p>` : '', newsletterForm: await newsletterForm('newsletter', email, error) })) }),
    notFound: async (c: Ctx) => page(c, { title: 'Not found', pageType: 'other', main: raw(await tpl('not-found')) }),
    reset: async (data: unknown) => fill(await tpl('reset'), { data: raw(jsonAttr(data)) }),
  }
}
export type Pages = ReturnType<typeof createPages>
