import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { arm } from '../../../src/offers/wait.ts'

const trigger = (t: Partial<{ delayMs: number; scrollPercent: number; exitIntent: boolean; inactivityMs: number }>) => ({
  delayMs: 0, scrollPercent: 0, exitIntent: false, inactivityMs: 0, ...t,
})

describe('arm', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('a delay fires once, after the delay', () => {
    const fire = vi.fn()
    arm(window, trigger({ delayMs: 1000 }), fire)
    vi.advanceTimersByTime(999)
    expect(fire).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fire).toHaveBeenCalledWith('delay')
    vi.advanceTimersByTime(5000)
    expect(fire).toHaveBeenCalledTimes(1)
  })

  it('exit intent: the pointer leaving through the top edge, not elsewhere', () => {
    const fire = vi.fn()
    arm(window, trigger({ exitIntent: true }), fire)
    document.dispatchEvent(new MouseEvent('mouseout', { clientY: 300, relatedTarget: null }))
    expect(fire).not.toHaveBeenCalled()
    document.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, relatedTarget: null }))
    document.dispatchEvent(new MouseEvent('mouseout', { clientY: -5, relatedTarget: null }))
    expect(fire).toHaveBeenCalledTimes(1)
    expect(fire).toHaveBeenCalledWith('exit_intent')
  })

  it('inactivity restarts on activity', () => {
    const fire = vi.fn()
    arm(window, trigger({ inactivityMs: 1000 }), fire)
    vi.advanceTimersByTime(900)
    window.dispatchEvent(new Event('keydown'))
    vi.advanceTimersByTime(900)
    expect(fire).not.toHaveBeenCalled()
    vi.advanceTimersByTime(100)
    expect(fire).toHaveBeenCalledWith('inactivity')
  })

  it('every configured condition must be met: delay and exit intent', () => {
    const fire = vi.fn()
    arm(window, trigger({ delayMs: 500, exitIntent: true }), fire)
    document.dispatchEvent(new MouseEvent('mouseout', { clientY: 0, relatedTarget: null }))
    expect(fire).not.toHaveBeenCalled()
    vi.advanceTimersByTime(500)
    expect(fire).toHaveBeenCalledWith('delay+exit_intent')
  })

  it('scroll: fires at the percentage of the page seen', () => {
    const fire = vi.fn()
    const w = { document: { documentElement: { scrollHeight: 2000 } }, scrollY: 0, innerHeight: 500, addEventListener: vi.fn(), removeEventListener: vi.fn() }
    arm(w as unknown as Window, trigger({ scrollPercent: 50 }), fire)
    expect(fire).not.toHaveBeenCalled()
    const onScroll = w.addEventListener.mock.calls.find((c) => c[0] === 'scroll')![1] as () => void
    w.scrollY = 400
    onScroll()
    expect(fire).not.toHaveBeenCalled()
    w.scrollY = 500
    onScroll()
    expect(fire).toHaveBeenCalledWith('scroll')
    expect(w.removeEventListener).toHaveBeenCalledWith('scroll', onScroll)
  })
})
