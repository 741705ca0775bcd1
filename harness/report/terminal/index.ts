/**
 * Terminal rendering of a scalability report: the per-level table, a chart of throughput and
 * p99 against load, and the verdict. Every renderer is a pure function to a string; colour only
 * with `color: true`, ASCII only with `ascii: true`. Progress lines live in `../progress.ts`.
 */
export { shouldColor } from './ansi.ts'
export { renderTimeBreakdown } from './breakdown.ts'
export { renderChart } from './chart.ts'
export { renderSummary } from './summary.ts'
export { renderLevelTable } from './table.ts'
export { renderLevelMetrics } from './metrics.ts'
export { renderIsolation } from './isolation.ts'

export type { TerminalOptions } from './ansi.ts'
export type { ChartOptions } from './chart.ts'
export type { SummaryOptions } from './summary.ts'
export type { LevelTableOptions } from './table.ts'
