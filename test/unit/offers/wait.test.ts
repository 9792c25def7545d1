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

  describe('exit intent on a phone (coarse pointer): heuristics', () => {
    /** A fake phone window: its listeners by type, scrollY to set, a visibility state. */
    const phone = (coarse = true) => {
      const on: Record<string, ((e?: Event) => void)[]> = {}
      const add = (type: string, fn: (e?: Event) => void) => (on[type] ??= []).push(fn)
      const doc = { visibilityState: 'visible', documentElement: { scrollHeight: 5000 }, addEventListener: add, removeEventListener: vi.fn() }
      const w = { document: doc, scrollY: 0, innerHeight: 800, matchMedia: () => ({ matches: coarse }), addEventListener: add, removeEventListener: vi.fn() }
      const emit = (type: string) => on[type]?.forEach((f) => f(new Event(type)))
      const scrollTo = (y: number) => ((w.scrollY = y), emit('scroll'))
      return { w: w as unknown as Window, doc, emit, scrollTo }
    }

    it('a fast scroll back up after reading a screen down fires; a slow one or one near the top does not', () => {
      const fire = vi.fn()
      const p = phone()
      arm(p.w, trigger({ exitIntent: true }), fire)
      p.scrollTo(300)
      p.scrollTo(100) // near the top: not a screen read yet
      expect(fire).not.toHaveBeenCalled()
      p.scrollTo(1500)
      vi.advanceTimersByTime(400)
      p.scrollTo(1450) // slow: the last mark is stale, so this starts a new one
      vi.advanceTimersByTime(400)
      p.scrollTo(1400)
      expect(fire).not.toHaveBeenCalled()
      vi.advanceTimersByTime(100)
      p.scrollTo(1200) // 200 px (> 15% of 800) within 250 ms
      expect(fire).toHaveBeenCalledWith('exit_intent')
    })

    it('coming back to the tab fires; so does 20 s idle after an interaction, not before one', () => {
      const back = vi.fn()
      const p = phone()
      arm(p.w, trigger({ exitIntent: true }), back)
      vi.advanceTimersByTime(60000)
      expect(back).not.toHaveBeenCalled()
      p.emit('visibilitychange')
      expect(back).toHaveBeenCalledTimes(1)

      const idle = vi.fn()
      const q = phone()
      arm(q.w, trigger({ exitIntent: true }), idle)
      q.emit('touchstart')
      vi.advanceTimersByTime(19999)
      expect(idle).not.toHaveBeenCalled()
      vi.advanceTimersByTime(1)
      expect(idle).toHaveBeenCalledWith('exit_intent')
    })

    it('a desktop (fine pointer) gets none of these', () => {
      const fire = vi.fn()
      const p = phone(false)
      arm(p.w, trigger({ exitIntent: true }), fire)
      p.scrollTo(2000)
      p.scrollTo(1000)
      p.emit('touchstart')
      p.emit('visibilitychange')
      vi.advanceTimersByTime(60000)
      expect(fire).not.toHaveBeenCalled()
    })
  })
})
