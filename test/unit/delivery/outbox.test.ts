import { describe, expect, it } from 'vitest'
import { createOutbox, type Entry } from '../../../src/delivery/outbox.ts'
import { createKV, type KV } from '../../../src/delivery/storage.ts'
import { deferred } from '../fakes.ts'

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

describe('outbox: concurrent reads and ownership', () => {
  /** A KV whose entries() reads the storage at once but answers only when the gate opens. */
  const slowReads = () => {
    const gate = deferred()
    const inner = createKV('q', {})
    const kv: KV = {
      ...inner,
      entries: async <T>() => {
        const snapshot = await inner.entries<T>()
        await gate.promise
        return snapshot
      },
    }
    return { kv, inner, gate }
  }

  it('a call added while all() is reading storage is not forgotten', async () => {
    const { kv, gate } = slowReads()
    const box = createOutbox(kv)
    await box.add(entry('before', 1, 1))
    const reading = box.all() // reads storage now: only "before" is there
    await box.add(entry('during', 2, 2)) // stored while the read is in flight
    gate.resolve()
    // "during" is missing from the storage snapshot, but it was stored after the read began: not delivered
    expect(ids(await reading)).toEqual(['before', 'during'])
    expect(ids(box.mine())).toEqual(['before', 'during'])
    expect(box.owns('during')).toBe(true)
    expect(ids(await box.all())).toEqual(['before', 'during'])
  })

  it('a call stored before the read began and gone from storage is still taken as delivered elsewhere', async () => {
    const { kv, inner, gate } = slowReads()
    const box = createOutbox(kv)
    await box.add(entry('a', 1, 1))
    await box.add(entry('b', 2, 2))
    await inner.del(['a']) // another tab delivered it
    const reading = box.all()
    await box.add(entry('c', 3, 3))
    gate.resolve()
    expect(ids(await reading)).toEqual(['b', 'c'])
    expect(ids(box.mine())).toEqual(['b', 'c'])
    expect(box.owns('a')).toBe(false)
  })

  it('owns(id): true from add() on for this tab’s calls, false for other tabs’ and after remove or forget', async () => {
    const kv = createKV('q', {})
    const box = createOutbox(kv)
    const other = createOutbox(kv)
    await other.add(entry('theirs', 1, 1))
    const adding = box.add(entry('mine', 2, 1))
    expect(box.owns('mine')).toBe(true) // synchronously, before the write settles
    await adding
    await box.add(entry('forgotten', 3, 2))
    expect(box.owns('theirs')).toBe(false)
    expect(other.owns('theirs')).toBe(true)
    expect(ids(await box.all())).toEqual(['theirs', 'mine', 'forgotten'])
    await box.remove(['mine'])
    box.forget(['forgotten'])
    expect(box.owns('mine')).toBe(false)
    expect(box.owns('forgotten')).toBe(false)
    expect(box.owns('never')).toBe(false)
  })

  it('clear() makes owns() false', async () => {
    const box = createOutbox(createKV('q', {}))
    await box.add(entry('a', 1, 1))
    await box.clear()
    expect(box.owns('a')).toBe(false)
  })
})
