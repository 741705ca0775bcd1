/**
 * Public types of the load harness. The harness knows nothing about any engine: it drives a
 * {@link SearchTarget}.
 */
import type { DeadlockDetector, DeadlockDetectorOptions, DetectorReport } from './detector/detector.ts'
import type { EnvironmentInfo } from './environment.ts'
import type { LoadModelConfig, ResolvedLoadModelConfig } from './load/models.ts'
import type { Rng } from './load/rng.ts'
import type { QuerySelection } from './load/selection.ts'
import type { LatencySummary } from './metrics/histogram.ts'
import type { LittlesLawCheck } from './metrics/stats.ts'
import type { CpuAttribution } from './metrics/cpu.ts'
import type { NativeCallTiming, TimeBreakdown, TimeBreakdownExport } from './metrics/time-breakdown.ts'
import type { ConnectionPool, ConnectionPoolStats, ResourceFactory } from './pool.ts'
import type { Bottleneck } from './analysis/bottleneck.ts'
import type { EnhancedPerformanceMetrics } from './metrics/enhanced.ts'
import type { RecallOptions, RecallProbe, RecallStats } from './metrics/recall.ts'
import type { EngineMemory } from './metrics/resources.ts'

/** Options passed with every call to a target. */
export interface TargetCallOptions {
  /**
   * Aborted when the request times out (reason: an `ERR_REQUEST_TIMEOUT` error). Made on first
   * read (an accessor: an `AbortSignal` costs microseconds to create on Node 20, more than a fast
   * target's whole call), so read it, or destructure it, to pass it on: a spread copy
   * (`{ ...options }`) does not carry it. Read after the timeout, it is already aborted.
   */
  signal: AbortSignal
  /** The pooled resource leased for this request. */
  connection?: unknown
  /**
   * For targets backed by native calls that time themselves (the engine): pass it to each
   * call (e.g. the engine's `timing` option) so the request's time splits into native queue,
   * run and delivery (`ConcurrentTestResult.timeBreakdown`). Optional to use.
   */
  readonly onNativeCall?: (timing: NativeCallTiming) => void
}

/** CPU use of one native worker thread, as reported by the target. */
export interface NativeThreadStat {
  threadId: string | number
  /** Tasks run since the last drain. */
  tasks: number
  /** CPU time since the last drain, in ns. */
  cpuTimeNs: number
}

/** Anything searchable. The harness imports nothing engine-specific. */
export interface SearchTarget<Q = unknown, D = unknown> {
  name: string
  search(query: Q, opts: TargetCallOptions): Promise<unknown>
  insert?(doc: D, opts: TargetCallOptions): Promise<unknown>
  /**
   * Per native-thread statistics accumulated since the previous call (and reset by it). Called
   * at the start of the measurement window (result discarded) and at its end.
   */
  drainThreadStats?(): NativeThreadStat[]
  /**
   * For targets whose writes become visible on a commit: commits and visibility lag since the
   * previous call (and reset by it). Called like `drainThreadStats`.
   */
  drainWriteVisibility?(): WriteVisibility
  /**
   * Exact ground truth for recall under load (docs/metrics.md): the harness samples searches and
   * hands their query and response to it; exact searches run after the level.
   */
  recallProbe?: RecallProbe<Q>
  /** The engine's own memory (index, graph, text segments), read at the end of each window. */
  engineMemory?(): EngineMemory | null | Promise<EngineMemory | null>
  /**
   * For targets with a client connection pool of their own (HTTP): its figures since the
   * previous call (and reset by it). Called like `drainThreadStats`.
   */
  drainConnectionStats?(): TargetConnectionStats
}

/** One load-generator process's part of a merged result. */
export interface GeneratorStats {
  /** 0-based, in the order merged. */
  index: number
  /** Users (closed model) or in-flight bound (open) it ran. */
  concurrency: number
  requests: number
  successfulRequests: number
  /** Its whole process's CPU time over the window (ms): user + system. */
  processCpuMs: number
  /** Its JS thread's CPU time over the window (ms). */
  mainThreadCpuMs: number
  /** `processCpuMs` over the window: 100 = one core busy all the time. */
  cpuPercentOfCore: number
  /** CPU per successful request (ms). */
  cpuMsPerRequest: number | null
}

/** The parts of a result that merge exactly by adding (see `ConcurrentTestResult.mergeable`). */
export interface MergeableParts {
  /** Per class: successful response times (compressed HDR histogram, base64, µs). */
  classes: Record<string, string>
  /** The time breakdown's recorder, exported (see `TimeBreakdownRecorder.export`). */
  timeBreakdown: TimeBreakdownExport
  /** Σ response time of all measured requests and Σ of their waits (ms): the contention score. */
  sumResponseAllMs: number
  sumWaitMs: number
}

/** A target's own client connection pool over a window (e.g. undici's keep-alive pool). */
export interface TargetConnectionStats {
  /** What the pool is, e.g. 'undici keep-alive pool'. */
  kind: string
  /** Connections the pool may open. */
  connections: number
  /** Requests the figures were sampled at (each sampled as it was sent). */
  samples: number
  /** Open sockets: most at once and mean over the samples. */
  peakConnected: number
  meanConnected: number
  /** Requests being processed on a socket. */
  peakRunning: number
  meanRunning: number
  /** Requests waiting in the client's queue for a socket (beyond the harness's own pool wait). */
  peakQueued: number
  meanQueued: number
  /** Requests written to a socket and awaiting their response. */
  peakPending: number
  meanPending: number
}

/** How a target's acknowledged writes became visible to searches over a window. */
export interface WriteVisibility {
  /** The refresh policy, in words (e.g. 'a commit every 1000 ms'). */
  policy: string
  /** Commits that made writes visible. */
  commits: number
  /** Commits that failed (their writes wait for the next). */
  failedCommits: number
  /** Acknowledged writes still invisible at the end of the window. */
  waiting: number
  /** From a write's acknowledgement to the end of the commit that made it visible (ms). */
  lag: LatencySummary
}

/** A fraction of operations that write instead of search. */
export interface WriteMix<D = unknown> {
  /** Fraction of operations that call `target.insert` (0..1). */
  fraction: number
  /**
   * Makes the document to insert. `rng` is the user's own seeded stream; `i` is a run-wide
   * insert sequence number (unique, usable as an id); `userId` the user issuing it.
   */
  makeInsert(rng: Rng, i: number, userId: number): D
  /** Class label of writes. @default 'write' */
  className?: string
}

/** Pool settings when the harness makes the pool. */
export interface PoolSettings<T = unknown> {
  /** @default the concurrency (users, or maxInFlight): then the pool never limits */
  size?: number
  /** How long a request waits for a lease before it counts as timed out. @default requestTimeoutMs */
  acquireTimeoutMs?: number
  /** @default numbered tokens */
  factory?: ResourceFactory<T>
  /** @default 'connections' */
  name?: string
}

/** Options of {@link ConcurrentBenchmark.runConcurrentTest}. */
export interface ConcurrentTestOptions<Q = unknown, D = unknown> {
  /** The load model. */
  load: LoadModelConfig
  /** Queries to send (at least one). */
  queries: readonly Q[]
  /** Class label of each query (e.g. 'hybrid-heavy'). @default () => 'read' */
  classify?: (query: Q, index: number) => string
  /** @default { kind: 'uniform' } */
  selection?: QuerySelection
  /** Mix in writes (needs `target.insert`). */
  writes?: WriteMix<D>
  /** Seed of every random choice. Reported in the result. @default a random 32-bit seed */
  seed?: number
  /** Per-request timeout, from the moment the request is sent. @default 30000 */
  requestTimeoutMs?: number
  /** A pool to use (not closed by the harness), or settings for one the harness makes. */
  pool?: PoolSettings | ConnectionPool<unknown>
  /** Pause after a failed or timed-out request (no spin loops). @default 10 */
  errorBackoffMs?: number
  /**
   * A detector to use (e.g. one whose locks the target uses; started if needed and stopped only
   * if the harness started it), options for one the harness makes, or `false` for none.
   * @default {} (a detector with default options, `stallAfterMs` = max(2000, 2·requestTimeoutMs))
   */
  detector?: DeadlockDetector | DeadlockDetectorOptions | false
  /** Single-user throughput (successful requests/s) for `scalabilityEfficiency`. */
  baselineThroughput?: number
  /**
   * The target's own time per request at the lightest load (ms; `nativeRun + other` of the
   * time breakdown), so the bottleneck can tell a target that queues inside. The sweep passes
   * its first level's.
   */
  baselineTargetMs?: number
  /** Package version to report (default: read from package.json). */
  packageVersion?: string
  /** Cancels the run: no new requests start; in-flight ones finish or time out. */
  signal?: AbortSignal
  /** Called every `progressIntervalMs` while the test runs (warm-up included), for progress bars. */
  onProgress?: (progress: LiveProgress) => void
  /** @default 250 */
  progressIntervalMs?: number
  /**
   * Recall under load, when the target has a `recallProbe` (`false`: off). `idle` is the idle
   * recall to compare with (the sweep passes its first level's); when absent it is measured
   * before the run, one search at a time.
   */
  recall?: (RecallOptions & { idle?: RecallStats['idle'] }) | false
  /** Resource metrics (memory, GC, event loop, file handles); `false`: off. @default { intervalMs: 100 } */
  resources?: { intervalMs?: number } | false
}

/** What a running test looks like right now (over the last progress interval). */
export interface LiveProgress {
  /** Since the test started, ms. */
  elapsedMs: number
  /** Planned length of the test (warm-up + measurement), ms. */
  totalMs: number
  phase: 'warm-up' | 'measuring'
  /** Successful requests per second over the last interval. */
  throughput: number
  /** p99 response time over the last interval, ms (null if nothing completed). */
  p99Ms: number | null
  /** Failed and timed-out requests in the last interval. */
  errors: number
}

/** Per-user statistics (sketch `ThreadPerformance`; a "thread" is a simulated user). */
export interface ThreadPerformance {
  /** User id. */
  threadId: number
  /** Successful requests in the window. */
  requestsCompleted: number
  /** All requests in the window (successful + failed + timed out). */
  requests: number
  /** Mean/max/p99 response time of the user's successful requests (ms, from intended start). */
  averageLatencyMs: number
  maxLatencyMs: number
  p99LatencyMs: number
  /** Failed + timed-out requests in the window. */
  errorsEncountered: number
  /**
   * Not applicable: simulated users share the main JS thread, so per-user CPU time does not
   * exist. Always null (see `mainThreadCpuMs` and `workerThreads`).
   */
  cpuTimeMs: null
  /** Successful requests per second over the user's active time in the window. */
  throughput: number
  /** If the user's loop crashed: the error message (the user is still reported). */
  crashed: string | null
}

/** CPU use of one native worker thread over the window. */
export interface WorkerThreadStats {
  threadId: string | number
  tasks: number
  cpuTimeMs: number
}

/** Statistics of one query class. */
export interface ClassStats {
  count: number
  successful: number
  failed: number
  timedOut: number
  /** Response time of successful requests (ms, from intended start). */
  latency: LatencySummary
}

/** The run's measurement window: offsets in ms from schedule time 0. */
export interface ResultWindow {
  startMs: number
  endMs: number
  durationMs: number
}

/**
 * Result of one concurrent test. Sketch fields first (camelCase), then the additions.
 *
 * Counting rules: only requests whose *intended* start falls in the window count;
 * `totalRequests = successfulRequests + failedRequests + timeoutRequests` always (a request
 * that could not get a pool lease in time is a timed-out request); dropped starts (open model)
 * are not requests and are counted apart. Latency summaries of successes and failures are kept
 * apart.
 */
export interface ConcurrentTestResult {
  /** Users (closed model) or `maxInFlight` (open model). */
  concurrentUsers: number
  totalRequests: number
  successfulRequests: number
  failedRequests: number
  timeoutRequests: number
  /** True only for a wait-for-graph deadlock or a total stall (see `detector`). */
  deadlockDetected: boolean
  /** Response time of successful requests (ms; from intended start, so coordinated omission is corrected). */
  averageResponseTimeMs: number
  maxResponseTimeMs: number
  minResponseTimeMs: number
  /** `totalRequests` / window length (per second). */
  requestsPerSecond: number
  threadPerformance: ThreadPerformance[]
  /**
   * Share (0–100) of measured response time spent waiting for shared resources: pool leases,
   * libuv's thread pool (native queue, where the target reports it) and harness locks:
   * 100 · Σ(pool wait + native queue + lock wait) / Σ response time, over all measured
   * requests. 0 = nobody queued. (Not the USL σ, which the sweep reports as `usl.sigma`.)
   */
  resourceContentionScore: number
  /**
   * `100 · X(N) / (N · X(1))`: successful throughput relative to N times the single-user
   * throughput given as `baselineThroughput` (closed model only: in an open model throughput
   * is the offered rate, not an outcome); null otherwise.
   */
  scalabilityEfficiency: number | null
  connectionPoolUsage: ConnectionPoolStats

  /** Target name. */
  target: string
  loadModel: 'closed' | 'open'
  /** The load-model config with defaults filled in. */
  loadConfig: ResolvedLoadModelConfig
  seed: number
  window: ResultWindow
  /** `successfulRequests` / window length. */
  successfulRequestsPerSecond: number
  /** Successful requests: from intended start to response (ms). */
  responseTime: LatencySummary
  /** Successful requests: from send (after the pool lease) to response (ms). */
  serviceTime: LatencySummary
  /** Pool-lease waits of measured requests that got a lease (ms). */
  poolWait: LatencySummary
  /** Failed and timed-out requests: from intended start to the outcome (ms). */
  failedResponseTime: LatencySummary
  /** The same distributions as compressed HDR histograms (base64, µs); see `LatencyHistogram.decode`. */
  histograms: { responseTime: string; serviceTime: string; poolWait: string; failedResponseTime: string }
  /** Open model: arrivals not issued because `maxInFlight` requests were in flight. */
  droppedStarts: number
  /** Starts issued more than `lateThresholdMs` after their schedule (open model, closed with pacing). */
  lateStarts: number
  /** Largest lag between a scheduled start and its issue (ms). */
  maxStartLagMs: number
  /** Failed and timed-out requests by code (`err.code ?? err.name`); sums to failed + timeouts. */
  errorsByCode: Record<string, number>
  /** Requests that timed out while the target had not settled: at the end, and at most at once. */
  inFlightAfterTimeout: { atEnd: number; peak: number }
  classes: Record<string, ClassStats>
  /** Jain's fairness index of users' successful throughput (closed model; null for open). */
  fairness: number | null
  littlesLaw: LittlesLawCheck | null
  /** Everything that makes the numbers less trustworthy, in plain words. */
  measurementWarnings: string[]
  detector: DetectorReport | null
  workerThreads: WorkerThreadStats[]
  /** Main-thread CPU time over the window (ms); see `mainThreadCpuScope`. */
  mainThreadCpuMs: number
  /**
   * `'thread'` if measured with `process.threadCpuUsage()` (Node ≥ 23.9), else `'process'`:
   * `process.cpuUsage()`, which also counts libuv and native threads.
   */
  mainThreadCpuScope: 'thread' | 'process'
  /** Whole-process CPU time over the window (ms). */
  processCpuMs: number
  /**
   * Where the successful requests' time went: response time split into additive parts (their
   * means add up to `responseTime.mean`). See docs/time-attribution.md.
   */
  timeBreakdown: TimeBreakdown
  /** CPU over the window: the machine, the JS thread, the engine's threads, other processes (percent of all cores). */
  cpu: CpuAttribution
  /** The resource that limits this level, with the numbers that say so. */
  bottleneck: Bottleneck
  /** How the target's acknowledged writes became visible (null: the target does not say). */
  writeVisibility: WriteVisibility | null
  /** The target's own client connection pool (HTTP targets); absent when the target has none. */
  targetConnections?: TargetConnectionStats
  /**
   * What merging results of several generators needs beyond `histograms` (`--workers`,
   * `scale merge`): per-class response-time histograms, the time breakdown's histograms and
   * exact sums, the contention score's sums. Absent in results written before it existed.
   */
  mergeable?: MergeableParts
  /**
   * A merged result (`--workers`, `scale merge`): each load generator's share and its own CPU
   * (`process.cpuUsage()` over the window). Absent for a result of one process.
   */
  generators?: GeneratorStats[]
  environment: EnvironmentInfo & { loadModel: 'closed' | 'open'; seed: number }
  /** Wall-clock start of the run (ISO 8601). */
  startedAt: string
  /**
   * The level in one object (the sketch's `EnhancedPerformanceMetrics`): throughput, latency,
   * errors, CPU, recall under load, memory, GC, event loop, file handles, engine memory, and
   * the findings they raise. Absent in reports written before it existed.
   */
  enhancedMetrics?: EnhancedPerformanceMetrics
}
