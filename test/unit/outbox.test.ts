import { describe, expect, it } from 'vitest'
import { createOutbox, type Entry } from '../../src/outbox.ts'
import { createKV, type KV } from '../../src/storage.ts'
import { deferred } from './fakes.ts'

const entry = (id: string, second: number, seq: number): Entry => ({
  call: { type: 'track', event: 'E', messageId: id, timestamp: `2024-06-11T10:00:${String(second).padStart(2, '0')}.000Z` },
  seq,
})
const ids = (entries: Entry[]) => entries.map((e) => e.call.messageId)

describe('outbox', () => {
  it('all() and mine() order by timestamp, then by seq', async () => {
    const box = createOutbox(createKV('q', {}))
    await box.add(entry('c', 5, 3))
    await box.add(entry('a', 1, 9))
    await box.add(entry('d', 5, 4))
    await box.add(entry('b', 5, 1))
    expect(ids(await box.all())).toEqual(['a', 'b', 'c', 'd'])
    expect(ids(box.mine())).toEqual(['a', 'b', 'c', 'd'])
  })

  it('add() persists to the KV before resolving', async () => {
    const kv = createKV('q', {})
    const box = createOutbox(kv)
    await box.add(entry('a', 1, 1))
    expect(await kv.get('a')).toEqual(entry('a', 1, 1))
  })

  it('remove() drops from the KV and from mine()', async () => {
    const kv = createKV('q', {})
    const box = createOutbox(kv)
    await box.add(entry('a', 1, 1))
    await box.add(entry('b', 2, 2))
    await box.remove(['a'])
    expect(ids(await box.all())).toEqual(['b'])
    expect(ids(box.mine())).toEqual(['b'])
    expect(await kv.get('a')).toBeUndefined()
  })

  it("all() includes other tabs' and earlier pages' calls; mine() only this tab's", async () => {
    const kv = createKV('q', {})
    const earlier = createOutbox(kv)
    await earlier.add(entry('old', 1, 1))
    const box = createOutbox(kv)
    await box.add(entry('new', 2, 1))
    expect(ids(await box.all())).toEqual(['old', 'new'])
    expect(ids(box.mine())).toEqual(['new'])
  })

  it('an entry deleted from the KV by another tab disappears from all() and then mine()', async () => {
    const kv = createKV('q', {})
    const box = createOutbox(kv)
    await box.add(entry('a', 1, 1))
    await box.add(entry('b', 2, 2))
    // another tab delivered "a" and removed it from the shared storage
    await createOutbox(kv).remove(['a'])
    expect(ids(await box.all())).toEqual(['b'])
    expect(ids(box.mine())).toEqual(['b'])
  })

  it('a call still being written is already in all() and mine()', async () => {
    const gate = deferred()
    const inner = createKV('q', {})
    const slow: KV = { ...inner, set: async (k, v) => (await gate.promise, inner.set(k, v)) }
    const box = createOutbox(slow)
    const adding = box.add(entry('a', 1, 1))
    expect(ids(box.mine())).toEqual(['a'])
    expect(ids(await box.all())).toEqual(['a'])
    gate.resolve()
    await adding
    expect(ids(await box.all())).toEqual(['a'])
  })

  it('forget() drops from mine() only (another tab announced delivery)', async () => {
    const kv = createKV('q', {})
    const box = createOutbox(kv)
    await box.add(entry('a', 1, 1))
    box.forget(['a'])
    expect(box.mine()).toEqual([])
    expect(await kv.get('a')).toBeDefined()
  })

  it('values that are not entries are ignored', async () => {
    const kv = createKV('q', {})
    await kv.set('junk', { foo: 1 })
    await kv.set('nothing', null)
    const box = createOutbox(kv)
    await box.add(entry('a', 1, 1))
    expect(ids(await box.all())).toEqual(['a'])
  })

  it('clear() empties storage and memory', async () => {
    const kv = createKV('q', {})
    const box = createOutbox(kv)
    await box.add(entry('a', 1, 1))
    await box.clear()
    expect(await box.all()).toEqual([])
    expect(box.mine()).toEqual([])
    expect(await kv.entries()).toEqual([])
  })
})
