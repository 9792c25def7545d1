// Bridge to Wisepops (`config.wisepops: true`) for brands that design their popups there. Wisepops has no
// identify call: the browser is where Customer.io audiences meet its targeting, so onsite pushes the flags
// and its decision as custom properties, hands an offer with `renderer: "wisepops"` over with a custom event,
// and turns Wisepops' callbacks into the same offer_* events (`source: "wisepops"`).
// API (REFERENCE.md "Wisepops"): wisepops('properties', props, {temporary}), ('event', name),
// ('listen', name, callback). Callback payloads are not documented beyond the submit event's form: read
// defensively.
import { debug } from '../util/log.ts'

type WisepopsFn = ((...args: unknown[]) => void) & { q?: unknown[] }

/** Wisepops' documented limits for custom properties. */
const MAX_KEY = 50
const MAX_VALUE = 255
/** The custom event a Wisepops campaign triggers on to show an offer onsite handed over. */
export const HANDOVER_EVENT = 'onsite_offer'

/**
 * `,vip,cio_cart_abandon_4h,`: commas at both ends so a Wisepops rule "onsite_segments contains ,vip,"
 * cannot match `vip_gold`; cut at a comma to stay within 255 characters.
 */
export const segmentsValue = (flags: Record<string, boolean>): string => {
  let out = ','
  for (const k of Object.keys(flags).sort()) {
    if (!flags[k] || k.includes(',') || out.length + k.length + 1 > MAX_VALUE) continue
    out += k + ','
  }
  return out
}

/** Keeps properties within Wisepops' limits: keys over 50 characters are left out, strings cut at 255. */
export const fitProperties = (props: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(props)) if (k.length <= MAX_KEY) out[k] = typeof v === 'string' ? v.slice(0, MAX_VALUE) : v
  return out
}

/** What the callbacks report; `popupId` is Wisepops' id of the popup when the payload carries one. */
export interface WisepopsHandlers {
  display(popupId: string): void
  submit(popupId: string, traits: WisepopsTraits): void
  click(popupId: string): void
  close(popupId: string): void
}

const popupIdOf = (e: unknown): string => {
  const x = e as { detail?: { popup?: { id?: unknown }; id?: unknown }; popup?: { id?: unknown } } | undefined
  const id = x?.detail?.popup?.id ?? x?.popup?.id ?? x?.detail?.id
  return typeof id === 'string' || typeof id === 'number' ? String(id) : ''
}

/** What a submitted Wisepops form gives identify(): email, phone, and an SMS consent when one was given. */
export type WisepopsTraits = Record<string, string | true>

// Words that name texting in a consent's name or label ("sms_optin", "I agree to receive marketing text
// messages", "Recevoir nos offres par SMS"). Wisepops does not document its consent checkboxes' names, so a
// box counts only when it says SMS or texting itself: a newsletter box never becomes an SMS consent.
const SMS = /(^|[^a-z])sms|\btext(s|ing| messages?)\b/i

/** A ticked checkbox of the form that is an SMS consent by its name, id, aria-label or label text. */
const smsTicked = (form: Element): boolean =>
  Array.from(form.querySelectorAll<HTMLInputElement>('input[type=checkbox]')).some((b) =>
    b.checked && SMS.test([b.name, b.id, b.getAttribute('aria-label'), ...Array.from(b.labels ?? [], (l) => l.textContent)].join(' ')))

/**
 * Reads the email and phone of a submitted Wisepops form (`event.target` is the <form>), and with a phone
 * and a ticked SMS consent box, the consent as onsite's own forms send it (version "wisepops:<popup id>").
 * No phone, or no such box ticked: no sms_* trait, never false.
 */
export const formTraits = (e: unknown, popupId = ''): WisepopsTraits => {
  const out: WisepopsTraits = {}
  try {
    const form = (e as { target?: Element & { elements?: Record<string, { value?: unknown } | undefined> } })?.target
    const els = form?.elements
    const val = (name: string) => {
      const v = els?.[name]?.value
      return typeof v === 'string' ? v.trim() : ''
    }
    const email = val('email')
    const number = val('phone-number')
    if (email) out.email = email
    // the dial code field holds "+33" or "33"; a number typed with its own + stands alone
    if (number) out.phone = number.startsWith('+') ? number : (val('phone-dialcode') ? '+' + val('phone-dialcode').replace(/^\+/, '') : '') + number
    if (out.phone && smsTicked(form!)) Object.assign(out, { sms_consent: true, sms_consent_at: new Date().toISOString(), sms_consent_text_version: 'wisepops:' + (popupId || 'popup') })
  } catch {}
  return out
}

/**
 * Connects to `w.wisepops`, installing Wisepops' own queue stub when its loader has not run yet (the
 * loader replays the queue when it arrives, so nothing is lost either way).
 */
export const connectWisepops = (w: Window, h: WisepopsHandlers) => {
  const g = w as unknown as { wisepops?: WisepopsFn }
  if (typeof g.wisepops !== 'function') {
    const stub: WisepopsFn = (...args) => void (stub.q ??= []).push(args)
    g.wisepops = stub
    debug('wisepops: no loader yet; calls are queued for it')
  }
  const call = (...args: unknown[]) => {
    try {
      g.wisepops!(...args)
    } catch (e) {
      debug('wisepops call failed: ' + e)
    }
  }
  const listen = (name: string, fn: (e: unknown) => void) =>
    call('listen', name, (e: unknown) => {
      try {
        fn(e)
      } catch (err) {
        debug(`wisepops ${name} handler failed: ${err}`)
      }
    })
  listen('before-popup-display', (e) => h.display(popupIdOf(e)))
  listen('after-form-submit', (e) => {
    const id = popupIdOf(e)
    h.submit(id, formTraits(e, id))
  })
  listen('after-tracked-click', (e) => h.click(popupIdOf(e)))
  listen('after-popup-close', (e) => h.close(popupIdOf(e)))
  return {
    /** Per page (temporary): the flags and the decision change from page to page. */
    properties: (props: Record<string, unknown>) => call('properties', fitProperties(props), { temporary: true }),
    event: (name: string) => call('event', name),
  }
}
export type WisepopsBridge = ReturnType<typeof connectWisepops>
