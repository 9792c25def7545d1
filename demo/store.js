// The store's own theme code, written the way Shopify themes do it and knowing nothing of onsite:
// the product form posts its FormData to /cart/add.js with fetch (Dawn's product-form.js), the cart page
// changes lines with /cart/change.js and re-renders its items from the server (Dawn's Section Rendering),
// and logout calls onsite.reset() as the README asks. onsite has to find the cart changes by itself.
;(() => {
  'use strict'
  const $ = (sel, root = document) => root.querySelector(sel)
  const setCount = (n) => {
    const el = $('[data-cart-count]')
    if (el && Number.isFinite(n)) el.textContent = String(n)
  }
  const json = (r) =>
    r.json().then((body) => {
      if (!r.ok) throw new Error((body && body.description) || 'HTTP ' + r.status)
      return body
    })

  const form = $('[data-product-form]')
  if (form) {
    const status = $('[data-cart-status]', form)
    const button = $('[data-add-to-cart]', form)
    const select = $('[data-variant-select]', form)
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
      fetch('/cart/add.js', { method: 'POST', headers: { Accept: 'application/javascript', 'X-Requested-With': 'XMLHttpRequest' }, body: new FormData(form) })
        .then(json)
        .then((item) => {
          status.textContent = `Added: ${item.title} (${item.quantity} in your cart). `
          const link = document.createElement('a')
          link.href = '/cart'
          link.textContent = 'View cart'
          status.append(link)
          form.dataset.state = 'added'
          form.dataset.added = String(Number(form.dataset.added || 0) + 1)
          return fetch('/cart.js', { cache: 'no-store' }).then(json).then((cart) => setCount(cart.item_count))
        })
        .catch((err) => {
          form.dataset.state = 'error'
          status.textContent = err.message
        })
        .then(() => (button.disabled = false))
    })
  }

  const cart = $('[data-cart]')
  if (cart) {
    let queue = Promise.resolve()
    let version = 0
    // One request at a time, in click order: two quick clicks on + must add two, not race.
    const run = (url, body) =>
      (queue = queue.then(() => {
        cart.setAttribute('aria-busy', 'true')
        return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body || {}) })
          .then(json)
          .then((c) => (setCount(c.item_count), fetch('/cart?section=items', { cache: 'no-store' })))
          .then((r) => r.text())
          .then((markup) => {
            // The server's own rendering of the cart (values escaped there), as Dawn swaps sections in.
            cart.innerHTML = markup
            cart.dataset.version = String(++version)
          })
          .catch((err) => {
            const p = document.createElement('p')
            p.className = 'error'
            p.setAttribute('role', 'alert')
            p.textContent = err.message
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
      const input = $(`[data-line-qty][data-line="${line}"]`, cart)
      const quantity = t.hasAttribute('data-remove') ? 0 : Math.max(0, (parseInt(input?.value, 10) || 0) + Number(t.dataset.qtyStep))
      run('/cart/change.js', { line, quantity })
    })
    cart.addEventListener('change', (e) => {
      const t = e.target
      if (t.matches?.('[data-line-qty]')) run('/cart/change.js', { line: Number(t.dataset.line), quantity: Math.max(0, parseInt(t.value, 10) || 0) })
    })
  }

  // A shopper logging out is another person for whoever uses this browser next.
  document.addEventListener('click', (e) => {
    if (!e.target.closest?.('a[data-logout]')) return
    try {
      window.onsite?.reset()
    } catch {}
  })
})()
