// @vitest-environment node
// The simulator: deterministic from its seed, every call valid on the wire (the collector's own checks),
// the mess it promises really in the traffic, and the two ways out (a JSON lines file, a collector).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startCollector } from '../../../demo/collector.ts'
import { DEMO_OFFERS, batches, main, plan, postToCollector, simulate, writeJsonl } from '../../../demo/simulate.ts'
import type { Call } from '../../../demo/simulate.ts'
import { parseCall } from '../../../src/capture/schema.ts'

const dir = mkdtempSync(join(tmpdir(), 'onsite-sim-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const opts = { visitors: 1000, seed: 7, offers: DEMO_OFFERS }
const props = (c: Call) => (c.properties ?? {}) as Record<string, unknown>

describe('simulate', () => {
  it('is deterministic from the seed', () => {
    expect(simulate(opts)).toEqual(simulate(opts))
    expect(simulate({ ...opts, seed: 8 })).not.toEqual(simulate(opts))
  })

  it('finds the same visitors with or without calls', () => {
    expect(plan(opts, false).tally).toEqual(plan(opts).tally)
  })

  it('emits calls the collector accepts, each visitor starting with a page then its decision', () => {
    const calls = simulate(opts)
    const bad = calls.map((c) => parseCall(c)).filter((r) => !r.ok)
    expect(bad).toEqual([])
    const first = new Map<string, string[]>()
    for (const c of calls) {
      const a = String(c.anonymousId)
      if (/-a\d+$/.test(a) && (first.get(a)?.length ?? 0) < 2) first.set(a, [...(first.get(a) ?? []), c.type === 'page' ? 'page' : String(c.event)])
    }
    for (const seq of first.values()) expect(seq[0]).toBe('page')
    for (const seq of first.values()) expect(seq[1]).toMatch(/^offer_(seen|held_out)$/)
  })

  it('holds out about holdoutPercent of each offer and plants the stated conversion rates', () => {
    const { tally } = plan({ ...opts, visitors: 40000 }, false)
    const pop = tally.filter((t) => t.offer_id === 'welcome-popup')
    const all = pop.reduce((n, t) => n + t.visitors, 0)
    const held = pop.find((t) => t.group === 'held_out')!
    expect(held.visitors / all).toBeGreaterThan(0.18)
    expect(held.visitors / all).toBeLessThan(0.22)
    const b = pop.find((t) => t.variant === 'b')!
    expect(b.conversions / b.visitors).toBeGreaterThan(0.065)
    expect(b.conversions / b.visitors).toBeLessThan(0.085)
    expect(b.discount).toBeGreaterThan(0)
  })

  it('carries the mess of real traffic: retries, orders twice, pixel and userId-only orders, `variation`, late orders', () => {
    const calls = simulate({ ...opts, visitors: 10000 })
    const orders = calls.filter((c) => c.event === 'Order Completed')
    const ids = calls.map((c) => c.messageId)
    expect(new Set(ids).size).toBeLessThan(ids.length)
    const orderIds = orders.map((c) => props(c).order_id)
    expect(new Set(orderIds).size).toBeLessThan(new Set(orders.map((c) => c.messageId)).size)
    expect(orders.some((c) => /-p\d+$/.test(String(c.anonymousId)) && Array.isArray(props(c).onsite_offers))).toBe(true)
    expect(orders.some((c) => c.userId && !c.anonymousId)).toBe(true)
    expect(orders.some((c) => !props(c).onsite_offers)).toBe(true)
    expect(calls.some((c) => c.event === 'offer_seen' && props(c).variation && !props(c).variant)).toBe(true)
    for (const o of orders) expect(props(o)).toMatchObject({ currency: 'USD', revenue: expect.any(Number), total: expect.any(Number), subtotal: expect.any(Number), tax: expect.any(Number), shipping: expect.any(Number), discount: expect.any(Number) })
  })
})

describe('output', () => {
  it('writes JSON lines', async () => {
    const calls = simulate({ ...opts, visitors: 200 })
    const file = join(dir, 'sim.jsonl')
    expect(await writeJsonl(file, calls)).toBe(calls.length)
    expect(readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(calls)
  })

  it('splits batches under the byte limit, keeping every call', () => {
    const calls = simulate({ ...opts, visitors: 500 })
    const bs = batches(calls, 20_000)
    expect(bs.length).toBeGreaterThan(1)
    for (const b of bs) expect(Buffer.byteLength(JSON.stringify({ batch: b }))).toBeLessThanOrEqual(20_000)
    expect(bs.flat()).toEqual(calls)
  })

  it('posts to a collector with Basic auth, which stores every distinct messageId', async () => {
    const c = await startCollector({ dataFile: join(dir, 'collector.jsonl'), quiet: true })
    try {
      const calls = simulate({ ...opts, visitors: 1000 })
      const r = await postToCollector(c.url, 'sim-key', calls)
      expect(r.batches).toBeGreaterThan(1)
      expect(c.snapshot().total).toBe(new Set(calls.map((x) => x.messageId)).size)
      await expect(postToCollector(c.url.replace('/v1', '/nope'), 'k', calls.slice(0, 1))).rejects.toThrow(/HTTP 404/)
      const out: string[] = []
      await main(['--visitors', '50', '--seed', '3', '--collector', c.url, '--write-key', 'k'], (s) => out.push(s))
      expect(out[0]).toMatch(/^posted \d+ calls in 1 batches to /)
    } finally {
      await c.close()
    }
  })

  it('has a command line that writes a file and prints the planted lifts', async () => {
    const out: string[] = []
    const file = join(dir, 'cli.jsonl')
    await main(['--visitors', '300', '--seed', '2', '--out', file], (s) => out.push(s))
    expect(out[0]).toMatch(/^wrote \d+ calls to /)
    expect(out.join('\n')).toMatch(/planted welcome-popup\/b: conversion 5\.0% -> 7\.5%/)
    await expect(main(['--visitors', '0', '--out', file])).rejects.toThrow(/usage/)
  })
})
