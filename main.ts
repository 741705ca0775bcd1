/**
 * `@acme/vector-native`: a Rust vector search engine for Node.js, and a load-testing and
 * scalability-analysis harness for it (or for any search target).
 *
 * The root holds what most users need: the engine, the benchmark and its sweep, the adapters
 * from the engine to a benchmark target, and the errors. The rest is in subpaths:
 * `@acme/vector-native/harness` (load models, pool, detector, metrics, options and result
 * schemas, sweep levels and the report schema), `/analysis` (USL fit, efficiency, breaking
 * point), `/report` (terminal, HTML, files, compare), `/target` (engine adapters),
 * `/corpus` (synthetic corpus, JSON Lines loader) and `/binding` (the native addon itself).
 */
export {
  FlatIndex,
  HnswIndex,
  MAX_DIMENSIONS,
  MAX_K,
  MAX_UNIFIED_K,
  SearchSession,
  UnifiedSearchSystem,
  distance,
  kernelIsa,
  loadIndex,
  nativeThreadStats,
  noopAsync,
  searchThreads,
} from './engine/index.ts'
export { ConcurrentBenchmark } from './harness/run/benchmark.ts'
export { runScalabilityTest } from './harness/sweep/sweep.ts'
export { functionTarget, sessionFactory, unifiedSearchTarget, vectorIndexTarget } from './harness/target/index.ts'
export {
  ConfigError,
  ERROR_CODES,
  ErrorCodes,
  HarnessError,
  ReportError,
  ThresholdError,
  codedError,
  isCodedError,
} from './errors.ts'

export type {
  Embedder,
  FlatIndexOptions,
  HnswIndexOptions,
  HybridHit,
  Ids,
  Metric,
  NativeThreadStats,
  OpenReportInfo,
  SearchHit,
  SearchMode,
  SearchOptions,
  SignalOptions,
  StoredDocument,
  UnifiedDocument,
  UnifiedOpenOptions,
  UnifiedSearchOptions,
  UnifiedStats,
} from './engine/index.ts'
export type { CodedError, ErrorCode, HarnessErrorCode } from './errors.ts'
export type { ConcurrentTestOptions, ConcurrentTestResult, SearchTarget, TargetCallOptions } from './harness/types.ts'
export type { LoadModelConfig } from './harness/load/models.ts'
export type { LevelRunner, ScalabilityReport, ScalabilityTestOptions } from './harness/sweep/types.ts'
export type {
  UnifiedQuery,
  UnifiedSearchTargetOptions,
  VectorIndexTargetOptions,
  VectorInsert,
} from './harness/target/index.ts'
