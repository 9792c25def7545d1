// The QA panel's live event stream: what the collector received (GET /v1/_events?since=N, polled), newest
// first, for this visitor (their anonymous id or userId) or everyone, each expandable to its JSON; and
// the person view: every anonymous id an identify joined to this visitor's userId. Collector data is
// whatever any client posted, so it is shown with textContent only.
;(() => {
  'use strict'
  const QA = window.demoQA
  if (!QA) return
  const $ = (id) => document.getElementById(id)
  const SHOW = 200
  let all = []
  let duplicates = {}
  let drawn = ''
  const open = new Set()

  const mine = ({ anonymousId, userId }) => (e) => (anonymousId && e.anonymousId === anonymousId) || (userId && e.userId === userId)
  const label = (e) => e.event || e.name || (e.type === 'page' ? e.properties?.path : '') || (e.type === 'identify' ? e.userId || e.traits?.email || '' : '')
  const el = (tag, props) => Object.assign(document.createElement(tag), props)

  const draw = () => {
    const every = $('qa-all').checked
    const list = (every ? all : all.filter(mine(QA.ids()))).slice(-SHOW).reverse()
    const dups = Object.values(duplicates).reduce((n, k) => n + k, 0)
    // a copy comes when a page left mid-send and a later page sent the call again: delivered once all the same
    $('qa-counts').textContent = `${list.length}${every ? '' : ' of ' + all.length}` + (dups ? ` · ${dups} resent ${dups > 1 ? 'copies' : 'copy'} dropped by messageId` : '')
    $('qa-counts').title = 'A page that left while sending leaves its calls for the next page, which sends them again; the collector (like Customer.io) keeps one per messageId.'
    drawPerson()
    const key = every + '|' + list.map((e) => e.messageId).join()
    if (key === drawn) return
    drawn = key
    const ol = $('qa-events')
    ol.textContent = ''
    for (const e of list) {
      const d = el('details', { open: open.has(e.messageId) })
      d.addEventListener('toggle', () => (d.open ? open.add(e.messageId) : open.delete(e.messageId)))
      const s = el('summary')
      s.append(
        el('time', { textContent: new Date(e.receivedAt).toLocaleTimeString(), title: 'timestamp ' + e.timestamp }), ' ',
        el('span', { className: 'type', textContent: e.type }), ' ',
        el('strong', { textContent: label(e) }), ' ',
        el('code', { className: 'hint', textContent: (e.anonymousId || '').slice(0, 8), title: 'anonymousId ' + e.anonymousId }),
      )
      if (duplicates[e.messageId]) s.append(' ', el('span', { className: 'badge', textContent: '+' + duplicates[e.messageId] + ' dup', title: 'copies received again and dropped by messageId' }))
      d.append(s, el('pre', { textContent: JSON.stringify(e, null, 2) }))
      const li = el('li')
      li.dataset.event = label(e)
      li.dataset.type = e.type
      li.append(d)
      ol.append(li)
    }
    $('qa-empty').hidden = list.length > 0
  }

  const drawPerson = () => {
    const { userId, anonymousId } = QA.ids()
    const box = $('qa-person')
    if (!userId) return drawAnonymousPerson(box, anonymousId)
    box.dataset.state = 'user'
    const aids = [...new Set(all.filter((e) => e.type === 'identify' && e.userId === userId).map((e) => e.anonymousId))]
    box.textContent = ''
    box.append('userId ', el('code', { textContent: userId }), ` joins ${aids.length} anonymous id${aids.length === 1 ? '' : 's'}:`)
    const ul = el('ul', { id: 'qa-person-aids' })
    for (const a of aids) ul.append(el('li', { textContent: a + (a === anonymousId ? ' (this browser)' : '') }))
    box.append(ul)
  }

  // A capture form identifies by traits on the anonymous id (identifyBy "anonymous"): no userId to show,
  // so the person is what the last identify of this anonymous id said.
  let personKey = ''
  const drawAnonymousPerson = (box, anonymousId) => {
    const last = anonymousId && all.filter((e) => e.type === 'identify' && e.anonymousId === anonymousId && !e.userId).pop()
    const key = last ? last.messageId : 'none'
    if (key === personKey && box.dataset.state === (last ? 'traits' : 'none')) return
    personKey = key
    box.dataset.state = last ? 'traits' : 'none'
    if (!last) return void (box.textContent = 'Not identified on this browser yet.')
    box.textContent = ''
    const traits = Object.entries(last.traits || {})
    box.append('Identified on this anonymous id, no userId: ')
    const ul = el('ul', { id: 'qa-person-traits' })
    for (const [k, v] of traits) ul.append(el('li', { textContent: `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}` }))
    box.append(ul)
  }

  let since = 0
  let polling
  /** Fetches what arrived since the last poll; resolves when the list is current. */
  const poll = () =>
    (polling ??= fetch('/v1/_events?since=' + since, { cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
      .then((snap) => {
        // the collector was cleared (or restarted with less): start over
        if (snap.total < since) (all = []), (since = 0)
        all = all.concat(snap.events)
        since = snap.total
        duplicates = snap.duplicates || {}
        $('qa-status').textContent = ''
        draw()
      })
      .catch((e) => ($('qa-status').textContent = 'collector unreachable (' + e.message + ')'))
      .finally(() => (polling = undefined)))

  QA.events = () => all.slice()
  /** Resolves with the events `pred` selects once there are at least `count`; rejects after `ms`. */
  QA.waitEvents = (pred, count = 1, ms = 8000, what = 'events') =>
    QA.waitFor(async () => {
      await poll()
      const got = all.filter(pred)
      return got.length >= count && got
    }, ms, what)

  $('qa-all').addEventListener('change', draw)
  // a capture form's identify shows in the Person box at once, not at onsite's next timed send
  document.addEventListener('submit', (e) => {
    if (e.target.matches?.('form[data-onsite-capture]')) setTimeout(() => QA.flush().then(poll), 100)
  })
  $('qa-clear').addEventListener('click', () => fetch('/v1/_events', { method: 'DELETE' }).then(() => ((all = []), (since = 0), (drawn = ''), draw())))
  const loop = () => poll().then(() => setTimeout(loop, 1000))
  loop()
  // the ids (and so the filter) settle after onsite starts
  setInterval(draw, 1000)
})()
