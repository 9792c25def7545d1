// Small HTTP helpers of the demo server: bodies the way Shopify accepts them (JSON, urlencoded and
// multipart forms with bracket names such as `items[0][id]` or `properties[Gift note]`), cookies, and
// HTML escaping. Everything a browser sends is hostile until parsed here.
import type { IncomingMessage, ServerResponse } from 'node:http'

/** The store's own routes (cart, forms) take small bodies; the collector has Customer.io's limits. */
export const MAX_STORE_BODY = 64 * 1024

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype'])

/** `a[b][0]=x` pairs into nested objects (`[]` appends), as Rails-style servers such as Shopify read forms. */
export const nest = (pairs: Iterable<[string, string]>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [name, value] of pairs) {
    const m = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(name)
    const path = m ? [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!)] : [name]
    if (path.some((k) => UNSAFE.has(k))) continue
    let node: Record<string, unknown> | unknown[] = out
    path.forEach((k, i) => {
      const last = i === path.length - 1
      const next = path[i + 1]
      const fresh = () => (next === '' ? [] : {})
      if (Array.isArray(node)) {
        if (last) node.push(value)
        else node.push((node = fresh() as never))
        return
      }
      const obj: Record<string, unknown> = node
      if (last) obj[k] = value
      else {
        const have = obj[k]
        node = (have && typeof have === 'object' ? have : (obj[k] = fresh())) as Record<string, unknown> | unknown[]
      }
    })
  }
  return out
}

/** The request's parameters: its query, overlaid by its JSON or form body `raw` (read already). Undefined: unreadable. */
export const params = async (req: IncomingMessage, url: URL, raw: Buffer | undefined): Promise<Record<string, unknown> | undefined> => {
  const query = nest(url.searchParams)
  if (req.method !== 'POST' || !raw) return query
  // as sent: a multipart boundary is case-sensitive
  const given = String(req.headers['content-type'] ?? '')
  const type = given.toLowerCase()
  try {
    if (type.includes('json') || (!type && /^\s*\{/.test(raw.toString('utf8')))) {
      const body: unknown = JSON.parse(raw.toString('utf8') || '{}')
      return body && typeof body === 'object' && !Array.isArray(body) ? { ...query, ...(body as Record<string, unknown>) } : undefined
    }
    // undici's Response parses urlencoded and multipart bodies exactly as a browser builds them.
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': given || 'application/x-www-form-urlencoded' } }).formData()
    const pairs: [string, string][] = []
    form.forEach((v, k) => typeof v === 'string' && pairs.push([k, v]))
    return { ...query, ...nest(pairs) }
  } catch {
    return undefined
  }
}

export const parseCookies = (header: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const part of (header ?? '').split(/;\s*/)) {
    const i = part.indexOf('=')
    if (i < 1) continue
    const k = part.slice(0, i).trim()
    if (UNSAFE.has(k) || k in out) continue
    try {
      out[k] = decodeURIComponent(part.slice(i + 1))
    } catch {
      out[k] = part.slice(i + 1)
    }
  }
  return out
}

/** A cookie the page's scripts may read and clear too (the QA panel and its reset do). */
export const cookie = (name: string, value: string, maxAge = 30 * 86400): string =>
  `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${value ? maxAge : 0}; SameSite=Lax`

const ENT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ENT[c]!)

/**
 * JSON for a single-quoted attribute: `&`, `<`, `>` and `'` escaped, so no value (a hostile email, a
 * product title) can end the attribute or open a tag, while the JSON's own quotes stay readable.
 */
export const jsonAttr = (v: unknown): string => JSON.stringify(v).replace(/[&<>']/g, (c) => ENT[c]!)

// Branded with a symbol, so no parsed JSON or request value can pass for markup.
const HTML = Symbol('html')
export interface Html {
  readonly [HTML]: true
  readonly s: string
  toString(): string
}
export const raw = (s: string): Html => ({ [HTML]: true, s, toString: () => s })
export const isHtml = (v: unknown): v is Html => typeof v === 'object' && v !== null && HTML in v

/** Markup whose interpolations are escaped, unless they are `Html` themselves (or arrays of it). */
export const html = (strings: TemplateStringsArray, ...values: unknown[]): Html =>
  raw(strings.reduce((out, s, i) => out + s + (i < values.length ? part(values[i]) : ''), ''))
const part = (v: unknown): string => (isHtml(v) ? v.s : Array.isArray(v) ? v.map(part).join('') : esc(v))

/**
 * Fills a template of demo/templates: `{{name}}` is escaped, `{{{name}}}` inserts markup (only `Html`
 * values; anything else is escaped all the same). A name the caller did not pass is a bug: it throws.
 */
export const fill = (template: string, vars: Record<string, unknown>): string =>
  template.replace(/\{\{(\{?)(\w+)\}?\}\}/g, (_, triple: string, k: string) => {
    if (!Object.hasOwn(vars, k)) throw new Error(`template variable "${k}" was not given`)
    return triple ? part(vars[k]) : esc(vars[k])
  })

/** A same-site path to go to after a reset or login; anything else (`//evil`, `https://...`) is home. */
export const localPath = (p: string | null | undefined): string => (p && /^\/(?![/\\])[^\s]*$/.test(p) ? p : '/')

const BASE = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' }

export const sendText = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', headers: Record<string, string | string[]> = {}) => {
  if (res.headersSent) return
  res.writeHead(status, { ...BASE, 'Content-Type': type, ...headers })
  res.end(body)
}
export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}) =>
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers)
export const redirect = (res: ServerResponse, to: string, headers: Record<string, string | string[]> = {}) => {
  if (res.headersSent) return
  res.writeHead(303, { ...BASE, Location: to, ...headers })
  res.end()
}
