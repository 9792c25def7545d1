// @vitest-environment node
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LIBRARY, VERSION } from '../../src/version.ts'

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string }
    expect(VERSION).toBe(pkg.version)
    expect(LIBRARY).toEqual({ name: pkg.name, version: pkg.version })
  })
})
