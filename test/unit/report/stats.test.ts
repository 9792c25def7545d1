// @vitest-environment node
// The report's intervals against published worked examples, so a slip in a formula shows as a wrong digit.
import { describe, expect, it } from 'vitest'
import { incompleteBeta, meanRatioLift, newcombe, ratioLift, sampleSizeMeans, sampleSizeRates, tQuantile, welch, wilson } from '../../../src/report/stats.ts'
import type { Moments } from '../../../src/report/stats.ts'

const r4 = (xs: number[]) => xs.map((x) => Math.round(x * 1e4) / 1e4)
const moments = (xs: number[]): Moments => ({ n: xs.length, sum: xs.reduce((a, b) => a + b, 0), sumSq: xs.reduce((a, b) => a + b * b, 0) })

describe('Wilson score interval', () => {
  // Newcombe RG (1998) Two-sided confidence intervals for the single proportion, Stat Med 17:857-872, Table I, method 3.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i/%i -> [%f, %f]', (x, n, lo, hi) => {
    expect(r4(wilson(x, n))).toEqual([lo, hi])
  })

  it('is [0, 1] for no visitors, and exact at 0 and n', () => {
    expect(wilson(0, 0)).toEqual([0, 1])
    expect(wilson(0, 10)[0]).toBe(0)
    expect(wilson(10, 10)[1]).toBe(1)
  })
})

describe('Newcombe hybrid score interval for a difference', () => {
  // Newcombe RG (1998) Interval estimation for the difference between independent proportions, Stat Med
  // 17:873-890, Table II, method 10.
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
  ])('%i/%i - %i/%i -> [%f, %f]', (x1, n1, x2, n2, lo, hi) => {
    expect(r4(newcombe(x1, n1, x2, n2))).toEqual([lo, hi])
  })
})

describe('relative lift of rates (Katz log interval)', () => {
  it('56/70 vs 48/80: RR 1.333, ln RR +- 1.96 * sqrt(1/56 - 1/70 + 1/48 - 1/80)', () => {
    const r = ratioLift(56, 70, 48, 80)!
    const se = Math.sqrt(1 / 56 - 1 / 70 + 1 / 48 - 1 / 80)
    expect(r.rel).toBeCloseTo(1 / 3, 12)
    expect(r.ci95[0]).toBeCloseTo((4 / 3) * Math.exp(-1.959964 * se) - 1, 5)
    expect(r4(r.ci95)).toEqual([0.0766, 0.6512])
  })

  it('is null when an arm has no conversion', () => {
    expect(ratioLift(0, 10, 3, 10)).toBeNull()
    expect(ratioLift(3, 10, 0, 10)).toBeNull()
  })
})

describe('Student t quantiles (any t table)', () => {
  it.each([
    [1, 12.7062],
    [2, 4.3027],
    [5, 2.5706],
    [10, 2.2281],
    [30, 2.0423],
    [120, 1.9799],
  ])('t(0.975, %i) = %f', (df, t) => {
    expect(tQuantile(0.975, df)).toBeCloseTo(t, 4)
  })

  it('is symmetric, and I_x(a, b) has its closed forms', () => {
    expect(tQuantile(0.025, 7)).toBeCloseTo(-tQuantile(0.975, 7), 10)
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12)
    expect(incompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 12)
  })
})

describe('Welch interval for a difference of means', () => {
  // R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, 95% CI -3.3654832 0.2054832.
  const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
  const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
  it("matches R's t.test on the sleep data", () => {
    const w = welch(moments(g1), moments(g2))!
    expect(w.diff).toBeCloseTo(-1.58, 10)
    expect(w.df).toBeCloseTo(17.776, 3)
    expect(w.ci95[0]).toBeCloseTo(-3.3654832, 5)
    expect(w.ci95[1]).toBeCloseTo(0.2054832, 5)
  })

  it('is null below two per arm', () => {
    expect(welch(moments([1]), moments(g2))).toBeNull()
  })

  it('gives a ratio of means interval on the log scale', () => {
    const r = meanRatioLift(moments([2, 4, 6]), moments([1, 2, 3]))!
    expect(r.rel).toBeCloseTo(1, 12)
    // both arms: var/(n m^2) = 4/(3*16) and 1/(3*4): ln 2 +- 1.96 * sqrt(1/6)
    expect(r.ci95[1]).toBeCloseTo(2 * Math.exp(1.959964 * Math.sqrt(1 / 6)) - 1, 5)
    expect(meanRatioLift(moments([0, 0]), moments([1, 2]))).toBeNull()
  })
})

describe('sample size per arm (80% power, alpha 0.05 two-sided)', () => {
  it('10% vs 12%: 3,841 per arm (Fleiss, no continuity correction)', () => {
    expect(sampleSizeRates(0.12, 0.1)).toBe(3841)
  })

  it('means: 2 * (1.96 + 0.84)^2 * sigma^2 / delta^2; sd 1, delta 0.5 -> 63', () => {
    expect(sampleSizeMeans(0.5, 1, 1)).toBe(63)
  })

  it('cannot be said without a difference or a rate', () => {
    expect(sampleSizeRates(0.1, 0.1)).toBeNull()
    expect(sampleSizeRates(0.1, 0)).toBeNull()
    expect(sampleSizeMeans(0, 1, 1)).toBeNull()
  })
})
