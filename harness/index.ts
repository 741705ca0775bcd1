/**
 * `@acme/vector-native/harness`: the load-testing harness, engine-independent (importing it
 * loads no native addon). Drives any {@link SearchTarget} with a closed or open load model,
 * measures it with HDR histograms (coordinated omission corrected), watches it for deadlocks,
 * stalls and a blocked event loop, and sweeps load levels into a scalability report.
 *
 * ```ts
 * import { ConcurrentBenchmark } from '@acme/vector-native/harness'
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
// The benchmark, its options and result.
export { ConcurrentBenchmark } from './run/benchmark.ts'
export { ConcurrentTestOptionsSchema, validateConcurrentTestOptions } from './run/options.ts'
export { ConcurrentTestResultSchema } from './result-schema.ts'
export { collectEnvironment } from './environment.ts'
export { ConfigError, ErrorCodes, HarnessError, errorCodeOf } from '../errors.ts'
// Sweeps and the report they produce.
export { runScalabilityTest } from './sweep/sweep.ts'
export { LevelsSchema, expandLevels, refineBetween } from './sweep/levels.ts'
export { levelMeasurement } from './sweep/measure.ts'
export {
  LevelRowSchema,
  ScalabilityReportSchema,
  parseScalabilityReport,
  scalabilityReportJsonSchema,
} from './sweep/schema.ts'
export { REPORT_SCHEMA_VERSION } from './sweep/types.ts'
// Recall under load, resource metrics, the per-level summary, performance isolation.
export { EnhancedPerformanceMetricsSchema } from './metrics/enhanced-schema.ts'
export { METRIC_FINDING_KINDS, metricFindings } from './metrics/enhanced.ts'
export { RecallSampler, recallAt, recallDistribution } from './metrics/recall.ts'
export { ResourceSampler, openFileHandles } from './metrics/resources.ts'
export { ISOLATION_PHASES, IsolationReportSchema, interference, runIsolationScenario } from './isolation/index.ts'
// Pool and detector.
export { ConnectionPool } from './pool.ts'
export { DeadlockDetector, TrackedOp } from './detector/detector.ts'
export { HarnessLock } from './detector/lock.ts'
export { analyzeWaitFor } from './detector/wait-for-graph.ts'
// Load models: each plans from its config alone, and runs through a LoadDriver.
export {
  CLOSED_MODEL,
  ClosedModelConfigSchema,
  closedModel,
  planClosedModel,
  resolveClosedModel,
  runClosedModel,
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
export { Rng } from './load/rng.ts'
export { QuerySelectionSchema, querySequence, zipfProbabilities } from './load/selection.ts'
export { ThinkTimeSchema, meanThinkMs } from './load/think-time.ts'
// Metrics.
export { LatencyHistogram, histogramBackend, mergeHistograms } from './metrics/histogram.ts'
export { addEncoded, generatorStats, mergeResults } from './metrics/merge.ts'
export { TIME_PARTS, TimeBreakdownRecorder, splitResponseTime } from './metrics/time-breakdown.ts'
export { attribute as attributeCpu, cpuAttribution, cpuSnapshot } from './metrics/cpu.ts'
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
  WriteVisibility,
  WorkerThreadStats,
  WriteMix,
} from './types.ts'
export type { HarnessErrorCode } from '../errors.ts'
export type { EnhancedPerformanceMetrics, MetricFindingKind, MetricFinding } from './metrics/enhanced.ts'
export type { RecallDistribution, RecallOptions, RecallProbe, RecallSample, RecallStats } from './metrics/recall.ts'
export type { EngineMemory, EventLoopStats, GcStats, MemoryStats, ResourceStats } from './metrics/resources.ts'
export type {
  ClassOutcome,
  InterferenceRatio,
  IsolationClass,
  IsolationOptions,
  IsolationPhaseName,
  IsolationReport,
} from './isolation/index.ts'
export type { EnvironmentInfo } from './environment.ts'
export type { LevelsSpec } from './sweep/levels.ts'
export type { LevelRow, LevelRunner, ScalabilityReport, ScalabilityTestOptions } from './sweep/types.ts'
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
export type { GeneratorStats, MergeableParts, TargetConnectionStats } from './types.ts'
export type { DeadlockAnalysis, WaitForEdge, WaitForResource } from './detector/wait-for-graph.ts'
export type { ClosedModelConfig, ClosedModelPlan, RampUp, ResolvedClosedModelConfig } from './load/closed.ts'
export type { ArrivalStage, OpenModelConfig, OpenModelPlan, ResolvedOpenModelConfig } from './load/open.ts'
export type { LevelSettings, LoadDriver, LoadModel, MeasurementWindow, WindowMeasures } from './load/driver.ts'
export type { AnyLoadModel, LoadModelConfig, ResolvedLoadModelConfig } from './load/models.ts'
export type { QuerySelection, QuerySelector } from './load/selection.ts'
export type { ThinkTime } from './load/think-time.ts'
export type { LatencySummary } from './metrics/histogram.ts'
export type { NativeCallTiming, TimeBreakdown, TimePart, TimePartSummary } from './metrics/time-breakdown.ts'
export type { CpuAttribution, CpuSnapshot } from './metrics/cpu.ts'
export type { LittlesLawCheck } from './metrics/stats.ts'
