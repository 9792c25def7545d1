// The intervals of the lift report, from per-arm aggregates only (n, successes, sum and sum of squares), so
// the SQL stays plain aggregation and every number here can be checked against published worked examples.
// Pure; no dependency: a stats library would be the largest thing the report ships for ~150 lines of maths.

export type Interval = [number, number]

/** z for a two-sided 95% interval, and for 80% power. */
export const Z95 = 1.959963984540054
export const Z80 = 0.8416212335729143

/** Wilson score interval for x successes in n (Wilson 1927; Newcombe 1998 method 3). n = 0: [0, 1]. */
export const wilson = (x: number, n: number, z = Z95): Interval => {
  if (n <= 0) return [0, 1]
  const p = x / n
  const z2 = z * z
  const mid = p + z2 / (2 * n)
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  const den = 1 + z2 / n
  // The exact ends at x = 0 and x = n, not 1e-17 of rounding.
  return [x <= 0 ? 0 : (mid - half) / den, x >= n ? 1 : (mid + half) / den]
}

/** Newcombe's hybrid score interval (1998, method 10) for p1 - p2, built from the two Wilson intervals. */
export const newcombe = (x1: number, n1: number, x2: number, n2: number, z = Z95): Interval => {
  const p1 = n1 > 0 ? x1 / n1 : 0
  const p2 = n2 > 0 ? x2 / n2 : 0
  const [l1, u1] = wilson(x1, n1, z)
  const [l2, u2] = wilson(x2, n2, z)
  const d = p1 - p2
  return [d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)]
}

/**
 * The relative lift p1 / p2 - 1 with the Katz log interval for a ratio of proportions (Katz et al. 1978):
 * ln(RR) +- z * sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2). Undefined (null) when either arm has no success.
 */
export const ratioLift = (x1: number, n1: number, x2: number, n2: number, z = Z95): { rel: number; ci95: Interval } | null => {
  if (x1 <= 0 || x2 <= 0 || n1 <= 0 || n2 <= 0) return null
  const rr = x1 / n1 / (x2 / n2)
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
  return { rel: rr - 1, ci95: [rr * Math.exp(-z * se) - 1, rr * Math.exp(z * se) - 1] }
}

/** A per-visitor metric summed over an arm. */
export interface Moments {
  n: number
  sum: number
  sumSq: number
}

export const mean = (m: Moments): number => (m.n > 0 ? m.sum / m.n : 0)

/** Sample variance (n - 1); clamped at 0 against rounding when every value is the same. */
export const variance = (m: Moments): number => (m.n > 1 ? Math.max(0, (m.sumSq - (m.sum * m.sum) / m.n) / (m.n - 1)) : 0)

/** Welch's interval for mean(a) - mean(b), Welch-Satterthwaite degrees of freedom. Null below 2 per arm. */
export const welch = (a: Moments, b: Moments, level = 0.95): { diff: number; ci95: Interval; df: number } | null => {
  if (a.n < 2 || b.n < 2) return null
  const va = variance(a) / a.n
  const vb = variance(b) / b.n
  const diff = mean(a) - mean(b)
  const se = Math.sqrt(va + vb)
  if (se === 0) return { diff, ci95: [diff, diff], df: a.n + b.n - 2 }
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1))
  const t = tQuantile(1 - (1 - level) / 2, df)
  return { diff, ci95: [diff - t * se, diff + t * se], df }
}

/** The interval of one arm's mean (Student t). */
export const meanInterval = (m: Moments, level = 0.95): Interval | null => {
  if (m.n < 2) return null
  const half = tQuantile(1 - (1 - level) / 2, m.n - 1) * Math.sqrt(variance(m) / m.n)
  return [mean(m) - half, mean(m) + half]
}

/**
 * mean(a) / mean(b) - 1 with a delta-method interval on the log of the ratio:
 * ln(ma/mb) +- z * sqrt(va/(na ma^2) + vb/(nb mb^2)). Null when either mean is 0.
 */
export const meanRatioLift = (a: Moments, b: Moments, z = Z95): { rel: number; ci95: Interval } | null => {
  const ma = mean(a)
  const mb = mean(b)
  if (a.n < 2 || b.n < 2 || ma <= 0 || mb <= 0) return null
  const se = Math.sqrt(variance(a) / (a.n * ma * ma) + variance(b) / (b.n * mb * mb))
  const r = ma / mb
  return { rel: r - 1, ci95: [r * Math.exp(-z * se) - 1, r * Math.exp(z * se) - 1] }
}

/**
 * Visitors per arm to detect p1 vs p2 with a two-sided test (normal approximation without continuity
 * correction, Fleiss 1981): (z_a * sqrt(2 pbar qbar) + z_b * sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2.
 */
export const sampleSizeRates = (p1: number, p2: number, za = Z95, zb = Z80): number | null => {
  if (!(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1) || p1 === p2) return null
  const pbar = (p1 + p2) / 2
  const num = za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
  return Math.ceil((num * num) / ((p1 - p2) * (p1 - p2)))
}

/** Visitors per arm to detect a difference `delta` of means with variances v1, v2: (za + zb)^2 (v1 + v2) / delta^2. */
export const sampleSizeMeans = (delta: number, v1: number, v2: number, za = Z95, zb = Z80): number | null => {
  if (!(Math.abs(delta) > 0) || !(v1 + v2 > 0)) return null
  return Math.ceil(((za + zb) ** 2 * (v1 + v2)) / (delta * delta))
}

// ---- Student t quantile, through the regularized incomplete beta function.

const LANCZOS = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]

/** ln Gamma(x) for x > 0 (Lanczos, g = 7). */
export const logGamma = (x: number): number => {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const y = x - 1
  let a = 0.99999999999980993
  const t = y + 7.5
  for (let i = 0; i < 8; i++) a += LANCZOS[i]! / (y + i + 1)
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a)
}

/** The continued fraction of I_x(a, b), modified Lentz. */
const betaFraction = (x: number, a: number, b: number): number => {
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  d = Math.abs(d) < tiny ? 1 / tiny : 1 / d
  let h = d
  for (let m = 1; m <= 300; m++) {
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d
      d = Math.abs(d) < tiny ? 1 / tiny : 1 / d
      c = 1 + num / c
      c = Math.abs(c) < tiny ? tiny : c
      h *= d * c
    }
    if (Math.abs(d * c - 1) < 1e-15) break
  }
  return h
}

/** Regularized incomplete beta I_x(a, b). */
export const incompleteBeta = (x: number, a: number, b: number): number => {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x))
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b
}

/** P(T <= t) for Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export const tCdf = (t: number, df: number): number => {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)
  return t >= 0 ? 1 - tail : tail
}

/** The t with P(T <= t) = p; bisection, which is plenty for a report (60 halvings: below 1e-12). */
export const tQuantile = (p: number, df: number): number => {
  if (p === 0.5) return 0
  if (p < 0.5) return -tQuantile(1 - p, df)
  let lo = 0
  let hi = 1
  while (tCdf(hi, df) < p) hi *= 2
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2
    if (tCdf(mid, df) < p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}
