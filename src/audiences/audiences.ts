// Audience flags fetched from `audiencesUrl`: onsite's audience service (src/audiences-server) with the
// visitor token the store minted (`audiencesToken`), or any store endpoint with the visitor's ids filled in. Cached in localStorage for `ttlMs`; never blocks the page: the caller
// waits at most `waitMs`, and an answer that comes later is cached for the next page.
import { isObj } from '../util/check.ts'
import { fingerprint } from '../util/hash.ts'
import { error } from '../util/log.ts'
import { parseAudiences, type Audiences } from '../offers/offers.ts'
import { loadJSON, saveJSON } from '../util/json.ts'

const KEY = 'onsite:audiences'

export interface AudienceSource {
  fetch: typeof fetch
  ls: Storage | undefined
  now: () => number
}

/** The template with `{anonymousId}` and `{userId}` filled in (URL-encoded; '' when unknown). */
export const audiencesUrl = (template: string, ids: { anonymousId: string; userId?: string | undefined }): string =>
  template.replace(/\{(anonymousId|userId)\}/g, (_, k: 'anonymousId' | 'userId') => encodeURIComponent(ids[k] ?? ''))

/**
 * The URL to ask and, when the userId is an email (`identifyBy: "email"`), the POST body that carries it
 * instead: an email in a URL reaches access logs, proxies and Referer headers, and `{userId}` is left empty.
 */
export const audiencesRequest = (template: string, ids: { anonymousId: string; userId?: string | undefined }): [url: string, body?: string] => {
  const email = ids.userId?.includes('@') ? ids.userId : undefined
  if (!email) return [audiencesUrl(template, ids)]
  return [audiencesUrl(template, { anonymousId: ids.anonymousId }), JSON.stringify({ anonymousId: ids.anonymousId, userId: email })]
}

/**
 * The request for a visitor token (`config.audiencesToken`, minted by the store for the signed-in customer;
 * see the audience service in src/audiences-server): POSTed, never in the URL. The cache keys on the token's
 * person (`<id>.<expiry>.<signature>`: what is before the last two dots), not the whole token, which a theme
 * mints afresh on every page: one fetch per person and TTL.
 */
export const tokenRequest = (url: string, token: string): [url: string, body: string, person: string] =>
  [url, JSON.stringify({ token }), token.split('.').slice(0, -2).join('.') || token]

/**
 * `body`: sent as a POST (text/plain, so no CORS preflight); the cache then keys on a fingerprint of it,
 * never on the email itself.
 */
export const loadAudiences = (s: AudienceSource, url: string, ttlMs: number, waitMs: number, body?: string, person = body): Promise<Audiences | undefined> => {
  const key = person ? url + '#' + fingerprint(person) : url
  const c = loadJSON<{ url: string; at: number; audiences: Audiences }>(s.ls, KEY)
  if (c?.url === key && s.now() - c.at < ttlMs) return Promise.resolve(c.audiences)
  const init: RequestInit = body ? { method: 'POST', body, headers: { Accept: 'application/json', 'Content-Type': 'text/plain' } } : { headers: { Accept: 'application/json' } }
  const got = s
    .fetch(url, init)
    .then(async (res) => {
      if (!res.ok) throw new Error('HTTP ' + res.status)
      // An endpoint gone wrong must not fill localStorage (the store's own writes would then fail) or the
      // console with one error per bad flag.
      const body = await res.text()
      if (body.length > 65536) throw new Error('answer over 64 KB')
      const json = JSON.parse(body)
      // `null` or `{"error": ...}` with a 200 would otherwise be cached as "no flags" for the whole TTL
      if (!isObj(json?.flags)) throw new Error('answer has no "flags" object')
      if (Object.keys(json.flags).length > 1000) throw new Error('more than 1000 flags')
      const audiences = parseAudiences(json)
      saveJSON(s.ls, KEY, { url: key, at: s.now(), audiences })
      return audiences
    })
    .catch((e) => void error(`audiencesUrl failed (${(e as Error)?.message ?? e}); deciding with the page's flags`))
  return Promise.race([got, new Promise<undefined>((r) => setTimeout(r, waitMs))]) as Promise<Audiences | undefined>
}
