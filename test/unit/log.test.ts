import { afterEach, describe, expect, it, vi } from 'vitest'
import { debug, error, setVerbose, warn } from '../../src/log.ts'

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

  it('a console that throws does not throw out of the logger', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {
      throw new Error('patched by an error tracker')
    })
    expect(() => error('x')).not.toThrow()
  })
})
