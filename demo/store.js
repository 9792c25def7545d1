// The store's own theme code, written the way Dawn does it and knowing nothing of onsite: the product
// form posts its FormData to /cart/add with `sections` and `sections_url` (Dawn's product-form.js), the
// drawer swaps `#CartDrawer` and the cart bubble out of the answer's `sections` and opens (cart-drawer.js),
// its lines and the cart page change through /cart/change with sections (cart.js), the newsletter form
// posts without leaving the page and says inline what is wrong with an email, and logout calls
// onsite.reset() as the README asks. onsite has to find the cart changes by itself.
;(() => {
  'use strict'
  const $ = (sel, root = document) => root.querySelector(sel)
  const parse = (markup) => new DOMParser().parseFromString(markup, 'text/html')
  const answer = (r) =>
    r.json().then((body) => {
      // Shopify's Cart Error: {status, message, description}
      if (!r.ok || (body && body.status && body.description)) throw new Error((body && body.description) || 'HTTP ' + r.status)
      return body
    })
  const post = (url, body) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) }).then(answer)

  /** Puts the inner HTML of `selector` in a section's markup into `target` (markup from the server, values escaped there). */
  const swap = (target, markup, selector = '.shopify-section') => {
    const from = markup && parse(markup).querySelector(selector)
    if (target && from) target.innerHTML = from.innerHTML
  }

  const drawer = $('cart-drawer')
  const DRAWER_SECTIONS = ['cart-drawer', 'cart-icon-bubble']
  const bubble = (sections) => swap(document.getElementById('cart-icon-bubble'), sections['cart-icon-bubble'])
  const openDrawer = () => {
    if (!drawer) return
    drawer.classList.add('active')
    drawer.dataset.opened = String(Number(drawer.dataset.opened || 0) + 1)
    $('.drawer__inner', drawer)?.focus({ preventScroll: true })
  }
  const closeDrawer = () => drawer?.classList.remove('active')
  /** After an add: the drawer from the answer, then open, as Dawn's cart-drawer renderContents does. */
  const renderDrawer = (sections) => {
    swap(document.getElementById('CartDrawer'), sections['cart-drawer'], '#CartDrawer')
    bubble(sections)
    const count = Number($('[data-cart-count]')?.textContent) || 0
    drawer?.classList.toggle('is-empty', count === 0)
    if (drawer) drawer.dataset.version = String(Number(drawer.dataset.version || 0) + 1)
  }

  if (drawer) {
    drawer.addEventListener('click', (e) => {
      if (e.target.closest('#CartDrawer-Overlay, [data-drawer-close]')) return closeDrawer()
      const t = e.target.closest('[data-qty-step], [data-remove]')
      if (!t) return
      const line = Number(t.dataset.line)
      const input = $(`#Drawer-quantity-${line}`, drawer)
      const quantity = t.hasAttribute('data-remove') ? 0 : Math.max(0, (parseInt(input?.value, 10) || 0) + Number(t.dataset.qtyStep))
      changeInDrawer(line, quantity)
    })
    drawer.addEventListener('change', (e) => {
      if (e.target.matches('[data-line-qty]')) changeInDrawer(Number(e.target.dataset.line), Math.max(0, parseInt(e.target.value, 10) || 0))
    })
    document.addEventListener('keyup', (e) => e.key === 'Escape' && drawer.classList.contains('active') && closeDrawer())
    // Dawn's header cart icon opens the drawer instead of going to /cart
    document.getElementById('cart-icon-bubble')?.addEventListener('click', (e) => {
      if (location.pathname === '/cart') return
      e.preventDefault()
      openDrawer()
    })
  }
  let drawerQueue = Promise.resolve()
  const changeInDrawer = (line, quantity) =>
    (drawerQueue = drawerQueue.then(() =>
      post('/cart/change', { line, quantity, sections: DRAWER_SECTIONS, sections_url: location.pathname })
        .then((state) => {
          swap($('.drawer__inner', drawer), state.sections['cart-drawer'], '.drawer__inner')
          bubble(state.sections)
          drawer.classList.toggle('is-empty', state.item_count === 0)
          drawer.dataset.version = String(Number(drawer.dataset.version || 0) + 1)
        })
        .catch((err) => {
          const p = Object.assign(document.createElement('p'), { className: 'error', textContent: err.message })
          p.setAttribute('role', 'alert')
          $('.drawer__inner', drawer)?.prepend(p)
        })))

  const form = $('[data-product-form]')
  if (form) {
    const status = $('[data-cart-status]', form)
    const button = $('[data-add-to-cart]', form)
    const select = $('[data-variant-select]', form)
    const quantity = $('input[name=quantity]', form)
    // Dawn keeps the selected variant in the address bar, so a reload or a shared link keeps it.
    select?.addEventListener('change', () => {
      const url = new URL(location.href)
      url.searchParams.set('variant', select.value)
      history.replaceState(history.state, '', url.pathname + url.search)
    })
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      button.disabled = true
      form.dataset.state = 'adding'
      status.textContent = 'Adding…'
      const body = new FormData(form)
      if (drawer) {
        body.append('sections', DRAWER_SECTIONS)
        body.append('sections_url', location.pathname)
      }
      fetch('/cart/add', { method: 'POST', headers: { Accept: 'application/javascript', 'X-Requested-With': 'XMLHttpRequest' }, body })
        .then(answer)
        .then((item) => {
          status.textContent = `Added: ${item.title} (${item.quantity} in your cart). `
          status.append(Object.assign(document.createElement('a'), { href: '/cart', textContent: 'View cart' }))
          form.dataset.state = 'added'
          form.dataset.added = String(Number(form.dataset.added || 0) + 1)
          if (item.sections) renderDrawer(item.sections)
          openDrawer()
        })
        .catch((err) => {
          form.dataset.state = 'error'
          status.textContent = err.message
          // the amount refused is not left in the box for the next try
          quantity.value = quantity.defaultValue
        })
        .then(() => (button.disabled = false))
    })
  }

  const cart = $('[data-cart]')
  if (cart) {
    let queue = Promise.resolve()
    let version = 0
    const PAGE_SECTIONS = ['main-cart-items', 'cart-icon-bubble', 'main-cart-footer', 'cart-drawer']
    // One request at a time, in click order: two quick clicks on + must add two, not race.
    const run = (url, body) =>
      (queue = queue.then(() => {
        cart.setAttribute('aria-busy', 'true')
        return post(url, { ...body, sections: PAGE_SECTIONS, sections_url: location.pathname })
          .then((state) => {
            swap($('#main-cart-items .js-contents'), state.sections['main-cart-items'], '.js-contents')
            swap($('#main-cart-footer .js-contents'), state.sections['main-cart-footer'], '.js-contents')
            swap(document.getElementById('CartDrawer'), state.sections['cart-drawer'], '#CartDrawer')
            bubble(state.sections)
            cart.dataset.version = String(++version)
          })
          .catch((err) => {
            const p = Object.assign(document.createElement('p'), { className: 'error', textContent: err.message })
            p.setAttribute('role', 'alert')
            cart.prepend(p)
          })
          .then(() => cart.removeAttribute('aria-busy'))
      }))
    cart.addEventListener('click', (e) => {
      const t = e.target.closest?.('[data-qty-step],[data-remove],[data-clear-cart]')
      if (!t) return
      e.preventDefault()
      if (t.hasAttribute('data-clear-cart')) return run('/cart/clear.js')
      const line = Number(t.dataset.line)
      const input = $(`#Quantity-${line}`, cart)
      const quantity = t.hasAttribute('data-remove') ? 0 : Math.max(0, (parseInt(input?.value, 10) || 0) + Number(t.dataset.qtyStep))
      run('/cart/change.js', { line, quantity })
    })
    cart.addEventListener('change', (e) => {
      const t = e.target
      if (t.matches?.('[data-line-qty]')) run('/cart/change.js', { line: Number(t.dataset.line), quantity: Math.max(0, parseInt(t.value, 10) || 0) })
    })
  }

  // Newsletter forms: the browser's type=email takes `jane@example`, onsite does not (it would only say so
  // in the console), so the form checks with onsite's own rule and says it next to the field.
  document.addEventListener('submit', (e) => {
    const f = e.target
    if (!f.matches?.('form[data-newsletter]')) return
    e.preventDefault()
    const input = $('input[type=email]', f)
    const msg = $('[data-form-message]', f)
    const rule = new RegExp('^(?:' + f.dataset.emailPattern + ')$')
    const ok = rule.test(input.value.trim())
    input.setAttribute('aria-invalid', String(!ok))
    msg.className = ok ? 'hint' : 'error'
    if (!ok) return void (msg.textContent = 'Enter a full email address, such as jane@example.com.')
    msg.textContent = 'Subscribing…'
    fetch(f.action, { method: 'POST', headers: { Accept: 'application/json' }, body: new URLSearchParams(new FormData(f)) })
      .then(answer)
      .then(() => {
        msg.className = 'ok'
        msg.textContent = 'Thanks, you are subscribed.'
        f.dataset.state = 'subscribed'
      })
      .catch((err) => ((msg.className = 'error'), (msg.textContent = err.message)))
  })

  // A shopper logging out is another person for whoever uses this browser next.
  document.addEventListener('click', (e) => {
    if (!e.target.closest?.('a[data-logout]')) return
    try {
      window.onsite?.reset()
    } catch {}
  })
})()
