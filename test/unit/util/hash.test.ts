import { describe, expect, it } from 'vitest'
import { fingerprint } from '../../../src/util/hash.ts'

describe('fingerprint', () => {
  it('is stable, 14 base-36 characters, and differs for near values', () => {
    expect(fingerprint('jane@example.com')).toBe(fingerprint('jane@example.com'))
    expect(fingerprint('jane@example.com')).toMatch(/^[0-9a-z]{14}$/)
    expect(fingerprint('')).toMatch(/^[0-9a-z]{14}$/)
    const seen = new Set<string>()
    for (let i = 0; i < 20000; i++) seen.add(fingerprint('user' + i + '@example.com'))
    expect(seen.size).toBe(20000)
    expect(fingerprint('jane@example.com')).not.toContain('jane')
  })
})
