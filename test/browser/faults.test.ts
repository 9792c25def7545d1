// The fault suite as assertions (the same cases `npm run faults` prints): every accepted call is delivered
// once per messageId, or reported as dropped; nothing is left stuck in storage. One Chromium for the
// file, a fresh context per case, cases one after another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cases, runCase, verdict } from '../faults/cases.ts'
import { startStack, type Stack } from './harness.ts'

let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

describe('fault injection', () => {
  for (const c of cases) {
    // the case's own waits are bounded; this only stops a harness that hangs
    it(`${c.id}: ${c.title}`, async () => {
      const row = await runCase(stack, c)
      const shown = JSON.stringify(row)
      expect(row.lostUnreported, shown).toBe(0)
      if (!c.expectStored) expect(row.stored, shown).toBe(0)
      expect([...verdict(c, row), ...(c.timing?.(row) ?? [])], shown).toEqual([])
    }, c.waitMs + 120_000)
  }
})
