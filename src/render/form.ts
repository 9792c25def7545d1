// An offer's capture form: the email, and for `email_phone` the phone and an SMS consent box, checked
// before anything is sent.
//
// - SMS consent is its own unticked box beside the brand's disclosure (content.smsConsentText): email
//   consent is not SMS consent, and a box ticked for the shopper is no consent at all (TCPA, CTIA).
// - Only a ticked box says something: the traits then carry sms_consent: true, sms_consent_at (the submit's
//   ISO time) and sms_consent_text_version. Unticked, no sms_* trait is sent, never false: false would
//   overwrite the consent this person gave on another form. The disclosure text itself is not sent
//   (traits stay small): its version names it, and the config that holds the text is the record.
// - A phone that cannot be made E.164 is refused in the form, with a line of text saying so, rather than
//   thanked and then dropped by identify(); so is a ticked SMS box without a number.
import { EMAIL } from '../capture/traits.ts'
import type { Offer } from '../offers/offers.ts'
import { fingerprint } from '../util/hash.ts'
import { error } from '../util/log.ts'
import type { El } from './el.ts'

export interface OfferTraits {
  email?: string
  phone?: string
  email_consent?: boolean
  sms_consent?: true
  sms_consent_at?: string
  sms_consent_text_version?: string
}

/** The phone as typed, in E.164, or '' when it is not a number. */
export type PhoneRule = (raw: string) => string

// Without the caller's rule: 8 to 15 digits (E.164's most; fewer is no mobile number anywhere), an optional
// +, the usual separators. identify()'s own rule (normalizePhone, config.defaultCountry) lives in the core
// bundle; copying it here would weigh on every page with an offer.
const loosePhone: PhoneRule = (v) => ((v = v.replace(/[\s().-]/g, '')), /^\+?\d{8,15}$/.test(v) ? v : '')
const PHONE_ERROR = 'Please enter a valid phone number.'

/** The version sent with an SMS consent: content.smsConsentVersion, else one derived from the text (new wording, new version). */
export const smsConsentVersion = (c: Offer['content']): string => c.smsConsentVersion || 't' + fingerprint(c.smsConsentText ?? '').slice(0, 7)

/** The phone field and the line under it that says why a number is refused (announced, and the field's description). */
const phoneField = (el: El, f: HTMLFormElement, label: string) => {
  const input = el('input', { type: 'tel', name: 'phone', autocomplete: 'tel' })
  const note = el('p', { id: 'pe', className: 'e' })
  note.setAttribute('aria-live', 'polite')
  input.setAttribute('aria-describedby', 'pe')
  f.append(el('label', {}, label, input), note)
  const say = (why: string) => {
    note.textContent = why
    why ? input.setAttribute('aria-invalid', 'true') : input.removeAttribute('aria-invalid')
  }
  input.oninput = () => say('')
  return { input, say }
}

/**
 * The form; `done` gets the traits of a valid submit. `phone` should read the number as identify() will
 * (config.defaultCountry), so the form refuses exactly what identify() would drop.
 */
export const captureForm = (el: El, offer: Offer, done: (traits: OfferTraits) => void, phone: PhoneRule = loosePhone): HTMLFormElement => {
  const c = offer.content
  const f = el('form')
  const box = (name: string, text?: string) => {
    const b = el('input', { type: 'checkbox', name })
    if (text) f.append(el('label', { className: 'c' }, b, text))
    return text ? b : undefined
  }
  // The browser's type=email takes "jane@localhost", which identify() then refuses: the shopper would be
  // thanked, given the code and never identified. The pattern is identify()'s own rule.
  const email = el('input', { type: 'email', name: 'email', required: true, autocomplete: 'email', pattern: EMAIL.source.slice(1, -1) })
  f.append(el('label', {}, c.labels.email, email))
  const tel = c.form === 'email_phone' ? phoneField(el, f, c.labels.phone) : undefined
  const mail = box('email_consent', c.consentText)
  const sms = tel && box('sms_consent', c.smsConsentText)
  if (tel && !sms) error(`offer "${offer.id}": an email_phone form without content.smsConsentText asks no SMS consent`)
  f.append(el('button', { textContent: c.cta?.text || c.labels.submit }))
  f.onsubmit = (e) => {
    e.preventDefault()
    // The submit button already validated; a script-triggered submit (requestSubmit) has too, but a
    // plain dispatched event has not, so check again with the browser's own type=email rules.
    if (!f.reportValidity()) return
    // Only a ticked box says something: an unticked one sends nothing, never false.
    const traits: OfferTraits = { email: email.value }
    if (mail?.checked) traits.email_consent = true
    if (tel) {
      const raw = tel.input.value.trim()
      const e164 = raw && phone(raw)
      if (raw ? !e164 : sms?.checked) return tel.say(c.labels.phoneError || PHONE_ERROR), tel.input.focus()
      if (e164) traits.phone = e164
      if (e164 && sms?.checked) Object.assign(traits, { sms_consent: true, sms_consent_at: new Date().toISOString(), sms_consent_text_version: smsConsentVersion(c) })
    }
    done(traits)
  }
  return f
}
