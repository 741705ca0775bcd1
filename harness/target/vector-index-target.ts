/** A `SearchTarget` over a `FlatIndex` or `HnswIndex`: queries are vectors, inserts are vectors with ids. */
import type { FlatIndex, HnswIndex } from '../../engine/index.ts'
import type { SearchTarget } from '../types.ts'
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
}

/** Drives an index through its async (thread-pool) methods. */
export function vectorIndexTarget(
  index: FlatIndex | HnswIndex,
  options: VectorIndexTargetOptions = {},
): SearchTarget<Float32Array, VectorInsert> {
  const k = options.k ?? 10
  const searchOptions = options.ef === undefined ? {} : { ef: options.ef }
  return {
    name: options.name ?? `${index.kind}-index`,
    search: (query, { signal, onNativeCall }) =>
      index.search(query, k, { ...searchOptions, signal, timing: onNativeCall }),
    insert: (doc, { signal, onNativeCall }) => index.add([doc.id], doc.vector, { signal, timing: onNativeCall }),
    drainThreadStats: nativeThreadStatsDrain(),
  }
}
