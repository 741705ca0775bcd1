/** What a run keeps per simulated user and per query class while it measures. */
import type { Rng } from '../load/rng.ts'
import type { QuerySelector } from '../load/selection.ts'
import type { LatencyHistogram } from '../metrics/histogram.ts'

/**
 * One simulated user (the open model has one, id 0): its random streams, its query selector,
 * and what it measured inside the window. Recording is per user, so no locks and no
 * per-request arrays; the histograms are merged at the end.
 */
export interface UserTally {
  readonly userId: number
  readonly rng: Rng
  readonly insertRng: Rng
  readonly selector: QuerySelector
  readonly response: LatencyHistogram
  readonly service: LatencyHistogram
  total: number
  ok: number
  failed: number
  timedOut: number
  startedAt: number
  finishedAt: number
  crashed: string | null
  lastEndAt: number
  idleSumMs: number
  idleCount: number
  systemSumMs: number
}

/** One query class (`classify()`'s label, or the writes' class). */
export interface ClassTally {
  name: string
  count: number
  ok: number
  failed: number
  timedOut: number
  hist: LatencyHistogram
}
