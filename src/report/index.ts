// The lift report's API: runReport for the numbers, formatReport / reportHtml to show them, the stats for reuse.
export { runReport, liftSql } from './report.ts'
export type { Report, ReportOptions } from './report.ts'
export type { ArmRow, Lift, MetricLift, SampleSize, Aggregate } from './analyze.ts'
export { analyze } from './analyze.ts'
export { formatReport } from './format.ts'
export { reportHtml } from './html.ts'
export { listInputs, loadEvents } from './load.ts'
export * from './stats.ts'
