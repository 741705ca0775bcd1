/**
 * Merging results of one level measured by several load generators (processes of `--workers`,
 * or machines whose result files `scale merge` reads) into one result.
 *
 * Exact where it can be: counts add; latency distributions are HDR histograms that add (the
 * merged percentiles are the percentiles of all the samples, to the histogram's 0.1 %: exactly
 * what one histogram fed every sample gives); the time breakdown's means come from exact sums.
 * What cannot add is said: peaks of the pools are sums of the generators' peaks (an upper bound
 * on the simultaneous peak); the JS-thread CPU figure is the busiest generator's (a bottleneck
 * is one event loop); the machine's CPU is the generators' mean view of their machine.
 */
import { ErrorCodes, HarnessError } from '../../errors.ts'
import { classifyBottleneck } from '../analysis/bottleneck.ts'
import type { ResolvedLoadModelConfig } from '../load/models.ts'
import type {
  ClassStats,
  ConcurrentTestResult,
  GeneratorStats,
  MergeableParts,
  TargetConnectionStats,
  ThreadPerformance,
} from '../types.ts'
import type { CpuAttribution } from './cpu.ts'
import { LatencyHistogram } from './histogram.ts'
import { jainFairness } from './stats.ts'
import type { LittlesLawCheck } from './stats.ts'
import { TIME_PARTS, TimeBreakdownRecorder } from './time-breakdown.ts'
import type { TimePart } from './time-breakdown.ts'

type HistogramName = keyof ConcurrentTestResult['histograms']
const HISTOGRAMS: HistogramName[] = ['responseTime', 'serviceTime', 'poolWait', 'failedResponseTime']

/** Decodes and adds base64 HDR histograms; the caller destroys the result. */
export function addEncoded(encoded: readonly string[]): LatencyHistogram {
  const out = LatencyHistogram.create()
  for (const e of encoded) {
    const h = LatencyHistogram.decode(e)
    try {
      out.add(h)
    } finally {
      h.destroy()
    }
  }
  return out
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)

function mergeLoadConfig(configs: ResolvedLoadModelConfig[]): ResolvedLoadModelConfig {
  const first = configs[0]
  if (first.model === 'closed') return { ...first, users: sum(configs.map(c => (c.model === 'closed' ? c.users : 0))) }
  return {
    ...first,
    startRate: sum(configs.map(c => (c.model === 'open' ? c.startRate : 0))),
    stages: first.stages.map((stage, i) => ({
      ...stage,
      targetRate: sum(configs.map(c => (c.model === 'open' ? (c.stages[i]?.targetRate ?? 0) : 0))),
    })),
    maxInFlight: sum(configs.map(c => (c.model === 'open' ? c.maxInFlight : 0))),
  }
}

function mergeLittles(laws: (LittlesLawCheck | null)[]): LittlesLawCheck | null {
  if (laws.some(l => l === null)) return null
  const ls = laws as LittlesLawCheck[]
  const observed = sum(ls.map(l => l.observed))
  const predicted = sum(ls.map(l => l.predicted))
  const relativeError = observed === 0 ? (predicted === 0 ? 0 : null) : Math.abs(predicted - observed) / observed
  const tolerance = ls[0].tolerance
  return {
    ...ls[0],
    observed,
    predicted,
    relativeError,
    consistent: relativeError !== null && relativeError <= tolerance,
  }
}

function mergeCpu(cpus: CpuAttribution[]): CpuAttribution {
  const first = cpus[0]
  const machineBusy = sum(cpus.map(c => c.machineBusy)) / cpus.length
  const mains = cpus.map(c => c.mainThread)
  const mainThread = mains.some(m => m === null) ? null : Math.max(...(mains as number[]))
  const engineThreads = sum(cpus.map(c => c.engineThreads))
  const others = cpus.map(c => c.otherThreads)
  const otherThreads = others.some(o => o === null) ? null : sum(others as number[])
  // The generators' whole processes: their own share, so "other processes" excludes them all.
  const generators = sum(cpus.map(c => Math.max(0, c.machineBusy - c.otherProcesses)))
  return {
    cores: first.cores,
    machineBusy,
    mainThread,
    engineThreads,
    otherThreads,
    otherProcesses: Math.max(0, machineBusy - generators),
    eventLoopUtilization: Math.max(...cpus.map(c => c.eventLoopUtilization)),
    mainThreadSource: first.mainThreadSource,
  }
}

function mergeConnections(stats: (TargetConnectionStats | undefined)[]): TargetConnectionStats | undefined {
  if (stats.some(s => s === undefined)) return undefined
  const ss = stats as TargetConnectionStats[]
  const add = (k: keyof Omit<TargetConnectionStats, 'kind'>): number => sum(ss.map(s => s[k]))
  return {
    kind: ss[0].kind,
    connections: add('connections'),
    samples: add('samples'),
    peakConnected: add('peakConnected'),
    meanConnected: add('meanConnected'),
    peakRunning: add('peakRunning'),
    meanRunning: add('meanRunning'),
    peakQueued: add('peakQueued'),
    meanQueued: add('meanQueued'),
    peakPending: add('peakPending'),
    meanPending: add('meanPending'),
  }
}

/** Each generator's part: its share of the load and its own process's CPU. */
export function generatorStats(r: ConcurrentTestResult, index: number): GeneratorStats {
  const windowMs = r.window.durationMs
  return {
    index,
    concurrency: r.concurrentUsers,
    requests: r.totalRequests,
    successfulRequests: r.successfulRequests,
    processCpuMs: r.processCpuMs,
    mainThreadCpuMs: r.mainThreadCpuMs,
    cpuPercentOfCore: windowMs > 0 ? (100 * r.processCpuMs) / windowMs : 0,
    cpuMsPerRequest: r.successfulRequests > 0 ? r.processCpuMs / r.successfulRequests : null,
  }
}

/**
 * One result from the results of several generators that ran the same level at the same time
 * (each a share of the users). Needs every result's `mergeable` parts.
 * @throws {HarnessError} ERR_INVALID_REPORT when a result lacks them, ERR_PLAN_MISMATCH for
 *   results of different load models or window lengths.
 */
export function mergeResults(
  results: readonly ConcurrentTestResult[],
  options: { baselineThroughput?: number; threadPoolSize?: number } = {},
): ConcurrentTestResult {
  if (results.length === 0) throw new HarnessError(ErrorCodes.INVALID_CONFIG, 'nothing to merge')
  const first = results[0]
  for (const [i, r] of results.entries()) {
    if (r.mergeable === undefined)
      throw new HarnessError(
        ErrorCodes.INVALID_REPORT,
        `result ${i} has no mergeable histograms (written by an older version): it cannot be merged exactly`,
      )
    if (r.loadModel !== first.loadModel || Math.abs(r.window.durationMs - first.window.durationMs) > 1)
      throw new HarnessError(
        ErrorCodes.PLAN_MISMATCH,
        `result ${i}: ${r.loadModel} model over ${r.window.durationMs} ms, result 0: ${first.loadModel} over ${first.window.durationMs} ms`,
      )
  }
  const parts = results.map(r => r.mergeable as MergeableParts)
  const windowSec = first.window.durationMs / 1000

  const merged = {} as Record<HistogramName, LatencyHistogram>
  for (const name of HISTOGRAMS) merged[name] = addEncoded(results.map(r => r.histograms[name]))
  const recorder = new TimeBreakdownRecorder()
  try {
    for (const p of parts) {
      const r = TimeBreakdownRecorder.fromExport(p.timeBreakdown)
      recorder.add(r)
      r.destroy()
    }
    const responseTime = merged.responseTime.summary()
    const total = sum(results.map(r => r.totalRequests))
    const ok = sum(results.map(r => r.successfulRequests))
    const concurrency = sum(results.map(r => r.concurrentUsers))

    // Users, renumbered in merge order.
    let offset = 0
    const threadPerformance: ThreadPerformance[] = []
    for (const r of results) {
      for (const u of r.threadPerformance) threadPerformance.push({ ...u, threadId: offset + u.threadId })
      offset += r.loadModel === 'closed' ? r.concurrentUsers : 1
    }
    const hasUsers = first.loadModel === 'closed'

    // Classes: counts add, latency from the added class histograms.
    const classNames = [...new Set(results.flatMap(r => Object.keys(r.classes)))]
    const classes: Record<string, ClassStats> = {}
    const classHistograms: Record<string, string> = {}
    for (const name of classNames) {
      const h = addEncoded(parts.flatMap(p => (p.classes[name] === undefined ? [] : [p.classes[name]])))
      const of = (k: 'count' | 'successful' | 'failed' | 'timedOut'): number =>
        sum(results.map(r => r.classes[name]?.[k] ?? 0))
      classes[name] = {
        count: of('count'),
        successful: of('successful'),
        failed: of('failed'),
        timedOut: of('timedOut'),
        latency: h.summary(),
      }
      classHistograms[name] = h.encode()
      h.destroy()
    }

    const errorsByCode: Record<string, number> = {}
    for (const r of results)
      for (const [code, n] of Object.entries(r.errorsByCode)) errorsByCode[code] = (errorsByCode[code] ?? 0) + n

    const pools = results.map(r => r.connectionPoolUsage)
    const acquired = sum(pools.map(p => p.acquired))
    const poolWait = merged.poolWait.summary()
    const connectionPoolUsage = {
      poolSize: sum(pools.map(p => p.poolSize)),
      peakUsage: sum(pools.map(p => p.peakUsage)),
      averageUsage: sum(pools.map(p => p.averageUsage)),
      waitTimeMs: acquired > 0 ? sum(pools.map(p => p.waitTimeMs * p.acquired)) / acquired : 0,
      waitTime: poolWait,
      connectionTimeouts: sum(pools.map(p => p.connectionTimeouts)),
      abortedAcquires: sum(pools.map(p => p.abortedAcquires)),
      acquired,
      peakQueueLength: sum(pools.map(p => p.peakQueueLength)),
      leaked: sum(pools.map(p => p.leaked)),
      created: sum(pools.map(p => p.created)),
      destroyed: sum(pools.map(p => p.destroyed)),
      windowMs: first.connectionPoolUsage.windowMs,
    }

    const timeBreakdown = recorder.summary()
    const cpu = mergeCpu(results.map(r => r.cpu))
    const sumResponseAllMs = sum(parts.map(p => p.sumResponseAllMs))
    const sumWaitMs = sum(parts.map(p => p.sumWaitMs))
    const partMeans = Object.fromEntries(TIME_PARTS.map(p => [p, timeBreakdown[p].mean])) as Record<TimePart, number>
    const bottleneck = classifyBottleneck({
      concurrency,
      responseMeanMs: responseTime.mean,
      parts: partMeans,
      coverage: timeBreakdown.coverage,
      nativeCpuMeanMs: timeBreakdown.nativeRunCpu.mean,
      baselineTargetMs: null,
      cpu,
      poolSize: connectionPoolUsage.poolSize < concurrency ? connectionPoolUsage.poolSize : null,
      threadPoolSize: options.threadPoolSize ?? first.environment.uvThreadpoolSize,
    })
    const generators = results.map((r, i) => generatorStats(r, i))
    const warnings = [...new Set(results.flatMap(r => r.measurementWarnings))]
    const littlesLaw = mergeLittles(results.map(r => r.littlesLaw))
    const okRps = ok / windowSec
    const connections = mergeConnections(results.map(r => r.targetConnections))
    const detector = results.find(r => r.deadlockDetected)?.detector ?? first.detector

    const out: ConcurrentTestResult = {
      concurrentUsers: concurrency,
      totalRequests: total,
      successfulRequests: ok,
      failedRequests: sum(results.map(r => r.failedRequests)),
      timeoutRequests: sum(results.map(r => r.timeoutRequests)),
      deadlockDetected: results.some(r => r.deadlockDetected),
      averageResponseTimeMs: responseTime.mean,
      maxResponseTimeMs: responseTime.max,
      minResponseTimeMs: responseTime.min,
      requestsPerSecond: total / windowSec,
      threadPerformance,
      resourceContentionScore: sumResponseAllMs > 0 ? Math.min(100, (100 * sumWaitMs) / sumResponseAllMs) : 0,
      scalabilityEfficiency:
        options.baselineThroughput && hasUsers ? (100 * okRps) / (concurrency * options.baselineThroughput) : null,
      connectionPoolUsage,
      target: first.target,
      loadModel: first.loadModel,
      loadConfig: mergeLoadConfig(results.map(r => r.loadConfig)),
      seed: first.seed,
      window: first.window,
      successfulRequestsPerSecond: okRps,
      responseTime,
      serviceTime: merged.serviceTime.summary(),
      poolWait,
      failedResponseTime: merged.failedResponseTime.summary(),
      histograms: {
        responseTime: merged.responseTime.encode(),
        serviceTime: merged.serviceTime.encode(),
        poolWait: merged.poolWait.encode(),
        failedResponseTime: merged.failedResponseTime.encode(),
      },
      droppedStarts: sum(results.map(r => r.droppedStarts)),
      lateStarts: sum(results.map(r => r.lateStarts)),
      maxStartLagMs: Math.max(...results.map(r => r.maxStartLagMs)),
      errorsByCode,
      inFlightAfterTimeout: {
        atEnd: sum(results.map(r => r.inFlightAfterTimeout.atEnd)),
        peak: sum(results.map(r => r.inFlightAfterTimeout.peak)),
      },
      classes,
      fairness: hasUsers ? jainFairness(threadPerformance.map(t => t.throughput)) : null,
      littlesLaw,
      measurementWarnings: warnings,
      detector,
      workerThreads: results.flatMap(r => r.workerThreads),
      mainThreadCpuMs: sum(results.map(r => r.mainThreadCpuMs)),
      mainThreadCpuScope: first.mainThreadCpuScope,
      processCpuMs: sum(results.map(r => r.processCpuMs)),
      timeBreakdown,
      cpu,
      bottleneck,
      writeVisibility: first.writeVisibility,
      ...(connections ? { targetConnections: connections } : {}),
      mergeable: { classes: classHistograms, timeBreakdown: recorder.export(), sumResponseAllMs, sumWaitMs },
      generators,
      environment: first.environment,
      startedAt: results.map(r => r.startedAt).sort()[0],
    }
    return out
  } finally {
    for (const name of HISTOGRAMS) merged[name].destroy()
    recorder.destroy()
  }
}
