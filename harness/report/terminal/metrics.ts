/** Per level: recall under load beside the idle recall, memory, GC, the event loop, file handles, the engine's memory; then the findings. */
import type { ScalabilityReport } from '../../sweep/types.ts'
import { pad, visibleWidth } from '../format.ts'
import { LEVEL_METRIC_HEADER, hasLevelMetrics, levelMetricRows } from '../level-metrics.ts'
import { type TerminalOptions, paint, terminalText } from './ansi.ts'

/** The table, or null when no level has the metrics. */
export function renderLevelMetrics(report: ScalabilityReport, options: TerminalOptions = {}): string | null {
  if (!hasLevelMetrics(report)) return null
  const color = options.color === true
  const rows = levelMetricRows(report)
  const header = [...LEVEL_METRIC_HEADER]
  const widths = header.map((h, j) => Math.max(visibleWidth(h), ...rows.map(r => visibleWidth(r.cells[j]))))
  const line = (cells: string[]): string =>
    `  ${cells.map((c, j) => (j === cells.length - 1 ? c : pad(c, widths[j], 'right'))).join('  ')}`.trimEnd()
  const t = (text: string): string => terminalText(text, options.ascii)
  const out = [
    paint(
      color,
      'bold',
      t('  Answers and resources per level (recall of sampled searches against exact search; memory over the window)'),
    ),
    paint(color, 'dim', t(line(header))),
    ...rows.map(r => t(line(r.cells))),
  ]
  const findings = rows.flatMap(r => r.findings.map(f => ({ level: r.level, f })))
  if (findings.length === 0)
    out.push(paint(color, 'green', t('  ✓ no recall drop, no steady RSS growth, GC under its share at any level')))
  for (const { level, f } of findings) out.push(paint(color, 'yellow', t(`  ! ${level}: ${f.kind}: ${f.message}`)))
  return out.join('\n')
}
