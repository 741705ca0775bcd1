/**
 * The three HNSW libraries behind one small interface, shared by hnsw-worker.ts (synthetic
 * clustered data, one process per library) and hnsw-real.bench.ts (one process, interleaved):
 * build on a whole Float32Array, set ef, search one query on the calling thread, read ids, save.
 *
 * - ours: `HnswIndex.add(ids, whole batch)` on rayon's global pool (RAYON_NUM_THREADS, read when
 *   the pool starts: set it before the process loads the addon); `searchSync` with the efSearch
 *   setter.
 * - hnswlib-node: `addPoint(number[], i)` in a JS loop (its binding takes only `number[]` and has
 *   no batch or parallel add: always 1 thread); queries converted to `number[]` once, untimed.
 * - usearch: `add(keys, matrix, threads)`; its JS binding fixes `expansion_search` at
 *   construction, so `setEf` reopens the saved graph in a new `Index({ expansion_search: ef })`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import hnswlib from 'hnswlib-node'
import { Index, MetricKind, ScalarKind } from 'usearch'

import { HnswIndex, kernelIsa } from '../../main.ts'
import type { SearchHit } from '../../main.ts'
import { BENCH_DIR } from './common.ts'
import { K } from './dataset.ts'
import { EF_CONSTRUCTION, M } from './hnsw-params.ts'
import type { Lib } from './hnsw-params.ts'

export type { Lib } from './hnsw-params.ts'
export type BenchMetric = 'l2' | 'cosine'

export interface AdapterData {
  base: Float32Array
  queries: Float32Array
  dims: number
  metric: BenchMetric
}

export interface Adapter {
  lib: Lib
  version: string
  threadsNote: string
  build(): Promise<{ extraNote?: string }>
  /** Set the search beam width (not timed). */
  setEf(ef: number): void
  /** One search of query row `q`; returns whatever the library returns (ids are read after timing). */
  search(q: number): unknown
  /** Ids of a search result into out[offset .. offset + K) (−1 when missing). */
  ids(result: unknown, out: Int32Array, offset: number): void
  save(path: string): Promise<void> | void
}

/** Seed of every library's level generator, where it takes one. */
export const HNSW_SEED = 100

export function pkgVersion(name: string): string {
  return JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8')).version as string
}

function queryViews(data: AdapterData): Float32Array[] {
  const nq = data.queries.length / data.dims
  return Array.from({ length: nq }, (_, q) => data.queries.subarray(q * data.dims, (q + 1) * data.dims))
}

/**
 * `rowByRow`: add one vector per `addSync` call instead of the whole batch. A batch is linked in
 * rounds against the graph as it was before each round (deterministic on any thread count); one
 * row per call links every node against all earlier ones, as hnswlib does. A diagnostic of the
 * graph the round scheme gives, not how a user should load data.
 */
export function oursAdapter(data: AdapterData, opts: { rowByRow?: boolean } = {}): Adapter & { index: HnswIndex } {
  const { dims, base } = data
  const n = base.length / dims
  const qViews = queryViews(data)
  const index = new HnswIndex({
    dimensions: dims,
    metric: data.metric,
    m: M,
    efConstruction: EF_CONSTRUCTION,
    seed: HNSW_SEED,
  })
  return {
    lib: 'ours',
    index,
    version: `@acme/vector-native (working tree, kernels: ${kernelIsa()})`,
    threadsNote: opts.rowByRow
      ? 'HnswIndex.addSync(one row) per vector, in order (1 thread)'
      : `HnswIndex.add(whole batch) on rayon's pool: RAYON_NUM_THREADS=${process.env.RAYON_NUM_THREADS ?? '(unset → all cores)'}`,
    async build() {
      const ids = new Float64Array(n)
      for (let i = 0; i < n; i++) ids[i] = i
      if (opts.rowByRow) {
        for (let i = 0; i < n; i++) index.addSync(ids.subarray(i, i + 1), base.subarray(i * dims, (i + 1) * dims))
      } else await index.add(ids, base)
      return {}
    },
    setEf(ef) {
      index.efSearch = ef
    },
    search(q) {
      return index.searchSync(qViews[q], K)
    },
    ids(result, outIds, offset) {
      const hits = result as SearchHit[]
      for (let j = 0; j < K; j++) outIds[offset + j] = j < hits.length ? hits[j].id : -1
    },
    async save(path) {
      await index.save(path)
    },
  }
}

export function hnswlibAdapter(data: AdapterData): Adapter & { index: hnswlib.HierarchicalNSW } {
  const { dims, base } = data
  const n = base.length / dims
  const index = new hnswlib.HierarchicalNSW(data.metric, dims)
  const qArrays = queryViews(data).map(v => Array.from(v))
  return {
    lib: 'hnswlib',
    index,
    version: `hnswlib-node ${pkgVersion('hnswlib-node')}`,
    threadsNote: 'addPoint in a JS loop: always 1 thread (the binding has no batch or parallel add)',
    async build() {
      index.initIndex({ maxElements: n, m: M, efConstruction: EF_CONSTRUCTION, randomSeed: HNSW_SEED })
      for (let i = 0; i < n; i++) index.addPoint(Array.from(base.subarray(i * dims, (i + 1) * dims)), i)
      return {}
    },
    setEf(ef) {
      index.setEf(ef)
    },
    search(q) {
      return index.searchKnn(qArrays[q], K)
    },
    ids(result, outIds, offset) {
      const r = result as { neighbors: number[] }
      for (let j = 0; j < K; j++) outIds[offset + j] = j < r.neighbors.length ? r.neighbors[j] : -1
    },
    save(path) {
      index.writeIndexSync(path)
    },
  }
}

export function usearchAdapter(data: AdapterData, threads: number): Adapter & { current(): Index } {
  const { dims, base } = data
  const n = base.length / dims
  const qViews = queryViews(data)
  const make = (ef: number) =>
    new Index({
      dimensions: dims,
      metric: data.metric === 'cosine' ? MetricKind.Cos : MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: M,
      expansion_add: EF_CONSTRUCTION,
      expansion_search: ef,
      multi: false,
    })
  let index = make(64)
  let savedPath: string | null = null
  return {
    lib: 'usearch',
    current: () => index,
    version: `usearch ${pkgVersion('usearch')}`,
    threadsNote: `Index.add(all keys, all vectors, threads = ${threads})`,
    async build() {
      const keys = new BigUint64Array(n)
      for (let i = 0; i < n; i++) keys[i] = BigInt(i)
      index.add(keys, base, threads)
      return {}
    },
    setEf(ef) {
      // reopen the saved graph with the wanted value (load() keeps the new config's expansion_search)
      if (savedPath === null) throw new Error('usearch: save before setting ef')
      index = make(ef)
      index.load(savedPath)
    },
    search(q) {
      return index.search(qViews[q], K, 1)
    },
    ids(result, outIds, offset) {
      const keys = (result as { keys: BigUint64Array }).keys
      for (let j = 0; j < K; j++) outIds[offset + j] = j < keys.length ? Number(keys[j]) : -1
    },
    save(path) {
      index.save(path)
      savedPath = path
    },
  }
}

export function makeAdapter(lib: Lib, data: AdapterData, threads: number): Adapter {
  if (lib === 'ours') return oursAdapter(data)
  if (lib === 'hnswlib') return hnswlibAdapter(data)
  if (lib === 'usearch') return usearchAdapter(data, threads)
  throw new Error(`unknown library ${String(lib)}`)
}

/**
 * hnswlib's own memory for n elements of `dims` float32 by its allocation formula (hnswalg.h,
 * HierarchicalNSW constructor and addPoint): per element the level-0 record
 * (2M links × 4 B + 4 B count + vector + 8 B label), a level-list pointer (8 B), its level
 * (4 B), a link-list mutex (40 B, std::mutex on Linux), a visited-list slot (2 B) and upper-layer
 * lists (M × 4 + 4 B per level, 1/(M − 1) levels on average); plus the label map (≈ 40 B per
 * entry for a std::unordered_map node and bucket: an estimate, the one term that depends on
 * the C++ library).
 */
export function hnswlibBytesPerVector(dims: number, m = M): { bytes: number; terms: Record<string, number> } {
  const terms = {
    level0Record: 2 * m * 4 + 4 + dims * 4 + 8,
    levelListPointer: 8,
    elementLevel: 4,
    linkListMutex: 40,
    visitedListSlot: 2,
    upperLayers: (m * 4 + 4) / (m - 1),
    labelMapEstimate: 40,
  }
  return { bytes: Object.values(terms).reduce((a, b) => a + b, 0), terms }
}
