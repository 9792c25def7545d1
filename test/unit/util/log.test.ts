import { afterEach, describe, expect, it, vi } from 'vitest'
import { debug, error, setVerbose, warn } from '../../../src/util/log.ts'

afterEach(() => {
  setVerbose(false)
  vi.restoreAllMocks()
})

describe('log', () => {
  it.each([
    ['error', error],
    ['warn', warn],
  ] as const)('%s prefixes [onsite]', (level, fn) => {
    const spy = vi.spyOn(console, level).mockImplementation(() => {})
    fn('something happened')
    expect(spy).toHaveBeenCalledExactlyOnceWith('[onsite] something happened')
  })

  it('debug prints only when verbose', () => {
    const spy = vi.spyOn(console, 'info').mockImplementation(() => {})
    debug('quiet')
    expect(spy).not.toHaveBeenCalled()
    setVerbose(true)
    debug('loud')
    expect(spy).toHaveBeenCalledExactlyOnceWith('[onsite] loud')
  })

  it('one line, at most 2000 characters, whatever the text inside', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    error('track refused: "Order\nCompleted" \r\n  is bad\u2028x')
    error('x'.repeat(40_000))
    expect(spy.mock.calls[0]![0]).toBe('[onsite] track refused: "Order Completed" is bad x')
    expect(spy.mock.calls[1]![0]).toHaveLength(2000)
  })

  it('debug lines (asked for) are one line but whole: a decision over many offers keeps its end', () => {
    const spy = vi.spyOn(console, 'info').mockImplementation(() => {})
    setVerbose(true)
    debug('decision ' + 'x'.repeat(5000) + '\nend')
    expect(spy.mock.calls[0]![0]).toBe('[onsite] decision ' + 'x'.repeat(5000) + ' end')
  })

  it('a console that throws does not throw out of the logger', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {
      throw new Error('patched by an error tracker')
    })
    expect(() => error('x')).not.toThrow()
  })
})
