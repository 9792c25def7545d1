// The SMS consent of an email_phone form: an unticked box beside the brand's disclosure, a phone checked
// before anything is sent, and sms_* traits only for a ticked box. Real focus and screen-reader-facing
// attributes in Chromium: test/browser/sms-consent.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Offer } from '../../../src/offers/offers.ts'
import { normalizePhone } from '../../../src/capture/traits.ts'
import { renderOffer, type Handlers, type Rendered } from '../../../src/render/render.ts'
import { smsConsentVersion, type PhoneRule } from '../../../src/render/form.ts'
import { offerFixture } from '../../offer-fixture.ts'
import { captureErrors } from '../fakes.ts'

const HOSTILE = '<img src=x onerror=alert(1)>'
const DISCLOSURE = 'Yes, text me offers at this number. Msg & data rates may apply. Reply STOP to cancel.'
const NOW = Date.UTC(2026, 11, 4, 12, 30, 0)

const handlers = () => ({ onSeen: vi.fn(), onClick: vi.fn(), onSubmit: vi.fn(), onDismiss: vi.fn() }) satisfies Handlers
let h: ReturnType<typeof handlers> & { phone?: PhoneRule }
const show = (content: Partial<Offer['content']> = {}, sms = true): Rendered => {
  const r = renderOffer(document, offerFixture('popup', { form: 'email_phone', ...(sms && { smsConsentText: DISCLOSURE }), ...content }), h)
  if (typeof r == 'string') throw new Error('not rendered: ' + r)
  return r
}
const $ = <E extends Element = HTMLInputElement>(r: Rendered, sel: string) => r.host.shadowRoot!.querySelector<E>(sel)
const fill = (r: Rendered, email: string, phone: string, tick = false) => {
  $(r, 'input[type=email]')!.value = email
  $(r, 'input[type=tel]')!.value = phone
  if (tick) $(r, 'input[name=sms_consent]')!.checked = true
}
const submit = (r: Rendered) => $(r, 'form')!.dispatchEvent(new Event('submit', { cancelable: true }))

beforeEach(() => {
  document.body.innerHTML = ''
  h = handlers()
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

describe('the SMS consent box', () => {
  it('is unticked, named sms_consent, and labelled by the disclosure, as text', () => {
    const r = show({ smsConsentText: HOSTILE })
    const box = $(r, 'input[type=checkbox][name=sms_consent]')!
    expect(box.checked).toBe(false)
    expect(box.defaultChecked).toBe(false)
    expect(box.closest('label')!.textContent).toBe(HOSTILE)
    expect(r.host.shadowRoot!.querySelectorAll('img')).toHaveLength(0)
  })

  it('sits apart from the email consent box: two boxes, two labels', () => {
    const r = show({ consentText: 'Email me offers' })
    const boxes = [...r.host.shadowRoot!.querySelectorAll<HTMLInputElement>('input[type=checkbox]')]
    expect(boxes.map((b) => [b.name, b.closest('label')!.textContent])).toEqual([['email_consent', 'Email me offers'], ['sms_consent', DISCLOSURE]])
  })

  it('is not there without a phone field (form "email"), even with smsConsentText', () => {
    const r = show({ form: 'email' })
    expect($(r, 'input[type=tel]')).toBeNull()
    expect($(r, 'input[name=sms_consent]')).toBeNull()
  })

  it('email_phone without smsConsentText: one [onsite] error naming the offer, no box, the phone still sent', () => {
    const errors = captureErrors()
    const r = show({}, false)
    expect(errors.messages()).toEqual([expect.stringMatching(/^\[onsite\] offer "o": .*smsConsentText.*no SMS consent/)])
    expect($(r, 'input[type=checkbox]')).toBeNull()
    fill(r, 'jane@example.com', '+14155550123')
    submit(r)
    expect(h.onSubmit).toHaveBeenCalledWith({ email: 'jane@example.com', phone: '+14155550123' })
  })
})

describe('the traits of a submit', () => {
  it('ticked: phone in E.164, sms_consent true, the time of the submit and the version of the text', () => {
    h.phone = (v) => normalizePhone(v, 'US')
    const r = show()
    fill(r, 'jane@example.com', '(415) 555-0123', true)
    submit(r)
    expect(h.onSubmit).toHaveBeenCalledWith({
      email: 'jane@example.com', phone: '+14155550123',
      sms_consent: true, sms_consent_at: '2026-12-04T12:30:00.000Z', sms_consent_text_version: smsConsentVersion(offerFixture('popup', { smsConsentText: DISCLOSURE }).content),
    })
  })

  it('unticked: the phone and no sms_* trait at all, not even false', () => {
    const r = show()
    fill(r, 'jane@example.com', '+14155550123')
    submit(r)
    const traits = h.onSubmit.mock.calls[0]![0] as Record<string, unknown>
    expect(traits).toEqual({ email: 'jane@example.com', phone: '+14155550123' })
    expect(Object.keys(traits).filter((k) => k.startsWith('sms'))).toEqual([])
  })

  it('the version is content.smsConsentVersion when given', () => {
    const r = show({ smsConsentVersion: 'us-2026-12' })
    fill(r, 'jane@example.com', '+14155550123', true)
    submit(r)
    expect(h.onSubmit.mock.calls[0]![0]).toMatchObject({ sms_consent_text_version: 'us-2026-12' })
  })

  it('the default version follows the wording: same text, same version; a changed word, a new one', () => {
    const v = (smsConsentText: string) => smsConsentVersion(offerFixture('popup', { smsConsentText }).content)
    expect(v(DISCLOSURE)).toMatch(/^t[0-9a-z]{7}$/)
    expect(v(DISCLOSURE)).toBe(v(DISCLOSURE))
    expect(v(DISCLOSURE.replace('offers', 'deals'))).not.toBe(v(DISCLOSURE))
  })

  it('without a phone rule, takes 8 to 15 digits with the usual separators, as typed (identify() makes it E.164)', () => {
    const r = show()
    fill(r, 'jane@example.com', '(415) 555-0123')
    submit(r)
    expect(h.onSubmit).toHaveBeenCalledWith({ email: 'jane@example.com', phone: '4155550123' })
  })

  it("reads a national number the way identify() will (the phone rule it is given)", () => {
    h.phone = (v) => normalizePhone(v, 'GB')
    const r = show()
    fill(r, 'jane@example.com', '07700 900123', true)
    submit(r)
    expect(h.onSubmit.mock.calls[0]![0]).toMatchObject({ phone: '+447700900123', sms_consent: true })
  })
})

describe('a phone that is not a number', () => {
  it.each(['12345', 'call me', '+1 (415) 555-01234567890', '415 555 CALL'])('%j: an error line, no submit, focus on the phone', (bad) => {
    const r = show()
    fill(r, 'jane@example.com', bad, true)
    submit(r)
    expect(h.onSubmit).not.toHaveBeenCalled()
    expect($(r, 'form')).not.toBeNull()
    const tel = $(r, 'input[type=tel]')!
    const note = r.host.shadowRoot!.getElementById(tel.getAttribute('aria-describedby')!)!
    expect(note.textContent).toBe('Please enter a valid phone number.')
    expect(note.getAttribute('aria-live')).toBe('polite')
    expect(tel.getAttribute('aria-invalid')).toBe('true')
    expect(r.host.shadowRoot!.activeElement).toBe(tel)
  })

  it("the error line speaks the store's language (labels.phoneError)", () => {
    const r = show({ labels: { ...offerFixture('popup').content.labels, phoneError: 'Keine gültige Nummer.' } })
    fill(r, 'jane@example.com', 'call me', true)
    submit(r)
    expect($(r, '.e')!.textContent).toBe('Keine gültige Nummer.')
  })

  it('a ticked box without a number is refused too: consent needs the number it is for', () => {
    const r = show()
    fill(r, 'jane@example.com', '  ', true)
    submit(r)
    expect(h.onSubmit).not.toHaveBeenCalled()
    expect($(r, '.e')!.textContent).not.toBe('')
  })

  it('no number and no tick is fine: the phone is optional', () => {
    const r = show()
    fill(r, 'jane@example.com', '')
    submit(r)
    expect(h.onSubmit).toHaveBeenCalledWith({ email: 'jane@example.com' })
  })

  it('typing clears the error; the corrected number submits', () => {
    const r = show()
    fill(r, 'jane@example.com', '555', true)
    submit(r)
    const tel = $(r, 'input[type=tel]')!
    tel.value = '+44 20 7946 0958'
    tel.dispatchEvent(new Event('input'))
    expect($(r, '.e')!.textContent).toBe('')
    expect(tel.hasAttribute('aria-invalid')).toBe(false)
    submit(r)
    expect(h.onSubmit).toHaveBeenCalledWith(expect.objectContaining({ phone: '+442079460958', sms_consent: true }))
  })
})
