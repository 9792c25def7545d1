// "Reset visitor": this page loads no onsite, so no connection holds onsite's IndexedDB databases open and
// they can be deleted. It clears every cookie (on this host and its parent domains, where onsite puts its
// id), localStorage, sessionStorage and IndexedDB; keeps only the QA panel's own state (its collapsed
// cookie, a running scenario); sets what the server planned (an anonymous id in or out of a holdout) the way onsite stores them (src/identity/identity.ts: cookie onsite_aid + localStorage
// onsite:aid; the server has already told the audience service which segments that id is in); then goes
// on to `next`.
;(async () => {
  'use strict'
  let plan = {}
  try {
    plan = JSON.parse(document.getElementById('reset').getAttribute('data-reset')) || {}
  } catch {}
  let run = null
  try {
    run = sessionStorage.getItem('demo:run')
  } catch {}

  const host = location.hostname.split('.')
  const domains = ['']
  for (let i = 0; i < host.length - 1; i++) domains.push('; domain=' + host.slice(i).join('.'))
  for (const part of document.cookie.split(/;\s*/)) {
    const name = part.split('=')[0]
    if (!name || name === 'demo_panel') continue
    for (const d of domains) document.cookie = `${name}=; max-age=0; path=/${d}`
  }
  try {
    localStorage.clear()
  } catch {}
  try {
    sessionStorage.clear()
  } catch {}
  try {
    const dbs = indexedDB.databases ? await indexedDB.databases() : [{ name: 'onsite-id' }, { name: 'onsite-queue' }]
    await Promise.all(
      dbs.map(
        (db) =>
          new Promise((done) => {
            const r = indexedDB.deleteDatabase(db.name)
            r.onsuccess = r.onerror = done
            // a tab still open on the store holds it: the delete completes when that tab lets go
            r.onblocked = () => setTimeout(done, 1000)
          }),
      ),
    )
  } catch {}

  const year = 365 * 86400
  if (plan.anonymousId) {
    document.cookie = `onsite_aid=${encodeURIComponent(plan.anonymousId)}; max-age=${year}; path=/; SameSite=Lax`
    try {
      localStorage.setItem('onsite:aid', plan.anonymousId)
    } catch {}
  }
  try {
    if (run) sessionStorage.setItem('demo:run', run)
  } catch {}
  location.replace(plan.next || '/')
})()
