// The service on node:http. A service with respond() (this package's) is called with a plain request
// object and its plain answer is written out: building a Fetch Request and Response for every request
// would cost more than the lookup itself. Any other Fetch handler gets real Request and Response objects.
// node:http is imported when serving, so importing the package on an edge runtime does not need it.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Answer, Incoming } from './http.ts'

export type Handler = { respond(req: Incoming): Promise<Answer> } | { handle(req: Request): Promise<Response> }

export interface Served {
  server: Server
  /** http://host:port of the listening server */
  url: string
  close(): Promise<void>
}

// Not Readable.toWeb: cancelling that destroys the socket, so a body cut off at its limit would get a
// connection reset instead of the 413. Here a cancelled body is drained and the answer still goes out.
const bodyOf = (req: IncomingMessage): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(ctl) {
      req.on('data', (b: Buffer) => {
        ctl.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
        if ((ctl.desiredSize ?? 1) <= 0) req.pause()
      })
      req.on('end', () => ctl.close())
      req.on('error', (e) => ctl.error(e))
    },
    pull: () => void req.resume(),
    cancel() {
      req.removeAllListeners('data').removeAllListeners('end')
      req.resume()
    },
  })

const incoming = (req: IncomingMessage, origin: string): Incoming => {
  const method = req.method ?? 'GET'
  let body: ReadableStream<Uint8Array> | null | undefined
  return {
    method,
    // the URL's host is fixed: the Host header is the client's to choose and decides nothing here
    url: origin + (req.url ?? '/'),
    headers: {
      get: (name) => {
        const v = req.headers[name.toLowerCase()]
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
      },
    },
    get body() {
      return (body ??= method === 'GET' || method === 'HEAD' ? null : bodyOf(req))
    },
  }
}

const answerOf = async (r: Response): Promise<Answer> => {
  const headers: Record<string, string> = {}
  r.headers.forEach((v, k) => void (headers[k] = v))
  return { status: r.status, headers, body: r.body ? await r.text() : null }
}

const write = (res: ServerResponse, a: Answer, head: boolean) => {
  const body = a.body === null ? undefined : Buffer.from(a.body)
  res.writeHead(a.status, body ? { ...a.headers, 'content-length': String(body.length) } : a.headers)
  res.end(head ? undefined : body)
}

/** Serves `service` on `port` (0: any free port) and `host`. */
export const serveNode = async (service: Handler, o: { port: number; host: string }): Promise<Served> => {
  const { createServer } = await import('node:http')
  const host = o.host.includes(':') ? `[${o.host}]` : o.host
  const origin = `http://${host}`
  const answer = (req: IncomingMessage): Promise<Answer> => {
    const inc = incoming(req, origin)
    if ('respond' in service) return service.respond(inc)
    const init: RequestInit & { duplex?: 'half' } = { method: inc.method, headers: req.headers as Record<string, string> }
    if (inc.body) (init.body = inc.body), (init.duplex = 'half')
    return service.handle(new Request(inc.url, init)).then(answerOf)
  }
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      answer(req)
        .then((a) => write(res, a, req.method === 'HEAD'))
        .catch(() => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
          res.end('{"error":"internal error"}')
        })
    })
    server.keepAliveTimeout = 65_000 // longer than common load balancers' idle timeout
    server.once('error', reject)
    server.listen(o.port, o.host, () => {
      const { port } = server.address() as AddressInfo
      resolve({ server, url: `http://${host}:${port}`, close: () => new Promise((done) => server.close(() => done())) })
    })
  })
}
