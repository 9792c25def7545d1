// The demo: one port serves the store page, the built bundle and the collector, so `npm run demo` needs
// nothing else running. The page finds the collector through the Host header it was requested with.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { closeServer, createCollector } from './collector.ts'
import type { CollectorHandler } from './collector.ts'

export interface DemoOptions {
  port?: number
  host?: string
  quiet?: boolean
  /** Repo root holding demo/ and dist/; default ONSITE_ROOT, else the parent of this file's directory. */
  root?: string
  dataFile?: string
}
export interface Demo {
  /** e.g. http://localhost:8080/ */
  url: string
  port: number
  collector: CollectorHandler & { url: string }
  close(): Promise<void>
}

// Only these are served: the demo folder also holds this server's source, which a page has no use for.
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
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

const text = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
  res.end(body)
}

export const startDemo = async (opts: DemoOptions = {}): Promise<Demo> => {
  const root = resolve(opts.root ?? defaultRoot())
  const dirs = { demo: join(root, 'demo'), dist: join(root, 'dist') }
  const handler = createCollector({ ...(opts.dataFile ? { dataFile: opts.dataFile } : {}), ...(opts.quiet ? { quiet: true } : {}) })
  let port = 0

  /** The collector's absolute URL as this browser reaches us; a Host header that is not a plain host:port is not echoed. */
  const collectorFor = (req: IncomingMessage) => {
    const host = req.headers.host ?? ''
    return `http://${/^[\w.-]+(:\d+)?$|^\[[\d:a-fA-F]+\](:\d+)?$/.test(host) ? host : `localhost:${port}`}/v1`
  }

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed')
    const { pathname } = new URL(req.url ?? '/', 'http://demo')
    const file =
      pathname === '/' ? join(dirs.demo, 'index.html')
      : pathname.startsWith('/dist/') ? safeJoin(dirs.dist, pathname.slice('/dist/'.length))
      : safeJoin(dirs.demo, pathname.slice(1))
    const type = file && TYPES[extname(file)]
    if (!file || !type) return text(res, 404, 'not found')
    let body: Buffer | string
    try {
      body = await readFile(file) // per request: a rebuild shows up on reload
    } catch {
      return text(res, 404, file.startsWith(dirs.dist) ? 'not found: run `node build.mjs` first' : 'not found')
    }
    if (file === join(dirs.demo, 'index.html')) body = body.toString('utf8').replaceAll('__COLLECTOR__', collectorFor(req))
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const server = createServer((req, res) => {
    if (!handler.handle(req, res)) serve(req, res).catch(() => text(res, 500, 'error'))
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', done)
  })
  port = (server.address() as AddressInfo).port
  const url = `http://localhost:${port}/`
  return {
    url,
    port,
    collector: { ...handler, url: `${url}v1` },
    close: () => closeServer(server, handler),
  }
}

const argv1 = process.argv[1]
if (argv1 && /server\.(m?js|ts)$/.test(basename(argv1)) && import.meta.url === pathToFileURL(argv1).href) {
  const demo = await startDemo({ port: Number(process.env.PORT) || 8080, host: process.env.HOST || '127.0.0.1' })
  console.log(`onsite demo: ${demo.url}  (collector at ${demo.collector.url}, events: ${demo.collector.url}/_events)`)
}
