// The report as plain text: what was read, one table of the arms, one of each variant's lift.
import type { ArmRow, MetricLift } from './analyze.ts'
import type { Interval } from './stats.ts'
import type { Report } from './report.ts'

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (x: number | null, digits = 1) => (x === null ? '-' : `${(x * 100).toFixed(digits)}%`)
const money = (x: number | null) => (x === null ? '-' : x.toFixed(2))
const signed = (s: string) => (s.startsWith('-') ? s : '+' + s)
const range = (ci: Interval | null, f: (x: number) => string) => (ci ? `[${f(ci[0])}, ${f(ci[1])}]` : '')
const pp = (x: number) => signed((x * 100).toFixed(2)) + ' pp'
const relPct = (x: number) => signed((x * 100).toFixed(1)) + '%'

/** Columns padded to their widest cell; numbers (cells starting with a digit, sign or '[') right-aligned. */
export const table = (head: string[], rows: string[][]): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const cell = (s: string, i: number) => (/^[-+\d[]/.test(s) ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))
  return [head, ...rows].map((r) => r.map(cell).join('  ').trimEnd()).join('\n')
}

const armCells = (o: ArmRow): string[] => [
  o.offer_id, o.variant ?? '(all)', o.group, int(o.visitors), int(o.exposed), int(o.conversions),
  `${pct(o.conversion_rate, 2)} ${range(o.conversion_ci95, (x) => pct(x, 2))}`,
  money(o.revenue_per_visitor), money(o.aov), pct(o.discount_rate), pct(o.repeat_purchase_rate),
]

const metric = (m: MetricLift, abs: (x: number) => string) =>
  [`${abs(m.abs)} ${range(m.ci95, abs)}`, m.rel === null ? '-' : `${relPct(m.rel)} ${range(m.rel_ci95, relPct)}`]

const needed = (m: MetricLift) =>
  m.sample_size.per_arm === null ? '-' : `${int(m.sample_size.per_arm)} (${m.sample_size.still_needed ? int(m.sample_size.still_needed) + ' more' : 'enough'})`

const liftCells = (o: ArmRow): string[] => {
  const l = o.lift!
  return [o.offer_id, o.variant ?? '', ...metric(l.conversion, pp), ...metric(l.revenue_per_visitor, (x) => signed(x.toFixed(2))), needed(l.conversion), needed(l.revenue_per_visitor)]
}

/** The readable report. */
export const formatReport = (r: Report): string => {
  const i = r.inputs
  const head = [
    `onsite lift report: ${int(i.files)} file(s), ${int(i.lines)} lines, ${int(i.calls)} calls, ${int(i.bad_lines)} lines not a call; window ${r.window_days} days`,
    `used: ${int(r.events.decisions)} decisions, ${int(r.events.orders)} orders; dropped as copies: ${int(r.events.duplicate_calls)} calls (messageId), ${int(r.events.duplicate_orders)} orders (order_id)`,
    ...(i.unmatched.length ? [`no files in: ${i.unmatched.join(', ')}`] : []),
  ]
  if (r.offers.length === 0) return [...head, '', 'No offer decisions (offer_seen / offer_held_out) in the input.'].join('\n') + '\n'
  const arms = table(['offer', 'variant', 'group', 'visitors', 'exposed', 'conv', 'conversion rate [95% CI]', 'rev/visitor', 'aov', 'discount', 'repeat'], r.offers.map(armCells))
  const lifted = r.offers.filter((o) => o.lift)
  const lifts = lifted.length
    ? table(['offer', 'variant', 'conversion lift [95% CI]', 'relative', 'rev/visitor lift [95% CI]', 'relative', 'n/arm conv', 'n/arm rev'], lifted.map(liftCells))
    : 'No lift: no offer has both held-out and exposed visitors.'
  const note = `n/arm: visitors each arm needs to detect the lift seen (or ${pct(r.min_lift, 0)} when smaller) at 80% power, alpha 0.05.`
  return [...head, '', arms, '', 'Lift of each variant against its offer\'s held-out visitors:', lifts, '', note].join('\n') + '\n'
}
