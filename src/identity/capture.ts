// Identity sources that come from the page rather than the API: email capture forms marked
// `data-onsite-capture`, and the `_cio_id` of a Customer.io tracked link in the landing URL.
import type { Traits } from './identity.ts'

// Through the prototype: an input named "querySelector" or "matches" hides the form's own method.
const E = () => Element.prototype
const field = (form: HTMLFormElement, selector: string) => E().querySelector.call(form, selector) as HTMLInputElement | null

/** The identify traits a capture form holds: email, phone, and `true` for each consent checkbox ticked. */
export const formTraits = (form: HTMLFormElement): Traits => {
  const t: Traits = {}
  const email = field(form, 'input[type=email],input[name=email]')?.value
  const phone = field(form, 'input[type=tel],input[name=phone]')?.value
  if (email) t.email = email
  if (phone) t.phone = phone
  // Only a ticked box says something: an unticked one on a second form (back in stock, a quiz) is no
  // withdrawal, and sending false would overwrite the consent the person gave before.
  for (const name of ['email_consent', 'sms_consent']) if (field(form, `input[type=checkbox][name=${name}]`)?.checked) t[name] = true
  return t
}

/**
 * Identifies on the submit of any `form[data-onsite-capture]`, in the capture phase so it runs even when
 * the store's own handler stops the event. The form is never prevented from submitting: the identify is
 * in the outbox before the browser navigates, and the pagehide send carries it.
 */
export const watchCaptureForms = (doc: Document, identify: (traits: Traits) => void): (() => void) => {
  const onSubmit = (e: Event) => {
    // a throw here would reach the store's page (window.onerror) on every form it submits
    try {
      const form = e.target as HTMLFormElement
      if (E().matches.call(form, 'form[data-onsite-capture]')) identify(formTraits(form))
    } catch {}
  }
  doc.addEventListener('submit', onSubmit, true)
  return () => doc.removeEventListener('submit', onSubmit, true)
}

/**
 * Reads `_cio_id` from the landing URL and removes it from the address bar (history.replaceState), so
 * a link shared onwards does not carry someone else's identity. Returns '' when there is none.
 */
export const takeCioId = (w: Window): string => {
  try {
    const url = new URL(w.location.href)
    const id = url.searchParams.get('_cio_id')?.trim()
    if (!id) return ''
    // only that parameter goes: URLSearchParams would re-encode every other byte of the query ("%20" to
    // "+", "a" to "a="), which a store's own scripts and caches may read as another URL
    const name = (p: string) => {
      try {
        return decodeURIComponent(p.split('=')[0]!.replace(/\+/g, ' '))
      } catch {
        return p
      }
    }
    const rest = url.search.slice(1).split('&').filter((p) => name(p) !== '_cio_id').join('&')
    try {
      w.history.replaceState(w.history.state, '', url.pathname + (rest ? '?' + rest : '') + url.hash)
    } catch {}
    // anyone can write a link: only an id-shaped value becomes an identity (a "$&" or 30 KB one did)
    return /^[\w.=+-]{1,128}$/.test(id) ? id : ''
  } catch {
    return ''
  }
}
