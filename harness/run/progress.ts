/** Live progress of a running test: a ticker that summarises the last interval for `onProgress`. */
import type { MeasurementWindow } from '../load/driver.ts'
import { now } from '../load/time.ts'
import { LatencyHistogram } from '../metrics/histogram.ts'
import type { LiveProgress } from '../types.ts'
import type { RunState } from './run-state.ts'

/**
 * Calls `onProgress` every `intervalMs` with what `run` completed since the previous tick
 * (warm-up included). Turns on the run's live recording; stop the ticker with `clearInterval`.
 */
export function startProgress(
  run: RunState,
  onProgress: (progress: LiveProgress) => void,
  intervalMs: number,
  window: MeasurementWindow,
): ReturnType<typeof setInterval> {
  const t0 = run.t0
  run.liveResponse = LatencyHistogram.create()
  let last = now()
  return setInterval(() => {
    const t = now()
    const live = run.liveResponse
    if (live === null) return
    const summary = live.summary()
    const progress: LiveProgress = {
      elapsedMs: t - t0,
      totalMs: window.endMs,
      phase: t - t0 < window.startMs ? 'warm-up' : 'measuring',
      throughput: (run.liveCompleted * 1000) / Math.max(t - last, 1),
      p99Ms: summary.count > 0 ? summary.p99 : null,
      errors: run.liveFailed,
    }
    run.liveCompleted = 0
    run.liveFailed = 0
    live.reset()
    last = t
    try {
      onProgress(progress)
    } catch {
      // A failing progress printer must not break the measurement.
    }
  }, intervalMs)
}
