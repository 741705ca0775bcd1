/**
 * Comparing two reports at the levels both measured: throughput drops, p99 and error-rate rises,
 * an earlier breaking point, a lower optimum, failed thresholds, and what differs between the
 * runs besides the code. Pure.
 */
import { DEFAULT_ERROR_RATE_RISE, DEFAULT_REGRESSION } from '../../analysis/constants.ts'
import type { LevelRow, ScalabilityReport } from '../../sweep/types.ts'
import { formatLevel, formatMs, formatPercent, formatRate, formatSignedPercent } from '../format.ts'
import { type ThresholdResult, evaluateThreshold, parseThreshold, sameLevel } from './thresholds.ts'

/** Options of {@link compareReports}. */
export interface CompareOptions {
  /** Threshold expressions evaluated against the current report. */
  thresholds?: readonly string[]
  /** Relative change that counts as a regression (throughput drop, p99 rise). @default {@link DEFAULT_REGRESSION} */
  regression?: number
  /** Rise of the error rate (absolute, fraction of requests) that counts as a regression. @default {@link DEFAULT_ERROR_RATE_RISE} */
  errorRateRise?: number
}

export interface LevelSnapshot {
  throughput: number
  p50Ms: number
  p99Ms: number
  errorRate: number
}

/** One level measured in both reports. */
export interface ComparisonRow {
  level: number
  baseline: LevelSnapshot
  current: LevelSnapshot
  /** Relative change of throughput (−0.2 = 20 % lower); null when the baseline is 0. */
  throughputChange: number | null
  /** Relative change of p99; null when the baseline is 0. */
  p99Change: number | null
  /** Absolute change of the error rate (fraction of requests). */
  errorRateChange: number
  /** What regressed at this level, in words (empty: nothing). */
  regressions: string[]
}

export interface ComparisonResult {
  passed: boolean
  rows: ComparisonRow[]
  /** Every regression and failed threshold, one sentence each. */
  failures: string[]
  thresholds: ThresholdResult[]
  breakingPoint: { baseline: number | null; current: number | null; regressed: boolean }
  optimal: { baseline: number | null; current: number | null; regressed: boolean }
  onlyInBaseline: number[]
  onlyInCurrent: number[]
  /** Differences that make the comparison less trustworthy (machine, Node, settings). */
  warnings: string[]
  loadModel: 'closed' | 'open'
  regression: number
}

function snap(r: LevelRow): LevelSnapshot {
  return { throughput: r.throughput, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errorRate: r.errorRate }
}

function rel(base: number, cur: number): number | null {
  return base > 0 ? (cur - base) / base : null
}

/**
 * Compares `current` with `baseline` at the levels both measured: a throughput drop or a p99
 * rise beyond `regression` ({@link DEFAULT_REGRESSION}), an error-rate rise beyond `errorRateRise`, an earlier
 * breaking point and fewer optimal users are failures; so is every threshold the current report
 * breaks. `passed` is true when there are no failures.
 * @throws {ThresholdError} for a malformed threshold (before comparing anything).
 */
export function compareReports(
  baseline: ScalabilityReport,
  current: ScalabilityReport,
  options: CompareOptions = {},
): ComparisonResult {
  const thresholdsParsed = (options.thresholds ?? []).map(parseThreshold)
  const regression = options.regression ?? DEFAULT_REGRESSION
  if (!(regression >= 0 && Number.isFinite(regression)))
    throw new RangeError(`regression must be a fraction ≥ 0, got ${regression}`)
  const errorRise = options.errorRateRise ?? DEFAULT_ERROR_RATE_RISE
  const failures: string[] = []
  const warnings: string[] = []
  const model = current.loadModel
  const at = (level: number): string => (model === 'open' ? `${formatLevel(level)}/s` : `${formatLevel(level)} users`)

  const rows: ComparisonRow[] = []
  const onlyInBaseline: number[] = []
  const onlyInCurrent: number[] = []
  const comparable = baseline.loadModel === current.loadModel
  if (!comparable) {
    failures.push(
      `the load models differ (baseline ${baseline.loadModel}, current ${current.loadModel}): levels are not comparable`,
    )
  } else {
    for (const b of baseline.levels) {
      const c = current.levels.find(r => sameLevel(r.level, b.level))
      if (!c) {
        onlyInBaseline.push(b.level)
        continue
      }
      const row: ComparisonRow = {
        level: b.level,
        baseline: snap(b),
        current: snap(c),
        throughputChange: rel(b.throughput, c.throughput),
        p99Change: rel(b.p99Ms, c.p99Ms),
        errorRateChange: c.errorRate - b.errorRate,
        regressions: [],
      }
      if (row.throughputChange !== null && row.throughputChange < -regression) {
        row.regressions.push(
          `throughput at ${at(b.level)} fell ${formatSignedPercent(-row.throughputChange).slice(1)} (${formatRate(b.throughput)} → ${formatRate(c.throughput)} req/s)`,
        )
      } else if (b.throughput > 0 && c.throughput === 0) {
        row.regressions.push(`throughput at ${at(b.level)} fell to 0`)
      }
      if (row.p99Change !== null && row.p99Change > regression) {
        row.regressions.push(
          `p99 at ${at(b.level)} rose ${formatSignedPercent(row.p99Change).slice(1)} (${formatMs(b.p99Ms)} → ${formatMs(c.p99Ms)} ms)`,
        )
      }
      if (row.errorRateChange > errorRise) {
        row.regressions.push(
          `error rate at ${at(b.level)} rose from ${formatPercent(b.errorRate)} % to ${formatPercent(c.errorRate)} %`,
        )
      }
      failures.push(...row.regressions)
      rows.push(row)
    }
    for (const c of current.levels)
      if (!baseline.levels.some(b => sameLevel(b.level, c.level))) onlyInCurrent.push(c.level)
    if (rows.length === 0) failures.push('no level was measured in both reports: nothing to compare')
  }

  // Breaking point: earlier is worse. A baseline that never broke up to L counts as "beyond L".
  const bb = baseline.scalabilityBreakingPoint
  const cb = current.scalabilityBreakingPoint
  let breakingRegressed = false
  if (comparable && cb !== null) {
    if (bb !== null && cb < bb) {
      breakingRegressed = true
      failures.push(
        `the breaking point came earlier: ${at(bb)} → ${at(cb)} (${current.breakingReason ?? 'no reason given'})`,
      )
    } else if (bb === null) {
      const lastBase = Math.max(...baseline.levels.map(r => r.concurrency))
      if (cb <= lastBase) {
        breakingRegressed = true
        failures.push(
          `the sweep now breaks at ${at(cb)} (${current.breakingReason ?? 'no reason given'}); the baseline held up to ${at(lastBase)}`,
        )
      }
    }
  }
  // Optimal users: fewer is worse; none (no level meets the SLO) is worst.
  const bo = baseline.optimalConcurrentUsers
  const co = current.optimalConcurrentUsers
  let optimalRegressed = false
  if (comparable && bo !== null) {
    if (co === null) {
      optimalRegressed = true
      failures.push(`no level meets the SLO any more (the baseline's optimum was ${at(bo)})`)
    } else if (co < bo) {
      optimalRegressed = true
      failures.push(`optimal load fell from ${at(bo)} to ${at(co)}`)
    }
  }

  const thresholds = thresholdsParsed.map(t => evaluateThreshold(current, t))
  for (const t of thresholds) if (!t.passed) failures.push(`threshold ${t.threshold.expression} failed: ${t.detail}`)

  // What differs between the runs besides the code.
  const be = baseline.environment
  const ce = current.environment
  const diff = (what: string, a: unknown, b: unknown): void => {
    if (a !== b) warnings.push(`${what} differs: ${String(a)} → ${String(b)}`)
  }
  diff('CPU', be.cpuModel, ce.cpuModel)
  diff('cores', be.cores, ce.cores)
  diff('UV_THREADPOOL_SIZE', be.uvThreadpoolSize, ce.uvThreadpoolSize)
  diff('Node.js', be.nodeVersion, ce.nodeVersion)
  diff('platform', `${be.platform} ${be.arch}`, `${ce.platform} ${ce.arch}`)
  diff('measured window (ms)', baseline.sweep.durationMs, current.sweep.durationMs)
  diff('warm-up (ms)', baseline.sweep.warmUpMs, current.sweep.warmUpMs)
  diff('SLO', JSON.stringify(baseline.slo), JSON.stringify(current.slo))
  if (baseline.target !== current.target) warnings.push(`target differs: ${baseline.target} → ${current.target}`)

  return {
    passed: failures.length === 0,
    rows,
    failures,
    thresholds,
    breakingPoint: { baseline: bb, current: cb, regressed: breakingRegressed },
    optimal: { baseline: bo, current: co, regressed: optimalRegressed },
    onlyInBaseline,
    onlyInCurrent,
    warnings,
    loadModel: model,
    regression,
  }
}
