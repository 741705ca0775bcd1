/** The engine's own memory for the harness's resource metrics (`SearchTarget.engineMemory`). */
import type { FlatIndex, HnswIndex, UnifiedSearchSystem } from '../../engine/index.ts'
import type { EngineMemory } from '../metrics/resources.ts'

/**
 * A vector index: its live vectors. The binding reports no byte counts for an index, so
 * `indexBytes` and `graphBytes` are null rather than estimated.
 */
export function engineMemoryOf(index: FlatIndex | HnswIndex): EngineMemory {
  return {
    vectors: index.size,
    indexBytes: null,
    graphBytes: null,
    segments: null,
    segmentBytes: null,
    source: 'index.size (no byte counts from the binding)',
  }
}

/** A unified store: its vectors, the vector index file and the text index (mmapped segments) on disk. */
export async function unifiedEngineMemory(system: UnifiedSearchSystem): Promise<EngineMemory> {
  const s = await system.stats()
  return {
    vectors: s.vectorCount,
    indexBytes: s.vectorIndexBytes,
    graphBytes: null,
    segments: null,
    segmentBytes: s.textIndexBytes,
    source: 'system.stats(): vector index file bytes, text index bytes on disk (mmapped)',
  }
}
