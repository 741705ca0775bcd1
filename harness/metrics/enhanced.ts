/**
 * The per-level summary in the style of the original sketch's `EnhancedPerformanceMetrics`: one
 * object with what a level did (throughput, latency, errors), what it cost (CPU, memory, GC, the
 * event loop, file handles, the engine's memory), how good its answers were (recall under load),
 * and the findings those figures raise. Field by field in docs/metrics.md.
 */
import { GC_TIME_SHARE, RECALL_DROP_THRESHOLD, RSS_GROWTH_MIN_MB, RSS_GROWTH_MIN_R2 } from '../analysis/constants.ts'
import type { RecallStats } from './recall.ts'
import type { ResourceStats } from './resources.ts'

export const METRIC_FINDING_KINDS = ['recall-drop', 'rss-growth', 'gc-time'] as const
export type MetricFindingKind = (typeof METRIC_FINDING_KINDS)[number]

/** Something a level's figures say is wrong, with the number and the threshold it crossed. */
export interface MetricFinding {
  kind: MetricFindingKind
  /** The measured figure (recall drop, MB grown over the window, GC share of wall time). */
  value: number
  threshold: number
  message: string
}

export interface EnhancedPerformanceMetrics {
  /** Successful requests per second. */
  throughput: number
  /** Response time of successful requests (ms, from the intended start). */
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number }
  /** Failed and timed-out requests over all requests, 0..1. */
  errorRate: number
  /** CPU, percent of the machine (all cores = 100). */
  cpu: { machineBusy: number; mainThread: number | null; engineThreads: number; otherProcesses: number }
  /** Share (0–100) of response time spent waiting for shared resources. */
  resourceContention: number
  /** Recall under load (null: not measured: the target has no recall probe, or sampling was off). */
  recall: RecallStats | null
  /** Memory, GC, event loop, file handles, engine memory (null: not measured). */
  resources: ResourceStats | null
  findings: MetricFinding[]
}

/** The findings a level's recall and resource figures raise (thresholds in analysis/constants.ts). */
export function metricFindings(
  recall: RecallStats | null,
  resources: ResourceStats | null,
  windowMs: number,
): MetricFinding[] {
  const out: MetricFinding[] = []
  if (recall?.drop !== null && recall?.drop !== undefined && recall.drop > RECALL_DROP_THRESHOLD) {
    const what = recall.recall ? `recall@${recall.k}` : `fused top-${recall.k} overlap`
    const idle = recall.recall ? recall.idle?.recall?.mean : recall.idle?.fusedOverlap?.mean
    out.push({
      kind: 'recall-drop',
      value: recall.drop,
      threshold: RECALL_DROP_THRESHOLD,
      message: `${what} fell by ${recall.drop.toFixed(3)} under load (idle ${idle?.toFixed(3)}, loaded ${(
        (idle ?? 0) - recall.drop
      ).toFixed(3)}): the engine answered worse, not only slower`,
    })
  }
  if (resources) {
    const m = resources.memory
    const grownMb = m.rssSlopeMbPerSec * (windowMs / 1000)
    // RSS growing steadily through the window, and (where a full GC can be requested) live
    // memory kept after it: garbage V8 had not collected yet is not a leak.
    const kept = m.retainedMb === null || m.retainedMb >= RSS_GROWTH_MIN_MB
    if (m.rssFitR2 >= RSS_GROWTH_MIN_R2 && grownMb >= RSS_GROWTH_MIN_MB && kept)
      out.push({
        kind: 'rss-growth',
        value: grownMb,
        threshold: RSS_GROWTH_MIN_MB,
        message: `RSS kept growing through the window: +${grownMb.toFixed(0)} MB at ${m.rssSlopeMbPerSec.toFixed(1)} MB/s (line fit R² ${m.rssFitR2.toFixed(2)})${m.retainedMb === null ? ' (no full GC available to tell garbage from a leak)' : `, and ${m.retainedMb.toFixed(0)} MB stayed live after a full GC`}: something holds memory per request`,
      })
    if (resources.gc.shareOfWall > GC_TIME_SHARE)
      out.push({
        kind: 'gc-time',
        value: resources.gc.shareOfWall,
        threshold: GC_TIME_SHARE,
        message: `GC paused the JS thread for ${(resources.gc.shareOfWall * 100).toFixed(1)} % of the window (${resources.gc.count} pauses, ${resources.gc.pauseMs.toFixed(0)} ms)`,
      })
  }
  return out
}
