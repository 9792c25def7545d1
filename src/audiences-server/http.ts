// Answers and bodies for the Fetch handler. Every request is hostile until read here: bodies are read
// with a byte limit (413 past it), and answers are JSON without stack traces.

export const JSON_TYPE = 'application/json; charset=utf-8'

// The text of each answer built here, so the node:http adapter can write it without reading the
// Response's body stream back (that read costs more than the rest of a cached lookup).
const texts = new WeakMap<Response, string>()

/** The body of a Response made by json() or fail(), or undefined for any other. */
export const bodyText = (r: Response): string | undefined => texts.get(r)

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response => {
  const text = JSON.stringify(body)
  const r = new Response(text, { status, headers: { 'content-type': JSON_TYPE, 'x-content-type-options': 'nosniff', ...headers } })
  texts.set(r, text)
  return r
}

export const fail = (status: number, error: string, headers: Record<string, string> = {}): Response => json(status, { error }, headers)

/** The body as text, or null when it is over `max` bytes (reading stops there). */
export const readText = async (req: Request, max: number): Promise<string | null> => {
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
