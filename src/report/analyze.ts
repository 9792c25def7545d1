// Per-arm aggregates (lift.sql's rows) -> the report's rows: rates, means, and each exposed variant's lift
// against its offer's pooled holdout with 95% intervals and the sample size still needed. Pure.
import type { Interval, Moments } from './stats.ts'
import { mean, meanInterval, meanRatioLift, newcombe, ratioLift, sampleSizeMeans, sampleSizeRates, variance, welch, wilson } from './stats.ts'

/** One row of lift.sql. */
export interface Aggregate {
  offer_id: string
  variant: string | null
  group: 'exposed' | 'held_out'
  visitors: number
  exposed: number
  conversions: number
  repeaters: number
  orders: number
  revenue: number
  revenue_sq: number
  discount: number
}

export interface SampleSize {
  /** `observed`: the lift seen; `minimum`: the stated minimum, when the lift seen is smaller. */
  basis: 'observed' | 'minimum'
  /** The relative lift the numbers are for. */
  rel_lift: number
  /** Visitors each arm needs to detect it at 80% power, alpha 0.05 two-sided; null when it cannot be said. */
  per_arm: number | null
  /** per_arm minus the smaller arm's visitors so far (0: enough). */
  still_needed: number | null
}

export interface MetricLift {
  abs: number
  rel: number | null
  /** 95% interval of `abs`. */
  ci95: Interval | null
  /** 95% interval of `rel`. */
  rel_ci95: Interval | null
  sample_size: SampleSize
}

export interface Lift {
  /** The row it is measured against: the offer's pooled held-out visitors. */
  against: { visitors: number; conversions: number }
  conversion: MetricLift
  revenue_per_visitor: MetricLift
}

export interface ArmRow extends Omit<Aggregate, 'revenue_sq'> {
  conversion_rate: number
  conversion_ci95: Interval
  revenue_per_visitor: number
  revenue_per_visitor_ci95: Interval | null
  aov: number | null
  discount_rate: number | null
  repeat_purchase_rate: number | null
  lift: Lift | null
}

export interface AnalyzeOptions {
  /** The smallest relative lift worth detecting; the sample size uses it when the lift seen is smaller. */
  minLift: number
}

const moments = (a: Aggregate): Moments => ({ n: a.visitors, sum: a.revenue, sumSq: a.revenue_sq })
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

const stillNeeded = (perArm: number | null, a: Aggregate, b: Aggregate): number | null =>
  perArm === null ? null : Math.max(0, perArm - Math.min(a.visitors, b.visitors))

const target = (rel: number | null, minLift: number): { basis: SampleSize['basis']; rel_lift: number } =>
  rel !== null && Math.abs(rel) >= minLift ? { basis: 'observed', rel_lift: rel } : { basis: 'minimum', rel_lift: minLift }

const conversionLift = (v: Aggregate, c: Aggregate, o: AnalyzeOptions): MetricLift => {
  const pv = ratio(v.conversions, v.visitors) ?? 0
  const pc = ratio(c.conversions, c.visitors) ?? 0
  const rel = pc > 0 ? pv / pc - 1 : null
  const t = target(rel, o.minLift)
  const perArm = sampleSizeRates(pc * (1 + t.rel_lift), pc)
  return {
    abs: pv - pc,
    rel,
    ci95: v.visitors > 0 && c.visitors > 0 ? newcombe(v.conversions, v.visitors, c.conversions, c.visitors) : null,
    rel_ci95: ratioLift(v.conversions, v.visitors, c.conversions, c.visitors)?.ci95 ?? null,
    sample_size: { ...t, per_arm: perArm, still_needed: stillNeeded(perArm, v, c) },
  }
}

const revenueLift = (v: Aggregate, c: Aggregate, o: AnalyzeOptions): MetricLift => {
  const [mv, mc] = [mean(moments(v)), mean(moments(c))]
  const w = welch(moments(v), moments(c))
  const r = meanRatioLift(moments(v), moments(c))
  const rel = mc > 0 ? mv / mc - 1 : null
  const t = target(rel, o.minLift)
  const perArm = sampleSizeMeans(mc * t.rel_lift, variance(moments(v)), variance(moments(c)))
  return { abs: mv - mc, rel, ci95: w?.ci95 ?? null, rel_ci95: r?.ci95 ?? null, sample_size: { ...t, per_arm: perArm, still_needed: stillNeeded(perArm, v, c) } }
}

const row = (a: Aggregate, control: Aggregate | undefined, o: AnalyzeOptions): ArmRow => {
  const { revenue_sq: _sq, ...rest } = a
  const m = moments(a)
  return {
    ...rest,
    conversion_rate: ratio(a.conversions, a.visitors) ?? 0,
    conversion_ci95: wilson(a.conversions, a.visitors),
    revenue_per_visitor: mean(m),
    revenue_per_visitor_ci95: meanInterval(m),
    aov: ratio(a.revenue, a.orders),
    // The share of the list price given away: discount / (revenue + discount), over the arm's orders.
    discount_rate: ratio(a.discount, a.revenue + a.discount),
    repeat_purchase_rate: ratio(a.repeaters, a.conversions),
    lift:
      a.group === 'exposed' && control
        ? { against: { visitors: control.visitors, conversions: control.conversions }, conversion: conversionLift(a, control, o), revenue_per_visitor: revenueLift(a, control, o) }
        : null,
  }
}

/** Rows in lift.sql's order; an exposed row has a lift when its offer has held-out visitors. */
export const analyze = (aggregates: Aggregate[], o: AnalyzeOptions): ArmRow[] => {
  const controls = new Map(aggregates.filter((a) => a.group === 'held_out').map((a) => [a.offer_id, a]))
  return aggregates.map((a) => row(a, controls.get(a.offer_id), o))
}
