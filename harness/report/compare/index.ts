/**
 * Comparing two reports for CI: k6-style thresholds (`thresholds.ts`), regressions at the levels
 * both measured (`regressions.ts`), and the comparison for a terminal (`render.ts`).
 */
export {
  THRESHOLD_METRICS,
  evaluateThreshold,
  evaluateThresholds,
  formatMetric,
  parseThreshold,
} from './thresholds.ts'
export { compareReports } from './regressions.ts'
export { renderComparison } from './render.ts'

export type { MetricKind, Threshold, ThresholdOperator, ThresholdResult } from './thresholds.ts'
export type { CompareOptions, ComparisonResult, ComparisonRow, LevelSnapshot } from './regressions.ts'
export type { RenderComparisonOptions } from './render.ts'
