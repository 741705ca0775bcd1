/**
 * k6-style thresholds checked against a report: `metric[@level] op value[unit]`, e.g.
 * `p99 < 50ms`, `errors < 1%`, `throughput > 1000/s`, `optimal >= 8`, `p99@16 < 50ms`. Parsing
 * (with a coded error naming what is wrong) and evaluation. Pure.
 */
import type { LevelRow, ScalabilityReport } from '../../sweep/types.ts'
import { ThresholdError } from '../../../errors.ts'
import { formatLevel, formatMs, formatPercent, formatPlain, formatRate, levelNoun } from '../format.ts'
import { levelResults } from '../insights.ts'

/** What a metric measures, which decides its units. */
export type MetricKind = 'latency' | 'ratio' | 'rate' | 'users'

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

/** Whether two levels are the same (rates may carry float noise). */
export function sameLevel(a: number, b: number): boolean {
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
