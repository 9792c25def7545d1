import { afterEach, describe, expect, it } from 'vitest'
import { stringify } from '../../../src/util/json.ts'
import { chunk } from '../../../src/delivery/transport.ts'

const proto = Array.prototype as { toJSON?: unknown }
afterEach(() => {
  delete proto.toJSON
})

describe('stringify', () => {
  it('is JSON.stringify on a page that leaves Array.prototype alone', () => {
    const v = { a: [1, { b: [2] }], s: 'x' }
    expect(stringify(v)).toBe(JSON.stringify(v))
  })

  it("ignores Prototype.js's Array.prototype.toJSON (arrays as strings), and puts it back", () => {
    // as Prototype 1.6 defines it: a plain assignment, so enumerable and configurable
    proto.toJSON = function (this: unknown[]) {
      return '[' + this.join(', ') + ']'
    }
    const v = { products: [{ id: 'p1' }], n: [1, 2] }
    expect(JSON.parse(JSON.stringify(v)).n).toBe('[1, 2]') // the bent result this avoids
    expect(JSON.parse(stringify(v))).toEqual(v)
    expect(typeof proto.toJSON).toBe('function')
    // the wire format too
    const [c] = chunk([{ type: 'track', event: 'Cart Viewed', properties: { products: [{ id: 'p1' }] }, messageId: 'm1', timestamp: 't' } as never], 'wk', 's')
    expect(JSON.parse(c!.body).batch[0].properties.products).toEqual([{ id: 'p1' }])
  })
})
