// One demo server (its collector writing to a temp file) and one Chromium per test file, a fresh browser
// context and an empty collector for every test, and the helpers the demo's browser tests share.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, expect } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright'
import { startDemo, type Demo } from '../../demo/server.ts'
import { launchBrowser } from '../chromium.ts'
import { waitFor } from './harness.ts'

export type Ev = { type: string; event?: string; anonymousId: string; userId?: string; messageId: string; properties?: Record<string, any>; traits?: Record<string, any>; context?: Record<string, any>; timestamp?: string }

export const useDemoSuite = () => {
  let demo: Demo
  let browser: Browser
  let ctx: BrowserContext | undefined
  let dir: string
  /** Uncaught errors of the demo's own scripts or onsite's, this test: a store page must never see one. */
  const crashes: string[] = []
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onsite-demo-'))
    demo = await startDemo({ port: 0, quiet: true, dataFile: join(dir, 'events.jsonl') })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await ctx?.close()
    await browser?.close()
    await demo?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await ctx?.close()
    demo.collector.reset()
    crashes.length = 0
    ctx = await browser.newContext()
  })
  const events = () => demo.collector.events() as unknown as Ev[]
  return {
    get demo() {
      return demo
    },
    get ctx() {
      return ctx!
    },
    crashes,
    events,
    /** The events `pred` selects, once there are `n` of them (and, after a pause, still exactly `n`). */
    async exactly(n: number, pred: (e: Ev) => boolean, settleMs = 600) {
      await waitFor(() => events().filter(pred).length >= n, 10_000)
      await new Promise((r) => setTimeout(r, settleMs))
      const got = events().filter(pred)
      expect(got, JSON.stringify(got.map((e) => [e.type, e.event, e.messageId, e.properties?.sku, e.properties?.quantity]))).toHaveLength(n)
      return got
    },
    /** A page of the store in this test's context (`viewport`: in a new context of that size). */
    async open(path: string, viewport?: { width: number; height: number }): Promise<Page> {
      if (viewport) (await ctx?.close(), (ctx = await browser.newContext({ viewport })))
      const page = await ctx!.newPage()
      page.on('pageerror', (e) => crashes.push(`${page.url()}: ${e.message}`))
      await page.goto(new URL(path, demo.url).href)
      return page
    },
  }
}
