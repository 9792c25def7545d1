import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { audiencesRequest, audiencesUrl, loadAudiences, tokenRequest } from '../../../src/audiences/audiences.ts'
import { captureErrors, MemStorage } from '../fakes.ts'

let log: ReturnType<typeof captureErrors>
beforeEach(() => {
  log = captureErrors()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const answer = (body: unknown, status = 200) => vi.fn(async () => new Response(JSON.stringify(body), { status }))

describe('audiencesUrl', () => {
  it('fills in the ids, URL-encoded, and leaves an unknown userId empty', () => {
    expect(audiencesUrl('/a?aid={anonymousId}&uid={userId}', { anonymousId: 'a b', userId: 'x&y' })).toBe('/a?aid=a%20b&uid=x%26y')
    expect(audiencesUrl('/a?aid={anonymousId}&uid={userId}', { anonymousId: 'a' })).toBe('/a?aid=a&uid=')
  })
})

describe('an email as userId (identifyBy: "email") never goes in the URL or the cache', () => {
  it('audiencesRequest leaves {userId} empty and carries the email in a POST body', () => {
    expect(audiencesRequest('/a?aid={anonymousId}&uid={userId}', { anonymousId: 'a1', userId: 'cust-9' })).toEqual(['/a?aid=a1&uid=cust-9'])
    expect(audiencesRequest('/a?aid={anonymousId}&uid={userId}', { anonymousId: 'a1', userId: 'jane@example.com' })).toEqual([
      '/a?aid=a1&uid=',
      '{"anonymousId":"a1","userId":"jane@example.com"}',
    ])
  })

  it('loadAudiences POSTs it as text/plain and caches under a fingerprint', async () => {
    const ls = new MemStorage()
    const fetch = answer({ flags: { vip: true } })
    const src = { fetch, ls, now: () => 1000 }
    const [url, body] = audiencesRequest('https://x/a?aid={anonymousId}&uid={userId}', { anonymousId: 'a1', userId: 'jane@example.com' })
    expect((await loadAudiences(src, url, 60000, 500, body))?.flags).toEqual({ vip: true })
    const [calledUrl, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(calledUrl).not.toContain('jane')
    expect(init).toMatchObject({ method: 'POST', body, headers: { 'Content-Type': 'text/plain' } })
    expect(JSON.stringify(ls.dump())).not.toMatch(/jane|example\.com/)
    // the same person within the TTL: from the cache; another person: asked again
    await loadAudiences(src, url, 60000, 500, body)
    expect(fetch).toHaveBeenCalledTimes(1)
    await loadAudiences(src, url, 60000, 500, body!.replace('jane', 'joan'))
    expect(fetch).toHaveBeenCalledTimes(2)
  })
})

describe('a visitor token (audiencesToken) for the audience service', () => {
  it('goes in a POST body, never the URL; the cache keys on the person it names, so a fresh token per page costs no fetch', async () => {
    const ls = new MemStorage()
    const fetch = answer({ flags: { vip: true }, syncedAt: null })
    const src = { fetch, ls, now: () => 1000 }
    const sig = (c: string) => c.repeat(64)
    const [url, body, person] = tokenRequest('https://aud.example/audiences', `cust.9.1900000000.${sig('a')}`)
    expect([url, body, person]).toEqual(['https://aud.example/audiences', JSON.stringify({ token: `cust.9.1900000000.${sig('a')}` }), 'cust.9'])
    expect((await loadAudiences(src, url, 60000, 500, body, person))?.flags).toEqual({ vip: true })
    expect(fetch.mock.calls[0]).toEqual([url, expect.objectContaining({ method: 'POST', body })])
    expect(JSON.stringify(ls.dump())).not.toContain(sig('a'))
    // the next page's token (a new expiry and signature) for the same person: cached
    const next = tokenRequest(url, `cust.9.1900000100.${sig('b')}`)
    await loadAudiences(src, next[0], 60000, 500, next[1], next[2])
    expect(fetch).toHaveBeenCalledTimes(1)
    const other = tokenRequest(url, `cust.10.1900000100.${sig('c')}`)
    await loadAudiences(src, other[0], 60000, 500, other[1], other[2])
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(log.messages()).toEqual([])
  })
})

describe('loadAudiences', () => {
  it('fetches, checks and caches the flags; a second call within the TTL does not fetch', async () => {
    const ls = new MemStorage()
    const fetch = answer({ flags: { vip: true, bad: 'yes' }, syncedAt: '2026-11-22T10:00:00Z' })
    const src = { fetch, ls, now: () => 1000 }
    expect(await loadAudiences(src, 'https://x/a', 60000, 500)).toEqual({ flags: { vip: true }, syncedAt: Date.parse('2026-11-22T10:00:00Z') })
    expect(log.messages()).toHaveLength(1)
    expect(await loadAudiences(src, 'https://x/a', 60000, 500)).toEqual({ flags: { vip: true }, syncedAt: Date.parse('2026-11-22T10:00:00Z') })
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it.each([
    ['over 64 KB', { flags: { vip: true }, pad: 'x'.repeat(70_000) }, 'answer over 64 KB'],
    ['over 1000 flags', { flags: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => ['f' + i, 'yes'])) }, 'more than 1000 flags'],
    // a 200 that is not an answer: cached, it would read as "no flags" for the whole TTL
    ['null', null, 'answer has no "flags" object'],
    ['an error object', { error: 'segment service down' }, 'answer has no "flags" object'],
    ['flags as a list', { flags: ['vip'] }, 'answer has no "flags" object'],
  ])('an answer %s is refused with one error and not cached', async (_label, body, why) => {
    const ls = new MemStorage()
    expect(await loadAudiences({ fetch: answer(body), ls, now: () => 1 }, 'https://x/a', 60000, 500)).toBeUndefined()
    expect(log.messages()).toEqual([`[onsite] audiencesUrl failed (${why}); deciding with the page's flags`])
    expect(ls.length).toBe(0)
  })

  it('fetches again after the TTL or for another URL (another visitor)', async () => {
    const ls = new MemStorage()
    let t = 0
    const fetch = answer({ flags: { vip: true } })
    const src = { fetch, ls, now: () => t }
    await loadAudiences(src, 'https://x/a?aid=1', 1000, 500)
    await loadAudiences(src, 'https://x/a?aid=2', 1000, 500)
    t = 1000
    await loadAudiences(src, 'https://x/a?aid=2', 1000, 500)
    expect(fetch).toHaveBeenCalledTimes(3)
  })

  it('does not wait longer than waitMs; a late answer is cached for the next page', async () => {
    vi.useFakeTimers()
    const ls = new MemStorage()
    let reply!: (r: Response) => void
    const fetch = vi.fn(() => new Promise<Response>((r) => (reply = r)))
    const got = loadAudiences({ fetch, ls, now: () => 0 }, 'https://x/a', 60000, 300)
    await vi.advanceTimersByTimeAsync(300)
    expect(await got).toBeUndefined()
    reply(new Response(JSON.stringify({ flags: { late: true } })))
    await vi.advanceTimersByTimeAsync(0)
    expect(JSON.parse(ls.getItem('onsite:audiences')!).audiences).toEqual({ flags: { late: true } })
  })

  it('an HTTP error or a network error is one [onsite] error and no flags', async () => {
    expect(await loadAudiences({ fetch: answer({}, 500), ls: undefined, now: () => 0 }, 'https://x/a', 1, 500)).toBeUndefined()
    const down = vi.fn(async () => Promise.reject(new TypeError('Failed to fetch')))
    expect(await loadAudiences({ fetch: down, ls: undefined, now: () => 0 }, 'https://x/a', 1, 500)).toBeUndefined()
    expect(log.messages()).toEqual([
      "[onsite] audiencesUrl failed (HTTP 500); deciding with the page's flags",
      "[onsite] audiencesUrl failed (Failed to fetch); deciding with the page's flags",
    ])
  })
})
