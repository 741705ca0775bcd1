/**
 * Rendering of scalability reports: terminal table, chart, summary and progress lines; one
 * self-contained HTML page; report files (validated, atomic) and the JSON Schema; comparison of
 * two reports with k6-style thresholds. Pure functions from a `ScalabilityReport` to strings,
 * plus the few that write files.
 */
export {
  ProgressBar,
  renderChart,
  renderLevelDone,
  renderLevelTable,
  renderProgress,
  renderSummary,
  shouldColor,
} from './terminal.ts'
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
} from './compare.ts'
export { collectWarnings, describeFinding, detectorCallouts } from './insights.ts'
export { formatMs, formatPercent, formatRate, niceTicks } from './format.ts'
export { ReportError, ReportErrorCodes, THRESHOLD_ERROR_CODE, ThresholdError } from '../../errors.ts'

export type {
  ChartOptions,
  LevelTableOptions,
  ProgressBarOptions,
  ProgressLineOptions,
  ProgressStream,
  SummaryOptions,
  TerminalOptions,
} from './terminal.ts'
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
} from './compare.ts'
export type { DetectorCallout, ReportWarning } from './insights.ts'
