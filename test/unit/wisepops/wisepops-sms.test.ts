// SMS opt-ins from Wisepops forms: a phone with a ticked SMS consent box becomes the same traits as an
// onsite form's (sms_consent, sms_consent_at, version "wisepops:<popup id>"); anything less claims none.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connectWisepops, formTraits } from '../../../src/wisepops/wisepops.ts'
import { startOffers } from '../../../src/offers/show.ts'
import { createHistory } from '../../../src/offers/history.ts'

const NOW = Date.UTC(2026, 11, 4, 12, 30, 0)
const AT = '2026-12-04T12:30:00.000Z'

interface Box { name?: string; id?: string; label?: string; aria?: string; checked: boolean }

/** A submitted Wisepops form as after-form-submit gives it: `target` is the <form>, its fields by name. */
const submitted = (fields: Record<string, string>, boxes: Box[] = []) => {
  const f = document.createElement('form')
  for (const [name, value] of Object.entries(fields)) f.append(Object.assign(document.createElement('input'), { name, value }))
  for (const b of boxes) {
    const i = Object.assign(document.createElement('input'), { type: 'checkbox', name: b.name ?? '', id: b.id ?? '', checked: b.checked })
    if (b.aria) i.setAttribute('aria-label', b.aria)
    if (b.label) {
      const l = document.createElement('label')
      l.append(i, b.label)
      f.append(l)
    } else f.append(i)
  }
  document.body.append(f)
  return { target: f, detail: { popup: { id: 991 } } }
}
const phone = { 'phone-dialcode': '+33', 'phone-number': '612345678' }
const consent = { sms_consent: true, sms_consent_at: AT, sms_consent_text_version: 'wisepops:991' }

beforeEach(() => {
  document.body.innerHTML = ''
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

describe('formTraits: the SMS consent of a Wisepops form', () => {
  it.each<[string, Box]>([
    ['named for SMS', { name: 'sms_consent', checked: true }],
    ['its id names SMS', { name: 'consent-2', id: 'wisepops-sms-optin', checked: true }],
    ['labelled with text messages', { name: 'consent', label: 'I agree to receive recurring automated marketing text messages at this number.', checked: true }],
    ['labelled in French, SMS', { name: 'optin', label: 'Je souhaite recevoir les offres par SMS', checked: true }],
    ['an aria-label about texting', { name: 'c1', aria: 'Texting consent', checked: true }],
  ])('a phone and a ticked box %s: the consent, its time and the popup as version', (_, box) => {
    expect(formTraits(submitted({ email: 'jane@example.com', ...phone }, [box]), '991')).toEqual({ email: 'jane@example.com', phone: '+33612345678', ...consent })
  })

  it.each<[string, Record<string, string>, Box[]]>([
    ['the SMS box unticked', phone, [{ name: 'sms_consent', checked: false }]],
    ['no box at all', phone, []],
    ['a ticked box that is not about SMS (newsletter, terms)', phone, [{ name: 'consent', label: 'Send me the newsletter by email', checked: true }, { name: 'terms', label: 'I accept the terms and the context of this offer', checked: true }]],
    ['a ticked SMS box but no phone', { email: 'jane@example.com' }, [{ name: 'sms_consent', checked: true }]],
  ])('%s: no sms_* trait at all', (_, fields, boxes) => {
    const t = formTraits(submitted(fields, boxes), '991')
    expect(Object.keys(t).filter((k) => k.startsWith('sms'))).toEqual([])
  })

  it('a popup without an id still gets a version', () => {
    expect(formTraits(submitted(phone, [{ name: 'sms', checked: true }]))).toMatchObject({ sms_consent_text_version: 'wisepops:popup' })
  })

  it('a target that is no element gives the email and phone and never throws', () => {
    const els = { email: { value: 'a@b.co' }, 'phone-number': { value: '+15555550100' } }
    expect(formTraits({ target: { elements: els } }, '1')).toEqual({ email: 'a@b.co', phone: '+15555550100' })
  })
})

describe("after-form-submit reaches identify with the consent and Wisepops' popup id", () => {
  const w = window as unknown as { wisepops?: unknown }
  let listeners: Record<string, (e: unknown) => void>
  beforeEach(() => {
    listeners = {}
    w.wisepops = (...a: unknown[]) => void (a[0] === 'listen' && (listeners[a[1] as string] = a[2] as (e: unknown) => void))
  })
  afterEach(() => delete w.wisepops)

  it('connectWisepops hands the submit the popup id and the traits it read with it', () => {
    const submit = vi.fn()
    connectWisepops(window, { display() {}, submit, click() {}, close() {} })
    listeners['after-form-submit']!(submitted(phone, [{ name: 'sms_consent', checked: true }]))
    expect(submit).toHaveBeenCalledWith('991', { phone: '+33612345678', ...consent })
  })

  it('through startOffers: the identify carries phone and consent; offer_submitted carries neither', async () => {
    const track = vi.fn()
    const identify = vi.fn()
    startOffers({
      w: window, input: { wisepops: true, offers: [{ id: 'texts', kind: 'popup', renderer: 'wisepops', content: { title: 'Texts' } }] },
      history: createHistory(undefined), ls: undefined, now: Date.now, overlay: false,
      ids: () => ({ anonymousId: 'anon-1' }), session: () => ({ id: 's', returning: false }), track, identify,
    })
    await vi.waitFor(() => expect(listeners['before-popup-display']).toBeDefined())
    vi.setSystemTime(NOW) // vi.waitFor moves faked time on
    listeners['before-popup-display']!({ detail: { popup: { id: 991 } } })
    listeners['after-form-submit']!(submitted({ email: 'jane@example.com', ...phone }, [{ name: 'sms_consent', checked: true }]))
    expect(identify).toHaveBeenCalledWith({ email: 'jane@example.com', phone: '+33612345678', ...consent })
    const submittedEvent = track.mock.calls.find((c) => c[0] === 'offer_submitted')!
    expect(JSON.stringify(submittedEvent)).not.toMatch(/sms_consent|612345678/)
  })
})
