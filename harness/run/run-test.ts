/**
 * One concurrent test from start to end: resolve the options, set up the pool and the
 * detector, open and close the measurement window on time, let the load model drive the
 * {@link RunState}, then tear down what the run made and assemble the result.
 */
import { DeadlockDetector } from '../detector/detector.ts'
import type { DetectorReport } from '../detector/detector.ts'
import { now } from '../load/time.ts'
import { ConnectionPool } from '../pool.ts'
import type { ConnectionPoolStats } from '../pool.ts'
import type { ConcurrentTestOptions, ConcurrentTestResult, SearchTarget } from '../types.ts'
import { resolveTestOptions } from './options.ts'
import { startProgress } from './progress.ts'
import { buildResult } from './result.ts'
import { RunState } from './run-state.ts'
import { levelMetrics } from './level-metrics.ts'

/**
 * Runs one test against `target`. `onUnsettled` gets the run's state if it ended with
 * timed-out target calls still running (its `inFlightAfterTimeout` counts down as they settle).
 * @throws {ConfigError} listing every problem with the options.
 */
export async function runTest<Q, D>(
  target: SearchTarget<unknown, unknown>,
  options: ConcurrentTestOptions<Q, D>,
  onUnsettled: (run: RunState) => void,
): Promise<ConcurrentTestResult> {
  const o = resolveTestOptions(options, target)
  const startedAt = new Date().toISOString()
  const { model, load, window } = o

  const ownPool = !(o.pool instanceof ConnectionPool)
  const pool: ConnectionPool<unknown> = o.pool instanceof ConnectionPool ? o.pool : new ConnectionPool<unknown>(o.pool)
  let detector: DeadlockDetector | null = null
  let ownDetector = false
  if (o.detector instanceof DeadlockDetector) detector = o.detector
  else if (o.detector !== null) detector = new DeadlockDetector(o.detector)

  const controller = new AbortController()
  const onAbort = (): void => controller.abort(o.signal?.reason)
  let state: RunState | null = null
  let openTimer: ReturnType<typeof setTimeout> | undefined
  let closeTimer: ReturnType<typeof setTimeout> | undefined
  let progressTimer: ReturnType<typeof setInterval> | undefined
  let finished = false
  try {
    if (detector) {
      detector.watchPool(pool)
      if (!detector.started) {
        await detector.start()
        ownDetector = true
      }
    }
    if (o.signal) {
      if (o.signal.aborted) controller.abort(o.signal.reason)
      else o.signal.addEventListener('abort', onAbort, { once: true })
    }
    const metrics = await levelMetrics.prepare(target, options as ConcurrentTestOptions<unknown, unknown>, o.queries)
    const run = new RunState({
      recall: metrics.recallSampling,
      t0: now(),
      seed: o.seed,
      signal: controller.signal,
      errorBackoffMs: o.errorBackoffMs,
      target,
      queries: o.queries,
      classify: o.classify,
      selection: o.selection,
      writes: o.writes,
      pool,
      acquireTimeoutMs: o.acquireTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      detector,
      users: model.users(load),
      window,
    })
    state = run
    const openWindow = (): void => {
      run.openWindow()
      metrics.windowOpened()
    }
    const closeWindow = (): void => {
      run.closeWindow()
      metrics.windowClosed()
    }
    if (o.onProgress) progressTimer = startProgress(run, o.onProgress, o.progressIntervalMs, window)
    if (window.startMs <= 0) openWindow()
    else openTimer = setTimeout(openWindow, window.startMs)
    closeTimer = setTimeout(closeWindow, window.endMs)

    await model.run(load, run)
    clearTimeout(openTimer)
    clearTimeout(closeTimer)
    clearInterval(progressTimer)
    closeWindow()
    if (run.inFlightAfterTimeout > 0) onUnsettled(run)

    let poolStats = run.poolStats as ConnectionPoolStats
    if (ownPool) {
      const closed = await pool.close({ timeoutMs: 0 })
      poolStats = { ...poolStats, leaked: closed.leaked, created: closed.created, destroyed: closed.destroyed }
    } else {
      poolStats = { ...poolStats, leaked: pool.inUse }
    }
    let detectorReport: DetectorReport | null = null
    if (detector) {
      detector.check()
      detectorReport = ownDetector ? await detector.stop() : detector.report()
    }
    // Off the measured path: the exact searches for the sampled ones run now, after the level.
    const measuredExtras = await metrics.finish(run)
    finished = true
    const result = buildResult({
      state: run,
      model,
      load,
      target,
      seed: o.seed,
      startedAt,
      window,
      concurrency: o.concurrency,
      poolStats,
      detectorReport,
      planWarnings: model.planWarnings(load),
      baselineThroughput: o.baselineThroughput,
      baselineTargetMs: o.baselineTargetMs,
      packageVersion: o.packageVersion,
      aborted: controller.signal.aborted,
    })
    result.enhancedMetrics = levelMetrics.summarize(result, measuredExtras)
    return result
  } finally {
    clearTimeout(openTimer)
    clearTimeout(closeTimer)
    clearInterval(progressTimer)
    o.signal?.removeEventListener('abort', onAbort)
    state?.destroy()
    if (!finished) {
      // Something threw: do not leave a worker or a pool behind.
      controller.abort()
      if (detector && ownDetector) await detector.stop().catch(() => undefined)
      if (ownPool) await pool.close().catch(() => undefined)
    }
  }
}
