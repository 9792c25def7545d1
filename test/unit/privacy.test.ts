// What leaves the browser, end to end through createOnsite(): no secret from the URL, no email or phone in
// an event name or a property key. The rules themselves are tested in capture/redact and capture/traits.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bundled, createOnsite } from '../../src/index.ts'
import { captureErrors, captureWarnings, stubPage, unstubPage } from './fakes.ts'

let bodies: any[]
let log: ReturnType<typeof captureErrors>
let warns: ReturnType<typeof captureWarnings>
const fetchOk = vi.fn<typeof fetch>()
const sent = () => bodies.flatMap((b) => b.batch as Record<string, any>[])
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeEach(() => {
  bodies = []
  stubPage(fetchOk, (_url, _init, body) => bodies.push(body))
  log = captureErrors()
  warns = captureWarnings()
})
afterEach(() => {
  history.replaceState(null, '', '/')
  unstubPage()
})

describe('no secret from the URL on the wire', () => {
  it('a password-reset page with a token, an OAuth fragment and a brand parameter', async () => {
    history.replaceState(null, '', '/account/reset/61046/5a1f9cq?key=keysecret1&utm_source=mail&promo=promosecret#access_token=ya29tok')
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_url', redactParams: ['promo'] })
    api.page()
    api.track('Clicked', {})
    await api.flush()
    const calls = sent()
    expect(calls).toHaveLength(2)
    const wire = JSON.stringify(calls)
    for (const secret of ['61046', '5a1f9cq', 'keysecret1', 'ya29tok', 'promosecret']) expect(wire).not.toContain(secret)
    expect(calls[0]!.properties).toMatchObject({ path: '/account/reset/[redacted]', search: '?key=[redacted]&utm_source=mail&promo=[redacted]' })
    expect(calls[1]!.context.page.url).toMatch(/\/account\/reset\/\[redacted\]\?key=\[redacted\]&utm_source=mail&promo=\[redacted\]#access_token=\[redacted\]$/)
  })
})

describe('no email or phone in an event name or a property key', () => {
  it('an event named with an email is refused whole, without echoing it', async () => {
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_name' })
    api.track('Signup jane@example.com', {})
    api.track('Called +1 415 555 0123', {})
    await api.flush()
    await pause(20)
    expect(sent()).toEqual([])
    expect(log.messages()).toHaveLength(2)
    for (const m of log.messages()) {
      expect(m).toMatch(/^\[onsite\] track refused: the event name holds an email address or phone number/)
      expect(m).not.toMatch(/jane|415/)
    }
  })

  it('a property key holding an email is removed, and the warning does not print it', async () => {
    const api = createOnsite([], bundled)
    api.init({ writeKey: 'wk_key' })
    api.track('Quiz Finished', { 'jane@example.com': true, nested: { '+14155550123': 1, ok: 2 }, score: 3 })
    await api.flush()
    const [call] = sent()
    expect(call!.properties).toEqual({ nested: { ok: 2 }, score: 3 })
    expect(warns.messages().join()).not.toMatch(/jane|4155550123/)
    expect(warns.messages()).toHaveLength(1)
  })
})
