// The demo page's own code: store buttons call onsite like a theme would, and a panel polls the
// collector. Collector data is shown with textContent only: it is whatever any client posted.
;(function () {
  'use strict'
  var product = { product_id: 'shirt-1', sku: 'LS-1', name: 'Linen Shirt', price: 49, currency: 'USD' }
  var $ = function (id) { return document.getElementById(id) }
  var assign = function (a, b) { var o = {}, k; for (k in a) o[k] = a[k]; for (k in b) o[k] = b[k]; return o }
  // Always window.onsite at click time: the loader stub is replaced when the bundle arrives.
  var track = function (event, props) { window.onsite.track(event, props) }

  $('view').addEventListener('click', function () { track('Product Viewed', product) })
  $('add').addEventListener('click', function () { track('Product Added', assign(product, { quantity: 1, cart_id: 'demo-cart' })) })
  $('bad').addEventListener('click', function () { track('Product Added', assign(product, { price: '49.00', quantity: 1, cart_id: 'demo-cart' })) })
  $('reload').addEventListener('click', function (e) { e.preventDefault(); location.reload() })

  var showAnon = function () {
    var o = window.onsite
    var id = o && typeof o.anonymousId === 'function' ? o.anonymousId() : ''
    if (id) $('anon').textContent = id
    else setTimeout(showAnon, 200)
  }
  showAnon()

  var short = function (s) { s = s == null ? '' : String(s); return s.length > 10 ? s.slice(0, 8) + '…' : s }
  // Message ids share a prefix; their tail is what tells them apart.
  var tail = function (s) { s = s == null ? '' : String(s); return s.length > 10 ? '…' + s.slice(-8) : s }
  var time = function (iso) { var d = new Date(iso); return isNaN(d) ? '' : d.toLocaleTimeString() }
  var cell = function (tr, value, title, cls) {
    var td = document.createElement('td')
    td.textContent = value
    if (title) td.title = title
    if (cls) td.className = cls
    tr.appendChild(td)
  }
  var known = {}
  var render = function (snap) {
    var events = snap.events || []
    $('count').textContent = String(events.length)
    $('requests').textContent = String(snap.requests || 0)
    var dups = snap.duplicates || {}
    $('dups').textContent = String(Object.keys(dups).reduce(function (n, k) { return n + dups[k] }, 0))
    $('empty').hidden = events.length > 0
    var body = $('events')
    var first = Object.keys(known).length === 0
    var next = {}
    var rows = document.createDocumentFragment()
    for (var i = events.length - 1; i >= 0; i--) {
      var ev = events[i]
      var tr = document.createElement('tr')
      if (!first && !known[ev.messageId]) tr.className = 'fresh'
      next[ev.messageId] = true
      cell(tr, time(ev.receivedAt), 'timestamp ' + ev.timestamp + ', received ' + ev.receivedAt)
      cell(tr, ev.type)
      cell(tr, ev.event || ev.name || (ev.type === 'page' && ev.properties ? ev.properties.path : ev.userId) || '')
      cell(tr, tail(ev.messageId), ev.messageId)
      cell(tr, short(ev.anonymousId), ev.anonymousId)
      cell(tr, JSON.stringify(ev.properties || ev.traits || {}), '', 'props')
      rows.appendChild(tr)
    }
    known = next
    body.textContent = ''
    body.appendChild(rows)
  }

  var lastCount = -1
  var lastRequests = -1
  var poll = function () {
    fetch('/v1/_events', { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json() })
      .then(function (snap) {
        $('status').textContent = ''
        // Redraw only on change, so a selection in the table survives the polling.
        if (snap.events.length !== lastCount || snap.requests !== lastRequests) render(snap)
        lastCount = snap.events.length
        lastRequests = snap.requests
      })
      .catch(function (e) { $('status').textContent = 'collector unreachable (' + e.message + ')' })
      .then(function () { setTimeout(poll, 1000) })
  }
  poll()

  $('clear').addEventListener('click', function () {
    fetch('/v1/_events', { method: 'DELETE' }).then(function () { lastCount = -1; known = {} })
  })
})()
