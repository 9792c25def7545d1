// Requests and answers of the handler. The handler reads only a request's method, URL, headers and body
// (an `Incoming`, which a Fetch Request is), and builds plain answers that become a Fetch Response at
// the edge of the service, so the node:http adapter can skip both Fetch objects: constructing them costs
// more than the rest of a cached lookup. Every request is hostile until read here: bodies are read with
// a byte limit (413 past it), and answers are JSON without stack traces.

export interface Incoming {
  readonly method: string
  readonly url: string
  readonly headers: { get(name: string): string | null }
  readonly body: ReadableStream<Uint8Array> | null
}

export interface Answer {
  status: number
  headers: Record<string, string>
  /** JSON text, or null for no body */
  body: string | null
}

export const JSON_TYPE = 'application/json; charset=utf-8'

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': JSON_TYPE, 'x-content-type-options': 'nosniff', ...headers },
  body: JSON.stringify(body),
})

export const fail = (status: number, error: string, headers: Record<string, string> = {}): Answer => json(status, { error }, headers)

export const toResponse = (a: Answer): Response => new Response(a.body, { status: a.status, headers: a.headers })

/** The body as text, or null when it is over `max` bytes (reading stops there). */
export const readText = async (req: Incoming, max: number): Promise<string | null> => {
  if (Number(req.headers.get('content-length')) > max) return null
  if (!req.body) return ''
  const reader = req.body.getReader()
  const parts: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      return null
    }
    parts.push(value)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const p of parts) all.set(p, at), (at += p.byteLength)
  return new TextDecoder().decode(all)
}

/** JSON.parse, or undefined for text that is not JSON. */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
