/**
 * The load-testing harness: engine-independent. Drives any {@link SearchTarget} with a closed
 * or open load model, measures it with HDR histograms (coordinated omission corrected), and
 * watches it for deadlocks, stalls and a blocked event loop.
 *
 * ```ts
 * import { ConcurrentBenchmark } from './harness/index.ts'
 * const bench = new ConcurrentBenchmark(target)
 * const result = await bench.runConcurrentTest({
 *   load: { model: 'closed', users: 16, durationMs: 30_000, warmUpMs: 5_000, rampUp: { durationMs: 5_000 } },
 *   queries,
 *   selection: { kind: 'zipf', exponent: 1 },
 *   seed: 42,
 * })
 * console.log(result.responseTime.p99, result.requestsPerSecond, result.measurementWarnings)
 * ```
 */
export { ConcurrentBenchmark } from './run/benchmark.ts'
export { ConcurrentTestOptionsSchema, validateConcurrentTestOptions } from './run/options.ts'
export { ConnectionPool } from './pool.ts'
export { DeadlockDetector, TrackedOp } from './detector/detector.ts'
export { HarnessLock } from './detector/lock.ts'
export { analyzeWaitFor } from './detector/wait-for-graph.ts'
export { ConfigError, ErrorCodes, HarnessError, errorCodeOf } from '../errors.ts'
export { collectEnvironment, readPackageVersion, uvThreadpoolSize } from './environment.ts'
export { ConcurrentTestResultSchema } from './result-schema.ts'
export {
  CLOSED_MODEL,
  ClosedModelConfigSchema,
  closedModel,
  planClosedModel,
  resolveClosedModel,
  runClosedModel,
  userStartOffsets,
  validateClosedModel,
} from './load/closed.ts'
export {
  ArrivalSchedule,
  OPEN_MODEL,
  OpenModelConfigSchema,
  openModel,
  expectedArrivals,
  planArrivals,
  planOpenModel,
  rateAt,
  resolveOpenModel,
  runOpenModel,
  validateOpenModel,
} from './load/open.ts'
export { DEFAULT_LATE_THRESHOLD_MS, Outcome } from './load/driver.ts'
export { getLoadModel, loadModelNames, loadModels } from './load/models.ts'
export { Rng, Streams, deriveSeed, mix32 } from './load/rng.ts'
export {
  QuerySelectionSchema,
  querySequence,
  searchCdf,
  selectorFactory,
  zipfCdf,
  zipfProbabilities,
} from './load/selection.ts'
export { ThinkTimeSchema, meanThinkMs, sampleThinkMs } from './load/think-time.ts'
export { LatencyHistogram, emptySummary, histogramBackend, mergeHistograms } from './metrics/histogram.ts'
export {
  LITTLES_LAW_TOLERANCE,
  TimeWeightedGauge,
  jainFairness,
  littlesLawClosed,
  littlesLawOpen,
  nearestRankPercentile,
} from './metrics/stats.ts'

export type {
  ClassStats,
  ConcurrentTestOptions,
  ConcurrentTestResult,
  LiveProgress,
  NativeThreadStat,
  PoolSettings,
  ResultWindow,
  SearchTarget,
  TargetCallOptions,
  ThreadPerformance,
  WorkerThreadStats,
  WriteMix,
} from './types.ts'
export type {
  AcquireOptions,
  ConnectionPoolOptions,
  ConnectionPoolStats,
  Lease,
  PoolInspection,
  ResourceFactory,
} from './pool.ts'
export type {
  BlockedEventLoopFinding,
  DeadlockDetectorOptions,
  DeadlockFinding,
  DetectorFinding,
  DetectorReport,
  FindingKind,
  OperationRef,
  PoolExhaustionFinding,
  SlowOperationFinding,
  StallFinding,
  TimedOutStillRunningFinding,
} from './detector/detector.ts'
export type { LockAcquireOptions, LockStats } from './detector/lock.ts'
export type { DeadlockAnalysis, WaitForEdge, WaitForResource } from './detector/wait-for-graph.ts'
export type { EnvironmentInfo } from './environment.ts'
export type { ClosedModelConfig, ClosedModelPlan, RampUp, ResolvedClosedModelConfig } from './load/closed.ts'
export type { ArrivalStage, OpenModelConfig, OpenModelPlan, ResolvedOpenModelConfig } from './load/open.ts'
export type { LoadDriver, LoadModel, MeasurementWindow } from './load/driver.ts'
export type { LoadModelConfig, ResolvedLoadModelConfig } from './load/models.ts'
export type { QuerySelection, QuerySelector } from './load/selection.ts'
export type { ThinkTime } from './load/think-time.ts'
export type { LatencySummary } from './metrics/histogram.ts'
export type { LittlesLawCheck } from './metrics/stats.ts'
export type { HarnessErrorCode } from '../errors.ts'
