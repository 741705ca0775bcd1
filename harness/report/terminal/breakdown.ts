/**
 * "Where the time goes": per level, the mean of each part of a request's response time (they
 * add up to the mean response time), the native CPU beside the native run, the contention share
 * and the bottleneck. Read left to right as a request lives.
 */
import type { ScalabilityReport } from '../../sweep/types.ts'
import { TIME_PARTS } from '../../metrics/time-breakdown.ts'
import { TIME_PART_LABELS } from '../insights.ts'
import { MISSING, formatLevel, formatMs, formatNumber, pad, visibleWidth } from '../format.ts'
import { type TerminalOptions, paint, terminalText } from './ansi.ts'

/** The per-level time breakdown as a table (null when no level recorded one). */
export function renderTimeBreakdown(report: ScalabilityReport, options: TerminalOptions = {}): string | null {
  const color = options.color === true
  const results = report.testResults
  if (results.length === 0 || results.every(r => r.timeBreakdown.requests === 0)) return null
  const header = [
    report.loadModel === 'open' ? 'rate' : 'users',
    'response',
    ...TIME_PARTS.map(p => TIME_PART_LABELS[p]),
    'native CPU',
    'waiting',
    'bound by',
  ]
  const rows = results.map((r, i) => {
    const b = r.timeBreakdown
    const native = b.coverage !== 'harness'
    return [
      formatLevel(report.levels[i]?.level ?? r.concurrentUsers),
      formatMs(r.responseTime.mean),
      ...TIME_PARTS.map(p =>
        !native && (p === 'nativeQueue' || p === 'nativeRun' || p === 'delivery') ? MISSING : formatMs(b[p].mean),
      ),
      native ? formatMs(b.nativeRunCpu.mean) : MISSING,
      `${formatNumber(r.resourceContentionScore, 0)} %`,
      r.bottleneck.resource === 'none' ? MISSING : r.bottleneck.resource,
    ]
  })
  const widths = header.map((h, j) => Math.max(visibleWidth(h), ...rows.map(r => visibleWidth(r[j]))))
  const line = (cells: string[]): string =>
    `  ${cells.map((c, j) => (j === cells.length - 1 ? c : pad(c, widths[j], 'right'))).join('  ')}`.trimEnd()
  const t = (text: string): string => terminalText(text, options.ascii)
  const out = [
    paint(color, 'bold', t('  Where the time goes (mean ms per successful request, from its intended start)')),
    paint(color, 'dim', t(line(header))),
    ...rows.map(r => t(line(r))),
  ]
  if (results.some(r => r.timeBreakdown.coverage === 'harness'))
    out.push(
      paint(
        color,
        'dim',
        t("  (the target gave no native timing: its whole time is under 'other', native parts show –)"),
      ),
    )
  out.push(
    paint(
      color,
      'dim',
      t(
        '  schedule: intended → actual start · native queue: queued for a native worker · delivery: worker done → JS resumes',
      ),
    ),
  )
  return out.join('\n')
}
