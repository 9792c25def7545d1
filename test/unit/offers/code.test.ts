// fetchCode: the request a store's codeUrl receives, and every answer it refuses with one error.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fetchCode, type CodeRequest } from '../../../src/offers/code.ts'
import { captureErrors } from '../fakes.ts'

const BODY: CodeRequest = { offerId: 'welcome', variant: 'b', anonymousId: 'anon-1', email: 'jane@example.com' }
const answer = (body: string, status = 200) => vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => new Response(body, { status }))

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  log = captureErrors()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('fetchCode: the request', () => {
  it('POSTs the ids and the email as a JSON string body (text/plain: no CORS preflight), never in the URL', async () => {
    const f = answer('{"code":"WELCOME-7F3K"}')
    expect(await fetchCode(f, '/apps/onsite/code', BODY)).toBe('WELCOME-7F3K')
    expect(f).toHaveBeenCalledTimes(1)
    const [url, init] = f.mock.calls[0]!
    expect(url).toBe('/apps/onsite/code')
    expect(init!.method).toBe('POST')
    expect(JSON.parse(init!.body as string)).toEqual({ offerId: 'welcome', variant: 'b', anonymousId: 'anon-1', email: 'jane@example.com' })
    // a string body with no Content-Type of ours: fetch sends text/plain;charset=UTF-8, a CORS-simple request
    expect(init!.headers).toBeUndefined()
    expect(new Request('https://shop.example/x', init).headers.get('content-type')).toMatch(/^text\/plain/)
    // fetch's default: the store's cookies go to its own path, to no other host
    expect(init!.credentials ?? 'same-origin').toBe('same-origin')
    expect(init!.signal).toBeInstanceOf(AbortSignal)
    expect(log.messages()).toEqual([])
  })

  it('leaves out an email it does not have', async () => {
    const f = answer('{"code":"X"}')
    await fetchCode(f, 'https://codes.example/c', { offerId: 'o', variant: 'a', anonymousId: 'a', email: undefined })
    expect(JSON.parse(f.mock.calls[0]![1]!.body as string)).toEqual({ offerId: 'o', variant: 'a', anonymousId: 'a' })
  })
})

describe('fetchCode: refused answers give undefined and one error naming codeUrl and why', () => {
  it.each([
    ['an HTTP error', answer('{"code":"X"}', 500), 'HTTP 500'],
    ['an answer over 4 KB', answer(JSON.stringify({ code: 'X', pad: 'x'.repeat(4096) })), 'within 4 KB'],
    ['no code', answer('{"error":"sold out"}'), 'the answer is not {"code"'],
    ['an empty code', answer('{"code":"  "}'), 'the answer is not {"code"'],
    ['a code over 64 characters', answer(JSON.stringify({ code: 'C'.repeat(65) })), 'the answer is not {"code"'],
    ['a code that is not a string', answer('{"code":12345}'), 'the answer is not {"code"'],
    ['null', answer('null'), 'the answer is not {"code"'],
    ['not JSON', answer('<html>Bad gateway</html>'), 'SyntaxError'],
    ['a network error', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))), 'TypeError: Failed to fetch'],
  ])('%s', async (_, f, why) => {
    expect(await fetchCode(f as typeof fetch, '/apps/onsite/code', BODY)).toBeUndefined()
    expect(log.messages()).toHaveLength(1)
    expect(log.messages()[0]).toMatch(/^\[onsite\] offer "welcome" content\.codeUrl failed: /)
    expect(log.messages()[0]).toContain(why)
    // the error names the offer, never the shopper
    expect(log.messages()[0]).not.toContain('jane@')
  })

  it('a code of exactly 64 characters is taken', async () => {
    expect(await fetchCode(answer(JSON.stringify({ code: 'C'.repeat(64) })), '/c', BODY)).toBe('C'.repeat(64))
  })

  it('gives up after 8 s: the request is aborted and the error says it timed out', async () => {
    vi.useFakeTimers()
    let signal: AbortSignal | undefined
    const f = vi.fn((_url: RequestInfo | URL, init?: RequestInit) => {
      signal = init!.signal!
      return new Promise<Response>((_, no) => signal!.addEventListener('abort', () => no(new DOMException('aborted', 'AbortError'))))
    })
    const got = fetchCode(f, '/c', BODY)
    await vi.advanceTimersByTimeAsync(7999)
    expect(signal!.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await got).toBeUndefined()
    expect(signal!.aborted).toBe(true)
    expect(log.messages()).toEqual(['[onsite] offer "welcome" content.codeUrl failed: no answer in 8 s'])
  })
})
