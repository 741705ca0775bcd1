/** The HTML report's panel of per-level recall, memory, GC and event-loop figures, and their findings. */
import type { ScalabilityReport } from '../sweep/types.ts'
import { escapeHtml as esc } from './format.ts'
import { LEVEL_METRIC_HEADER, hasLevelMetrics, levelMetricRows } from './level-metrics.ts'

/** The panel (empty string when no level has the metrics). */
export function levelMetricsPanel(report: ScalabilityReport): string {
  if (!hasLevelMetrics(report)) return ''
  const rows = levelMetricRows(report)
  const th = LEVEL_METRIC_HEADER.map(
    (h, j) => `<th${j === 0 || j === LEVEL_METRIC_HEADER.length - 1 ? '' : ' class="n"'}>${esc(h)}</th>`,
  ).join('')
  const body = rows
    .map(
      r =>
        `<tr${r.findings.length > 0 ? ' class="warn"' : ''}>${r.cells.map((c, j) => `<td${j === 0 || j === r.cells.length - 1 ? '' : ' class="n"'}>${esc(c)}</td>`).join('')}</tr>`,
    )
    .join('')
  const findings = rows.flatMap(r => r.findings.map(f => ({ level: r.level, f })))
  const list =
    findings.length === 0
      ? '<p class="ok-note">✓ No recall drop, no steady RSS growth, GC under its share at any level.</p>'
      : `<ul class="plain warnings" id="metric-findings">${findings.map(({ level, f }) => `<li><span class="tag warn">${esc(f.kind)}</span>${esc(`${level}: ${f.message}`)}</li>`).join('')}</ul>`
  return `<h2>Answers and resources</h2><p class="meta">Recall of sampled searches against exact search on the same data (idle: one search at a time before the first level); memory, GC and the event loop over each level's window. Fields: docs/metrics.md.</p>${list}<div class="table-wrap"><table id="level-metrics"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`
}
