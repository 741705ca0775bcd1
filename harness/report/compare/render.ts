/** The comparison for a terminal: per level baseline → current, the verdict and why. */
import {
  formatLevel,
  formatMs,
  formatPercent,
  formatPlain,
  formatRate,
  formatSignedPercent,
  pad,
  visibleWidth,
} from '../format.ts'
import { glyphs, paint, terminalText } from '../terminal/ansi.ts'
import type { ComparisonResult } from './regressions.ts'

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
  const g = glyphs(options)
  const ok = g.ok
  // A word reads better than the table's `NO` where the whole comparison fails.
  const bad = options.ascii ? 'FAIL' : g.fail
  const arrow = g.arrow
  const clean = (s: string): string => terminalText(s, options.ascii)
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
        r.throughputChange === null ? '' : formatSignedPercent(r.throughputChange),
        `${formatMs(r.baseline.p99Ms)} ${arrow} ${formatMs(r.current.p99Ms)}`,
        r.p99Change === null ? '' : formatSignedPercent(r.p99Change),
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
  lines.push(`  ${head.map((h, j) => paint(color, 'bold', pad(h, widths[j], right[j] ? 'right' : 'left'))).join('  ')}`)
  for (const x of rowsText) {
    const cells = x.cells.map((c, j) => {
      const padded = pad(c, widths[j], right[j] ? 'right' : 'left')
      return x.bad[j] ? paint(color, ['red', 'bold'], padded) : padded
    })
    lines.push(`  ${cells.join('  ')}  ${paint(color, x.status === ok ? 'green' : ['red', 'bold'], x.status)}`)
  }
  if (result.onlyInBaseline.length > 0)
    lines.push(paint(color, 'dim', `  only in the baseline: ${result.onlyInBaseline.map(formatLevel).join(', ')}`))
  if (result.onlyInCurrent.length > 0)
    lines.push(paint(color, 'dim', `  only in the current report: ${result.onlyInCurrent.map(formatLevel).join(', ')}`))
  lines.push('')
  const fmtLevel = (v: number | null): string => (v === null ? 'none' : formatLevel(v))
  lines.push(
    `  breaking point  ${clean(`${fmtLevel(result.breakingPoint.baseline)} ${arrow} ${fmtLevel(result.breakingPoint.current)}`)}  ${result.breakingPoint.regressed ? paint(color, ['red', 'bold'], `${bad} earlier`) : paint(color, 'green', ok)}`,
  )
  lines.push(
    `  optimal         ${clean(`${fmtLevel(result.optimal.baseline)} ${arrow} ${fmtLevel(result.optimal.current)}`)}  ${result.optimal.regressed ? paint(color, ['red', 'bold'], `${bad} lower`) : paint(color, 'green', ok)}`,
  )
  if (result.thresholds.length > 0) {
    lines.push('')
    lines.push(`  ${paint(color, 'bold', 'Thresholds')}`)
    const w = Math.max(...result.thresholds.map(t => visibleWidth(t.threshold.expression)))
    for (const t of result.thresholds) {
      lines.push(
        `    ${t.passed ? paint(color, 'green', ok) : paint(color, ['red', 'bold'], bad)} ${pad(clean(t.threshold.expression), w)}  ${paint(color, 'dim', clean(t.detail))}`,
      )
    }
  }
  if (result.warnings.length > 0) {
    lines.push('')
    lines.push(`  ${paint(color, 'bold', 'Not like for like')}`)
    for (const w of result.warnings) lines.push(`    ${paint(color, 'yellow', '!')} ${clean(w)}`)
  }
  lines.push('')
  if (result.passed) {
    lines.push(
      `  ${paint(color, ['green', 'bold'], `${ok} PASSED`)} ${paint(color, 'dim', `(no regression beyond ${formatPlain(result.regression * 100, 1)} %${result.thresholds.length > 0 ? `, ${result.thresholds.length} threshold${result.thresholds.length === 1 ? '' : 's'} met` : ''})`)}`,
    )
  } else {
    lines.push(
      `  ${paint(color, ['red', 'bold'], `${bad} FAILED`)} ${paint(color, 'dim', `(${result.failures.length} failure${result.failures.length === 1 ? '' : 's'})`)}`,
    )
    for (const f of result.failures)
      lines.push(`    ${paint(color, 'red', options.ascii ? '-' : g.bullet)} ${clean(f)}`)
  }
  return lines.join('\n')
}
