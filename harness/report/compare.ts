/**
 * Comparing two reports (regressions at the levels both measured) and checking k6-style
 * thresholds (`p99 < 50ms`, `errors < 1%`, `throughput > 1000/s`, `optimal >= 8`,
 * `p99@16 < 50ms`) against a report. Pure.
 */
import type { LevelRow, ScalabilityReport } from '../sweep/types.ts'
import { ThresholdError } from '../../errors.ts'
import {
  formatLevel,
  formatMs,
  formatPercent,
  formatPlain,
  formatRate,
  levelNoun,
  pad,
  sanitizeTerminal,
  visibleWidth,
} from './format.ts'
import { levelResults } from './insights.ts'

type MetricKind = 'latency' | 'ratio' | 'rate' | 'users'

interface MetricDef {
  name: string
  kind: MetricKind
  /** Per level (each measured level, or the one named with `@`), or one value for the report. */
  scope: 'level' | 'report'
  describe: string
  level?: (row: LevelRow, report: ScalabilityReport, index: number) => number | null
  report?: (report: ScalabilityReport) => number | null
}

const responseTime =
  (key: 'p95' | 'p99_9' | 'mean') =>
  (_row: LevelRow, report: ScalabilityReport, index: number): number | null =>
    levelResults(report)[index]?.result?.responseTime[key] ?? null

const METRIC_DEFS: MetricDef[] = [
  { name: 'p50', kind: 'latency', scope: 'level', describe: 'median response time', level: r => r.p50Ms },
  { name: 'p90', kind: 'latency', scope: 'level', describe: '90th percentile response time', level: r => r.p90Ms },
  {
    name: 'p95',
    kind: 'latency',
    scope: 'level',
    describe: '95th percentile response time',
    level: responseTime('p95'),
  },
  { name: 'p99', kind: 'latency', scope: 'level', describe: '99th percentile response time', level: r => r.p99Ms },
  {
    name: 'p99.9',
    kind: 'latency',
    scope: 'level',
    describe: '99.9th percentile response time',
    level: responseTime('p99_9'),
  },
  { name: 'max', kind: 'latency', scope: 'level', describe: 'slowest response', level: r => r.maxMs },
  { name: 'mean', kind: 'latency', scope: 'level', describe: 'mean response time', level: responseTime('mean') },
  {
    name: 'pool_wait',
    kind: 'latency',
    scope: 'level',
    describe: 'mean wait for a pool lease',
    level: r => r.poolWaitMeanMs,
  },
  {
    name: 'pool_wait_p99',
    kind: 'latency',
    scope: 'level',
    describe: '99th percentile wait for a pool lease',
    level: r => r.poolWaitP99Ms,
  },
  {
    name: 'errors',
    kind: 'ratio',
    scope: 'level',
    describe: 'failed + timed-out share of requests',
    level: r => r.errorRate,
  },
  {
    name: 'throughput',
    kind: 'rate',
    scope: 'level',
    describe: 'successful requests per second',
    level: r => r.throughput,
  },
  {
    name: 'efficiency',
    kind: 'ratio',
    scope: 'level',
    describe: 'scaling efficiency relative to the smallest level',
    level: r => r.efficiency,
  },
  { name: 'cpu', kind: 'ratio', scope: 'level', describe: 'busy share of all cores', level: r => r.cpuUtilization },
  {
    name: 'optimal',
    kind: 'users',
    scope: 'report',
    describe: 'optimal users (or rate)',
    report: r => r.optimalConcurrentUsers,
  },
  {
    name: 'breaking',
    kind: 'users',
    scope: 'report',
    describe: 'breaking point',
    report: r => r.scalabilityBreakingPoint,
  },
  {
    name: 'nstar',
    kind: 'users',
    scope: 'report',
    describe: 'fitted peak concurrency N*',
    report: r => r.peakConcurrency,
  },
]

const ALIASES: Record<string, string> = {
  median: 'p50',
  p999: 'p99.9',
  p99_9: 'p99.9',
  avg: 'mean',
  poolwait: 'pool_wait',
  'pool-wait': 'pool_wait',
  pool_wait_mean: 'pool_wait',
  'pool-wait-p99': 'pool_wait_p99',
  error: 'errors',
  err: 'errors',
  error_rate: 'errors',
  'error-rate': 'errors',
  errorrate: 'errors',
  rps: 'throughput',
  tput: 'throughput',
  reqs: 'throughput',
  eff: 'efficiency',
  optimal_users: 'optimal',
  'optimal-users': 'optimal',
  breaking_point: 'breaking',
  'breaking-point': 'breaking',
  n_star: 'nstar',
  'n*': 'nstar',
  peak: 'nstar',
}

/** Metric names thresholds accept (aliases not included). */
export const THRESHOLD_METRICS: readonly string[] = METRIC_DEFS.map(m => m.name)

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '=='

/** A parsed threshold. `value` is in base units: ms, a fraction 0..1, requests/s, or users. */
export interface Threshold {
  expression: string
  metric: string
  kind: MetricKind
  /** The level it applies to, or null: every measured level (per-level metrics) / the report. */
  level: number | null
  op: ThresholdOperator
  value: number
}

const EXPR = /^\s*([a-z][a-z0-9_.*-]*)\s*(?:@\s*([^\s<>=!]+))?\s*(<=|>=|==|=|<|>|!=|=<|=>)?\s*(.*?)\s*$/i
const NUMBER_UNIT = /^([-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*([a-zµ/%.]*)$/i

const UNIT_HELP: Record<MetricKind, string> = {
  latency: 'ms (default), s, us or µs',
  ratio: '% (e.g. 1%), or a fraction from 0 to 1 without a unit',
  rate: '/s, rps or req/s (or none)',
  users: 'none (or users)',
}

function convert(expression: string, kind: MetricKind, metric: string, raw: number, unit: string): number {
  const u = unit.toLowerCase()
  switch (kind) {
    case 'latency':
      if (u === '' || u === 'ms') return raw
      if (u === 's' || u === 'sec') return raw * 1000
      if (u === 'us' || u === 'µs' || u === 'μs') return raw / 1000
      break
    case 'ratio':
      if (u === '%') return raw / 100
      if (u === '') {
        if (raw > 1)
          throw new ThresholdError(
            expression,
            `${metric} is a fraction from 0 to 1 without a unit; did you mean ${raw}%?`,
          )
        return raw
      }
      break
    case 'rate':
      if (u === '' || u === '/s' || u === 'rps' || u === 'req/s' || u === 'reqs/s' || u === 'ops/s') return raw
      break
    case 'users':
      if (u === '' || u === 'users' || u === 'user' || u === '/s') return raw
      break
  }
  throw new ThresholdError(expression, `unit "${unit}" does not fit ${metric}; use ${UNIT_HELP[kind]}`)
}

/**
 * Parses `metric[@level] op value[unit]`.
 * @throws {ThresholdError} `ERR_INVALID_THRESHOLD` for a malformed expression or an unknown
 *   metric or unit.
 */
export function parseThreshold(expression: string): Threshold {
  if (typeof expression !== 'string' || expression.trim() === '')
    throw new ThresholdError(String(expression), 'empty; expected e.g. "p99 < 50ms"')
  const m = EXPR.exec(expression)
  if (!m)
    throw new ThresholdError(expression, 'expected metric[@level] <op> value, e.g. "p99 < 50ms" or "p99@16 < 50ms"')
  const [, rawMetric, rawLevel, rawOp, rest] = m
  const key = rawMetric.toLowerCase()
  const name = ALIASES[key] ?? key
  const def = METRIC_DEFS.find(d => d.name === name)
  if (!def)
    throw new ThresholdError(expression, `unknown metric "${rawMetric}"; known: ${THRESHOLD_METRICS.join(', ')}`)
  if (rawOp === undefined)
    throw new ThresholdError(
      expression,
      `expected a comparison (<, <=, >, >= or ==) after "${rawMetric}${rawLevel ? `@${rawLevel}` : ''}"`,
    )
  if (rawOp === '!=' || rawOp === '=<' || rawOp === '=>')
    throw new ThresholdError(expression, `unsupported operator "${rawOp}"; use <, <=, >, >= or ==`)
  const op: ThresholdOperator = rawOp === '=' ? '==' : (rawOp as ThresholdOperator)
  if (rest === '') throw new ThresholdError(expression, `expected a value after "${rawOp}"`)
  const nm = NUMBER_UNIT.exec(rest)
  if (!nm)
    throw new ThresholdError(expression, `"${rest}" is not a number with an optional unit (${UNIT_HELP[def.kind]})`)
  const raw = Number(nm[1].replace(/_/g, ''))
  if (!Number.isFinite(raw)) throw new ThresholdError(expression, `"${nm[1]}" is not a finite number`)
  const value = convert(expression, def.kind, def.name, raw, nm[2])
  let level: number | null = null
  if (rawLevel !== undefined) {
    if (def.scope === 'report')
      throw new ThresholdError(expression, `${def.name} is one number for the whole sweep and takes no @level`)
    level = Number(rawLevel.replace(/\/s$/i, ''))
    if (!(Number.isFinite(level) && level > 0))
      throw new ThresholdError(expression, `"@${rawLevel}" is not a level; expected e.g. @16`)
  }
  return { expression: expression.trim(), metric: def.name, kind: def.kind, level, op, value }
}

function holds(actual: number, op: ThresholdOperator, limit: number): boolean {
  const eps = 1e-9 * Math.max(1, Math.abs(limit))
  switch (op) {
    case '<':
      return actual < limit
    case '<=':
      return actual <= limit + eps
    case '>':
      return actual > limit
    case '>=':
      return actual >= limit - eps
    case '==':
      return Math.abs(actual - limit) <= eps
  }
}

/** A value in the metric's display unit. */
export function formatMetric(kind: MetricKind, value: number): string {
  switch (kind) {
    case 'latency':
      return `${formatMs(value)} ms`
    case 'ratio':
      return `${formatPercent(value)} %`
    case 'rate':
      return `${formatRate(value)} req/s`
    case 'users':
      return formatPlain(value, 2)
  }
}

/** A threshold's bound as written (no padding zeros): `50 ms`, `1 %`, `1,000 req/s`. */
function formatLimit(kind: MetricKind, value: number): string {
  switch (kind) {
    case 'latency':
      return `${formatPlain(value, 3)} ms`
    case 'ratio':
      return `${formatPlain(value * 100, 3)} %`
    case 'rate':
      return `${formatPlain(value, 2)} req/s`
    case 'users':
      return formatPlain(value, 3)
  }
}

/** The outcome of one threshold. */
export interface ThresholdResult {
  threshold: Threshold
  passed: boolean
  /** The levels (per-level metrics) that break it, with their values (null: not measured). */
  violations: Array<{ level: number; value: number | null }>
  /** One line: what was measured against what was required. */
  detail: string
}

function sameLevel(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
}

/** Evaluates one parsed threshold against a report. */
export function evaluateThreshold(report: ScalabilityReport, t: Threshold): ThresholdResult {
  const def = METRIC_DEFS.find(d => d.name === t.metric) as MetricDef
  const limit = `${t.op} ${formatLimit(t.kind, t.value)}`
  if (def.scope === 'report') {
    const actual = def.report!(report)
    if (actual === null) {
      if (t.metric === 'breaking') {
        // Never broke: the breaking point lies beyond the last level measured.
        const last = Math.max(...report.levels.map(r => r.concurrency))
        const passed = (t.op === '>' && last >= t.value) || (t.op === '>=' && last >= t.value)
        return {
          threshold: t,
          passed,
          violations: [],
          detail: `no breaking point up to ${formatLevel(last)}${passed ? '' : `: cannot show ${limit}`}`,
        }
      }
      const why = t.metric === 'optimal' ? 'no level met the SLO' : 'the USL fit has no peak'
      return {
        threshold: t,
        passed: false,
        violations: [],
        detail: `${def.describe}: none (${why}); required ${limit}`,
      }
    }
    const passed = holds(actual, t.op, t.value)
    return {
      threshold: t,
      passed,
      violations: [],
      detail: `${def.describe} ${formatMetric(t.kind, actual)}, required ${limit}`,
    }
  }
  const rows = report.levels.map((row, index) => ({ row, index }))
  const scoped = t.level === null ? rows : rows.filter(({ row }) => sameLevel(row.level, t.level as number))
  if (scoped.length === 0) {
    return {
      threshold: t,
      passed: false,
      violations: [],
      detail: `level ${formatLevel(t.level as number)} was not measured (measured: ${report.levels.map(r => formatLevel(r.level)).join(', ')})`,
    }
  }
  const violations: Array<{ level: number; value: number | null }> = []
  let worst: { level: number; value: number } | null = null
  const lowerIsBetter = t.op === '<' || t.op === '<='
  for (const { row, index } of scoped) {
    const v = def.level!(row, report, index)
    if (v === null || !Number.isFinite(v)) {
      violations.push({ level: row.level, value: null })
      continue
    }
    if (worst === null || (lowerIsBetter ? v > worst.value : v < worst.value)) worst = { level: row.level, value: v }
    if (!holds(v, t.op, t.value)) violations.push({ level: row.level, value: v })
  }
  const where = (level: number): string =>
    report.loadModel === 'open' ? `${formatLevel(level)}/s` : `${formatLevel(level)} ${levelNoun('closed')}`
  let detail: string
  if (violations.length === 0) {
    detail = worst
      ? `${t.level === null ? 'worst' : 'measured'} ${formatMetric(t.kind, worst.value)} at ${where(worst.level)}, required ${limit}`
      : `required ${limit}`
  } else {
    const listed = violations
      .slice(0, 4)
      .map(v => `${v.value === null ? 'not measured' : formatMetric(t.kind, v.value)} at ${where(v.level)}`)
      .join(', ')
    detail = `${listed}${violations.length > 4 ? `, +${violations.length - 4} more` : ''}; required ${limit}`
  }
  return { threshold: t, passed: violations.length === 0, violations, detail }
}

/**
 * Parses and evaluates thresholds against a report.
 * @throws {ThresholdError} for the first malformed expression (before evaluating any).
 */
export function evaluateThresholds(report: ScalabilityReport, expressions: readonly string[]): ThresholdResult[] {
  const parsed = expressions.map(parseThreshold)
  return parsed.map(t => evaluateThreshold(report, t))
}

/** Options of {@link compareReports}. */
export interface CompareOptions {
  /** Threshold expressions evaluated against the current report. */
  thresholds?: readonly string[]
  /** Relative change that counts as a regression (throughput drop, p99 rise). @default 0.10 */
  regression?: number
  /** Rise of the error rate (absolute, fraction of requests) that counts as a regression. @default 0.001 */
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

function pct(x: number): string {
  return `${x >= 0 ? '+' : '−'}${formatPlain(Math.abs(x) * 100, 1)} %`
}

/**
 * Compares `current` with `baseline` at the levels both measured: a throughput drop or a p99
 * rise beyond `regression` (default 10 %), an error-rate rise beyond `errorRateRise`, an earlier
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
  const regression = options.regression ?? 0.1
  if (!(regression >= 0 && Number.isFinite(regression)))
    throw new RangeError(`regression must be a fraction ≥ 0, got ${regression}`)
  const errorRise = options.errorRateRise ?? 0.001
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
          `throughput at ${at(b.level)} fell ${pct(-row.throughputChange).slice(1)} (${formatRate(b.throughput)} → ${formatRate(c.throughput)} req/s)`,
        )
      } else if (b.throughput > 0 && c.throughput === 0) {
        row.regressions.push(`throughput at ${at(b.level)} fell to 0`)
      }
      if (row.p99Change !== null && row.p99Change > regression) {
        row.regressions.push(
          `p99 at ${at(b.level)} rose ${pct(row.p99Change).slice(1)} (${formatMs(b.p99Ms)} → ${formatMs(c.p99Ms)} ms)`,
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

/** Options of {@link renderComparison}. */
export interface RenderComparisonOptions {
  color?: boolean
  ascii?: boolean
}

/**
 * The comparison for a terminal: per level baseline → current with changes (regressions
 * marked), breaking point and optimum, thresholds, warnings, and the verdict.
 */
export function renderComparison(result: ComparisonResult, options: RenderComparisonOptions = {}): string {
  const color = options.color === true
  const ok = options.ascii ? 'ok' : '✓'
  const bad = options.ascii ? 'FAIL' : '✗'
  const arrow = options.ascii ? '->' : '→'
  const paint = (code: string, text: string): string =>
    color && text !== '' ? `\u001b[${code}m${text}\u001b[0m` : text
  const clean = (s: string): string => {
    const t = sanitizeTerminal(s)
    return options.ascii
      ? t
          .replace(/→/g, '->')
          .replace(/−/g, '-')
          .replace(/≥/g, '>=')
          .replace(/≤/g, '<=')
          .replace(/µ/g, 'u')
          .replace(/[^\x20-\x7e]/g, '?')
      : t
  }
  const lines: string[] = []
  const rowsText = result.rows.map(r => {
    const tBad = r.regressions.some(x => x.startsWith('throughput'))
    const pBad = r.regressions.some(x => x.startsWith('p99'))
    const eBad = r.regressions.some(x => x.startsWith('error rate'))
    return {
      r,
      cells: [
        formatLevel(r.level),
        `${formatRate(r.baseline.throughput)} ${arrow} ${formatRate(r.current.throughput)}`,
        r.throughputChange === null ? '' : pct(r.throughputChange),
        `${formatMs(r.baseline.p99Ms)} ${arrow} ${formatMs(r.current.p99Ms)}`,
        r.p99Change === null ? '' : pct(r.p99Change),
        `${formatPercent(r.baseline.errorRate)} ${arrow} ${formatPercent(r.current.errorRate)}`,
      ].map(clean),
      bad: [false, tBad, tBad, pBad, pBad, eBad],
      status: r.regressions.length > 0 ? bad : ok,
    }
  })
  const head = [
    result.loadModel === 'open' ? 'rate' : 'users',
    'throughput (req/s)',
    'change',
    'p99 (ms)',
    'change',
    'errors (%)',
  ]
  const widths = head.map((h, j) => Math.max(visibleWidth(h), ...rowsText.map(x => visibleWidth(x.cells[j]))))
  const right = [true, true, true, true, true, true]
  lines.push(`  ${head.map((h, j) => paint('1', pad(h, widths[j], right[j] ? 'right' : 'left'))).join('  ')}`)
  for (const x of rowsText) {
    const cells = x.cells.map((c, j) => {
      const padded = pad(c, widths[j], right[j] ? 'right' : 'left')
      return x.bad[j] ? paint('31;1', padded) : padded
    })
    lines.push(`  ${cells.join('  ')}  ${paint(x.status === ok ? '32' : '31;1', x.status)}`)
  }
  if (result.onlyInBaseline.length > 0)
    lines.push(paint('2', `  only in the baseline: ${result.onlyInBaseline.map(formatLevel).join(', ')}`))
  if (result.onlyInCurrent.length > 0)
    lines.push(paint('2', `  only in the current report: ${result.onlyInCurrent.map(formatLevel).join(', ')}`))
  lines.push('')
  const fmtLevel = (v: number | null): string => (v === null ? 'none' : formatLevel(v))
  lines.push(
    `  breaking point  ${clean(`${fmtLevel(result.breakingPoint.baseline)} ${arrow} ${fmtLevel(result.breakingPoint.current)}`)}  ${result.breakingPoint.regressed ? paint('31;1', `${bad} earlier`) : paint('32', ok)}`,
  )
  lines.push(
    `  optimal         ${clean(`${fmtLevel(result.optimal.baseline)} ${arrow} ${fmtLevel(result.optimal.current)}`)}  ${result.optimal.regressed ? paint('31;1', `${bad} lower`) : paint('32', ok)}`,
  )
  if (result.thresholds.length > 0) {
    lines.push('')
    lines.push(`  ${paint('1', 'Thresholds')}`)
    const w = Math.max(...result.thresholds.map(t => visibleWidth(t.threshold.expression)))
    for (const t of result.thresholds) {
      lines.push(
        `    ${t.passed ? paint('32', ok) : paint('31;1', bad)} ${pad(clean(t.threshold.expression), w)}  ${paint('2', clean(t.detail))}`,
      )
    }
  }
  if (result.warnings.length > 0) {
    lines.push('')
    lines.push(`  ${paint('1', 'Not like for like')}`)
    for (const w of result.warnings) lines.push(`    ${paint('33', '!')} ${clean(w)}`)
  }
  lines.push('')
  if (result.passed) {
    lines.push(
      `  ${paint('32;1', `${ok} PASSED`)} ${paint('2', `(no regression beyond ${formatPlain(result.regression * 100, 1)} %${result.thresholds.length > 0 ? `, ${result.thresholds.length} threshold${result.thresholds.length === 1 ? '' : 's'} met` : ''})`)}`,
    )
  } else {
    lines.push(
      `  ${paint('31;1', `${bad} FAILED`)} ${paint('2', `(${result.failures.length} failure${result.failures.length === 1 ? '' : 's'})`)}`,
    )
    for (const f of result.failures) lines.push(`    ${paint('31', options.ascii ? '-' : '•')} ${clean(f)}`)
  }
  return lines.join('\n')
}
