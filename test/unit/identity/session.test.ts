import { describe, expect, it } from 'vitest'
import { createSession, SESSION_MS } from '../../../src/identity/session.ts'
import { MemStorage, throwingStorage } from '../fakes.ts'

const T0 = Date.parse('2024-06-11T10:00:00.000Z')
const MIN = 60000

/** Session ids s1, s2, ... in the order they are made (shared by every tab of one browser). */
const ids = () => {
  let n = 0
  return () => `s${++n}`
}

describe('createSession', () => {
  it('is 30 minutes', () => {
    expect(SESSION_MS).toBe(30 * MIN)
  })

  it('the first call starts a session; a new visitor is not returning', () => {
    const s = createSession(new MemStorage(), ids(), false)
    expect(s.touch(T0)).toEqual({ id: 's1', returning: false })
  })

  it('a visitor seen before this page (a known anonymous id) is returning from the first session', () => {
    const s = createSession(new MemStorage(), ids(), true)
    expect(s.touch(T0)).toEqual({ id: 's1', returning: true })
  })

  it('calls less than 30 minutes apart stay in one session, which slides with each call', () => {
    const s = createSession(new MemStorage(), ids(), false)
    for (let m = 0; m <= 120; m += 20) expect(s.touch(T0 + m * MIN)).toEqual({ id: 's1', returning: false })
  })

  it('30 minutes without a call start a new session, which is returning', () => {
    const s = createSession(new MemStorage(), ids(), false)
    s.touch(T0)
    expect(s.touch(T0 + SESSION_MS - 1)).toEqual({ id: 's1', returning: false })
    expect(s.touch(T0 + SESSION_MS - 1 + SESSION_MS)).toEqual({ id: 's2', returning: true })
    expect(s.touch(T0 + 2 * SESSION_MS)).toEqual({ id: 's2', returning: true })
  })

  it('exactly 30 minutes is already inactive', () => {
    const s = createSession(new MemStorage(), ids(), false)
    s.touch(T0)
    expect(s.touch(T0 + SESSION_MS).id).toBe('s2')
  })

  it('a call replayed with an earlier time stays in the session and does not move its end back', () => {
    const s = createSession(new MemStorage(), ids(), false)
    s.touch(T0 + 20 * MIN)
    expect(s.touch(T0 + 5 * MIN).id).toBe('s1')
    // still 20 minutes after the latest call, not the replayed one
    expect(s.touch(T0 + 45 * MIN).id).toBe('s1')
  })

  it('is kept in localStorage under onsite:session', () => {
    const ls = new MemStorage()
    createSession(ls, ids(), false).touch(T0)
    expect(ls.dump()).toEqual({ 'onsite:session': JSON.stringify({ id: 's1', returning: false, last: T0 }) })
  })

  it('tabs share it through localStorage: one tab keeps alive the session of another', () => {
    const ls = new MemStorage()
    const newId = ids()
    const tabA = createSession(ls, newId, false)
    const tabB = createSession(ls, newId, false)
    expect(tabA.touch(T0).id).toBe('s1')
    expect(tabB.touch(T0 + 20 * MIN).id).toBe('s1')
    // 40 minutes after tabA's last call, but only 20 after tabB's
    expect(tabA.touch(T0 + 40 * MIN).id).toBe('s1')
  })

  it('a session another tab started is picked up, returning flag included', () => {
    const ls = new MemStorage()
    const newId = ids()
    const tabA = createSession(ls, newId, false)
    tabA.touch(T0)
    tabA.touch(T0 + 60 * MIN) // s2, returning
    const tabB = createSession(ls, newId, false)
    expect(tabB.touch(T0 + 61 * MIN)).toEqual({ id: 's2', returning: true })
  })

  it('a new page of the same browser continues the stored session', () => {
    const ls = new MemStorage()
    createSession(ls, () => 'first', false).touch(T0)
    expect(createSession(ls, () => 'second', true).touch(T0 + MIN)).toEqual({ id: 'first', returning: false })
  })

  it('a corrupt or foreign value in storage is ignored: a new session starts', () => {
    for (const raw of ['{not json', '"s1"', '{"id":1,"last":1}', '{"id":"x"}', 'null']) {
      const ls = new MemStorage()
      ls.setItem('onsite:session', raw)
      expect(createSession(ls, () => 'fresh', false).touch(T0), raw).toEqual({ id: 'fresh', returning: false })
    }
  })

  it.each([
    ['no storage', undefined],
    ['a storage whose every method throws', throwingStorage()],
  ])('works in memory with %s', (_label, ls) => {
    const s = createSession(ls, ids(), false)
    expect(s.touch(T0)).toEqual({ id: 's1', returning: false })
    expect(s.touch(T0 + 10 * MIN)).toEqual({ id: 's1', returning: false })
    expect(s.touch(T0 + 50 * MIN)).toEqual({ id: 's2', returning: true })
    s.end()
    expect(s.touch(T0 + 51 * MIN)).toEqual({ id: 's3', returning: false })
  })

  it('works in memory when writes fail from the start (private mode)', () => {
    const ls = new MemStorage()
    ls.failWrite = () => true
    const s = createSession(ls, ids(), false)
    expect(s.touch(T0).id).toBe('s1')
    expect(s.touch(T0 + 10 * MIN).id).toBe('s1')
    expect(ls.length).toBe(0)
  })

  // Regression: the stale stored copy used to win over this tab's newer one once storage was full.
  it('when localStorage stops taking writes, a stale stored session does not end an active one', () => {
    const ls = new MemStorage()
    const s = createSession(ls, ids(), false)
    s.touch(T0)
    ls.failWrite = () => true // quota exceeded from now on
    expect(s.touch(T0 + 20 * MIN).id).toBe('s1')
    expect(s.touch(T0 + 40 * MIN).id).toBe('s1') // 20 minutes after the previous call
  })

  it('end() starts a new session on the next call, for every tab', () => {
    const ls = new MemStorage()
    const newId = ids()
    const tabA = createSession(ls, newId, false)
    const tabB = createSession(ls, newId, false)
    tabA.touch(T0)
    tabA.end()
    expect(ls.getItem('onsite:session')).toBeNull()
    expect(tabB.touch(T0 + MIN).id).toBe('s2')
    expect(tabA.touch(T0 + 2 * MIN).id).toBe('s2')
  })

  it('after end() the returning flag falls back to whether the browser was seen before', () => {
    const seen = createSession(new MemStorage(), ids(), true)
    seen.touch(T0)
    seen.end()
    expect(seen.touch(T0 + MIN).returning).toBe(true)
    const fresh = createSession(new MemStorage(), ids(), false)
    fresh.touch(T0)
    fresh.end()
    expect(fresh.touch(T0 + MIN).returning).toBe(false)
  })

  it('end() with a throwing storage does not throw', () => {
    const s = createSession(throwingStorage(), ids(), false)
    s.touch(T0)
    expect(() => s.end()).not.toThrow()
  })
})
