// An offer's code fetched from content.codeUrl once its form is submitted: a code in the config is in
// every page's source, readable by anyone; one from the store's server reaches only the shoppers who
// submitted (and can be one per email).
// - POST, so the email is in the body and never in a URL (URLs end up in server and proxy logs). The body
//   is a string, so fetch sends it as text/plain: a CORS-simple request, no preflight to answer.
// - The answer is `{"code": "..."}`: at most 4 KB, a code of 1 to 64 characters. The caller shows it as text.
// - Nothing is stored: the next submit (another page, another visit) asks again.
// - Never rejects: a failure is one `[onsite]` error and `undefined`, and the offer shows its fallback.
import { text } from '../util/check.ts'
import { error } from '../util/log.ts'

export interface CodeRequest {
  offerId: string
  variant: string
  anonymousId: string
  email?: string | undefined
}

/** The code `url` answers for `body`, or undefined (with one error) on any failure or after 8 s. */
export const fetchCode = async (fetch: typeof globalThis.fetch, url: string, body: CodeRequest): Promise<string | undefined> => {
  // (in every browser onsite supports; aborting also stops an answer that trickles in, and is a no-op
  // once it is read, so the timer is left to run out)
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 8000)
  try {
    // A path is the page's own origin (fetch resolves it as the page's links are). credentials: fetch's
    // default, same-origin: the store's cookies go to a /path, to no other host.
    const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: ac.signal })
    if (!res.ok) throw 'HTTP ' + res.status
    const answer = await res.text()
    const code = answer.length > 4096 ? 0 : JSON.parse(answer)?.code
    if (!text(code) || code.length > 64) throw 'the answer is not {"code": "<1 to 64 characters>"} within 4 KB'
    return code
  } catch (e) {
    error(`offer "${body.offerId}" content.codeUrl failed: ${ac.signal.aborted ? 'no answer in 8 s' : e}`)
  }
}
