/**
 * `FlatIndex` and `HnswIndex`: the native vector indexes with validated options and typed results.
 *
 * Every method that can take more than a millisecond returns a Promise and runs off the event
 * loop: searches on the engine's search threads (a woken libuv worker costs more than an HNSW
 * search; see src/pool.rs), the rest on libuv's thread pool. `...Sync` forms exist for small
 * calls and block the event loop while they run.
 */
import { ErrorCodes, abortError, codedError, parseOptions, withSignal } from '../errors.ts'
import { NativeVectorIndex } from './native.ts'
import type { BatchSearchResult, NativeSearchOptions, VectorMemoryUsage } from './native.ts'
import {
  FlatIndexOptionsSchema,
  HnswIndexOptionsSchema,
  MAX_K,
  SearchOptionsSchema,
  SignalOptionsSchema,
  WriteOptionsSchema,
} from './options.ts'
import type {
  FlatIndexOptions,
  HnswIndexOptions,
  Ids,
  Metric,
  SearchOptions,
  SignalOptions,
  WriteOptions,
} from './options.ts'
import { SearchCoalescer, toHits } from './search-coalescer.ts'
import type { SearchHit } from './search-coalescer.ts'
import { timed } from './timing.ts'
import type { CallTimingListener } from './timing.ts'
import { checkId, checkPath, describeValue, toIdArray, toVector, toVectorRows } from './validate.ts'

function toBatchHits(result: BatchSearchResult): SearchHit[][] {
  const { offsets, ids, distances } = result
  const out: SearchHit[][] = new Array(offsets.length - 1)
  for (let q = 0; q + 1 < offsets.length; q++) {
    const hits: SearchHit[] = new Array(offsets[q + 1] - offsets[q])
    for (let i = offsets[q], j = 0; i < offsets[q + 1]; i++, j++) hits[j] = { id: ids[i], distance: distances[i] }
    out[q] = hits
  }
  return out
}

export type { SearchHit } from './search-coalescer.ts'

function checkK(k: unknown): void {
  if (!Number.isInteger(k) || (k as number) < 1 || (k as number) > MAX_K) {
    // describeValue, not `${k}`: a Symbol cannot be turned into a string (a TypeError, uncoded).
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `k must be an integer from 1 to ${MAX_K}, got ${describeValue(k)}`)
  }
}

/** Resolves an optional signal; throws at once if it has already fired. */
function signalOf(options: SignalOptions | undefined): AbortSignal | undefined {
  if (options === undefined) return undefined
  const { signal } = parseOptions(SignalOptionsSchema, options, 'options')
  if (signal?.aborted) throw abortError(signal)
  return signal
}

/** What `FlatIndex` and `HnswIndex` share: the whole `VectorIndex` contract. */
abstract class VectorIndexBase {
  protected readonly native: NativeVectorIndex

  protected constructor(native: NativeVectorIndex) {
    this.native = native
  }

  /** `'flat'` or `'hnsw'`. */
  get kind(): 'flat' | 'hnsw' {
    return this.native.kind as 'flat' | 'hnsw'
  }

  /** Fixed at creation: cached on first read, since every query checks it (a napi call each). */
  private cachedDimensions: number | undefined

  /** Length of every vector in the index. */
  get dimensions(): number {
    this.cachedDimensions ??= this.native.dimensions
    return this.cachedDimensions
  }

  get metric(): Metric {
    return this.native.metric as Metric
  }

  /** Number of live (not deleted) vectors. */
  get size(): number {
    return this.native.size
  }

  /**
   * Heap bytes the index holds, by kind: `vectorBytes` (the vectors, rows padded to a multiple
   * of 16 floats), `idBytes` (ids and the id map), `graphBytes` (HNSW neighbour lists and node
   * slots; 0 for flat), `otherBytes` (HNSW deletion bitsets, alignment slack) and `totalBytes`.
   * Counted from allocated capacities, so growth headroom is included; allocated is not
   * resident (untouched pages of the newest HNSW segment take no RAM). Search scratch buffers
   * are not counted. Synchronous: it reads capacities only, never the vectors (microseconds).
   */
  memoryUsage(): VectorMemoryUsage {
    return this.native.memoryUsage()
  }

  /** Whether `id` is live in the index. A value that is not an id is ERR_INVALID_ARGUMENT. */
  has(id: number): boolean {
    return this.native.has(checkId(id, 'id'))
  }

  /**
   * Adds vectors with caller-given ids, all or nothing (a duplicate id rejects the whole batch).
   * `vectors` is one row-major `Float32Array` of `ids.length × dimensions` values, or an array of
   * vectors. The arrays are copied before this returns: they may be reused, modified or
   * transferred at once.
   */
  add(
    ids: Ids,
    vectors: Float32Array | readonly (readonly number[] | Float32Array)[],
    options?: WriteOptions,
  ): Promise<void> {
    try {
      const parsed = options === undefined ? undefined : parseOptions(WriteOptionsSchema, options, 'options')
      if (parsed?.signal?.aborted) throw abortError(parsed.signal)
      const idArray = toIdArray(ids, 'ids')
      const data = toVectorRows(vectors, this.dimensions, 'vectors')
      return timed(parsed?.timing, stamps => withSignal(parsed?.signal, s => this.native.add(idArray, data, s, stamps)))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** `add` on the calling thread; blocks the event loop (use for small batches). */
  addSync(ids: Ids, vectors: Float32Array | readonly (readonly number[] | Float32Array)[]): void {
    this.native.addSync(toIdArray(ids, 'ids'), toVectorRows(vectors, this.dimensions, 'vectors'))
  }

  /** Deletes ids, all or nothing (an unknown id deletes none). Resolves to the number deleted. */
  remove(ids: Ids, options?: SignalOptions): Promise<number> {
    try {
      const signal = signalOf(options)
      const idArray = toIdArray(ids, 'ids')
      return withSignal(signal, s => this.native.remove(idArray, s))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** `remove` on the calling thread. */
  removeSync(ids: Ids): number {
    return this.native.removeSync(toIdArray(ids, 'ids'))
  }

  private coalescer: SearchCoalescer | undefined

  /**
   * The `k` nearest live vectors to `query`, closest first.
   *
   * Concurrent calls are coalesced: while native searches of this index are running, later
   * calls wait and then run together as one native task (see `search-coalescer.ts`); each
   * still gets its own result, error, abort and (with `timing`) its own timing. A call that
   * finds the engine idle runs at once. Calls with a `filter`, or `coalesce: false`, always run
   * alone.
   */
  search(query: Float32Array | readonly number[], k = 10, options?: SearchOptions): Promise<SearchHit[]> {
    try {
      const vector = this.queryVector(query)
      checkK(k)
      const { native, signal, timing, coalesce } = this.searchOptions(options)
      if (coalesce && native?.filter === undefined) {
        this.coalescer ??= new SearchCoalescer(this.native, this.dimensions)
        return this.coalescer.search(vector, k, native?.ef ?? 0, signal, timing)
      }
      return timed(timing, stamps => withSignal(signal, s => this.native.search(vector, k, native, s, stamps))).then(
        toHits,
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** `search` on the calling thread: blocks the event loop for the search's duration. */
  searchSync(query: Float32Array | readonly number[], k = 10, options?: Omit<SearchOptions, 'signal'>): SearchHit[] {
    const vector = this.queryVector(query)
    checkK(k)
    return toHits(this.native.searchSync(vector, k, this.searchOptions(options).native))
  }

  /**
   * Searches many queries at once, in parallel on the engine's own threads.
   * `queries` is row-major (`n × dimensions`) or an array of vectors.
   */
  searchBatch(
    queries: Float32Array | readonly (readonly number[] | Float32Array)[],
    k = 10,
    options?: SearchOptions,
  ): Promise<SearchHit[][]> {
    try {
      const data = toVectorRows(queries, this.dimensions, 'queries')
      if (data.length === 0 || data.length % this.dimensions !== 0) {
        throw codedError(
          ErrorCodes.DIMENSION_MISMATCH,
          `queries hold ${data.length} values, not a positive multiple of ${this.dimensions} dimensions`,
        )
      }
      checkK(k)
      const { native, signal } = this.searchOptions(options)
      return withSignal(signal, s => this.native.searchBatch(data, k, native, s)).then(toBatchHits)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Writes the index to `path` atomically: a crash leaves the old file or the new one, never half. */
  save(path: string, options?: SignalOptions): Promise<void> {
    try {
      checkPath(path, 'path')
      const signal = signalOf(options)
      return withSignal(signal, s => this.native.save(path, s))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  private queryVector(query: Float32Array | readonly number[]): Float32Array {
    const vector = toVector(query, 'query')
    if (vector.length !== this.dimensions) {
      throw codedError(
        ErrorCodes.DIMENSION_MISMATCH,
        `query has ${vector.length} components; the index has ${this.dimensions} dimensions`,
      )
    }
    return vector
  }

  private searchOptions(options: SearchOptions | undefined): {
    native: NativeSearchOptions | undefined
    signal: AbortSignal | undefined
    timing: CallTimingListener | undefined
    coalesce: boolean
  } {
    if (options === undefined) return { native: undefined, signal: undefined, timing: undefined, coalesce: true }
    const parsed = parseOptions(SearchOptionsSchema, options, 'search options')
    if (parsed.signal?.aborted) throw abortError(parsed.signal)
    const native: NativeSearchOptions = {}
    if (parsed.ef !== undefined) native.ef = parsed.ef
    if (parsed.filter !== undefined) native.filter = toIdArray(parsed.filter, 'filter')
    return { native, signal: parsed.signal, timing: parsed.timing, coalesce: parsed.coalesce ?? true }
  }
}

/** Exact search: every query is compared with every live vector. Recall is always 1. */
export class FlatIndex extends VectorIndexBase {
  constructor(options: FlatIndexOptions) {
    const { dimensions, metric } = parseOptions(FlatIndexOptionsSchema, options, 'FlatIndex options')
    super(NativeVectorIndex.createFlat(dimensions, metric))
  }

  /** Opens a flat index file written by `save`. */
  static async load(path: string, options?: SignalOptions): Promise<FlatIndex> {
    const index = await loadIndex(path, options)
    if (!(index instanceof FlatIndex)) {
      throw codedError(
        ErrorCodes.INVALID_ARGUMENT,
        `${path} holds an ${index.kind} index, not a flat one: use loadIndex or HnswIndex.load`,
      )
    }
    return index
  }

  /** @internal wraps an already-open native index. */
  static fromNative(native: NativeVectorIndex): FlatIndex {
    const index = Object.create(FlatIndex.prototype) as FlatIndex
    ;(index as unknown as { native: NativeVectorIndex }).native = native
    return index
  }
}

/** Approximate search on a hierarchical navigable small world graph. */
export class HnswIndex extends VectorIndexBase {
  constructor(options: HnswIndexOptions) {
    const { dimensions, metric, m, efConstruction, efSearch, seed } = parseOptions(
      HnswIndexOptionsSchema,
      options,
      'HnswIndex options',
    )
    super(NativeVectorIndex.createHnsw(dimensions, metric, { m, efConstruction, efSearch, seed }))
  }

  /** Opens an HNSW index file written by `save`. */
  static async load(path: string, options?: SignalOptions): Promise<HnswIndex> {
    const index = await loadIndex(path, options)
    if (!(index instanceof HnswIndex)) {
      throw codedError(
        ErrorCodes.INVALID_ARGUMENT,
        `${path} holds a ${index.kind} index, not an HNSW one: use loadIndex or FlatIndex.load`,
      )
    }
    return index
  }

  /** Construction and search parameters. */
  get params(): { m: number; efConstruction: number; efSearch: number; seed: number } {
    const p = this.native.hnswParams
    if (p == null) throw codedError(ErrorCodes.INTERNAL, 'HNSW index without parameters')
    return { m: p.m!, efConstruction: p.efConstruction!, efSearch: p.efSearch!, seed: p.seed! }
  }

  /** Default search beam width; a query's own `ef` overrides it. */
  get efSearch(): number {
    return this.params.efSearch
  }

  set efSearch(ef: number) {
    if (!Number.isInteger(ef) || ef < 1 || ef > 1_000_000) {
      throw codedError(
        ErrorCodes.INVALID_ARGUMENT,
        `efSearch must be an integer from 1 to 1000000, got ${describeValue(ef)}`,
      )
    }
    this.native.setEfSearch(ef)
  }

  /**
   * Rebuilds the graph from the live vectors now, reclaiming the nodes that removed vectors
   * leave behind (removes do it on their own once those reach the live count, at least 1,024).
   * Resolves to the number of nodes reclaimed (0 when there were none). Costs about as much as
   * adding the live vectors again; searches go on meanwhile, adds, removes and saves wait.
   */
  compact(options?: SignalOptions): Promise<number> {
    try {
      const signal = signalOf(options)
      return withSignal(signal, s => this.native.compact(s))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** @internal wraps an already-open native index. */
  static fromNative(native: NativeVectorIndex): HnswIndex {
    const index = Object.create(HnswIndex.prototype) as HnswIndex
    ;(index as unknown as { native: NativeVectorIndex }).native = native
    return index
  }
}

/** Opens any index file written by `save`, flat or HNSW (read from the file's header). */
export async function loadIndex(path: string, options?: SignalOptions): Promise<FlatIndex | HnswIndex> {
  checkPath(path, 'path')
  const signal = signalOf(options)
  const native = await withSignal(signal, s => NativeVectorIndex.load(path, s))
  return native.kind === 'hnsw' ? HnswIndex.fromNative(native) : FlatIndex.fromNative(native)
}
