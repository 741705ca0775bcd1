/** Options, result, and level runner of a scalability sweep (`ConcurrentBenchmark.runScalabilityTest`). */
import type { BottleneckResource } from '../analysis/bottleneck.ts'
import type { ScalabilityAnalysis, Slo } from '../analysis/scalability.ts'
import type { DeadlockDetectorOptions } from '../detector/detector.ts'
import type { EnvironmentInfo } from '../environment.ts'
import type { QuerySelection } from '../load/selection.ts'
import type { ThinkTime } from '../load/think-time.ts'
import type { ResourceFactory } from '../pool.ts'
import type { ConcurrentTestOptions, ConcurrentTestResult, LiveProgress, WriteMix } from '../types.ts'
import type { LevelsSpec } from './levels.ts'

export const REPORT_SCHEMA_VERSION = 2

/**
 * What a sweep needs from whoever runs its levels. `ConcurrentBenchmark` is one and passes
 * itself; the interface lives here, with its consumer, so the sweep does not import the class
 * that calls it.
 */
export interface LevelRunner<Q = unknown, D = unknown> {
  /** The target measured (its name goes into the report). */
  readonly target: { readonly name: string }
  /** Runs one level: one concurrent test. */
  runConcurrentTest(options: ConcurrentTestOptions<Q, D>): Promise<ConcurrentTestResult>
  /**
   * The cool-down: waits up to `timeoutMs` for timed-out calls still running to settle.
   * Resolves to the number still running.
   */
  drain(options: { timeoutMs?: number; signal?: AbortSignal }): Promise<number>
}

export interface ScalabilityTestOptions<Q = unknown, D = unknown> {
  /** Users (closed model) or arrival rates per second (open model) to measure. */
  levels: LevelsSpec
  /** @default 'closed' */
  model?: 'closed' | 'open'
  /** Measured window per level, ms. */
  durationMs: number
  /** Warm-up per level before the window, ms. @default 1000 */
  warmUpMs?: number
  /** Closed model: users start spread over this long (included in the warm-up). @default 0 */
  rampUpMs?: number
  /** Closed model: pause between a user's requests. @default none */
  thinkTime?: ThinkTime
  /** Open model: arrival process. @default 'poisson' */
  arrivals?: 'constant' | 'poisson'
  /** Open model: bound on requests in flight. @default 256 */
  maxInFlight?: number
  queries: readonly Q[]
  classify?: (query: Q, index: number) => string
  selection?: QuerySelection
  writes?: WriteMix<D>
  /** @default a random seed (reported) */
  seed?: number
  /** @default 10000 */
  requestTimeoutMs?: number
  /** Connection-pool size per level: a number, or 'level' (one lease per user / in-flight request). @default 'level' */
  poolSize?: number | 'level'
  /** What the pool holds (e.g. search sessions); default numbered tokens. */
  poolFactory?: ResourceFactory<unknown>
  detector?: DeadlockDetectorOptions | false
  /** Levels must meet it; a breach stops the sweep (see `stopOnBreach`). */
  slo?: Slo
  /** Stop at the first level that breaks the SLO, error budget, or throughput. @default true */
  stopOnBreach?: boolean
  /** After a stop, measure up to this many levels bisecting the last good and first bad level. @default 2 */
  refineSteps?: number
  /** Longest cool-down between levels waiting for timed-out work to drain, ms. @default 30000 */
  coolDownMaxMs?: number
  /** Cores and thread-pool size for the analysis (default: this machine's). */
  cores?: number
  threadPoolSize?: number
  onLevelStart?: (info: { level: number; index: number; planned: number; refining: boolean }) => void
  onProgress?: (info: { level: number; progress: LiveProgress }) => void
  onLevelEnd?: (info: { level: number; result: ConcurrentTestResult; row: LevelRow }) => void
  signal?: AbortSignal
  /** Recall under load per level (when the target has a recall probe); `false`: off. */
  recall?: ConcurrentTestOptions['recall']
  /** Resource metrics per level; `false`: off. */
  resources?: ConcurrentTestOptions['resources']
}

/** One row of the per-level table: what a person reads first. */
export interface LevelRow {
  /** Users (closed) or offered arrivals per second (open). */
  level: number
  /** Concurrency used by the analysis (users, or measured mean in flight). */
  concurrency: number
  throughput: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  errorRate: number
  /** Efficiency relative to the smallest level, 0..1+. */
  efficiency: number
  poolWaitMeanMs: number
  poolWaitP99Ms: number
  serviceMeanMs: number
  poolPeakUsage: number
  poolAverageUsage: number
  poolSize: number
  cpuUtilization: number | null
  cpuMsPerRequest: number | null
  sloMet: boolean
  deadlockDetected: boolean
  littlesLawConsistent: boolean | null
  droppedStarts: number
  /** Dropped starts over scheduled starts (open model), 0..1. */
  startFailureRate: number
  /** Calls still running past the level's hang threshold, at most at once. */
  hungCalls: number
  /** Share (0–100) of response time waiting for shared resources (pool, native queue, locks). */
  contention: number
  /** The resource limiting the level. */
  bottleneck: BottleneckResource
  /** The level was added by refinement between a good and a bad level. */
  refined: boolean
  /** Time the cool-down waited for timed-out work to drain, ms. */
  coolDownMs: number
}

/** The sketch's `ScalabilityReport`, with defined meanings and in the sketch's units (users). */
export interface ScalabilityReport extends Omit<ScalabilityAnalysis, 'efficiencyCurve'> {
  schemaVersion: typeof REPORT_SCHEMA_VERSION
  generatedAt: string
  target: string
  loadModel: 'closed' | 'open'
  seed: number
  /** The objective every level was held to: the `--slo` given, or one derived from the lightest level. */
  slo: Slo | null
  /** Where the objective came from, in words (e.g. 'p99 ≤ 5 × the 0.61 ms measured at 1 user'). */
  objective: { source: 'slo' | 'derived'; description: string }
  sweep: {
    levelsPlanned: number[]
    levelsMeasured: number[]
    warmUpMs: number
    durationMs: number
    stoppedEarly: string | null
  }
  environment: EnvironmentInfo
  /** Per level, ascending. */
  levels: LevelRow[]
  /** (users, efficiency %) per level. */
  efficiencyCurve: [number, number][]
  /** Fitted USL throughput on a fine grid up to past the last level, for charts. */
  fittedCurve: [number, number][]
  /** Full results per level (histograms included), ascending. */
  testResults: ConcurrentTestResult[]
}
