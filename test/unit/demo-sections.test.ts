// @vitest-environment node
// The demo's sections over HTTP, as Shopify serves them: bundled section rendering on the Ajax cart
// (`sections` as a comma list or an array, rendered for `sections_url` or the Referer, after the change)
// and the Section Rendering API on any page (`?sections=`, `?section_id=`); and the newsletter form's
// server side, which refuses an email onsite would refuse.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Window } from 'happy-dom'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type Demo } from '../../demo/server.ts'

let demo: Demo
let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onsite-demo-sections-'))
  demo = await startDemo({ port: 0, quiet: true, dataFile: join(dir, 'events.jsonl') })
})
afterAll(async () => {
  await demo?.close()
  rmSync(dir, { recursive: true, force: true })
})

const visitor = () => {
  let jar = ''
  const go = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(path, demo.url), { redirect: 'manual', ...init, headers: { ...(init.headers as Record<string, string>), cookie: jar } })
    const c = res.headers.getSetCookie().find((x) => x.startsWith('cart='))
    if (c) jar = c.split(';')[0]!
    return res
  }
  const json = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await go(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as any }
  }
  return { go, json }
}
const dom = (markup: string) => new new Window().DOMParser().parseFromString(markup, 'text/html')
const SHIRT_S = 47100011011
const COAT_CAMEL = 47100011032

describe('bundled section rendering on the Ajax cart', () => {
  it('add with FormData (sections appended as an array, so a comma list) answers the line and the sections after the add', async () => {
    const v = visitor()
    const form = new FormData()
    form.set('id', String(SHIRT_S))
    form.set('quantity', '2')
    form.append('sections', ['cart-drawer', 'cart-icon-bubble'] as unknown as string)
    form.append('sections_url', '/products/linen-shirt')
    const res = await v.go('/cart/add', { method: 'POST', headers: { Accept: 'application/javascript', 'X-Requested-With': 'XMLHttpRequest' }, body: form })
    const body = (await res.json()) as any
    expect(body).toMatchObject({ variant_id: SHIRT_S, quantity: 2 })
    expect(Object.keys(body.sections)).toEqual(['cart-drawer', 'cart-icon-bubble'])
    const drawer = dom(body.sections['cart-drawer'])
    expect(drawer.querySelector('.shopify-section')!.id).toBe('shopify-section-cart-drawer')
    expect(drawer.querySelectorAll('#CartDrawer .drawer__inner [data-drawer-line]')).toHaveLength(1)
    expect(drawer.querySelector('#Drawer-quantity-1')!.getAttribute('value')).toBe('2')
    expect(dom(body.sections['cart-icon-bubble']).querySelector('.shopify-section [data-cart-count]')!.textContent).toBe('2')
  })

  it('change and update take sections as an array; the cart page sections render only for /cart; without sections_url the Referer decides', async () => {
    const v = visitor()
    await v.json('/cart/add.js', { items: [{ id: SHIRT_S, quantity: 1 }, { id: 47100011021, quantity: 1 }] })
    const onProduct = await v.json('/cart/change.js', { line: 1, quantity: 3, sections: ['cart-drawer', 'main-cart-items'], sections_url: '/products/linen-shirt' })
    expect(onProduct.body.item_count).toBe(4)
    expect(onProduct.body.sections['main-cart-items']).toBeNull()
    expect(dom(onProduct.body.sections['cart-drawer']).querySelector('#Drawer-quantity-1')!.getAttribute('value')).toBe('3')
    const onCart = await v.json('/cart/change.js', { line: 2, quantity: 0, sections: 'main-cart-items,main-cart-footer' }, { Referer: `${demo.url}cart` })
    const items = dom(onCart.body.sections['main-cart-items'])
    expect(items.querySelectorAll('#main-cart-items .js-contents tr')).toHaveLength(1)
    expect(dom(onCart.body.sections['main-cart-footer']).querySelector('[data-cart-subtotal]')!.textContent).toBe('147.00 USD')
    const up = await v.json('/cart/update.js', { updates: { [SHIRT_S]: 0 }, sections: ['cart-drawer'] })
    expect(dom(up.body.sections['cart-drawer']).querySelector('.drawer__inner.is-empty')).not.toBeNull()
    // another site's Referer is no context: the home page is
    const elsewhere = await v.json('/cart/clear.js', { sections: 'main-cart-items' }, { Referer: 'https://evil.example/cart' })
    expect(elsewhere.body.sections).toEqual({ 'main-cart-items': null })
  })

  it('an error answer is the Cart Error alone, without sections; a plain cart answer has no sections key', async () => {
    const v = visitor()
    const refused = await v.json('/cart/add.js', { id: COAT_CAMEL, quantity: 3, sections: 'cart-drawer' })
    expect(refused).toEqual({ status: 422, body: { status: 422, message: 'Cart Error', description: expect.stringMatching(/can't add more/) } })
    expect((await v.json('/cart/change.js', { line: 1, quantity: 1 })).body).not.toHaveProperty('sections')
  })
})

describe('the Section Rendering API', () => {
  it('?sections= on any page answers JSON, null for a section the page lacks; more than five is a 400', async () => {
    const v = visitor()
    await v.json('/cart/add.js', { id: SHIRT_S, quantity: 2 })
    const home = await v.go('/?sections=cart-icon-bubble,main-cart-items,nope')
    expect(home.headers.get('content-type')).toMatch(/^application\/json/)
    const got = (await home.json()) as Record<string, string | null>
    expect(got['main-cart-items']).toBeNull()
    expect(got.nope).toBeNull()
    expect(dom(got['cart-icon-bubble']!).querySelector('#shopify-section-cart-icon-bubble [data-cart-count]')!.textContent).toBe('2')
    const cart = (await (await v.go('/cart?sections=main-cart-items')).json()) as Record<string, string>
    expect(dom(cart['main-cart-items']!).querySelector('#CartItem-1')).not.toBeNull()
    expect((await v.go('/?sections=a,b,c,d,e,f')).status).toBe(400)
  })

  it('?section_id= answers that section\'s HTML, the same markup the page embeds; unknown is a 404', async () => {
    const v = visitor()
    await v.json('/cart/add.js', { id: SHIRT_S, quantity: 1 })
    const res = await v.go('/collections/all?section_id=cart-drawer')
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const alone = await res.text()
    const page = dom(await (await v.go('/collections/all')).text())
    expect(page.getElementById('shopify-section-cart-drawer')!.outerHTML).toBe(dom(alone).getElementById('shopify-section-cart-drawer')!.outerHTML)
    expect(page.querySelector('#cart-icon-bubble [data-cart-count]')!.textContent).toBe('1')
    expect((await v.go('/?section_id=nope')).status).toBe(404)
    expect((await v.go('/products/linen-shirt?section_id=main-cart-items')).status).toBe(404)
  })
})

describe('the newsletter form, server side', () => {
  it('refuses an email onsite refuses (jane@example), as JSON for scripts and inline without them', async () => {
    const v = visitor()
    const post = (email: string, accept = 'application/json') =>
      v.go('/pages/newsletter', { method: 'POST', headers: { Accept: accept }, body: new URLSearchParams({ email }) })
    const bad = await post('jane@example')
    expect(bad.status).toBe(422)
    expect(((await bad.json()) as any).description).toMatch(/full email address/)
    expect((await (await post('jane@example.com')).json())).toEqual({ subscribed: true })
    const plain = await post('jane@example', 'text/html')
    expect(plain.status).toBe(422)
    const form = dom(await plain.text()).querySelector('form[data-newsletter]')!
    expect(form.querySelector('[data-form-message].error')!.textContent).toMatch(/full email address/)
    expect(form.querySelector('input[type=email]')!.getAttribute('value')).toBe('jane@example')
    expect((await post('jane@example.com', 'text/html')).headers.get('location')).toBe('/pages/newsletter?subscribed=1')
  })
})
