/**
 * Hand-built scalability reports with known numbers for the report renderers' tests. The
 * analysis fields come from the real `analyzeScalability`, so they agree with the levels, and
 * every report is validated with `ScalabilityReportSchema`.
 */
import { analyzeScalability } from '../../harness/analysis/scalability.ts'
import type { LevelMeasurement, Slo } from '../../harness/analysis/scalability.ts'
import { scalingEfficiency } from '../../harness/analysis/efficiency.ts'
import { uslThroughput } from '../../harness/analysis/usl.ts'
import type { DetectorReport } from '../../harness/detector/detector.ts'
import type { LatencySummary } from '../../harness/metrics/histogram.ts'
import type { LittlesLawCheck } from '../../harness/metrics/stats.ts'
import { parseScalabilityReport } from '../../harness/sweep/schema.ts'
import { REPORT_SCHEMA_VERSION } from '../../harness/sweep/types.ts'
import type { LevelRow, ScalabilityReport } from '../../harness/sweep/types.ts'
import type { ConcurrentTestResult } from '../../harness/types.ts'
import type { Bottleneck } from '../../harness/analysis/bottleneck.ts'
import type { TimeBreakdown } from '../../harness/metrics/time-breakdown.ts'

export interface LevelSpec {
  level: number
  throughput: number
  p50Ms: number
  p99Ms: number
  errorRate?: number
  poolWaitMeanMs?: number
  serviceMeanMs?: number
  cpuUtilization?: number | null
  refined?: boolean
  deadlock?: boolean
  detector?: Partial<DetectorReport>
  littlesLaw?: Partial<LittlesLawCheck> | null
  measurementWarnings?: string[]
  /** Mean native-queue wait (ms) in the time breakdown. @default 0 */
  nativeQueueMeanMs?: number
  /** The level's bottleneck. @default none */
  bottleneck?: Bottleneck
}

function summary(count: number, p50: number, p99: number): LatencySummary {
  return {
    count,
    min: p50 / 2,
    mean: (p50 + p99) / 2.5,
    p50,
    p90: (p50 + p99) / 2,
    p95: (p50 + 3 * p99) / 4,
    p99,
    p99_9: p99 * 1.1,
    max: p99 * 1.2,
  }
}

/** A time breakdown whose means add up to `responseMean`, shaped by the spec. */
function breakdown(s: LevelSpec, count: number, responseMean: number): TimeBreakdown {
  const part = (mean: number) => ({ mean, p50: mean, p99: mean * 2 })
  const poolWait = s.poolWaitMeanMs ?? 0
  const nativeQueue = s.nativeQueueMeanMs ?? 0
  const nativeRun = Math.max(0, (responseMean - poolWait - nativeQueue) * 0.8)
  const scheduleDelay = 0.01
  const delivery = 0.02
  return {
    scheduleDelay: part(scheduleDelay),
    poolWait: part(poolWait),
    nativeQueue: part(nativeQueue),
    nativeRun: part(nativeRun),
    delivery: part(delivery),
    other: part(responseMean - scheduleDelay - poolWait - nativeQueue - nativeRun - delivery),
    nativeRunCpu: part(nativeRun * 0.9),
    requests: count,
    requestsWithNativeStamps: count,
    coverage: 'engine',
  }
}

export function emptyDetector(): DetectorReport {
  return {
    deadlockDetected: false,
    findings: [],
    findingCounts: {
      deadlock: 0,
      stall: 0,
      'blocked-event-loop': 0,
      'pool-exhaustion': 0,
      'slow-operation': 0,
      'timed-out-still-running': 0,
    },
    eventLoop: { maxDelayMs: 1.5, p99DelayMs: 1.2, meanDelayMs: 0.3, blockedEpisodes: 0, longestBlockMs: 0 },
    threadPool: { timedOutStillRunning: 0, peakTimedOutStillRunning: 0 },
    locks: [],
    watchdog: 'worker',
  }
}

const ENV = {
  cpuModel: 'Test CPU @ 3.0GHz',
  cores: 8,
  cpuFlags: ['avx2', 'fma'] as ('avx2' | 'fma')[],
  uvThreadpoolSize: 4,
  nodeVersion: 'v22.18.0',
  v8Version: '12.4.254.21-node.27',
  platform: 'linux',
  arch: 'x64',
  packageVersion: '0.1.0',
  gitRevision: 'cb61685',
  histogramBackend: 'wasm' as const,
  engine: { kernelIsa: 'avx2' },
}

/** A result for one level, consistent with its spec (counts over a 1 s window). */
export function makeResult(s: LevelSpec, model: 'closed' | 'open' = 'closed'): ConcurrentTestResult {
  const windowMs = 1000
  const successful = Math.round(s.throughput)
  const errorRate = s.errorRate ?? 0
  const total = errorRate >= 1 ? Math.max(1, successful) : Math.round(successful / (1 - errorRate))
  const failed = total - successful
  const users = model === 'closed' ? s.level : 64
  const det: DetectorReport = {
    ...emptyDetector(),
    ...(s.detector ?? {}),
    deadlockDetected: s.deadlock ?? s.detector?.deadlockDetected ?? false,
  }
  const ll: LittlesLawCheck | null =
    s.littlesLaw === null
      ? null
      : {
          model,
          law: model === 'closed' ? 'N = X·(R+Z)' : 'L = λ·W',
          observed: s.level,
          predicted: s.level,
          relativeError: 0,
          consistent: true,
          tolerance: 0.1,
          ...(s.littlesLaw ?? {}),
        }
  return {
    concurrentUsers: users,
    totalRequests: total,
    successfulRequests: successful,
    failedRequests: failed,
    timeoutRequests: 0,
    deadlockDetected: det.deadlockDetected,
    averageResponseTimeMs: (s.p50Ms + s.p99Ms) / 2.5,
    maxResponseTimeMs: s.p99Ms * 1.2,
    minResponseTimeMs: s.p50Ms / 2,
    requestsPerSecond: total,
    threadPerformance: [],
    resourceContentionScore: 0,
    scalabilityEfficiency: null,
    connectionPoolUsage: {
      poolSize: users,
      peakUsage: users,
      averageUsage: users * 0.9,
      waitTimeMs: 0,
      waitTime: summary(successful, s.poolWaitMeanMs ?? 0, s.poolWaitMeanMs ?? 0),
      connectionTimeouts: 0,
      abortedAcquires: 0,
      acquired: total,
      peakQueueLength: 0,
      leaked: 0,
      created: users,
      destroyed: users,
      windowMs,
    },
    target: 'fixture',
    loadModel: model,
    loadConfig:
      model === 'closed'
        ? {
            model: 'closed',
            users,
            durationMs: 1100,
            warmUpMs: 100,
            rampUp: { durationMs: 0, shape: 'linear', steps: 1 },
            thinkTime: { kind: 'none' },
            lateThresholdMs: 2,
          }
        : {
            model: 'open',
            arrivals: 'poisson',
            startRate: s.level,
            stages: [],
            durationMs: 1100,
            maxInFlight: 64,
            warmUpMs: 100,
            lateThresholdMs: 2,
          },
    seed: 42,
    window: { startMs: 100, endMs: 1100, durationMs: windowMs },
    successfulRequestsPerSecond: s.throughput,
    responseTime: summary(successful, s.p50Ms, s.p99Ms),
    serviceTime: summary(successful, s.serviceMeanMs ?? s.p50Ms, s.p99Ms),
    poolWait: { ...summary(successful, s.poolWaitMeanMs ?? 0, s.poolWaitMeanMs ?? 0), mean: s.poolWaitMeanMs ?? 0 },
    failedResponseTime: summary(failed, 1, 2),
    histograms: { responseTime: '', serviceTime: '', poolWait: '', failedResponseTime: '' },
    droppedStarts: 0,
    lateStarts: 0,
    maxStartLagMs: 0,
    errorsByCode: failed > 0 ? { ERR_TEST: failed } : {},
    inFlightAfterTimeout: { atEnd: 0, peak: 0 },
    classes: {
      read: { count: total, successful, failed, timedOut: 0, latency: summary(successful, s.p50Ms, s.p99Ms) },
    },
    fairness: model === 'closed' ? 1 : null,
    littlesLaw: ll,
    measurementWarnings: s.measurementWarnings ?? [],
    detector: det,
    workerThreads: [],
    mainThreadCpuMs: 100,
    mainThreadCpuScope: 'process',
    processCpuMs: (s.cpuUtilization ?? 0.5) * windowMs * ENV.cores,
    timeBreakdown: breakdown(s, successful, (s.p50Ms + s.p99Ms) / 2.5),
    cpu: {
      cores: ENV.cores,
      machineBusy: (s.cpuUtilization ?? 0.5) * 100,
      mainThread: 5,
      engineThreads: Math.max(0, (s.cpuUtilization ?? 0.5) * 100 - 6),
      otherThreads: 1,
      otherProcesses: 0,
      eventLoopUtilization: 0.3,
      mainThreadSource: 'procfs',
    },
    bottleneck: s.bottleneck ?? { resource: 'none', share: 0, evidence: 'no resource limits this level' },
    writeVisibility: null,
    environment: { ...ENV, loadModel: model, seed: 42 },
    startedAt: '2026-01-02T03:04:05.000Z',
  }
}

export interface ReportSpec {
  target?: string
  model?: 'closed' | 'open'
  slo?: Slo | null
  levels: LevelSpec[]
  /** Skip schema validation (for tests of invalid reports). */
  raw?: boolean
}

/** A report for the levels, analysed by the real analysis and validated by the schema. */
export function makeReport(spec: ReportSpec): ScalabilityReport {
  const model = spec.model ?? 'closed'
  const slo = spec.slo === undefined ? { p99Ms: 50 } : spec.slo
  const levels = [...spec.levels].sort((a, b) => a.level - b.level)
  const measurements: LevelMeasurement[] = levels.map(s => ({
    concurrency: s.level,
    throughput: s.throughput,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    errorRate: s.errorRate ?? 0,
    poolWaitMeanMs: s.poolWaitMeanMs ?? 0,
    serviceMeanMs: s.serviceMeanMs ?? s.p50Ms,
    poolSaturated: false,
    cpuUtilization: s.cpuUtilization === undefined ? 0.5 : s.cpuUtilization,
    cpuMsPerRequest: s.throughput > 0 ? ((s.cpuUtilization ?? 0.5) * 1000 * ENV.cores) / s.throughput : null,
    deadlockDetected: s.deadlock ?? false,
    responseMeanMs: (s.p50Ms + s.p99Ms) / 2.5,
    startFailureRate: 0,
    hungCalls: 0,
    contention: 0,
    bottleneck: s.bottleneck ?? { resource: 'none', share: 0, evidence: 'no resource limits this level' },
  }))
  const analysis = analyzeScalability(measurements, {
    slo: slo ?? undefined,
    cores: ENV.cores,
    threadPoolSize: 4,
    poolSize: null,
  })
  const eff = scalingEfficiency(measurements.map(m => ({ n: m.concurrency, x: m.throughput })))
  const rows: LevelRow[] = levels.map((s, i) => {
    const m = measurements[i]
    const errorBudget = slo?.errorRate ?? 0.01
    return {
      level: s.level,
      concurrency: s.level,
      throughput: s.throughput,
      p50Ms: s.p50Ms,
      p90Ms: (s.p50Ms + s.p99Ms) / 2,
      p99Ms: s.p99Ms,
      maxMs: s.p99Ms * 1.2,
      errorRate: m.errorRate,
      efficiency: eff[i],
      poolWaitMeanMs: m.poolWaitMeanMs,
      poolWaitP99Ms: m.poolWaitMeanMs * 2,
      serviceMeanMs: m.serviceMeanMs,
      poolPeakUsage: s.level,
      poolAverageUsage: s.level * 0.9,
      poolSize: Math.max(1, Math.ceil(s.level)),
      cpuUtilization: m.cpuUtilization,
      cpuMsPerRequest: m.cpuMsPerRequest,
      sloMet: m.errorRate <= errorBudget && (slo?.p99Ms === undefined || m.p99Ms <= slo.p99Ms) && !m.deadlockDetected,
      deadlockDetected: m.deadlockDetected,
      littlesLawConsistent: s.littlesLaw === null ? null : (s.littlesLaw?.consistent ?? true),
      droppedStarts: 0,
      startFailureRate: 0,
      hungCalls: 0,
      contention: 0,
      bottleneck: s.bottleneck?.resource ?? 'none',
      refined: s.refined ?? false,
      coolDownMs: 0.5,
    }
  })
  const fittedCurve: [number, number][] = []
  if (analysis.usl) {
    const top = Math.max(...levels.map(l => l.level), analysis.peakConcurrency ?? 0) * 1.25
    for (let i = 0; i <= 40; i++) {
      const n = Math.max(1, (top * i) / 40)
      fittedCurve.push([n, uslThroughput(analysis.usl, n)])
    }
  }
  const { efficiencyCurve, ...rest } = analysis
  const report: ScalabilityReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: '2026-01-02T03:04:05.000Z',
    target: spec.target ?? 'fixture',
    loadModel: model,
    seed: 42,
    slo,
    objective: {
      source: 'slo',
      description: slo?.p99Ms ? `p99 ≤ ${slo.p99Ms} ms and errors ≤ 1 % (--slo)` : 'errors ≤ 1 %',
    },
    sweep: {
      levelsPlanned: levels.filter(l => !l.refined).map(l => l.level),
      levelsMeasured: levels.map(l => l.level),
      warmUpMs: 100,
      durationMs: 1000,
      stoppedEarly: null,
    },
    environment: { ...ENV },
    levels: rows,
    efficiencyCurve,
    fittedCurve,
    ...rest,
    testResults: levels.map(s => makeResult(s, model)),
  }
  return spec.raw ? report : parseScalabilityReport(JSON.parse(JSON.stringify(report)))
}

/**
 * A closed sweep 1..16 users that scales to 4, flattens, and breaks the 50 ms p99 SLO at 16;
 * 12 is a refined level. Sub-ms latencies at the low end.
 */
export function standardLevels(): LevelSpec[] {
  return [
    { level: 1, throughput: 1000, p50Ms: 0.412, p99Ms: 1.234, serviceMeanMs: 0.5, poolWaitMeanMs: 0 },
    { level: 2, throughput: 1980, p50Ms: 0.455, p99Ms: 1.5, serviceMeanMs: 0.52, poolWaitMeanMs: 0.0123 },
    { level: 4, throughput: 3800, p50Ms: 0.61, p99Ms: 2.25, serviceMeanMs: 0.7, poolWaitMeanMs: 0.05 },
    {
      level: 8,
      throughput: 4210,
      p50Ms: 1.85,
      p99Ms: 12.5,
      serviceMeanMs: 1.5,
      poolWaitMeanMs: 0.4,
      errorRate: 0.0025,
    },
    { level: 12, throughput: 4150, p50Ms: 2.9, p99Ms: 31.25, serviceMeanMs: 2.4, poolWaitMeanMs: 0.6, refined: true },
    { level: 16, throughput: 3900, p50Ms: 4.1, p99Ms: 62.5, serviceMeanMs: 3.1, poolWaitMeanMs: 1.0, errorRate: 0.02 },
  ]
}

export function standardReport(overrides: Partial<ReportSpec> = {}): ScalabilityReport {
  return makeReport({ levels: standardLevels(), ...overrides })
}
