/**
 * The per-level recall, memory, GC and event-loop figures (`testResults[i].enhancedMetrics`)
 * as rows of text cells, shared by the terminal and HTML renderers, and the findings they raise.
 */
import type { MetricFinding } from '../metrics/enhanced.ts'
import type { ScalabilityReport } from '../sweep/types.ts'
import { MISSING, formatLevel, formatNumber } from './format.ts'

export const LEVEL_METRIC_HEADER = [
  'level',
  'recall@k',
  'worst 1 %',
  'idle',
  'RSS MB',
  'RSS MB/s',
  'heap MB',
  'ext MB',
  'GC ms',
  'GC %',
  'ELU',
  'loop p99',
  'fds',
  'engine',
] as const

/** One row per level with its cells, its findings, and the level. */
export function levelMetricRows(
  report: ScalabilityReport,
): Array<{ level: number; cells: string[]; findings: MetricFinding[] }> {
  return report.testResults.map((r, i) => {
    const level = report.levels[i]?.level ?? r.concurrentUsers
    const m = r.enhancedMetrics
    const rec = m?.recall ?? null
    // The headline figure: recall@k, or the fused top-k overlap for hybrid searches.
    const main = rec?.recall ?? rec?.fusedOverlap ?? null
    const idle = rec?.recall ? rec.idle?.recall : rec?.idle?.fusedOverlap
    const res = m?.resources ?? null
    const eng = res?.engine
    const engine = eng
      ? [
          eng.vectors === null ? null : `${formatNumber(eng.vectors)} vec`,
          eng.indexBytes === null ? null : `${formatNumber(eng.indexBytes / 2 ** 20, 1)} MB index`,
          eng.graphBytes === null ? null : `${formatNumber(eng.graphBytes / 2 ** 20, 1)} MB graph`,
          eng.segments === null ? null : `${formatNumber(eng.segments)} seg`,
          eng.segmentBytes === null ? null : `${formatNumber(eng.segmentBytes / 2 ** 20, 1)} MB text`,
        ]
          .filter(x => x !== null)
          .join(', ')
      : MISSING
    const cells = [
      formatLevel(level),
      main
        ? `${formatNumber(main.mean, 3)}${rec?.recall ? '' : ' fused'}${rec?.vectorLeg ? `, leg ${formatNumber(rec.vectorLeg.mean, 3)}` : ''} (${main.samples})`
        : MISSING,
      main ? formatNumber(main.worst1Percent, 3) : MISSING,
      idle ? formatNumber(idle.mean, 3) : MISSING,
      res ? formatNumber(res.memory.rssEndMb, 0) : MISSING,
      res ? formatNumber(res.memory.rssSlopeMbPerSec, 1) : MISSING,
      res ? formatNumber(res.memory.heapUsedMb, 0) : MISSING,
      res ? formatNumber(res.memory.externalMb, 0) : MISSING,
      res ? `${formatNumber(res.gc.pauseMs, 0)} (${formatNumber(res.gc.count)})` : MISSING,
      res ? formatNumber(res.gc.shareOfWall * 100, 1) : MISSING,
      res ? formatNumber(res.eventLoop.utilization, 2) : MISSING,
      res ? formatNumber(res.eventLoop.delayP99Ms, 1) : MISSING,
      res?.openFileHandles === null || res === null ? MISSING : formatNumber(res.openFileHandles),
      engine || MISSING,
    ]
    return { level, cells, findings: m?.findings ?? [] }
  })
}

/** Whether any level carries the per-level metrics (reports written before them do not). */
export function hasLevelMetrics(report: ScalabilityReport): boolean {
  return report.testResults.some(r => r.enhancedMetrics !== undefined)
}
