// The demo: one port serves a small Shopify-like store (server-rendered pages, the Ajax cart API, a
// checkout whose pixel reports the order), the QA panel's files, the built bundles, and the collector
// under /v1, so `npm run demo` needs nothing else running. Pages find the collector through the Host
// header they were requested with.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { bucket } from '../src/offers/decide.ts'
import { findProduct, productSvg } from './catalog.ts'
import { cartAction, cartJson, newCart, update, type Cart } from './cart.ts'
import { checkoutData, createOrders, newCheckoutToken, pixelSandbox } from './checkout.ts'
import { closeServer, createCollector } from './collector.ts'
import type { CollectorHandler } from './collector.ts'
import { createBodyGate, deadlines, hostCheck, hostList, refuse } from './guard.ts'
import { MAX_STORE_BODY, cookie, localPath, params, parseCookies, redirect, sendJson, sendText } from './http.ts'
import { createPages, sectionCtx, type Ctx } from './pages.ts'
import { MAX_SECTIONS, renderSection, renderSections, sectionIds, sectionsPath, type SectionCtx } from './sections.ts'
import { createDemoAudiences } from './audiences.ts'
import { CART_OFFER, KNOWN_FLAGS, WRITE_KEY, anonymousIdFor, customerFor, holdoutPercent, productProps, resetPlan, validEmail } from './store-config.ts'

export interface DemoOptions {
  port?: number
  host?: string
  quiet?: boolean
  /** Repo root holding demo/ and dist/; default ONSITE_ROOT, else the parent of this file's directory. */
  root?: string
  dataFile?: string
  /** Host names served besides localhost, 127.0.0.1 and [::1] ("name" any port, "name:port"); default ONSITE_ALLOWED_HOSTS. */
  allowedHosts?: readonly string[]
  /** Request bodies read at once before a 503 (default 32). */
  maxBodies?: number
  /** Headers, and a body, must arrive within this (default 10 s): else 408 and the socket closes. */
  timeoutMs?: number
}
export interface Demo {
  /** e.g. http://localhost:8080/ */
  url: string
  port: number
  /** Request bodies being read now. */
  reading(): number
  collector: CollectorHandler & { url: string }
  close(): Promise<void>
}

// Only these are served: the demo folder also holds this server's source, which a page has no use for.
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
}

// Both demo/server.ts (tests) and dist/demo-server.mjs (npm run demo) sit one level below the root.
const defaultRoot = () => process.env.ONSITE_ROOT || dirname(dirname(fileURLToPath(import.meta.url)))

/** A file under `base`, or undefined when the URL path escapes it (`..`, encoded slashes, NUL). */
export const safeJoin = (base: string, urlPath: string): string | undefined => {
  let rel: string
  try {
    rel = decodeURIComponent(urlPath)
  } catch {
    return undefined
  }
  if (rel.includes('\0')) return undefined
  const file = resolve(base, '.' + sep + rel)
  return file.startsWith(base + sep) ? file : undefined
}

/** `?sections=` (JSON, more than five: 400) or `?section_id=` (the HTML, unknown: 404) for the page at `c.path`. */
const sectionsAnswer = (res: ServerResponse, url: URL, c: SectionCtx, setCookies: string[], cartOf: (create: boolean) => unknown) => {
  cartOf(true)
  const headers = { 'Set-Cookie': setCookies }
  const list = url.searchParams.get('sections')
  if (list !== null) {
    const ids = sectionIds(list)
    if (ids.length > MAX_SECTIONS) return sendJson(res, 400, { error: `at most ${MAX_SECTIONS} sections a request` }, headers)
    return sendJson(res, 200, renderSections(ids, c), headers)
  }
  const one = renderSection(url.searchParams.get('section_id') ?? '', c)
  return one ? sendText(res, 200, one.s, 'text/html; charset=utf-8', headers) : sendText(res, 404, 'no such section', 'text/plain; charset=utf-8', headers)
}

/** onsite-report over the collector's file, as JSON and as the command prints it; an empty store is a message. */
const liftReport = async (dataFile: string) => {
  const { runReport, formatReport } = await import('../src/report/index.ts')
  try {
    const report = await runReport([dataFile])
    return { text: formatReport(report), report }
  } catch (e) {
    return { text: `No report yet: ${(e as Error).message}. Play some visitors (npm run demo -- --simulate 5000) or click through the store.` }
  }
}

/** 421 and nothing else: the page was reached by a name this server does not serve (DNS rebinding). */
const misdirected = (res: ServerResponse, port: number) =>
  sendText(res, 421, `Misdirected request: this demo server answers http://localhost:${port}/ only. To open it by another name (a LAN name, a tunnel), start it with ONSITE_ALLOWED_HOSTS=that-name.\n`, 'text/plain; charset=utf-8', { Connection: 'close' })

export const startDemo = async (opts: DemoOptions = {}): Promise<Demo> => {
  const root = resolve(opts.root ?? defaultRoot())
  const dirs = { demo: join(root, 'demo'), dist: join(root, 'dist') }
  const timeoutMs = opts.timeoutMs ?? 10_000
  const bodies = createBodyGate({ maxConcurrent: opts.maxBodies ?? 32 })
  const dataFile = resolve(opts.dataFile ?? '.data/events.jsonl')
  const handler = createCollector({ bodies, dataFile, ...(opts.quiet ? { quiet: true } : {}) })
  const pages = createPages(join(dirs.demo, 'templates'))
  const carts = new Map<string, Cart>()
  const orders = createOrders()
  const audiences = createDemoAudiences()
  let port = 0

  /** This server as the browser reaches it; a Host header that is not a plain host:port is not echoed. */
  const originOf = (req: IncomingMessage) => {
    const host = req.headers.host ?? ''
    return `http://${/^[\w.-]+(:\d+)?$|^\[[\d:a-fA-F]+\](:\d+)?$/.test(host) ? host : `localhost:${port}`}`
  }

  const file = async (res: ServerResponse, path: string | undefined) => {
    const type = path && TYPES[extname(path)]
    if (!path || !type) return sendText(res, 404, 'not found')
    try {
      // per request: a rebuild shows up on reload
      sendText(res, 200, await readFile(path), type)
    } catch {
      sendText(res, 404, path.startsWith(dirs.dist) ? 'not found: run `node build.mjs` first' : 'not found')
    }
  }

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET'
    if (!['GET', 'HEAD', 'POST'].includes(method)) return sendText(res, 405, 'method not allowed')
    let raw: Buffer | undefined
    if (method === 'POST') {
      const b = await bodies.read(req, MAX_STORE_BODY)
      if (!('ok' in b)) return refuse(req, res, b)
      raw = b.ok
    }
    const url = new URL(req.url ?? '/', 'http://demo')
    const path = url.pathname
    const get = method !== 'POST'
    const jar = parseCookies(req.headers.cookie)
    const origin = originOf(req)
    const setCookies: string[] = []
    const cartOf = (create: boolean): Cart | undefined => {
      let c = carts.get(jar.cart ?? '')
      if (!c && create) {
        carts.set((c = newCart()).id, c)
        setCookies.push(cookie('cart', c.id, 14 * 86400))
      }
      return c
    }
    const customer = validEmail(jar.demo_customer) ? customerFor(jar.demo_customer) : null
    // who Customer.io knows: the signed-in customer, else (a demo simplification, see audiences.ts) the anonymous id
    const person = customer?.id ?? (/^[\w-]{1,64}$/.test(jar.onsite_aid ?? '') ? jar.onsite_aid! : '')
    if (path === '/audiences' || path === '/webhooks/customerio') return audiences.answer(req, res, origin, raw)
    if (path === '/demo/segments') {
      if (method !== 'POST' || !person) return sendJson(res, method !== 'POST' ? 405 : 400, { error: 'POST {"flags": {...}} for a visitor onsite has given an id' })
      const p = await params(req, url, raw)
      const given = (p?.flags ?? {}) as Record<string, unknown>
      await audiences.say(person, Object.fromEntries(KNOWN_FLAGS.map((f) => [f, given[f] === true])))
      return sendJson(res, 200, await audiences.flags(person))
    }
    const ctx: Ctx = {
      origin,
      apiHost: origin + '/v1',
      customer,
      audiences: person ? await audiences.flags(person) : { flags: {} },
      audiencesToken: person ? await audiences.token(person) : null,
      cart: cartOf(false),
      path,
      panel: jar.demo_panel === 'closed' || jar.demo_panel === 'open' ? jar.demo_panel : '',
    }
    // Like Shopify, every store page sets the cart cookie: otherwise the page's first /cart.js read and an
    // add made at the same moment each start a cart, and the later answer's cookie wins (an empty cart).
    const page = (body: string | Promise<string>, status = 200) =>
      cartOf(true) &&
      Promise.resolve(body).then((b) => sendText(res, status, b, 'text/html; charset=utf-8', { 'Set-Cookie': setCookies }))
    const to = (where: string) => redirect(res, where, { 'Set-Cookie': setCookies })

    // The Ajax cart. Without `.js` (a plain form post, or a legacy `/cart/change?line=1&quantity=0` link)
    // Shopify answers with a redirect to the cart page, unless the request asks for JSON as Dawn's does.
    const api = /^\/cart(?:\/(add|change|update|clear))?\.(js|json)$|^\/cart\/(add|change|update|clear)$/.exec(path)
    if (api) {
      const action = api[1] ?? api[3]
      const js = !!api[2] || /json|javascript/.test(String(req.headers.accept)) || !!req.headers['x-requested-with']
      const cart = cartOf(true)!
      if (!action) return get ? sendJson(res, 200, cartJson(cart, origin), { 'Set-Cookie': setCookies }) : sendText(res, 405, 'method not allowed')
      const p = await params(req, url, raw)
      if (!p) return sendJson(res, 400, { status: 400, message: 'Bad Request', description: 'The request body could not be read' })
      const out = cartAction(cart, action, p, origin)
      // bundled section rendering: the sections asked for, rendered for the page that asked, after the change
      const ids = sectionIds(p.sections).slice(0, MAX_SECTIONS)
      if (out.status === 200 && ids.length) {
        const sections = renderSections(ids, { cart: cartJson(cart, origin), path: sectionsPath(p.sections_url, req.headers.referer, origin) })
        out.body = { ...(out.body as object), sections }
      }
      return js ? sendJson(res, out.status, out.body, { 'Set-Cookie': setCookies }) : to('/cart')
    }

    if (path.startsWith('/dist/')) return get ? file(res, safeJoin(dirs.dist, path.slice('/dist/'.length))) : sendText(res, 405, 'method not allowed')
    if (/^\/[\w-]+\.(js|css)$/.test(path)) return get ? file(res, safeJoin(dirs.demo, path.slice(1))) : sendText(res, 405, 'method not allowed')
    const img = /^\/images\/([\w-]+)\.svg$/.exec(path)
    if (img) {
      const p = findProduct(img[1]!)
      return p ? sendText(res, 200, productSvg(p), 'image/svg+xml') : sendText(res, 404, 'not found')
    }

    // The Section Rendering API, on any page: ?sections=a,b answers {a: html, b: null}, ?section_id=a the HTML
    const asked = get && !path.startsWith('/demo/') ? url.searchParams.get('sections') ?? url.searchParams.get('section_id') : null
    if (asked !== null) return sectionsAnswer(res, url, sectionCtx(ctx), setCookies, cartOf)
    if (get && path === '/') return page(pages.home(ctx))
    if (get && /^\/collections\/[\w-]+$/.test(path)) return page(pages.collection(ctx))
    const prod = /^\/products\/([\w-]+)$/.exec(path)
    if (get && prod) {
      const p = findProduct(prod[1]!)
      if (!p) return page(pages.notFound(ctx), 404)
      const v = p.variants.find((x) => String(x.id) === url.searchParams.get('variant')) ?? p.variants[0]!
      return page(pages.product(ctx, p, v, productProps(p, v, origin)))
    }
    if (path === '/cart') {
      if (get) return page(pages.cart(ctx))
      // the cart page's form without scripts: "Check out" goes on, quantities are saved
      const p = await params(req, url, raw)
      if (p && p.checkout === undefined && p.updates !== undefined) update(cartOf(true)!, p)
      return to(p?.checkout !== undefined ? '/checkout' : '/cart')
    }
    if (path === '/checkout') {
      const cart = ctx.cart
      if (!cart?.lines.length) return to('/cart')
      const token = (cart.checkoutToken ??= newCheckoutToken())
      if (get) {
        const checkout = checkoutData({ token, lines: cart.lines, email: ctx.customer?.email ?? '', discountCode: '' }, origin)
        return page(pages.checkout(ctx, cart.lines, pixelSandbox(ctx.apiHost, ctx.origin, ctx.customer, [{ name: 'checkout_started', checkout }], true)))
      }
      const p = await params(req, url, raw)
      const email = typeof p?.email === 'string' ? p.email.trim() : ''
      if (!validEmail(email)) return to('/checkout')
      const order = orders.place(cart, token, email.toLowerCase(), String(p?.discount ?? '').trim().toUpperCase(), ctx.customer)
      // Shopify starts a new, empty cart once the order is placed.
      const fresh = newCart()
      carts.delete(cart.id)
      carts.set(fresh.id, fresh)
      setCookies.push(cookie('cart', fresh.id, 14 * 86400))
      return to(`/checkout/thank-you?order=${order.id}`)
    }
    if (get && path === '/checkout/thank-you') {
      const order = orders.get(url.searchParams.get('order') ?? '')
      if (!order) return page(pages.notFound(ctx), 404)
      const checkout = checkoutData({ token: order.checkoutToken, lines: order.lines, email: order.email, discountCode: order.discountCode, order }, origin)
      return page(pages.thankYou(ctx, order, pixelSandbox(ctx.apiHost, ctx.origin, ctx.customer, [{ name: 'checkout_completed', checkout }], false)))
    }

    if (path === '/account/login') {
      if (get) return page(pages.login(ctx))
      const p = await params(req, url, raw)
      const c = p?.customer as { email?: unknown } | undefined
      const email = typeof c?.email === 'string' ? c.email.trim() : ''
      if (!validEmail(email)) return page(pages.login(ctx, email, 'Enter an email address such as jane@example.com.'), 422)
      setCookies.push(cookie('demo_customer', email.toLowerCase()))
      return to(localPath(url.searchParams.get('return_to') ?? '/account'))
    }
    if (get && path === '/account') return ctx.customer ? page(pages.account(ctx, ctx.customer)) : to('/account/login')
    if (get && path === '/account/logout') {
      setCookies.push(cookie('demo_customer', ''))
      return to('/')
    }
    if (path === '/pages/newsletter') {
      if (get) return page(pages.newsletter(ctx, url.searchParams.has('subscribed')))
      const p = await params(req, url, raw)
      const email = typeof p?.email === 'string' ? p.email.trim() : ''
      const json = /json/.test(String(req.headers.accept))
      if (!validEmail(email)) {
        const description = 'Enter a full email address, such as jane@example.com.'
        return json ? sendJson(res, 422, { status: 422, message: 'Invalid email', description }) : page(pages.newsletter(ctx, false, email, description), 422)
      }
      return json ? sendJson(res, 200, { subscribed: true }) : to('/pages/newsletter?subscribed=1')
    }

    if (get && path === '/demo/reset') {
      const plan = resetPlan(url.searchParams)
      if (plan.flags && plan.anonymousId) await audiences.say(plan.anonymousId, plan.flags)
      return page(pages.reset(plan))
    }
    // The lift report over what the collector has stored (the QA panel's "Lift report"): the command's own code
    if (get && path === '/demo/report') return sendJson(res, 200, await liftReport(dataFile))
    if (get && path === '/demo/holdout-id') {
      const offerId = url.searchParams.get('offer') || CART_OFFER
      const inHoldout = url.searchParams.get('in') !== '0'
      const anonymousId = anonymousIdFor(offerId, inHoldout)
      if (!anonymousId) return sendJson(res, 400, { error: `offer ${JSON.stringify(offerId)} has holdoutPercent ${holdoutPercent(offerId)}: no id is ${inHoldout ? 'in' : 'out of'} its holdout` })
      return sendJson(res, 200, { anonymousId, offerId, bucket: bucket(anonymousId, offerId), holdoutPercent: holdoutPercent(offerId), inHoldout })
    }
    return get ? page(pages.notFound(ctx), 404) : sendText(res, 405, 'method not allowed')
  }

  let served = (_: string | undefined) => false
  const server = createServer(deadlines(timeoutMs), (req, res) => {
    if (!served(req.headers.host)) return misdirected(res, port)
    if (!handler.handle(req, res)) serve(req, res).catch((e: Error) => sendText(res, 500, 'error: ' + e.message))
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', done)
  })
  port = (server.address() as AddressInfo).port
  served = hostCheck(port, opts.host, opts.allowedHosts ?? hostList(process.env.ONSITE_ALLOWED_HOSTS))
  const url = `http://localhost:${port}/`
  return {
    url,
    port,
    reading: bodies.reading,
    collector: { ...handler, url: `${url}v1` },
    close: () => closeServer(server, handler).finally(() => audiences.close()),
  }
}

const simulateInto = async (collectorUrl: string, visitors: number, log: (s: string) => void) => {
  const { main: simulate } = await import('./simulate.ts')
  await simulate(['--visitors', String(visitors), '--seed', String(Date.now() % 1e6), '--collector', collectorUrl, '--write-key', WRITE_KEY], log)
  log('QA panel > Lift report (or: npx onsite-report .data/events.jsonl) shows what each offer earned')
}

/** `npm run demo`: a line saying where the store is and which host names it answers, or one line, no stack, when it cannot start. Returns the exit code. */
export const main = async (env: NodeJS.ProcessEnv = process.env, log = console.log, fail = console.error, argv = process.argv.slice(2)): Promise<number> => {
  const port = Number(env.PORT) || 8080
  const extra = hostList(env.ONSITE_ALLOWED_HOSTS)
  const sim = argv.indexOf('--simulate')
  const visitors = sim < 0 ? 0 : Number(argv[sim + 1])
  if (sim >= 0 && !(Number.isInteger(visitors) && visitors > 0)) return fail('[onsite demo] --simulate needs a number of visitors, e.g. npm run demo -- --simulate 5000'), 1
  try {
    const demo = await startDemo({ port, host: env.HOST || '127.0.0.1', allowedHosts: extra })
    log(`onsite demo store: ${demo.url}  (QA panel on every page; collector at ${demo.collector.url}, events: ${demo.collector.url}/_events)`)
    log(`Answers localhost, 127.0.0.1 and [::1]${extra.length ? ` and ${extra.join(', ')}` : ''} only (DNS rebinding guard): to open it by another name, set ONSITE_ALLOWED_HOSTS=name1,name2`)
    // a traffic simulator with a planted lift, through the collector's wire format; the panel's "Lift report" reads it
    if (visitors) await simulateInto(demo.collector.url, visitors, log)
    return 0
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    fail(err.code === 'EADDRINUSE' ? `[onsite demo] port ${port} is in use: set PORT to a free port, e.g. PORT=${port + 1} npm run demo` : `[onsite demo] could not start: ${err.message}`)
    return 1
  }
}

const argv1 = process.argv[1]
if (argv1 && /server\.(m?js|ts)$/.test(basename(argv1)) && import.meta.url === pathToFileURL(argv1).href) {
  const code = await main()
  if (code) process.exit(code)
}
