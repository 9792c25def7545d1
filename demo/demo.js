// The QA panel beside the store: the visitor's ids, the audience flags as toggles (playing Customer.io's
// webhooks to the audience service), onsite's current decision with every offer's reasons, and the reset.
// It reads onsite only through its public API (anonymousId, explain, flush) and the storage keys onsite
// documents; anything shown that came from a page or the collector goes in with textContent only.
// events.js (the event stream) and scenarios.js (the one-click scenarios) build on window.demoQA.
;(() => {
  'use strict'
  const panel = document.getElementById('qa')
  if (!panel) return
  let data = {}
  try {
    data = JSON.parse(panel.getAttribute('data-qa')) || {}
  } catch {}
  const $ = (id) => document.getElementById(id)
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

  const cookieGet = (name) => {
    for (const part of document.cookie.split(/;\s*/)) {
      const i = part.indexOf('=')
      if (part.slice(0, i) === name) {
        try {
          return decodeURIComponent(part.slice(i + 1))
        } catch {
          return part.slice(i + 1)
        }
      }
    }
    return ''
  }
  const cookieSet = (name, value, days = 30) => {
    document.cookie = `${name}=${encodeURIComponent(value)}; max-age=${value ? days * 86400 : 0}; path=/; SameSite=Lax`
  }
  const lsJSON = (key) => {
    try {
      return JSON.parse(localStorage.getItem(key)) || undefined
    } catch {
      return undefined
    }
  }
  const onsite = () => (window.onsite && window.onsite.version ? window.onsite : undefined)

  /** Resolves with fn()'s first truthy value, polling; rejects after `ms` naming what it waited for. */
  const waitFor = async (fn, ms = 8000, what = 'a condition') => {
    const end = Date.now() + ms
    for (;;) {
      try {
        const v = await fn()
        if (v) return v
      } catch {}
      if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`)
      await sleep(100)
    }
  }

  const ids = () => ({
    anonymousId: onsite()?.anonymousId() || cookieGet('onsite_aid') || '',
    userId: lsJSON('onsite:who')?.userId || '',
    sessionId: lsJSON('onsite:session')?.id || '',
    cart: cookieGet('cart'),
    order: Number(cookieGet('onsite_order')) || 0,
  })

  const QA = (window.demoQA = {
    data,
    sleep,
    waitFor,
    ids,
    cookieGet,
    history: () => lsJSON('onsite:history') || {},
    onsiteReady: () => waitFor(() => onsite()?.anonymousId(), 10000, 'onsite.js to start'),
    explainReady: () => waitFor(() => onsite()?.explain(), 10000, "onsite's offer decision"),
    /** Sends what onsite has queued (the pagehide send would too; this makes the stream show it now). */
    flush: () => (onsite() ? Promise.race([onsite().flush().catch(() => {}), sleep(3000)]) : Promise.resolve()),
    dialog: () => document.querySelector('onsite-offer')?.shadowRoot?.querySelector('dialog[open]') || null,
    /**
     * Plays Customer.io: the server sends the audience service the webhook a segment-triggered campaign
     * would ("entered" / "exited", now). onsite's cached answer goes, so the next page asks the service.
     */
    async setFlags(flags) {
      const r = await fetch('/demo/segments', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ flags }) })
      if (!r.ok) throw new Error('the audience service refused the change: ' + (await r.text()))
      try {
        localStorage.removeItem('onsite:audiences')
      } catch {}
    },
    /** A new visitor: /demo/reset wipes cookies and storage on a page without onsite, then goes to `next`. */
    async resetVisitor({ next = location.pathname + location.search, aid, flags } = {}) {
      await QA.flush()
      const q = new URLSearchParams({ next })
      if (aid) q.set('aid', aid)
      if (flags) q.set('flags', flags.join(','))
      location.assign('/demo/reset?' + q)
    },
  })

  // Collapsed or opened in a cookie the server reads, so the page renders the right width at once (no
  // shift). The panel starts open beside the store on a wide screen and as a small handle on a narrow one:
  // "closed" collapses it on either, "open" opens it on either.
  const toggle = $('qa-toggle')
  const root = document.documentElement
  const isOpen = () => getComputedStyle($('qa-body')).display !== 'none'
  const label = () => {
    const open = isOpen()
    toggle.setAttribute('aria-expanded', String(open))
    const text = open ? 'Hide' : 'QA'
    if (toggle.textContent !== text) toggle.textContent = text
  }
  label()
  toggle.addEventListener('click', () => {
    const open = !isOpen()
    root.classList.toggle('qa-closed', !open)
    root.classList.toggle('qa-open', open)
    cookieSet('demo_panel', open ? 'open' : 'closed', 365)
    label()
  })

  // onsite's bars are fixed across the whole viewport: while one is up the panel ends where it begins, so
  // the bar and its close button are never under the panel.
  const dock = () => {
    let top = 0
    let bottom = 0
    for (const host of document.querySelectorAll('onsite-offer')) {
      for (const bar of host.shadowRoot?.querySelectorAll('.bar') || []) {
        const r = bar.getBoundingClientRect()
        if (!r.height) continue
        if (r.top < innerHeight / 2) top = Math.max(top, r.bottom)
        else bottom = Math.max(bottom, innerHeight - r.top)
      }
    }
    for (const [k, v] of [['--qa-top', top], ['--qa-bottom', bottom]]) if (root.style.getPropertyValue(k) !== v + 'px') root.style.setProperty(k, v + 'px')
  }
  new MutationObserver(() => requestAnimationFrame(dock)).observe(document.body, { childList: true })
  addEventListener('resize', () => (dock(), label()))

  const flags = { ...(data.audiences?.flags || {}) }
  panel.querySelectorAll('input[data-flag]').forEach((box) =>
    box.addEventListener('change', () => {
      flags[box.dataset.flag] = box.checked
      QA.setFlags(flags).finally(() => location.reload())
    }),
  )
  $('qa-sync').addEventListener('click', () => QA.setFlags(flags).finally(() => location.reload()))
  $('qa-reset').addEventListener('click', () => QA.resetVisitor())
  // the report's own table, as the command prints it (text only)
  $('qa-report').addEventListener('click', async () => {
    const out = $('qa-report-out')
    out.hidden = false
    out.textContent = 'Running onsite-report…'
    try {
      await QA.flush()
      out.textContent = (await (await fetch('/demo/report')).json()).text
    } catch (e) {
      out.textContent = 'The report failed: ' + e
    }
  })

  const short = (s) => (s && s.length > 14 ? s.slice(0, 12) + '…' : s)
  const showIds = () => {
    const v = ids()
    const set = (id, text, title) => {
      const el = $(id)
      if (el.textContent !== text) el.textContent = text
      el.title = title || ''
    }
    set('qa-aid', v.anonymousId || (data.onsite ? 'starting…' : 'none yet'), v.anonymousId)
    set('qa-uid', v.userId || 'anonymous', v.userId)
    set('qa-sid', short(v.sessionId) || '–', v.sessionId)
    set('qa-cart', short(v.cart) || 'none yet', v.cart)
    set('qa-order', v.order ? new Date(v.order).toLocaleTimeString() + ' (from the checkout pixel)' : 'none seen here')
  }

  let shown = ''
  const showDecision = () => {
    const d = onsite()?.explain()
    if (!d) return
    const key = JSON.stringify(d)
    if (key === shown) return
    shown = key
    const box = $('qa-decision')
    box.className = ''
    box.textContent = ''
    const head = document.createElement('p')
    head.append('Decision ', Object.assign(document.createElement('code'), { textContent: d.decisionId }), ': ')
    head.append(Object.assign(document.createElement('strong'), { textContent: d.shown ? d.shown + ' shown' : 'nothing shown' }))
    const list = document.createElement('ul')
    list.className = 'qa-candidates'
    for (const c of d.candidates) {
      const li = document.createElement('li')
      li.dataset.offer = c.offerId
      li.dataset.outcome = c.outcome
      li.append(Object.assign(document.createElement('span'), { className: 'badge ' + c.outcome, textContent: c.outcome }), ' ')
      li.append(Object.assign(document.createElement('code'), { textContent: c.offerId }))
      const why = document.createElement('ul')
      for (const r of c.reasons) why.append(Object.assign(document.createElement('li'), { textContent: r }))
      li.append(why)
      list.append(li)
    }
    box.append(head, list)
  }

  const tick = () => {
    try {
      dock()
      showIds()
      showDecision()
    } catch {}
  }
  // the sync time as local time like the event times (the ISO value stays in the tooltip)
  const synced = $('qa-synced')
  if (synced && Number.isFinite(Date.parse(synced.textContent))) {
    synced.title = synced.textContent
    synced.textContent = new Date(synced.title).toLocaleString()
  }
  tick()
  setInterval(tick, 400)
})()
