// The QA panel's seed scenarios, one click each. Every scenario resets the visitor, then plays its steps
// in this tab as a shopper would (store buttons, links, forms), across page loads: the step reached is
// kept in sessionStorage ('demo:run', which the reset keeps). The last step checks the outcome and says
// what to look at in the panel. #qa-run carries data-state (running, done, failed) and data-ok.
;(() => {
  'use strict'
  const QA = window.demoQA
  if (!QA) return
  const KEY = 'demo:run'
  const box = document.getElementById('qa-run')
  const load = () => {
    try {
      return JSON.parse(sessionStorage.getItem(KEY))
    } catch {
      return null
    }
  }
  const save = (s) => {
    try {
      s ? sessionStorage.setItem(KEY, JSON.stringify(s)) : sessionStorage.removeItem(KEY)
    } catch {}
  }
  const $ = (sel) => document.querySelector(sel)
  const cart = (e) => e.properties?.offer_id === 'cart_recovery'
  const check = (ok, text) => ({ ok: !!ok, text })

  const addToCart = async () => {
    await QA.onsiteReady()
    const form = $('[data-product-form]')
    const before = Number(form.dataset.added || 0)
    const t0 = Date.now()
    form.querySelector('[data-add-to-cart]').click()
    await QA.waitFor(() => Number(form.dataset.added || 0) > before || form.dataset.state === 'error', 8000, 'the cart to answer')
    if (form.dataset.state === 'error') throw new Error('add to cart failed: ' + $('[data-cart-status]').textContent)
    // onsite re-reads /cart.js after the add; give it a moment to record it, without depending on it
    await QA.waitFor(() => (QA.history().cartAt || 0) >= t0, 3000).catch(() => {})
  }
  const login = (email) => {
    const form = $('[data-login-form]')
    form.querySelector('input[type=email]').value = email
    return { submit: form }
  }
  const identified = async () => {
    await QA.onsiteReady()
    const id = QA.data.customer?.id
    await QA.waitFor(() => QA.ids().userId === id, 8000, 'onsite to identify the signed-in customer')
    await QA.flush()
    return QA.ids()
  }

  const SCENARIOS = {
    abandoner: {
      title: 'Cart abandoner returns',
      steps: [
        () => ({ reset: { next: '/products/linen-shirt', aid: 'control', flags: [] } }),
        async () => {
          await addToCart()
          // Hours later the visitor enters Customer.io's "abandoned cart 4h" segment: its webhook reaches the audience service.
          await QA.setFlags({ cio_cart_abandon_4h: true })
          return { go: '/' }
        },
        async () => {
          const open = await QA.waitFor(QA.dialog, 5000, 'the cart popup').catch(() => null)
          // read once it is on screen: explain().shown names an offer once it is rendered
          const d = await QA.explainReady()
          const seen = await QA.waitEvents((e) => e.event === 'offer_seen' && cart(e) && e.anonymousId === QA.ids().anonymousId, 1, 6000).catch(() => [])
          const added = await QA.waitEvents((e) => e.event === 'Product Added' && e.anonymousId === QA.ids().anonymousId, 1, 6000).catch(() => [])
          return {
            checks: [
              check(added.length === 1, 'Product Added (the add before the sync) reached the collector once'),
              check(d.shown === 'cart_recovery', 'decision: cart_recovery shown'),
              check(open, 'the cart popup is open'),
              check(seen.length === 1, 'offer_seen (cart_recovery) reached the collector once'),
            ],
            next: 'The popup "Still thinking about your cart?" is open with code COMEBACK10. Events: offer_seen for cart_recovery. Decision: cart_recovery shown ("won: priority 10"). Press Esc to close it (offer_dismissed) and use the panel again.',
          }
        },
      ],
    },
    vip: {
      title: 'VIP is suppressed',
      steps: [
        () => ({ reset: { next: '/', aid: 'control', flags: ['cio_cart_abandon_4h', 'vip'] } }),
        async () => {
          const d = await QA.explainReady()
          const c = d.candidates.find((x) => x.offerId === 'cart_recovery')
          await QA.flush()
          await QA.sleep(800)
          const aid = QA.ids().anonymousId
          await QA.waitEvents((e) => e.anonymousId === aid && e.type === 'page', 1, 5000).catch(() => [])
          const offers = QA.events().filter((e) => e.anonymousId === aid && /^offer_/.test(e.event || ''))
          return {
            checks: [check(!d.shown && !QA.dialog(), 'nothing is shown'), check(c?.reasons.includes('audience: none:[vip] matched vip'), 'cart_recovery blocked: audience none:[vip]'), check(!offers.length, 'no offer_* events')],
            next: 'Nothing is shown although cio_cart_abandon_4h is on. Decision: cart_recovery blocked with "audience: none:[vip] matched vip" (the welcome bar too). Events: page, no offer_*.',
          }
        },
      ],
    },
    purchase: {
      title: 'Purchase after the popup',
      steps: [
        () => ({ reset: { next: '/products/canvas-tote', aid: 'control', flags: [] } }),
        async () => {
          await addToCart()
          QA.setFlags({ cio_cart_abandon_4h: true })
          return { go: '/' }
        },
        async () => {
          await QA.waitFor(QA.dialog, 8000, 'the cart popup')
          await QA.waitFor(() => QA.history().offers?.cart_recovery?.views?.length, 5000, 'offer_seen')
          // The shopper takes the popup's way back to the cart (offer_clicked), not a dismissal.
          return { click: QA.dialog().querySelector('a') }
        },
        () => ({ click: $('[data-checkout]') }),
        () => {
          const email = $('[data-checkout-form] input[name=email]')
          if (!email.value) email.value = 'shopper@example.com'
          return { click: $('[data-pay]') }
        },
        async () => {
          await QA.waitFor(() => QA.ids().order, 8000, 'the checkout pixel to record the order (cookie onsite_order): is dist/shopify-pixel.js built?')
          await QA.waitEvents((e) => e.event === 'Order Completed' && e.anonymousId === QA.ids().anonymousId, 1, 8000, 'Order Completed from the pixel')
          return { click: $('[data-continue]') }
        },
        async () => {
          const d = await QA.explainReady()
          const c = d.candidates.find((x) => x.offerId === 'cart_recovery')
          await QA.sleep(500)
          return {
            checks: [
              check(QA.data.audiences?.flags?.cio_cart_abandon_4h, 'the synced flag cio_cart_abandon_4h is still on (stale)'),
              check(c?.outcome === 'blocked' && c.reasons.includes('purchase seen after audience sync'), 'cart_recovery blocked: purchase seen after audience sync'),
              check(!QA.dialog(), 'no cart popup'),
            ],
            next: 'Back on the store with the stale flag still on: no popup. Decision: cart_recovery blocked with "purchase seen after audience sync". Events: offer_seen, offer_clicked, Checkout Started, identify and Order Completed (from the pixel) under one anonymous id.',
          }
        },
      ],
    },
    devices: {
      title: 'Second device joins',
      steps: [
        () => ({ reset: { next: '/account/login', aid: 'control' } }),
        () => login('jane@example.com'),
        async (s) => {
          s.data.first = await identified()
          // A new private window: nothing of this browser's storage, a new anonymous id.
          return { reset: { next: '/collections/all' } }
        },
        async (s) => {
          await QA.onsiteReady()
          if (QA.ids().anonymousId === s.data.first.anonymousId) throw new Error('the second device kept the first anonymous id')
          await QA.flush()
          return { go: '/account/login' }
        },
        () => login('jane@example.com'),
        async (s) => {
          const now = await identified()
          const ids = await QA.waitEvents((e) => e.type === 'identify' && e.userId === now.userId, 2, 8000).catch(() => [])
          const aids = new Set(ids.map((e) => e.anonymousId))
          return {
            checks: [
              check(now.userId && now.userId === s.data.first.userId, 'both devices identify as userId ' + now.userId),
              check(now.anonymousId !== s.data.first.anonymousId, 'each device has its own anonymous id'),
              check(aids.has(now.anonymousId) && aids.has(s.data.first.anonymousId), 'identify calls carry both anonymous ids: Customer.io merges them into one person'),
            ],
            next: 'Person: the userId joins this run\'s two anonymous ids (device 1 and this one; earlier runs\' ids stay listed until "Clear collector"). Events: two identify calls with the same userId and traits.email jane@example.com, one per anonymous id.',
          }
        },
      ],
    },
    holdout: {
      title: 'Holdout visitor',
      steps: [
        () => ({ reset: { next: '/', aid: 'holdout', flags: ['cio_cart_abandon_4h'] } }),
        async () => {
          await QA.explainReady()
          await QA.waitFor(() => QA.history().session?.offers?.includes('cart_recovery'), 5000, 'the holdout to be recorded')
          return { go: '/collections/all' }
        },
        async () => {
          const d = await QA.explainReady()
          const c = d.candidates.find((x) => x.offerId === 'cart_recovery')
          await QA.flush()
          const held = await QA.waitEvents((e) => e.event === 'offer_held_out' && cart(e) && e.anonymousId === QA.ids().anonymousId, 1, 6000).catch(() => [])
          await QA.sleep(1200)
          const again = QA.events().filter((e) => e.event === 'offer_held_out' && e.anonymousId === QA.ids().anonymousId)
          return {
            checks: [check(c?.outcome === 'held_out' && !d.shown && !QA.dialog(), 'cart_recovery held out: nothing shown'), check(held.length === 1 && again.length === 1, 'offer_held_out counted once over two pages')],
            next: `This visitor's anonymous id falls in cart_recovery's ${QA.data.cartOffer?.holdoutPercent}% control group: no popup on any page. Decision: cart_recovery held_out ("holdout: bucket N < 10"). Events: one offer_held_out (holdout: true), not one per page.`,
          }
        },
      ],
    },
  }

  const show = (s, text, state, checks) => {
    box.textContent = ''
    box.dataset.state = state
    // one scenario at a time: a second would fight the first over the same tab
    document.querySelectorAll('[data-scenario]').forEach((b) => (b.disabled = state === 'running'))
    if (checks) box.dataset.ok = String(checks.every((c) => c.ok))
    else delete box.dataset.ok
    box.append(Object.assign(document.createElement('strong'), { textContent: SCENARIOS[s.id].title }), ' ')
    box.append(Object.assign(document.createElement('span'), { textContent: text }))
    if (checks) {
      const ul = document.createElement('ul')
      for (const c of checks) ul.append(Object.assign(document.createElement('li'), { className: c.ok ? 'pass' : 'fail', textContent: (c.ok ? '✓ ' : '✗ ') + c.text }))
      box.append(ul)
    }
  }

  const act = async (s, a) => {
    save(s)
    if (a.reset) return QA.resetVisitor(a.reset)
    if ('click' in a && !a.click) throw new Error('nothing to click: the element is not on this page')
    await QA.flush()
    if (a.go) location.assign(a.go)
    else if (a.click) a.click.click()
    else if (a.submit) a.submit.requestSubmit()
    // every action leaves the page; one that does not has failed
    await QA.sleep(15000)
    throw new Error('the page did not change after the step')
  }

  const resume = async () => {
    const s = load()
    const sc = s && SCENARIOS[s.id]
    if (!sc) return
    const n = s.step
    show(s, `step ${n + 1} of ${sc.steps.length}…`, 'running')
    try {
      s.step++
      const out = await sc.steps[n](s)
      if (!out.checks) return await act(s, out)
      save(null)
      show(s, 'What you should see now: ' + out.next, 'done', out.checks)
    } catch (e) {
      save(null)
      show(s, `failed at step ${n + 1}: ${e.message}`, 'failed')
    }
  }

  document.querySelectorAll('[data-scenario]').forEach((b) =>
    b.addEventListener('click', () => {
      if (!SCENARIOS[b.dataset.scenario]) return
      save({ id: b.dataset.scenario, step: 0, data: {} })
      resume()
    }),
  )
  resume()
})()
