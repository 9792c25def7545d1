import { describe, expect, it, vi } from 'vitest'
import { CONSENT_STATES, followShopify, shopifyOf, wipeStorage, type ConsentState } from '../../../src/identity/consent.ts'
import { MemStorage } from '../fakes.ts'

const FEATURE = [{ name: 'consent-tracking-api', version: '0.1' }]

/** A window with only what followShopify touches: `Shopify` and a document to listen on. */
const fakeWindow = (shopify?: unknown) => {
  const document = new EventTarget()
  const w = { document, ...(shopify === undefined ? {} : { Shopify: shopify }) } as unknown as Window
  const states: ConsentState[] = []
  const set = (s: ConsentState) => void states.push(s)
  const collected = (detail: unknown) => document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail }))
  return { w, states, set, collected }
}

describe('shopifyOf', () => {
  it('returns window.Shopify when it is an object', () => {
    const S = { customerPrivacy: {} }
    expect(shopifyOf({ Shopify: S } as unknown as Window)).toBe(S)
  })

  it.each([
    ['absent', {}],
    ['not an object', { Shopify: 'yes' }],
    ['null', { Shopify: null }],
  ])('undefined when %s', (_label, w) => {
    expect(shopifyOf(w as unknown as Window)).toBeUndefined()
  })

  it('undefined when reading it throws', () => {
    const w = {
      get Shopify(): unknown {
        throw new Error('getter')
      },
    }
    expect(shopifyOf(w as unknown as Window)).toBeUndefined()
  })
})

describe('followShopify', () => {
  it('granted at once when the Customer Privacy API is loaded and allows analytics', () => {
    const loadFeatures = vi.fn()
    const t = fakeWindow({ customerPrivacy: { analyticsProcessingAllowed: () => true, marketingAllowed: () => true }, loadFeatures })
    followShopify(t.w, t.set)
    expect(t.states).toEqual(['granted'])
    expect(loadFeatures).not.toHaveBeenCalled()
  })

  it('stays pending while analytics is not allowed and the visitor has not answered', () => {
    const t = fakeWindow({ customerPrivacy: { analyticsProcessingAllowed: () => false } })
    followShopify(t.w, t.set)
    expect(t.states).toEqual([])
  })

  it('denied when currentVisitorConsent() says analytics "no"', () => {
    const t = fakeWindow({ customerPrivacy: { analyticsProcessingAllowed: () => false, currentVisitorConsent: () => ({ analytics: 'no' }) } })
    followShopify(t.w, t.set)
    expect(t.states).toEqual(['denied'])
  })

  // Every call lands in Customer.io, a marketing platform, and audience offers act on it: analytics alone
  // is not enough (issue 13, item 7).
  it.each([
    [{ analyticsProcessingAllowed: () => true, marketingAllowed: () => false }, []],
    [{ analyticsProcessingAllowed: () => true }, []],
    [{ analyticsProcessingAllowed: () => false, marketingAllowed: () => true }, []],
    [{ analyticsProcessingAllowed: () => true, marketingAllowed: () => false, currentVisitorConsent: () => ({ analytics: 'yes', marketing: 'no' }) }, ['denied']],
    [{ analyticsProcessingAllowed: () => true, marketingAllowed: () => false, currentVisitorConsent: () => ({ analytics: 'yes', marketing: '', sale_of_data: 'no' }) }, []],
  ] as [Record<string, () => unknown>, string[]][])('needs marketing as well as analytics: %o -> %j', (customerPrivacy, states) => {
    const t = fakeWindow({ customerPrivacy })
    followShopify(t.w, t.set)
    expect(t.states).toEqual(states)
  })

  it.each(['', 'yes'])('stays pending when currentVisitorConsent() says analytics %j and processing is not allowed', (analytics) => {
    const t = fakeWindow({ customerPrivacy: { analyticsProcessingAllowed: () => false, currentVisitorConsent: () => ({ analytics }) } })
    followShopify(t.w, t.set)
    expect(t.states).toEqual([])
  })

  it('loads the consent-tracking-api feature when it is absent, and reads it in the callback', () => {
    const S: Record<string, unknown> = {}
    let done: ((err?: unknown) => void) | undefined
    S.loadFeatures = vi.fn((_features: unknown[], cb: (err?: unknown) => void) => void (done = cb))
    const t = fakeWindow(S)
    followShopify(t.w, t.set)
    expect(S.loadFeatures).toHaveBeenCalledExactlyOnceWith(FEATURE, expect.any(Function))
    expect(t.states).toEqual([]) // nothing until Shopify answers
    S.customerPrivacy = { analyticsProcessingAllowed: () => true, marketingAllowed: () => true }
    done!()
    expect(t.states).toEqual(['granted'])
  })

  it('a loadFeatures error leaves it pending', () => {
    const S: Record<string, unknown> = {}
    S.loadFeatures = (_f: unknown[], cb: (err?: unknown) => void) => {
      S.customerPrivacy = { analyticsProcessingAllowed: () => true, marketingAllowed: () => true }
      cb(new Error('feature failed'))
    }
    const t = fakeWindow(S)
    followShopify(t.w, t.set)
    expect(t.states).toEqual([])
  })

  it.each([
    [{ analyticsAllowed: true, marketingAllowed: true }, 'granted'],
    [{ analyticsAllowed: true, marketingAllowed: false }, 'denied'],
    [{ analyticsAllowed: true }, 'denied'],
    [{ analyticsAllowed: false, marketingAllowed: true }, 'denied'],
    [{ marketingAllowed: true }, 'denied'],
    [undefined, 'denied'],
  ])('visitorConsentCollected with detail %j -> %s', (detail, state) => {
    const t = fakeWindow({ customerPrivacy: { analyticsProcessingAllowed: () => false } })
    followShopify(t.w, t.set)
    t.collected(detail)
    expect(t.states).toEqual([state])
  })

  it('follows every later answer of the visitor', () => {
    const t = fakeWindow({ customerPrivacy: { analyticsProcessingAllowed: () => true, marketingAllowed: () => true } })
    followShopify(t.w, t.set)
    t.collected({ analyticsAllowed: false })
    t.collected({ analyticsAllowed: true, marketingAllowed: true })
    expect(t.states).toEqual(['granted', 'denied', 'granted'])
  })

  it('listens even when the page has no Shopify global', () => {
    const t = fakeWindow()
    expect(() => followShopify(t.w, t.set)).not.toThrow()
    expect(t.states).toEqual([])
    t.collected({ analyticsAllowed: true, marketingAllowed: true })
    expect(t.states).toEqual(['granted'])
  })

  it('listens on the document of the window it was given', () => {
    const t = fakeWindow({})
    followShopify(t.w, t.set)
    document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: { analyticsAllowed: true, marketingAllowed: true } }))
    expect(t.states).toEqual([])
  })

  it.each([
    [
      'analyticsProcessingAllowed throws',
      () => ({
        customerPrivacy: {
          analyticsProcessingAllowed: () => {
            throw new Error('boom')
          },
        },
      }),
    ],
    [
      'currentVisitorConsent throws',
      () => ({
        customerPrivacy: {
          analyticsProcessingAllowed: () => false,
          currentVisitorConsent: () => {
            throw new Error('boom')
          },
        },
      }),
    ],
    [
      'loadFeatures throws',
      () => ({
        loadFeatures: () => {
          throw new Error('boom')
        },
      }),
    ],
    [
      'the customerPrivacy getter throws',
      () => ({
        get customerPrivacy(): unknown {
          throw new Error('boom')
        },
      }),
    ],
    [
      'the API throws inside the loadFeatures callback',
      () => {
        const S: Record<string, unknown> = {
          loadFeatures: (_f: unknown, cb: () => void) => {
            S.customerPrivacy = {
              analyticsProcessingAllowed: () => {
                throw new Error('boom')
              },
            }
            cb()
          },
        }
        return S
      },
    ],
    ['loadFeatures is not a function', () => ({ loadFeatures: 'nope' })],
  ])('never throws out when %s, stays pending, and still follows the event', (_label, make) => {
    const t = fakeWindow(make())
    expect(() => followShopify(t.w, t.set)).not.toThrow()
    expect(t.states).toEqual([])
    t.collected({ analyticsAllowed: true, marketingAllowed: true })
    expect(t.states).toEqual(['granted'])
  })
})

describe('wipeStorage', () => {
  const win = (ls: unknown, idb?: unknown) => ({ localStorage: ls, indexedDB: idb }) as unknown as Window

  it('removes every onsite: localStorage key and nothing else', () => {
    const ls = new MemStorage()
    for (const k of ['onsite:aid', 'theme', 'onsite:who', 'onsite:queue:m1', 'onsite:queue:m2', 'onsiteX', 'ONSITE:caps', 'cart:onsite:1', 'onsite:session', 'onsite:leases'])
      ls.setItem(k, '1')
    wipeStorage(win(ls), () => {}, false)
    expect(ls.dump()).toEqual({ theme: '1', onsiteX: '1', 'ONSITE:caps': '1', 'cart:onsite:1': '1' })
  })

  it('deletes the onsite_aid cookie and the checkout pixel\'s onsite_order cookie (also host-only)', () => {
    const del = vi.fn()
    const doc = { cookie: '' }
    wipeStorage({ localStorage: new MemStorage(), document: doc } as unknown as Window, del, false)
    expect(del.mock.calls).toEqual([['onsite_aid']])
    expect(doc.cookie).toBe('onsite_order=; max-age=0; path=/')
  })

  it('deletes the IndexedDB databases only when asked', () => {
    const deleteDatabase = vi.fn()
    wipeStorage(win(new MemStorage(), { deleteDatabase }), () => {}, false)
    expect(deleteDatabase).not.toHaveBeenCalled()
    wipeStorage(win(new MemStorage(), { deleteDatabase }), () => {}, true)
    expect(deleteDatabase.mock.calls).toEqual([['onsite-id'], ['onsite-queue']])
  })

  it('never throws: throwing localStorage, missing or throwing indexedDB; the cookie still goes', () => {
    const del = vi.fn()
    const hostile = {
      get localStorage(): Storage {
        throw new DOMException('denied', 'SecurityError')
      },
      get indexedDB(): IDBFactory {
        throw new DOMException('denied', 'SecurityError')
      },
    } as unknown as Window
    expect(() => wipeStorage(hostile, del, true)).not.toThrow()
    expect(() => wipeStorage(win(new MemStorage()), del, true)).not.toThrow()
    const deleteDatabase = vi.fn(() => {
      throw new Error('blocked')
    })
    expect(() => wipeStorage(win(new MemStorage(), { deleteDatabase }), del, true)).not.toThrow()
    expect(del).toHaveBeenCalledTimes(3)
  })

  it('a throwing localStorage does not keep the databases from being deleted', () => {
    const deleteDatabase = vi.fn()
    const w = {
      get localStorage(): Storage {
        throw new DOMException('denied', 'SecurityError')
      },
      indexedDB: { deleteDatabase },
    } as unknown as Window
    wipeStorage(w, () => {}, true)
    expect(deleteDatabase).toHaveBeenCalledTimes(2)
  })
})

it('CONSENT_STATES are the three states consent() accepts', () => {
  expect([...CONSENT_STATES].sort()).toEqual(['denied', 'granted', 'pending'])
})
