/**
 * Result assembly: from a finished run's state to the {@link ConcurrentTestResult}: merged
 * histograms, per-user and per-class statistics, Little's law, the measurement warnings.
 */
import type { DetectorReport } from '../detector/detector.ts'
import { classifyBottleneck, jsThreadBusy } from '../analysis/bottleneck.ts'
import { GENERATOR_BUSY, OTHER_PROCESSES_BUSY_PERCENT } from '../analysis/constants.ts'
import { collectEnvironment } from '../environment.ts'
import type { WindowMeasures } from '../load/driver.ts'
import type { AnyLoadModel, ResolvedLoadModelConfig } from '../load/models.ts'
import { mergeHistograms } from '../metrics/histogram.ts'
import { jainFairness } from '../metrics/stats.ts'
import { TIME_PARTS } from '../metrics/time-breakdown.ts'
import type { TimePart } from '../metrics/time-breakdown.ts'
import { cpuAttribution, cpuSnapshot } from '../metrics/cpu.ts'
import type { LittlesLawCheck } from '../metrics/stats.ts'
import type { ConnectionPoolStats } from '../pool.ts'
import type { ClassStats, ConcurrentTestResult, SearchTarget, ThreadPerformance } from '../types.ts'
import type { RunState } from './run-state.ts'

/** The result of a finished run. Destroys the merged histograms it makes (not the run's own). */
export function buildResult(a: {
  state: RunState
  model: AnyLoadModel
  load: ResolvedLoadModelConfig
  target: SearchTarget<unknown, unknown>
  seed: number
  startedAt: string
  window: { startMs: number; endMs: number }
  concurrency: number
  poolStats: ConnectionPoolStats
  detectorReport: DetectorReport | null
  planWarnings: string[]
  baselineThroughput: number | undefined
  baselineTargetMs: number | undefined
  packageVersion: string | undefined
  aborted: boolean
}): ConcurrentTestResult {
  const { state, model, load } = a
  const warnings = [...state.warnings]
  const windowMs = a.window.endMs - a.window.startMs
  const windowSec = windowMs / 1000
  let total = 0
  let ok = 0
  let failed = 0
  let timedOut = 0
  let systemSum = 0
  let idleSum = 0
  let idleCount = 0
  for (const l of state.users) {
    total += l.total
    ok += l.ok
    failed += l.failed
    timedOut += l.timedOut
    systemSum += l.systemSumMs
    idleSum += l.idleSumMs
    idleCount += l.idleCount
  }
  const response = mergeHistograms(state.users.map(l => l.response))
  const service = mergeHistograms(state.users.map(l => l.service))
  try {
    const responseTime = response.summary()
    const serviceTime = service.summary()
    const rps = total / windowSec
    const okRps = ok / windowSec

    // Per user (for models with users only).
    const winStart = state.winStartAt
    const winEnd = state.winEndAt
    const threadPerformance: ThreadPerformance[] = model.hasUsers
      ? state.users.map(l => {
          const s = l.response.summary()
          const from = Math.max(l.startedAt < 0 ? winEnd : l.startedAt, winStart)
          const to = l.crashed !== null && l.finishedAt >= 0 ? Math.min(l.finishedAt, winEnd) : winEnd
          const activeSec = Math.max(0, to - from) / 1000
          return {
            threadId: l.userId,
            requestsCompleted: l.ok,
            requests: l.total,
            averageLatencyMs: s.mean,
            maxLatencyMs: s.max,
            p99LatencyMs: s.p99,
            errorsEncountered: l.failed + l.timedOut,
            cpuTimeMs: null,
            throughput: activeSec > 0 ? l.ok / activeSec : 0,
            crashed: l.crashed,
          }
        })
      : []
    const fairness = model.hasUsers ? jainFairness(threadPerformance.map(t => t.throughput)) : null

    const measured: WindowMeasures = {
      requests: total,
      throughputPerSec: rps,
      meanResidenceMs: total > 0 ? systemSum / total : 0,
      meanIdleMs: idleCount > 0 ? idleSum / idleCount : 0,
      meanActiveUsers: state.meanActiveUsers,
      meanInSystem: state.meanInSystem,
      droppedStarts: state.droppedStarts,
      lateStarts: state.lateStarts,
      maxStartLagMs: state.maxStartLagMs,
    }

    // Little's law, in the model's form.
    let littlesLaw: LittlesLawCheck | null = null
    if (total > 0) {
      littlesLaw = model.littlesLaw(measured)
      if (!littlesLaw.consistent) {
        warnings.push(
          `Little's law (${littlesLaw.law}) is off by ${littlesLaw.relativeError === null ? 'an unbounded amount' : `${(littlesLaw.relativeError * 100).toFixed(1)} %`} ` +
            `(measured ${littlesLaw.observed.toFixed(2)}, predicted ${littlesLaw.predicted.toFixed(2)}): ` +
            'the run was not in a steady state over the window, users were stuck, or the harness lost time',
        )
      }
    } else {
      warnings.push('no request started inside the measurement window')
    }

    // Classes.
    const classes: Record<string, ClassStats> = {}
    const classHistograms: Record<string, string> = {}
    state.classes.forEach((c, i) => {
      const latency = state.classLatency(i, response)
      classHistograms[c.name] = latency.encode()
      classes[c.name] = {
        count: c.count,
        successful: c.ok,
        failed: c.failed,
        timedOut: c.timedOut,
        latency: latency === response ? responseTime : latency.summary(),
      }
    })

    // Warnings.
    warnings.push(...a.planWarnings)
    warnings.push(...model.startWarnings(measured))
    if (state.inFlightAfterTimeout > 0)
      warnings.push(
        `${state.inFlightAfterTimeout} timed-out request(s) were still running at the end, holding their resources`,
      )
    if (a.poolStats.leaked > 0) warnings.push(`${a.poolStats.leaked} pool lease(s) were still held at the end`)
    if (a.detectorReport?.watchdog === 'unavailable')
      warnings.push('the watchdog worker could not start: blocked event loops and stalls go unnoticed')
    if (a.aborted) warnings.push('the run was cancelled before the end of its schedule')
    // Where process.threadCpuUsage is missing (Node < 23.9) mainThreadCpuScope says 'process':
    // a documented property of the field, not a problem with this run's numbers.
    const lockWaitNote = a.detectorReport ? '' : ' (no detector: harness-lock waits are not counted)'
    if (lockWaitNote && state.sumWaitMs > 0)
      warnings.push(`resourceContentionScore counts pool waits only${lockWaitNote}`)

    const histograms = {
      responseTime: response.encode(),
      serviceTime: service.encode(),
      poolWait: state.poolWait.encode(),
      failedResponseTime: state.failedResponse.encode(),
    }
    const errorsByCode: Record<string, number> = {}
    for (const [k, v] of [...state.errorsByCode].sort((x, y) => y[1] - x[1])) errorsByCode[k] = v

    const env = collectEnvironment(a.packageVersion)
    const timeBreakdown = state.breakdown.summary()
    const cpu = state.cpu ?? cpuAttribution(cpuSnapshot(), 0)
    const partMeans = Object.fromEntries(TIME_PARTS.map(p => [p, timeBreakdown[p].mean])) as Record<TimePart, number>
    const bottleneck = classifyBottleneck({
      concurrency: a.concurrency,
      responseMeanMs: responseTime.mean,
      parts: partMeans,
      coverage: timeBreakdown.coverage,
      nativeCpuMeanMs: timeBreakdown.nativeRunCpu.mean,
      baselineTargetMs: a.baselineTargetMs ?? null,
      cpu,
      poolSize: a.poolStats.poolSize < a.concurrency ? a.poolStats.poolSize : null,
      threadPoolSize: env.uvThreadpoolSize,
    })
    if (timeBreakdown.coverage === 'harness' && ok > 0)
      warnings.push(
        "the target reported no native timing: the time breakdown splits schedule delay and pool wait from the target's whole time ('other')",
      )
    const jsBusy = jsThreadBusy(cpu)
    if (jsBusy !== null && jsBusy > GENERATOR_BUSY)
      warnings.push(
        `the load generator's JS thread was ${(jsBusy * 100).toFixed(0)} % busy: the figures describe the generator as much as the system (run it on another machine, or in more processes)`,
      )
    if (cpu.otherProcesses > OTHER_PROCESSES_BUSY_PERCENT)
      warnings.push(
        `other processes took ${cpu.otherProcesses.toFixed(0)} % of the machine during the window: they competed with the system under test`,
      )
    return {
      concurrentUsers: a.concurrency,
      totalRequests: total,
      successfulRequests: ok,
      failedRequests: failed,
      timeoutRequests: timedOut,
      deadlockDetected: a.detectorReport?.deadlockDetected ?? false,
      averageResponseTimeMs: responseTime.mean,
      maxResponseTimeMs: responseTime.max,
      minResponseTimeMs: responseTime.min,
      requestsPerSecond: rps,
      threadPerformance,
      resourceContentionScore:
        state.sumResponseAllMs > 0 ? Math.min(100, (100 * state.sumWaitMs) / state.sumResponseAllMs) : 0,
      // Only defined for a fixed user population with a measured single-user baseline.
      scalabilityEfficiency:
        a.baselineThroughput && model.hasUsers ? (100 * okRps) / (a.concurrency * a.baselineThroughput) : null,
      connectionPoolUsage: a.poolStats,
      target: a.target.name,
      loadModel: load.model,
      loadConfig: load,
      seed: a.seed,
      window: { startMs: a.window.startMs, endMs: a.window.endMs, durationMs: windowMs },
      successfulRequestsPerSecond: okRps,
      responseTime,
      serviceTime,
      poolWait: state.poolWait.summary(),
      failedResponseTime: state.failedResponse.summary(),
      histograms,
      droppedStarts: state.droppedStarts,
      lateStarts: state.lateStarts,
      maxStartLagMs: state.maxStartLagMs,
      errorsByCode,
      inFlightAfterTimeout: { atEnd: state.inFlightAfterTimeout, peak: state.peakInFlightAfterTimeout },
      classes,
      fairness,
      littlesLaw,
      measurementWarnings: warnings,
      detector: a.detectorReport,
      workerThreads: state.workerThreads,
      mainThreadCpuMs: state.threadCpuMs ?? state.processCpuMs,
      mainThreadCpuScope: state.threadCpuMs === null ? 'process' : 'thread',
      processCpuMs: state.processCpuMs,
      timeBreakdown,
      cpu,
      bottleneck,
      writeVisibility: state.writeVisibility,
      ...(state.targetConnections ? { targetConnections: state.targetConnections } : {}),
      mergeable: {
        classes: classHistograms,
        timeBreakdown: state.breakdown.export(),
        sumResponseAllMs: state.sumResponseAllMs,
        sumWaitMs: state.sumWaitMs,
      },
      environment: { ...env, loadModel: load.model, seed: a.seed },
      startedAt: a.startedAt,
    }
  } finally {
    response.destroy()
    service.destroy()
  }
}
