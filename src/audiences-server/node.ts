// The service on node:http: each IncomingMessage becomes a Fetch Request (Node 20 has Request and
// Response built in) and each Response is written back.
// node:http is imported when serving, so importing the package on an edge runtime does not need it
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyText } from './http.ts'

export interface Handler {
  handle(req: Request): Promise<Response>
}

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

const toRequest = (req: IncomingMessage, origin: string): Request => {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const method = req.method ?? 'GET'
  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (method !== 'GET' && method !== 'HEAD') (init.body = bodyOf(req)), (init.duplex = 'half')
  return new Request(origin + (req.url ?? '/'), init)
}

const write = async (res: ServerResponse, r: Response, head: boolean) => {
  const headers: Record<string, string> = {}
  r.headers.forEach((v, k) => void (headers[k] = v))
  const text = bodyText(r)
  const body = head || !r.body ? undefined : text !== undefined ? Buffer.from(text) : Buffer.from(await r.arrayBuffer())
  if (body) headers['content-length'] = String(body.length)
  res.writeHead(r.status, headers)
  res.end(body)
}

/** Serves `service` on `port` (0: any free port) and `host`. */
export const serveNode = async (service: Handler, o: { port: number; host: string }): Promise<Served> => {
  const { createServer } = await import('node:http')
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      // the URL's host is fixed: the Host header is the client's to choose and decides nothing here
      const origin = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}`
      service
        .handle(toRequest(req, origin))
        .then((r) => write(res, r, req.method === 'HEAD'))
        .catch(() => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
          res.end('{"error":"internal error"}')
        })
    })
    server.keepAliveTimeout = 65_000 // longer than common load balancers' idle timeout
    server.once('error', reject)
    server.listen(o.port, o.host, () => {
      const { port } = server.address() as AddressInfo
      const host = o.host.includes(':') ? `[${o.host}]` : o.host
      resolve({ server, url: `http://${host}:${port}`, close: () => new Promise((done) => server.close(() => done())) })
    })
  })
}
