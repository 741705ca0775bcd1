/**
 * Rendering of scalability reports: terminal table, chart, summary and progress lines; one
 * self-contained HTML page; report files (validated, atomic) and the JSON Schema; comparison of
 * two reports with k6-style thresholds. Pure functions from a `ScalabilityReport` to strings,
 * plus the few that write files.
 */
export {
  renderChart,
  renderIsolation,
  renderLevelMetrics,
  renderLevelTable,
  renderSummary,
  shouldColor,
} from './terminal/index.ts'
export { ProgressBar, renderLevelDone, renderProgress } from './progress.ts'
export { renderHtmlReport } from './html.ts'
export {
  parseReportJson,
  readReport,
  reportSchemaJson,
  reportToJson,
  validateReport,
  writeFileAtomic,
  writeReportSchema,
  writeReports,
} from './files.ts'
export {
  THRESHOLD_METRICS,
  compareReports,
  evaluateThreshold,
  evaluateThresholds,
  formatMetric,
  parseThreshold,
  renderComparison,
} from './compare/index.ts'
export { collectWarnings, describeFinding, detectorCallouts } from './insights.ts'
export { formatMs, formatPercent, formatRate, niceTicks } from './format.ts'
export { ReportError, ReportErrorCodes, THRESHOLD_ERROR_CODE, ThresholdError } from '../../errors.ts'

export type { ChartOptions, LevelTableOptions, SummaryOptions, TerminalOptions } from './terminal/index.ts'
export type { ProgressBarOptions, ProgressLineOptions, ProgressStream } from './progress.ts'
export type { HtmlReportOptions } from './html.ts'
export type { WriteReportsOptions } from './files.ts'
export type {
  CompareOptions,
  ComparisonResult,
  ComparisonRow,
  LevelSnapshot,
  RenderComparisonOptions,
  Threshold,
  ThresholdOperator,
  ThresholdResult,
} from './compare/index.ts'
export type { DetectorCallout, ReportWarning } from './insights.ts'
