// @vitest-environment node
// The onsite-audiences command: sign prints a token, serve reports settings problems and serves.
import { describe, expect, it } from 'vitest'
import { main } from '../../../src/audiences-server/cli.ts'
import { verifyVisitor } from '../../../src/audiences-server/token.ts'
import { TOKEN_SECRET, WEBHOOK_SECRET } from './fixtures.ts'

const run = async (argv: string[], env: Record<string, string>, signal?: AbortSignal, onOut?: (line: string) => void) => {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, env, { out: (l) => (out.push(l), onOut?.(l)), err: (l) => err.push(l), ...(signal ? { signal } : {}) })
  return { code, out, err }
}

describe('onsite-audiences sign', () => {
  it('prints a token for the id, valid for --ttl seconds', async () => {
    const r = await run(['sign', 'cust.7', '--ttl', '120'], { ONSITE_TOKEN_SECRET: TOKEN_SECRET })
    expect(r.code).toBe(0)
    expect(r.out).toHaveLength(1)
    const v = await verifyVisitor(r.out[0], TOKEN_SECRET)
    expect(v).toMatchObject({ ok: true, id: 'cust.7' })
    expect(v.ok && v.exp - Date.now() / 1000).toBeGreaterThan(110)
    expect(v.ok && v.exp - Date.now() / 1000).toBeLessThanOrEqual(120)
  })

  it('needs ONSITE_TOKEN_SECRET, an id and a whole --ttl', async () => {
    expect(await run(['sign', 'x'], {})).toMatchObject({ code: 1, err: ['[onsite-audiences] ONSITE_TOKEN_SECRET is not set: set it to the key visitor tokens are signed with'] })
    expect((await run(['sign'], { ONSITE_TOKEN_SECRET: TOKEN_SECRET })).code).toBe(2)
    expect((await run(['sign', 'x', '--ttl', '1.5'], { ONSITE_TOKEN_SECRET: TOKEN_SECRET })).code).toBe(2)
    expect((await run(['frobnicate'], {})).code).toBe(2)
  })
})

describe('onsite-audiences serve', () => {
  it('prints every settings problem on its own line and exits 1', async () => {
    const r = await run([], { ONSITE_TOKEN_SECRET: TOKEN_SECRET })
    expect(r.code).toBe(1)
    expect(r.err).toEqual([
      "[onsite-audiences] ONSITE_WEBHOOK_SECRET is not set: set it to the secret in your Customer.io webhook's Authorization header",
      expect.stringMatching(/^\[onsite-audiences\] ONSITE_EXPOSED_SEGMENTS is not set/),
    ])
  })

  it('serves until stopped', async () => {
    const stop = new AbortController()
    let url = ''
    const env = { ONSITE_WEBHOOK_SECRET: WEBHOOK_SECRET, ONSITE_TOKEN_SECRET: TOKEN_SECRET, ONSITE_EXPOSED_SEGMENTS: 'vip', ONSITE_DATA_DIR: 'memory://', PORT: '0' }
    const done = run(['serve'], env, stop.signal, async (line) => {
      url = /listening on (\S+)/.exec(line)?.[1] ?? ''
      const r = await fetch(url + '/healthz')
      expect(r.status).toBe(200)
      stop.abort()
    })
    const r = await done
    expect(r).toMatchObject({ code: 0, err: [] })
    expect(r.out[0]).toMatch(/^\[onsite-audiences\] listening on http:\/\/127\.0\.0\.1:\d+ \(store: pglite memory:\/\/; pull: off\)$/)
    await expect(fetch(url + '/healthz')).rejects.toThrow()
  }, 60_000)
})
