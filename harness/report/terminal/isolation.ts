/** The performance-isolation scenario's result: per class and phase, and the interference ratios. */
import type { IsolationReport } from '../../isolation/types.ts'
import { formatMs, formatNumber, pad, visibleWidth } from '../format.ts'
import { type TerminalOptions, paint, terminalText } from './ansi.ts'

export function renderIsolation(report: IsolationReport, options: TerminalOptions = {}): string {
  const color = options.color === true
  const header = ['phase', 'class', 'users', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'pool wait ms', 'p99 ratio']
  const rows: string[][] = []
  const phases = [
    ['alone', report.alone, null],
    ['shared pool', report.shared, report.interference.shared],
    [
      `reserved ${report.poolSize - report.heavyLimit}+${report.heavyLimit}`,
      report.reserved,
      report.interference.reserved,
    ],
  ] as const
  for (const [name, p, ratios] of phases)
    for (const cls of ['light', 'heavy'] as const)
      rows.push([
        name,
        cls,
        formatNumber(p[cls].users),
        formatNumber(p[cls].throughput, 0),
        formatMs(p[cls].meanMs),
        formatMs(p[cls].p50Ms),
        formatMs(p[cls].p99Ms),
        formatMs(p[cls].poolWaitMeanMs),
        ratios ? `${formatNumber(ratios[cls].p99, 2)}×` : '1×',
      ])
  const widths = header.map((h, j) => Math.max(visibleWidth(h), ...rows.map(r => visibleWidth(r[j]))))
  const line = (cells: string[]): string =>
    `  ${cells.map((c, j) => pad(c, widths[j], j < 2 ? 'left' : 'right')).join('  ')}`.trimEnd()
  const t = (text: string): string => terminalText(text, options.ascii)
  return [
    paint(
      color,
      'bold',
      t(
        `  Performance isolation: ${report.targets.light} (light) and ${report.targets.heavy} (heavy), ${report.poolSize} leases`,
      ),
    ),
    paint(color, 'dim', t(line(header))),
    ...rows.map(r => t(line(r))),
    t(`  ${report.summary}`),
  ].join('\n')
}
