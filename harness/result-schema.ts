/**
 * zod schema of {@link ConcurrentTestResult}, for checking results read back from JSON
 * (reports, baselines, CI artefacts). Typed against the interface, so the two cannot drift.
 */
import { z } from 'zod'
import { BOTTLENECK_RESOURCES } from './analysis/bottleneck.ts'
import { KERNEL_CPU_FLAGS } from './environment.ts'
import { EnhancedPerformanceMetricsSchema } from './metrics/enhanced-schema.ts'
import type { ConcurrentTestResult } from './types.ts'

const count = z.number().int().nonnegative()
const ms = z.number().nonnegative()

/** The machine and versions a run measured (see `collectEnvironment`). */
export const EnvironmentInfoSchema = z.strictObject({
  cpuModel: z.string(),
  cores: z.number().int().positive(),
  cpuFlags: z.array(z.enum(KERNEL_CPU_FLAGS)).nullable(),
  uvThreadpoolSize: z.number().int().positive(),
  nodeVersion: z.string(),
  v8Version: z.string(),
  platform: z.string(),
  arch: z.string(),
  packageVersion: z.string().nullable(),
  gitRevision: z.string().nullable(),
  histogramBackend: z.enum(['wasm', 'js']),
  engine: z
    .strictObject({ kernelIsa: z.string(), searchThreads: z.number().int().nonnegative().optional() })
    .nullable(),
})

export const LatencySummarySchema = z.strictObject({
  count,
  min: ms,
  mean: ms,
  p50: ms,
  p90: ms,
  p95: ms,
  p99: ms,
  p99_9: ms,
  max: ms,
})

export const ConnectionPoolStatsSchema = z.strictObject({
  poolSize: z.number().int().positive(),
  peakUsage: count,
  averageUsage: z.number().nonnegative(),
  waitTimeMs: ms,
  waitTime: LatencySummarySchema,
  connectionTimeouts: count,
  abortedAcquires: count,
  acquired: count,
  peakQueueLength: count,
  leaked: count,
  created: count,
  destroyed: count,
  windowMs: ms,
})

const percent = z.number().min(0).max(100)
const part = z.strictObject({ mean: z.number(), p50: ms, p99: ms })

/** {@link TimeBreakdown}: `other` may be slightly negative (clock calibration), so its mean is any number. */
export const TimeBreakdownSchema = z.strictObject({
  scheduleDelay: part,
  poolWait: part,
  nativeQueue: part,
  nativeRun: part,
  delivery: part,
  other: part,
  nativeRunCpu: part,
  requests: count,
  requestsWithNativeStamps: count,
  coverage: z.enum(['engine', 'harness', 'mixed']),
})

export const CpuAttributionSchema = z.strictObject({
  cores: z.number().int().positive(),
  machineBusy: percent,
  mainThread: percent.nullable(),
  engineThreads: percent,
  otherThreads: percent.nullable(),
  otherProcesses: percent,
  eventLoopUtilization: z.number().min(0).max(1),
  mainThreadSource: z.enum(['thread-clock', 'procfs', 'unavailable']),
})

export const BottleneckSchema = z.strictObject({
  resource: z.enum(BOTTLENECK_RESOURCES),
  share: z.number().min(0),
  evidence: z.string(),
})

export const WriteVisibilitySchema = z.strictObject({
  policy: z.string(),
  commits: count,
  failedCommits: count,
  waiting: count,
  lag: LatencySummarySchema,
})

export const TargetConnectionStatsSchema = z.strictObject({
  kind: z.string(),
  connections: count,
  samples: count,
  peakConnected: ms,
  meanConnected: ms,
  peakRunning: ms,
  meanRunning: ms,
  peakQueued: ms,
  meanQueued: ms,
  peakPending: ms,
  meanPending: ms,
})

const TIME_PART_KEYS = [
  'scheduleDelay',
  'poolWait',
  'nativeQueue',
  'nativeRun',
  'delivery',
  'other',
  'nativeRunCpu',
] as const
const perPart = <T extends z.ZodType>(value: T) =>
  z.strictObject(Object.fromEntries(TIME_PART_KEYS.map(k => [k, value])) as Record<(typeof TIME_PART_KEYS)[number], T>)

export const MergeablePartsSchema = z.strictObject({
  classes: z.record(z.string(), z.string()),
  timeBreakdown: z.strictObject({
    histograms: perPart(z.string()),
    sumsMs: perPart(z.number()),
    requests: count,
    requestsWithNativeStamps: count,
  }),
  sumResponseAllMs: z.number(),
  sumWaitMs: z.number(),
})

export const ThreadPerformanceSchema = z.strictObject({
  threadId: count,
  requestsCompleted: count,
  requests: count,
  averageLatencyMs: ms,
  maxLatencyMs: ms,
  p99LatencyMs: ms,
  errorsEncountered: count,
  cpuTimeMs: z.null(),
  throughput: z.number().nonnegative(),
  crashed: z.string().nullable(),
})

const thinkTime = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('constant'), ms }),
  z.strictObject({ kind: z.literal('uniform'), minMs: ms, maxMs: ms }),
  z.strictObject({ kind: z.literal('exponential'), meanMs: ms }),
  z.strictObject({ kind: z.literal('pacing'), intervalMs: ms }),
])

const loadConfig = z.discriminatedUnion('model', [
  z.strictObject({
    model: z.literal('closed'),
    users: z.number().int().positive(),
    durationMs: ms,
    warmUpMs: ms,
    rampUp: z.strictObject({
      durationMs: ms,
      shape: z.enum(['linear', 'stepped']),
      steps: z.number().int().positive(),
    }),
    thinkTime,
    lateThresholdMs: ms,
  }),
  z.strictObject({
    model: z.literal('open'),
    arrivals: z.enum(['constant', 'poisson']),
    startRate: z.number().nonnegative(),
    stages: z.array(z.strictObject({ durationMs: ms, targetRate: z.number().nonnegative() })),
    durationMs: ms,
    maxInFlight: z.number().int().positive(),
    warmUpMs: ms,
    lateThresholdMs: ms,
  }),
])

const operationRef = z.looseObject({
  opId: z.number(),
  userId: z.number().optional(),
  query: z.string().optional(),
})

const finding = z.looseObject({
  kind: z.enum([
    'deadlock',
    'stall',
    'blocked-event-loop',
    'pool-exhaustion',
    'slow-operation',
    'timed-out-still-running',
  ]),
  atMs: z.number(),
  message: z.string(),
  cycle: z.array(z.looseObject({ op: operationRef, waitsFor: z.string(), heldBy: operationRef })).optional(),
})

export const DetectorReportSchema = z.strictObject({
  deadlockDetected: z.boolean(),
  findings: z.array(finding),
  findingCounts: z.record(z.string(), count),
  eventLoop: z.strictObject({
    maxDelayMs: ms,
    p99DelayMs: ms,
    meanDelayMs: ms,
    blockedEpisodes: count,
    longestBlockMs: ms,
  }),
  threadPool: z.strictObject({ timedOutStillRunning: count, peakTimedOutStillRunning: count }),
  locks: z.array(
    z.strictObject({
      name: z.string(),
      acquisitions: count,
      contended: count,
      timeouts: count,
      aborted: count,
      totalWaitMs: ms,
      maxWaitMs: ms,
    }),
  ),
  watchdog: z.enum(['worker', 'unavailable']),
})

const littlesLaw = z.strictObject({
  model: z.enum(['closed', 'open']),
  law: z.string(),
  observed: z.number(),
  predicted: z.number(),
  relativeError: z.number().nonnegative().nullable(),
  consistent: z.boolean(),
  tolerance: z.number(),
})

/** Schema of a {@link ConcurrentTestResult}. */
export const ConcurrentTestResultSchema = z.strictObject({
  concurrentUsers: z.number().int().positive(),
  totalRequests: count,
  successfulRequests: count,
  failedRequests: count,
  timeoutRequests: count,
  deadlockDetected: z.boolean(),
  averageResponseTimeMs: ms,
  maxResponseTimeMs: ms,
  minResponseTimeMs: ms,
  requestsPerSecond: z.number().nonnegative(),
  threadPerformance: z.array(ThreadPerformanceSchema),
  resourceContentionScore: z.number().min(0).max(100),
  scalabilityEfficiency: z.number().nonnegative().nullable(),
  connectionPoolUsage: ConnectionPoolStatsSchema,
  target: z.string(),
  loadModel: z.enum(['closed', 'open']),
  loadConfig,
  seed: z.number().int().nonnegative(),
  window: z.strictObject({ startMs: ms, endMs: ms, durationMs: ms }),
  successfulRequestsPerSecond: z.number().nonnegative(),
  responseTime: LatencySummarySchema,
  serviceTime: LatencySummarySchema,
  poolWait: LatencySummarySchema,
  failedResponseTime: LatencySummarySchema,
  histograms: z.strictObject({
    responseTime: z.string(),
    serviceTime: z.string(),
    poolWait: z.string(),
    failedResponseTime: z.string(),
  }),
  droppedStarts: count,
  lateStarts: count,
  maxStartLagMs: ms,
  errorsByCode: z.record(z.string(), count),
  inFlightAfterTimeout: z.strictObject({ atEnd: count, peak: count }),
  classes: z.record(
    z.string(),
    z.strictObject({ count, successful: count, failed: count, timedOut: count, latency: LatencySummarySchema }),
  ),
  fairness: z.number().min(0).max(1.000001).nullable(),
  littlesLaw: littlesLaw.nullable(),
  measurementWarnings: z.array(z.string()),
  detector: DetectorReportSchema.nullable(),
  workerThreads: z.array(z.strictObject({ threadId: z.union([z.string(), z.number()]), tasks: count, cpuTimeMs: ms })),
  mainThreadCpuMs: ms,
  mainThreadCpuScope: z.enum(['thread', 'process']),
  processCpuMs: ms,
  timeBreakdown: TimeBreakdownSchema,
  cpu: CpuAttributionSchema,
  bottleneck: BottleneckSchema,
  writeVisibility: WriteVisibilitySchema.nullable(),
  targetConnections: TargetConnectionStatsSchema.optional(),
  mergeable: MergeablePartsSchema.optional(),
  generators: z
    .array(
      z.strictObject({
        index: count,
        concurrency: ms,
        requests: count,
        successfulRequests: count,
        processCpuMs: ms,
        mainThreadCpuMs: ms,
        cpuPercentOfCore: ms,
        cpuMsPerRequest: ms.nullable(),
      }),
    )
    .optional(),
  environment: EnvironmentInfoSchema.extend({
    loadModel: z.enum(['closed', 'open']),
    seed: z.number().int().nonnegative(),
  }),
  startedAt: z.string(),
  enhancedMetrics: EnhancedPerformanceMetricsSchema.optional(),
}) satisfies z.ZodType<unknown>

/**
 * Compile-time check that the schema's output is assignable to the interface (findings are
 * checked loosely: their detailed shapes vary by kind).
 */
type _SchemaMatches =
  Omit<z.output<typeof ConcurrentTestResultSchema>, 'detector'> extends Omit<ConcurrentTestResult, 'detector'>
    ? true
    : never
const _schemaMatches: _SchemaMatches = true
void _schemaMatches

/** Parses a result (e.g. from JSON). @throws {z.ZodError} */
export function parseConcurrentTestResult(value: unknown): ConcurrentTestResult {
  return ConcurrentTestResultSchema.parse(value) as ConcurrentTestResult
}
