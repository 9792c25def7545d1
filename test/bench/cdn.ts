// A local stand-in for the script CDNs, on an origin of its own (the store's pages are on another): it serves
// dist/onsite.js and Customer.io's browser library the way cdp.customer.io does for its JS snippet, plus the
// settings that library fetches before it sends anything, pointing its Customer.io Data Pipelines destination at
// the local collector. Every request is logged, so the bench can say which files each library really loaded.
import { readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { basename, dirname, join, resolve } from 'node:path'

const require = createRequire(resolve('package.json'))
/** node_modules/@customerio/cdp-analytics-browser, resolved the way Node would. */
export const PEER_DIR = dirname(require.resolve('@customerio/cdp-analytics-browser/package.json'))
export const PEER_VERSION: string = JSON.parse(readFileSync(join(PEER_DIR, 'package.json'), 'utf8')).version
/** The webpack build cdp.customer.io serves as .../snippet/{writeKey}/analytics.min.js (src/browser/standalone.ts). */
export const PEER_STANDALONE = join(PEER_DIR, 'dist/umd/standalone.js')
/** The UMD build of the npm API (window.AnalyticsNext.AnalyticsBrowser), same code without the auto-install. */
export const PEER_UMD = join(PEER_DIR, 'dist/umd/index.js')
export const ONSITE = resolve('dist/onsite.js')
/** The delivery engine, which dist/onsite.js loads from next to itself on every page. */
export const ONSITE_DELIVERY = resolve('dist/onsite-delivery.js')
/** onsite's offers, a second file its script-tag build loads from next to itself when the config has offers. */
export const ONSITE_OFFERS = resolve('dist/onsite-offers.js')

export interface Cdn {
  origin: string
  /** Where the JS snippet loads the library from (the CDN's path, so the library finds its CDN in it). */
  snippetSrc(writeKey: string): string
  onsiteSrc: string
  umdSrc: string
  /** Every request path served or refused since the start, in order. */
  log: Array<{ path: string; status: number; bytes: number }>
  close(): Promise<void>
}

/**
 * The settings cdp.customer.io answers at /v1/projects/{writeKey}/settings (LegacySettings in the library's
 * src/browser/index.ts), reduced to the one destination: Customer.io Data Pipelines at the collector, over
 * http. No remote plugins, middleware or in-app plugin, so no further chunk should be needed (the bench
 * reports any it sees); remote metrics off (they would post to cdp.customer.io every 30 s).
 */
export const peerSettings = (writeKey: string, collectorUrl: string) => {
  const u = new URL(collectorUrl)
  return {
    integrations: {
      'Customer.io Data Pipelines': { apiKey: writeKey, apiHost: u.host + u.pathname.replace(/\/+$/, ''), protocol: u.protocol.replace(':', '') },
    },
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    remotePlugins: [],
  }
}

export async function startCdn(writeKey: string, collectorUrl: string): Promise<Cdn> {
  const settings = JSON.stringify(peerSettings(writeKey, collectorUrl))
  const umdDir = dirname(PEER_STANDALONE)
  const log: Cdn['log'] = []
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    let body: string | Buffer | undefined
    let type = 'text/javascript; charset=utf-8'
    let m: RegExpExecArray | null
    if ((m = /^\/v1\/projects\/([^/]+)\/settings$/.exec(path))) {
      type = 'application/json'
      if (m[1] === writeKey) body = settings
    } else if (/^\/v1\/analytics-js\/snippet\/[^/]+\/analytics\.min\.js$/.test(path)) body = readFileSync(PEER_STANDALONE)
    else if ((m = /^\/onsite\/([\w.-]+\.js)$/.exec(path))) {
      // dist/onsite.js and any file it loads from next to itself; read per request: the build may change
      try {
        body = readFileSync(join(dirname(ONSITE), basename(m[1]!)))
      } catch {
        // 404 below
      }
    }    else if (path === '/umd/index.js') body = readFileSync(PEER_UMD)
    else if ((m = /^\/(?:v1\/analytics-js|analytics-next\/bundles)\/([\w.-]+\.js)$/.exec(path))) {
      // the chunks webpack loads at runtime: {cdn}/v1/analytics-js/ (standalone), {cdn}/analytics-next/bundles/ (UMD)
      const file = join(umdDir, basename(m[1]!))
      try {
        if (statSync(file).isFile()) body = readFileSync(file)
      } catch {
        // 404 below
      }
    }
    const status = body === undefined ? 404 : 200
    log.push({ path, status, bytes: body?.length ?? 0 })
    res.writeHead(status, {
      'Content-Type': status === 200 ? type : 'text/plain',
      'Access-Control-Allow-Origin': '*',
      // the bench's pages are cross-origin isolated (5 us timers): cross-origin scripts must opt in
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Cache-Control': 'no-store',
    })
    res.end(body ?? 'not found')
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => ok())
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    snippetSrc: (key) => `${origin}/v1/analytics-js/snippet/${key}/analytics.min.js`,
    onsiteSrc: `${origin}/onsite/onsite.js`,
    umdSrc: `${origin}/umd/index.js`,
    log,
    close() {
      server.closeAllConnections()
      return new Promise((ok) => server.close(() => ok()))
    },
  }
}
