// Load benchmark of the audience service (npm run bench:audiences): 100k people are seeded through the
// webhook route, then autocannon asks GET /audiences?token= through the node:http adapter, for a hot set
// of people that fits the cache (cached lookups) and for all 100k (half of them miss the cache and read
// the embedded store). The service runs in a child process so autocannon's own work does not share its
// event loop. Prints requests/s, p50 and p99 latency, and the server's memory after seeding and after.
//   BENCH_PEOPLE (100000), BENCH_HOT (20000), BENCH_SECONDS (10), BENCH_CONNECTIONS (10)
import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { readSettings } from '../../src/audiences-server/config.ts'
import { createAudienceService } from '../../src/audiences-server/handler.ts'
import { serveNode } from '../../src/audiences-server/node.ts'
import { signVisitor } from '../../src/audiences-server/token.ts'

const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789'
const TOKEN_SECRET = 'bench-token-secret-0123456789'
const env = (name: string, d: number) => Number(process.env[name] ?? d)
const PEOPLE = env('BENCH_PEOPLE', 100_000)
const HOT = Math.min(env('BENCH_HOT', 20_000), PEOPLE)
const SECONDS = env('BENCH_SECONDS', 10)
const CONNECTIONS = env('BENCH_CONNECTIONS', 10)
const CACHE = 50_000

/** The part of autocannon's API used here (it ships no types, and @types/autocannon is not installed). */
interface Result {
  requests: { average: number }
  latency: { p50: number; p99: number }
  non2xx: number
  errors: number
  timeouts: number
}
interface Req {
  method: string
  path?: string
}
type Autocannon = (o: { url: string; connections: number; amount?: number; duration?: number; requests: { method: string; setupRequest: (r: Req) => Req }[] }) => Promise<Result>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

interface Mem {
  rssMB: number
  heapMB: number
  /** the server's CPU time so far, user + system, in microseconds */
  cpuUs: number
}
const mem = (): Mem => {
  const cpu = process.cpuUsage()
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  return { rssMB: Math.round(m.rss / 2 ** 20), heapMB: Math.round(m.heapUsed / 2 ** 20), cpuUs: cpu.user + cpu.system }
}

/** The child: seeds PEOPLE people through the webhook route, serves, and answers memory questions. */
const server = async () => {
  const { settings, errors } = readSettings({
    ONSITE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ONSITE_TOKEN_SECRET: TOKEN_SECRET,
    ONSITE_EXPOSED_SEGMENTS: 'vip,cart_abandoner',
    ONSITE_DATA_DIR: 'memory://',
    ONSITE_CACHE_SIZE: String(CACHE),
    ONSITE_CACHE_TTL: '3600',
  })
  if (errors.length) throw new Error(errors.join('\n'))
  const service = createAudienceService(settings)
  await service.ready()
  const t = performance.now()
  const at = Math.floor(Date.now() / 1000) - 3600
  for (let from = 0; from < PEOPLE; from += 500) {
    const batch = []
    for (let i = from; i < Math.min(from + 500, PEOPLE); i++)
      batch.push({ id: `person-${i}`, segment: 'vip', action: i % 3 ? 'entered' : 'exited', at }, { id: `person-${i}`, segment: 'cart_abandoner', action: i % 2 ? 'entered' : 'exited', at })
    const r = await service.handle(new Request('http://bench/webhooks/customerio', { method: 'POST', headers: { authorization: `Bearer ${WEBHOOK_SECRET}` }, body: JSON.stringify(batch) }))
    if (r.status !== 200) throw new Error(`seeding: ${r.status} ${await r.text()}`)
  }
  const seedMs = Math.round(performance.now() - t)
  const served = await serveNode(service, { port: 0, host: '127.0.0.1' })
  process.send!({ ready: served.url, seedMs, mem: mem() })
  process.on('message', async (m: string) => {
    if (m === 'mem') process.send!({ mem: mem() })
    if (m === 'stop') await served.close(), await service.close(), process.exit(0)
  })
}

const ask = <T>(child: ChildProcess, msg?: string): Promise<T> =>
  new Promise((done) => {
    child.once('message', (m) => done(m as T))
    if (msg) child.send(msg)
  })

const load = (url: string, tokens: string[], o: { amount?: number; duration?: number }) => {
  let i = 0
  return autocannon({
    url,
    connections: CONNECTIONS,
    ...o,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/audiences?token=${tokens[i++ % tokens.length]}` }) }],
  })
}

// CPU per request says what the service costs even when the machine is shared (req/s and latency do not)
const row = (name: string, r: Result, cpuUs: number) =>
  `${name.padEnd(34)} ${String(Math.round(r.requests.average)).padStart(8)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms   server CPU ${String(Math.round(cpuUs / (r.requests.average * SECONDS))).padStart(4)} us/req   ${r.non2xx + r.errors + r.timeouts ? `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : 'all 200'}`

const main = async () => {
  const child = fork(process.argv[1]!, ['--serve'], { execArgv: ['--expose-gc', ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=.tmp/prof-audiences'] : [])], env: process.env })
  console.log(`[bench:audiences] seeding ${PEOPLE} people (${PEOPLE * 2} webhook changes in batches of 1000) into PGlite in memory...`)
  const ready = await ask<{ ready: string; seedMs: number; mem: Mem }>(child)
  console.log(`seeded in ${(ready.seedMs / 1000).toFixed(1)} s; server memory after ${PEOPLE} people: rss ${ready.mem.rssMB} MB, heap ${ready.mem.heapMB} MB`)
  const sign = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => signVisitor(`person-${i}`, TOKEN_SECRET, 86400)))
  const hot = await sign(HOT)
  const all = [...(await sign(PEOPLE))].sort(() => Math.random() - 0.5)
  await load(ready.ready, hot, { amount: HOT }) // warms the cache with the hot set
  const cpu0 = (await ask<{ mem: Mem }>(child, 'mem')).mem.cpuUs
  const cached = await load(ready.ready, hot, { duration: SECONDS })
  const cpu1 = (await ask<{ mem: Mem }>(child, 'mem')).mem.cpuUs
  const spread = await load(ready.ready, all, { duration: SECONDS })
  const after = (await ask<{ mem: Mem }>(child, 'mem')).mem
  const os = await import('node:os')
  console.log(`\n${CONNECTIONS} connections, ${SECONDS} s each, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}`)
  console.log(row(`cached (${HOT} people, cache ${CACHE})`, cached, cpu1 - cpu0))
  console.log(row(`spread (${PEOPLE} people, ~${Math.max(0, Math.round(100 - (CACHE / PEOPLE) * 100))}% misses)`, spread, after.cpuUs - cpu1))
  console.log(`server memory after both runs: rss ${after.rssMB} MB, heap ${after.heapMB} MB (cache bounded at ${CACHE} people)`)
  const ok = cached.requests.average >= 5000 && cached.latency.p99 <= 10
  console.log(`goal (cached: >= 5000 req/s, p99 <= 10 ms): ${ok ? 'met' : 'missed'}`)
  child.send('stop')
}

if (process.argv.includes('--serve')) void server()
else void main()
