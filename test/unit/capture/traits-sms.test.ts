// cleanTraits and an SMS consent: consent given for a phone that cannot be read goes with it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanTraits } from '../../../src/capture/traits.ts'
import { captureWarnings } from '../fakes.ts'

const consent = { sms_consent: true, sms_consent_at: '2026-12-04T12:30:00.000Z', sms_consent_text_version: 'wisepops:991' }

afterEach(() => vi.restoreAllMocks())

describe('cleanTraits with an SMS consent', () => {
  it('keeps the consent with a phone it can make E.164', () => {
    expect(cleanTraits({ email: 'jane@example.com', phone: '+33 6 12 34 56 78', ...consent }, 'US')).toEqual({ email: 'jane@example.com', phone: '+33612345678', ...consent })
  })

  it('leaves the consent out with a phone it leaves out, and says so; the rest stays', () => {
    const warnings = captureWarnings()
    expect(cleanTraits({ email: 'jane@example.com', phone: '4155', email_consent: true, ...consent }, 'US')).toEqual({ email: 'jane@example.com', email_consent: true })
    expect(warnings.messages()).toEqual([
      expect.stringMatching(/^\[onsite\] identify: traits.phone "4155" is not a phone number/),
      '[onsite] identify: traits.sms_consent is left out with the phone it was given for',
    ])
  })

  it('a bad phone without a consent warns once, as before', () => {
    const warnings = captureWarnings()
    expect(cleanTraits({ phone: 'call me' }, 'US')).toEqual({})
    expect(warnings.messages()).toHaveLength(1)
  })

  it('a consent without any phone is the caller\'s (a person Customer.io already has a number for): kept', () => {
    expect(cleanTraits({ email: 'jane@example.com', ...consent }, 'US')).toEqual({ email: 'jane@example.com', ...consent })
  })
})
