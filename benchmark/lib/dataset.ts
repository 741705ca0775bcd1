/**
 * The HNSW comparison's data set and exact ground truth, cached in benchmark/.cache so every
 * child process (one per library) reads the very same bytes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { FlatIndex } from '../../main.ts'
import { CACHE_DIR, nowNs } from './common.ts'
import { DEFAULT_SPEC, clusteredData, fingerprint } from './data.ts'
import type { ClusteredSpec } from './data.ts'

export const K = 10

export interface Dataset {
  spec: ClusteredSpec
  base: Float32Array
  queries: Float32Array
  /** exact top-K ids per query, row-major */
  truth: Uint32Array
  fingerprint: string
  paths: { base: string; queries: string; truth: string }
}

/**
 * The data set of a run: the default spec (100k × 128), or 20k vectors with `--quick`. Any field
 * can be overridden from the command line, e.g. `--n=50000 --latentDims=24` (results then name
 * the spec they used).
 */
export function specFor(quick: boolean, overrides: ReadonlyMap<string, string> = new Map()): ClusteredSpec {
  const spec: ClusteredSpec = quick ? { ...DEFAULT_SPEC, n: 20_000, queries: 500 } : { ...DEFAULT_SPEC }
  for (const field of Object.keys(spec) as (keyof ClusteredSpec)[]) {
    const v = overrides.get(field)
    if (v !== undefined) spec[field] = Number(v)
  }
  return spec
}

function key(spec: ClusteredSpec): string {
  return `clustered-n${spec.n}-q${spec.queries}-d${spec.dims}-c${spec.clusters}-r${spec.latentDims}-p${spec.pointScale}-e${spec.noiseScale}-s${spec.seed}`
}

export function readF32(path: string): Float32Array {
  const buf = readFileSync(path)
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
}

export function readU32(path: string): Uint32Array {
  const buf = readFileSync(path)
  return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
}

/**
 * Generates (or reads from the cache) the data set and its exact ground truth. Ground truth is
 * computed with our FlatIndex.searchBatch (exact, l2); `log` reports what was done.
 */
export async function prepareDataset(spec: ClusteredSpec, log: (s: string) => void = () => {}): Promise<Dataset> {
  mkdirSync(CACHE_DIR, { recursive: true })
  const k = key(spec)
  const paths = {
    base: join(CACHE_DIR, `${k}.base.f32`),
    queries: join(CACHE_DIR, `${k}.queries.f32`),
    truth: join(CACHE_DIR, `${k}.truth${K}.u32`),
  }
  let base: Float32Array
  let queries: Float32Array
  if (existsSync(paths.base) && existsSync(paths.queries)) {
    base = readF32(paths.base)
    queries = readF32(paths.queries)
    log(`data: read from ${paths.base}`)
  } else {
    const t0 = nowNs()
    ;({ base, queries } = clusteredData(spec))
    writeFileSync(paths.base, new Uint8Array(base.buffer, base.byteOffset, base.byteLength))
    writeFileSync(paths.queries, new Uint8Array(queries.buffer, queries.byteOffset, queries.byteLength))
    log(`data: generated ${spec.n} × ${spec.dims} (+${spec.queries} queries) in ${((nowNs() - t0) / 1e9).toFixed(1)} s`)
  }
  let truth: Uint32Array
  if (existsSync(paths.truth)) {
    truth = readU32(paths.truth)
    log(`ground truth: read from ${paths.truth}`)
  } else {
    const r = await exactTruth(base, queries, spec.dims, 'l2')
    truth = r.truth
    writeFileSync(paths.truth, new Uint8Array(truth.buffer))
    log(`ground truth: ${r.note}`)
  }
  return { spec, base, queries, truth, fingerprint: fingerprint(base), paths }
}

/**
 * Exact top-K ids of every query (row-major, K per row) by our FlatIndex.searchBatch (an exact
 * scan; ids are row numbers 0..n−1), and a line saying what it cost.
 */
export async function exactTruth(
  base: Float32Array,
  queries: Float32Array,
  dims: number,
  metric: 'l2' | 'cosine',
): Promise<{ truth: Uint32Array; note: string }> {
  const n = base.length / dims
  const nq = queries.length / dims
  const t0 = nowNs()
  const flat = new FlatIndex({ dimensions: dims, metric })
  const ids = new Float64Array(n)
  for (let i = 0; i < n; i++) ids[i] = i
  await flat.add(ids, base)
  const t1 = nowNs()
  const hits = await flat.searchBatch(queries, K)
  const t2 = nowNs()
  const truth = new Uint32Array(nq * K)
  hits.forEach((row, q) => {
    if (row.length < K) throw new Error(`exact search returned ${row.length} < ${K} hits for query ${q}`)
    row.forEach((h, j) => {
      truth[q * K + j] = h.id
    })
  })
  const note =
    `FlatIndex (${metric}) add ${((t1 - t0) / 1e6).toFixed(0)} ms, searchBatch of ${nq} exact queries ` +
    `${((t2 - t1) / 1e6).toFixed(0)} ms (${((nq / (t2 - t1)) * 1e9).toFixed(0)} QPS on all cores)`
  return { truth, note }
}

/** Mean recall@K of `found` (ids per query, row-major, K per row; missing = -1) vs the truth. */
export function recallAtK(found: ArrayLike<number>, truth: Uint32Array, queries: number): number {
  let hits = 0
  for (let q = 0; q < queries; q++) {
    const want = new Set<number>()
    for (let j = 0; j < K; j++) want.add(truth[q * K + j])
    for (let j = 0; j < K; j++) if (want.has(found[q * K + j])) hits++
  }
  return hits / (queries * K)
}
