/**
 * Adapters from search engines to the harness's `SearchTarget`. The only part of the harness
 * that imports the engine; the harness core stays engine-independent.
 */
export { functionTarget } from './function-target.ts'
export { atPath, compileTemplate, httpTarget } from './http.ts'
export { CHROMA_COLLECTIONS, HTTP_PRESETS, HTTP_PRESET_NAMES } from './http-presets.ts'
export { nativeThreadStatsDrain } from './native-thread-stats.ts'
export { sessionFactory, unifiedSearchTarget } from './unified-search-target.ts'
export { vectorIndexTarget } from './vector-index-target.ts'
export { ExactGroundTruth, UnifiedGroundTruth, unifiedRecallProbe, vectorIndexRecallProbe } from './ground-truth.ts'
export { engineMemoryOf, textSegments, unifiedEngineMemory } from './engine-memory.ts'
export { DEFAULT_REFRESH, Refresher, describeRefresh } from './refresher.ts'
export type { RefreshPolicy } from './refresher.ts'
export type { UnifiedQuery, UnifiedSearchTarget, UnifiedSearchTargetOptions } from './unified-search-target.ts'
export type { VectorIndexTargetOptions, VectorInsert } from './vector-index-target.ts'
export type { HttpQuery, HttpRequestTemplate, HttpTarget, HttpTargetOptions } from './http.ts'
export type { HttpPreset, HttpPresetName, PresetOptions } from './http-presets.ts'
