/** The engine's public surface: indexes, their options, errors, and native diagnostics. */
export { FlatIndex, HnswIndex, loadIndex } from './vector-index.ts'
export { MAX_UNIFIED_K, SearchSession, UnifiedSearchSystem } from './unified-search.ts'
export { ERROR_CODES, codedError, isCodedError } from '../errors.ts'
export { MAX_DIMENSIONS, MAX_K } from './options.ts'
export { distance, kernelIsa, nativeThreadStats, noopAsync, searchThreads } from './kernels.ts'

export type { SearchHit } from './vector-index.ts'
export type {
  Embedder,
  HybridHit,
  OpenReportInfo,
  SearchMode,
  StoredDocument,
  UnifiedDocument,
  UnifiedOpenOptions,
  UnifiedSearchOptions,
  UnifiedStats,
  VectorIndexKind,
} from './unified-search.ts'
export type { CodedError, ErrorCode } from '../errors.ts'
export type { FlatIndexOptions, HnswIndexOptions, Ids, Metric, SearchOptions, SignalOptions } from './options.ts'
export type { NativeThreadStats, VectorMemoryUsage } from './native.ts'
export { nativeToPerformanceMs } from './timing.ts'
export type { CallTiming, CallTimingListener } from './timing.ts'
export type { WriteOptions } from './options.ts'
