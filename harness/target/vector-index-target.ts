/** A `SearchTarget` over a `FlatIndex` or `HnswIndex`: queries are vectors, inserts are vectors with ids. */
import type { FlatIndex, HnswIndex } from '../../engine/index.ts'
import type { SearchTarget } from '../types.ts'
import { ExactGroundTruth, vectorIndexRecallProbe } from './ground-truth.ts'
import { engineMemoryOf } from './engine-memory.ts'
import { nativeThreadStatsDrain } from './native-thread-stats.ts'

export interface VectorInsert {
  id: number
  vector: Float32Array
}

export interface VectorIndexTargetOptions {
  /** Results per search. @default 10 */
  k?: number
  /** HNSW beam width per search (default: the index's efSearch). */
  ef?: number
  /** @default `${index.kind}-index` */
  name?: string
  /**
   * Exact ground truth for recall under load: a `FlatIndex` holding the same vectors as `index`
   * (or an {@link ExactGroundTruth} over one). The target adds each insert to it once visible.
   */
  groundTruth?: FlatIndex | ExactGroundTruth
}

/** Drives an index through its async (thread-pool) methods. */
export function vectorIndexTarget(
  index: FlatIndex | HnswIndex,
  options: VectorIndexTargetOptions = {},
): SearchTarget<Float32Array, VectorInsert> {
  const k = options.k ?? 10
  const searchOptions = options.ef === undefined ? {} : { ef: options.ef }
  const gt =
    options.groundTruth === undefined
      ? null
      : options.groundTruth instanceof ExactGroundTruth
        ? options.groundTruth
        : new ExactGroundTruth(options.groundTruth)
  return {
    name: options.name ?? `${index.kind}-index`,
    search: (query, { signal, onNativeCall }) =>
      index.search(query, k, { ...searchOptions, signal, timing: onNativeCall }),
    insert:
      gt === null
        ? (doc, { signal, onNativeCall }) => index.add([doc.id], doc.vector, { signal, timing: onNativeCall })
        : (doc, { signal, onNativeCall }) => {
            // Registered first: a search may return the vector before `visible` runs (the add
            // landed natively, its continuation had not run yet); it must be in the exact index.
            const entry = { id: doc.id, vector: Float32Array.from(doc.vector) }
            gt.register([entry])
            return index.add([doc.id], doc.vector, { signal, timing: onNativeCall }).then(() => gt.visible([entry]))
          },
    drainThreadStats: nativeThreadStatsDrain(),
    ...(gt === null ? {} : { recallProbe: vectorIndexRecallProbe(gt, k) }),
    engineMemory: () => engineMemoryOf(index),
  }
}
