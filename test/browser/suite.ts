// One stack (collector + store origin + Chromium) per test file, and a fresh browser context (no
// cookies, no storage) and an empty collector for every test.
import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { BrowserContext, Page } from 'playwright'
import { resetCollector, startStack, type Stack } from './harness.ts'

export interface Suite {
  readonly stack: Stack
  readonly ctx: BrowserContext
  /** Opens `html` served at `path` and waits for the bundle to have started. */
  open(path: string, html: string, c?: BrowserContext): Promise<Page>
}

export const useSuite = (): Suite => {
  let stack: Stack
  let ctx: BrowserContext | undefined
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(async () => stack?.close())
  beforeEach(async () => {
    await ctx?.close()
    await resetCollector(stack.collectorUrl)
    ctx = await stack.browser.newContext()
  })
  return {
    get stack() {
      return stack
    },
    get ctx() {
      return ctx!
    },
    async open(path, html, c = ctx!) {
      const page = await c.newPage()
      await page.goto(stack.page(path, html))
      await page.waitForFunction(() => (window as unknown as { onsite: { version?: string } }).onsite.version)
      return page
    },
  }
}
