// A stand-in for Shopify's Web Pixels sandbox on the demo's checkout pages. Shopify runs no theme scripts
// at checkout; a custom pixel gets the globals `analytics` (subscribe), `browser` (cookie, localStorage,
// sessionStorage: all async) and `init` (context, data.customer, data.shop, customerPrivacy)
// (https://shopify.dev/docs/api/web-pixels-api). This file provides them, backed by this page's
// document.cookie and localStorage (Shopify's are the storefront's first-party ones too), loads
// /dist/shopify-pixel.js as the merchant's pasted code, runs its one config line, and publishes the
// checkout events the server prepared (checkout_started, checkout_contact_info_submitted on "Pay now",
// checkout_completed on the confirmation). Differences from the real sandbox: the pixel runs in this
// page, not in a sandboxed iframe, and events published before it subscribes are replayed to it.
;(() => {
  'use strict'
  const el = document.getElementById('pixel-sandbox')
  if (!el) return
  let box
  try {
    box = JSON.parse(el.getAttribute('data-sandbox'))
  } catch {
    return
  }
  const status = (text) => {
    const s = document.getElementById('pixel-status')
    if (s) s.textContent = text
  }

  const subs = {}
  const published = []
  const matches = (sub, ev) => sub === ev.name || sub === 'all_events' || (sub === 'all_standard_events' && ev.type === 'standard')
  const deliver = (cb, ev) => {
    try {
      cb(ev)
    } catch (e) {
      console.error('[demo sandbox] a pixel subscriber threw:', e)
    }
  }
  const analytics = {
    subscribe(name, cb) {
      if (typeof cb !== 'function') return
      ;(subs[name] = subs[name] || []).push(cb)
      published.filter((ev) => matches(name, ev)).forEach((ev) => deliver(cb, ev))
    },
  }

  const loc = () => {
    const l = location
    return { href: l.href, hash: l.hash, host: l.host, hostname: l.hostname, origin: l.origin, pathname: l.pathname, port: l.port, protocol: l.protocol, search: l.search }
  }
  const context = () => ({
    document: { location: loc(), referrer: document.referrer, characterSet: document.characterSet, title: document.title },
    navigator: { cookieEnabled: navigator.cookieEnabled, language: navigator.language, languages: [...navigator.languages], userAgent: navigator.userAgent },
    window: { innerHeight, innerWidth, outerHeight, outerWidth, pageXOffset: scrollX, pageYOffset: scrollY, location: loc(), origin: location.origin, screen: { height: screen.height, width: screen.width }, screenX, screenY, scrollX, scrollY },
  })
  // Shopify's client id lives in its own cookie; a stable stand-in per browser.
  const clientId = (() => {
    try {
      let id = localStorage.getItem('demo:shopify-client-id')
      if (!id) localStorage.setItem('demo:shopify-client-id', (id = crypto.randomUUID()))
      return id
    } catch {
      return 'no-storage'
    }
  })()
  let seq = 0
  const publish = (name, data) => {
    const ev = { id: 'sh-' + crypto.randomUUID(), clientId, name, seq: ++seq, timestamp: new Date().toISOString(), type: 'standard', context: context(), data }
    published.push(ev)
    for (const [sub, cbs] of Object.entries(subs)) if (matches(sub, ev)) cbs.forEach((cb) => deliver(cb, ev))
    return ev
  }

  const readCookie = (name) => {
    for (const part of document.cookie.split(/;\s*/)) {
      const i = part.indexOf('=')
      if (part.slice(0, i) === name) return part.slice(i + 1)
    }
    return ''
  }
  const store = (s) => ({
    getItem: async (k) => s.getItem(k),
    setItem: async (k, v) => s.setItem(k, v),
    removeItem: async (k) => s.removeItem(k),
    key: async (i) => s.key(i),
    length: async () => s.length,
    clear: async () => s.clear(),
  })
  const browser = {
    cookie: {
      // Shopify: get(name) gives the value (get() all cookies); set takes a name and value or a whole cookie string.
      get: async (name) => (name ? readCookie(name) : document.cookie),
      set: async (nameOrCookie, value) => {
        document.cookie = value === undefined ? String(nameOrCookie) : `${nameOrCookie}=${value}; path=/; SameSite=Lax`
        return document.cookie
      },
    },
    localStorage: store(localStorage),
    sessionStorage: store(sessionStorage),
    sendBeacon: async (url, body) => navigator.sendBeacon(url, body),
  }
  const init = {
    context: context(),
    data: { customer: box.customer, cart: null, shop: box.shop },
    customerPrivacy: { analyticsProcessingAllowed: true, marketingAllowed: true, preferencesProcessingAllowed: true, saleOfDataAllowed: true },
  }
  // custom pixels reach consent through `api.customerPrivacy`; the demo's visitor has consented, so no events
  const api = { customerPrivacy: { subscribe() {} } }
  Object.assign(window, { analytics, browser, init, api })

  let ready
  const started = new Promise((r) => (ready = r))
  const fail = (text) => (status(text), ready(false))
  // Run as Shopify runs a custom pixel: the pasted file and the merchant's one line, as one script.
  fetch('/dist/shopify-pixel.js', { cache: 'no-store' })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error('HTTP ' + r.status))))
    .then((code) => {
      const script = document.createElement('script')
      script.textContent = `${code.replace(/^\/\/# sourceMappingURL=.*$/m, '')}\n;onsitePixel(${JSON.stringify(box.config)});\n//# sourceURL=shopify-custom-pixel.js\n`
      document.head.append(script)
      if (typeof window.onsitePixel !== 'function') return fail('dist/shopify-pixel.js ran but defines no onsitePixel(config).')
      for (const e of box.events) publish(e.name, { checkout: e.checkout })
      status('Checkout pixel running: published ' + box.events.map((e) => e.name).join(', ') + '.')
      document.documentElement.dataset.pixel = 'started'
      ready(true)
    })
    .catch((e) => fail(`The checkout pixel is missing (${e.message}): run \`node build.mjs\` to build dist/shopify-pixel.js.`))

  // "Pay now": the contact step is submitted, then the order is placed (the form posts to the server).
  const form = document.querySelector('[data-checkout-form]')
  form?.addEventListener('submit', (e) => {
    if (!box.contactStep || form.dataset.sent) return
    e.preventDefault()
    if (!form.reportValidity()) return
    form.dataset.sent = '1'
    const base = box.events[0]?.checkout || {}
    const checkout = { ...base, email: form.elements.email.value.trim().toLowerCase() }
    Promise.race([started, new Promise((r) => setTimeout(r, 3000))])
      .then(() => publish('checkout_contact_info_submitted', { checkout }))
      // the pixel sends with keepalive, so its request survives the navigation; a beat lets it start
      .then(() => new Promise((r) => setTimeout(r, 300)))
      .then(() => form.submit())
  })
})()
