// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createLru } from '../../../src/audiences-server/cache.ts'

describe('createLru', () => {
  it('holds at most max entries, dropping the least recently used', () => {
    const c = createLru<number>(2, 1000)
    c.set('a', 1, 0)
    c.set('b', 2, 0)
    expect(c.get('a', 0)).toBe(1) // a is now the most recent
    c.set('c', 3, 0)
    expect([c.get('a', 0), c.get('b', 0), c.get('c', 0), c.size]).toEqual([1, undefined, 3, 2])
  })

  it('forgets entries older than ttl, and deleted ones', () => {
    const c = createLru<number>(10, 1000)
    c.set('a', 1, 0)
    c.set('b', 2, 0)
    expect(c.get('a', 1000)).toBe(1)
    expect(c.get('a', 1001)).toBeUndefined()
    c.delete('b')
    expect(c.get('b', 0)).toBeUndefined()
    expect(c.size).toBe(0)
  })

  it('caches nothing with max 0', () => {
    const c = createLru<number>(0, 1000)
    c.set('a', 1)
    expect(c.get('a')).toBeUndefined()
  })
})
