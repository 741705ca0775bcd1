/**
 * `UnifiedSearchSystem`: text (BM25) + vector (HNSW) search, fused, over two stores opened from
 * a text-index path and a vector-db path. Every call runs off the event loop: searches on the
 * engine's search threads (src/pool.rs), the rest on libuv's thread pool.
 *
 * Embedding: documents and queries may bring their own vectors. Without one, the system's
 * embedder makes it: the built-in feature-hashing embedder (lexical, not semantic: signed
 * hashes of word unigrams and bigrams, L2-normalised), or your own async function.
 */
import { z } from 'zod'

import { ErrorCodes, codedError, parseOptions, withSignal } from '../errors.ts'
import { NativeUnifiedSearchSystem } from './native.ts'
import type {
  HybridHit,
  NativeQuery,
  NativeSearchSession,
  OpenReportInfo,
  StoredDocument,
  UnifiedStats,
} from './native.ts'
import { MAX_DIMENSIONS, MetricSchema, SignalOptionsSchema, WriteOptionsSchema } from './options.ts'
import type { SignalOptions, WriteOptions } from './options.ts'
import { CallTimingListenerSchema, timed } from './timing.ts'
import type { CallTimingListener } from './timing.ts'
import { checkStringId, checkText, describeValue, isWellFormed, messageOf, toVector } from './validate.ts'

export type { HybridHit, OpenReportInfo, StoredDocument, UnifiedStats }

/** Your embedder: texts in, one vector (of the store's dimensions) per text out. */
export type Embedder = (texts: string[]) => Promise<Float32Array[]> | Float32Array[]

/** Largest k of a unified search (the engine enforces the same bound). */
export const MAX_UNIFIED_K = 10_000

const int = (min: number, max: number) => z.number().int().min(min).max(max)

/** A directory path: no file system takes a NUL, and the OS would report it as an I/O error. */
const PathSchema = z
  .string()
  .min(1)
  .refine(path => !path.includes('\0'), { message: 'must not hold a NUL character' })
  .refine(isWellFormed, { message: 'must be well-formed UTF-16 (a lone surrogate would name another file)' })

/** A call's `{ signal }`, checked (a signal that is not an `AbortSignal` is ERR_INVALID_ARGUMENT). */
function signalOptions(options: SignalOptions | undefined): SignalOptions {
  return options === undefined ? {} : parseOptions(SignalOptionsSchema, options, 'options')
}

/** A write's `{ signal, timing }`, checked. */
function writeOptions(options: WriteOptions | undefined): WriteOptions {
  return options === undefined ? {} : parseOptions(WriteOptionsSchema, options, 'options')
}

export const VectorIndexKindSchema = z.enum(['hnsw', 'flat'])
export type VectorIndexKind = z.infer<typeof VectorIndexKindSchema>

export const UnifiedOpenOptionsSchema = z.strictObject({
  /** Directory of the text index (the source of truth); created when absent. */
  textIndexPath: PathSchema,
  /** Directory of the vector index; created when absent. */
  vectorDbPath: PathSchema,
  dimensions: int(1, MAX_DIMENSIONS),
  /** @default 'cosine' */
  metric: MetricSchema.default('cosine'),
  /**
   * `'hnsw'` (approximate, sub-linear) or `'flat'` (exact: every search compares the query with
   * every vector). A store keeps the kind it was created with: omit it to open an existing store
   * as it is; naming another kind is ERR_INVALID_ARGUMENT. @default 'hnsw' for a new store
   */
  vectorIndex: VectorIndexKindSchema.optional(),
  /** HNSW parameters of a new vector index. */
  m: int(2, 256).optional(),
  efConstruction: int(1, 1_000_000).optional(),
  efSearch: int(1, 1_000_000).optional(),
  seed: int(0, 0xffff_ffff).optional(),
  /** `'feature-hashing'` (default), `'none'` (every document and vector query brings a vector), or your function. */
  embedder: z
    .union([
      z.enum(['feature-hashing', 'none']),
      z.custom<Embedder>(v => typeof v === 'function', { message: 'must be a function' }),
    ])
    .optional(),
  /** Bytes the text writer buffers before flushing a segment. @default 50 MB */
  writerMemory: int(15_000_000, 4_000_000_000).optional(),
  signal: z.instanceof(AbortSignal).optional(),
})
export type UnifiedOpenOptions = z.input<typeof UnifiedOpenOptionsSchema>

export interface UnifiedDocument {
  id: string
  text: string
  vector?: Float32Array | readonly number[]
  /** Stored with the document (as JSON), never indexed. */
  metadata?: unknown
}

export const SearchModeSchema = z.enum(['text', 'vector', 'hybrid'])
export type SearchMode = z.infer<typeof SearchModeSchema>

export const UnifiedSearchOptionsSchema = z.strictObject({
  /** @default 'hybrid' */
  mode: SearchModeSchema.optional(),
  /** @default 10 */
  k: int(1, MAX_UNIFIED_K).optional(),
  /** A query vector (else the text is embedded for the vector leg). */
  vector: z
    .union([
      z.custom<Float32Array>(v => v instanceof Float32Array, { message: 'must be a Float32Array' }),
      z.array(z.number()),
    ])
    .optional(),
  /** @default 'rrf' */
  fusion: z.enum(['rrf', 'linear']).optional(),
  /** RRF damping constant. @default 60 */
  rrfK: int(1, 1_000_000).optional(),
  /** Linear fusion: weight of the text leg. @default 0.5 */
  alpha: z.number().min(0).max(1).optional(),
  /** Hybrid: candidates each leg contributes. @default max(k, 50) */
  candidates: int(1, MAX_UNIFIED_K).optional(),
  /** HNSW beam width of the vector leg. */
  ef: int(1, 1_000_000).optional(),
  signal: z.instanceof(AbortSignal).optional(),
  /** Called with the native call's timing (queued, started, finished, resumed, worker CPU) once it resolves. */
  timing: CallTimingListenerSchema.optional(),
})
export type UnifiedSearchOptions = z.input<typeof UnifiedSearchOptionsSchema>

/** Builds the native query: validated options, the text, an embedded vector if needed. */
async function nativeQuery(
  text: string,
  options: UnifiedSearchOptions | undefined,
  embed: Embedder | null,
  dimensions: number,
): Promise<{ query: NativeQuery; signal?: AbortSignal; timing?: CallTimingListener }> {
  if (typeof text !== 'string')
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      'the query must be a string (it may be empty in vector mode when a vector is given)',
    )
  checkText(text, 'the query')
  const o = options === undefined ? {} : parseOptions(UnifiedSearchOptionsSchema, options, 'search options')
  const mode = o.mode ?? 'hybrid'
  const hasText = text.trim().length > 0
  let vector = o.vector === undefined ? undefined : toVector(o.vector, 'the query vector')
  if (mode === 'text' && !hasText)
    throw codedError(ErrorCodes.INVALID_ARGUMENT, 'a text search needs a non-empty query')
  if (!hasText && vector === undefined)
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `a ${mode} search needs a non-empty query text or a vector`)
  if (vector === undefined && mode !== 'text' && embed !== null) {
    vector = (await embedOne(embed, text, dimensions)) as Float32Array<ArrayBuffer>
  }
  const query: NativeQuery = { mode, k: o.k ?? 10 }
  if (hasText) query.text = text
  if (vector !== undefined) {
    if (vector.length !== dimensions)
      throw codedError(
        ErrorCodes.DIMENSION_MISMATCH,
        `the query vector has ${vector.length} dimensions, the store has ${dimensions}`,
      )
    query.vector = vector
  }
  if (o.fusion !== undefined) query.fusion = o.fusion
  if (o.rrfK !== undefined) query.rrfK = o.rrfK
  if (o.alpha !== undefined) query.alpha = o.alpha
  if (o.candidates !== undefined) query.candidates = o.candidates
  if (o.ef !== undefined) query.ef = o.ef
  return { query, signal: o.signal, timing: o.timing }
}

async function embedOne(embed: Embedder, text: string, dimensions: number): Promise<Float32Array> {
  const [vector] = await embedMany(embed, [text], dimensions)
  return vector
}

async function embedMany(embed: Embedder, texts: string[], dimensions: number): Promise<Float32Array[]> {
  let out: Float32Array[]
  try {
    out = await embed(texts)
  } catch (error) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `the embedder failed: ${messageOf(error)}`, error)
  }
  if (!Array.isArray(out) || out.length !== texts.length) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `the embedder returned ${Array.isArray(out) ? out.length : typeof out} vectors for ${texts.length} texts`,
    )
  }
  return out.map((v, i) => {
    const vector = toVector(v, `the embedder's vector ${i}`)
    if (vector.length !== dimensions)
      throw codedError(
        ErrorCodes.DIMENSION_MISMATCH,
        `the embedder's vector ${i} has ${vector.length} dimensions, the store has ${dimensions}`,
      )
    // Checked here too (the engine refuses them on add): `embed` hands them straight back.
    if (!vector.every(Number.isFinite))
      throw codedError(ErrorCodes.INVALID_ARGUMENT, `the embedder's vector ${i} holds NaN or an infinity`)
    return vector
  })
}

/** A document's metadata as the JSON string stored with it; what JSON cannot hold is refused. */
function metadataJson(doc: UnifiedDocument): string | undefined {
  if (doc.metadata === undefined) return undefined
  let json: string | undefined
  try {
    json = JSON.stringify(doc.metadata)
  } catch (error) {
    // Circular structures and BigInts.
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `document ${JSON.stringify(doc.id)}: its metadata cannot be stored as JSON (${messageOf(error)})`,
      error,
    )
  }
  if (json === undefined) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `document ${JSON.stringify(doc.id)}: its metadata is ${describeValue(doc.metadata)}, which JSON cannot hold`,
    )
  }
  return json
}

/** Parses stored metadata; text that is not JSON can only come from a damaged store. */
function parseStoredMetadata(id: string, json: string | null | undefined): unknown {
  if (json === undefined || json === null) return undefined
  try {
    return JSON.parse(json)
  } catch (error) {
    throw codedError(
      ErrorCodes.CORRUPT_INDEX,
      `the stored metadata of document ${JSON.stringify(id)} is not JSON (${(error as Error).message})`,
      error,
    )
  }
}

/** A search session: reuses per-session scratch state; what a connection pool holds. */
export class SearchSession {
  readonly #native: NativeSearchSession
  readonly #system: UnifiedSearchSystem

  /** @internal */
  constructor(native: NativeSearchSession, system: UnifiedSearchSystem) {
    this.#native = native
    this.#system = system
  }

  /** Searches exactly like `UnifiedSearchSystem.search`. */
  async search(text: string, options?: UnifiedSearchOptions): Promise<HybridHit[]> {
    if (this.#native.closed) throw codedError(ErrorCodes.CLOSED, 'the session is closed')
    this.#system.checkOpen()
    const { query, signal, timing } = await nativeQuery(text, options, this.#system.embedder, this.#system.dimensions)
    return timed(timing, stamps => withSignal(signal, s => this.#native.search(query, s, stamps)))
  }

  /** The committed generation the session's last search saw. */
  get generation(): number {
    return this.#native.generation
  }

  get closed(): boolean {
    return this.#native.closed
  }

  /** Frees the session's memory; using it afterwards fails with ERR_CLOSED. */
  close(): void {
    this.#native.close()
  }
}

/** Text, vector and hybrid search over a text index and a vector store. */
export class UnifiedSearchSystem {
  readonly #native: NativeUnifiedSearchSystem
  /** The JS-side embedder, or null when the native one (or none) is used. @internal */
  readonly embedder: Embedder | null
  /** Set once `close` has resolved: calls that would run only JS (your embedder) fail with ERR_CLOSED too. */
  #closed = false

  private constructor(native: NativeUnifiedSearchSystem, embedder: Embedder | null) {
    this.#native = native
    this.embedder = embedder
  }

  /** Opens the stores at the two paths, creating them when absent, repairing them when out of step. */
  static async open(options: UnifiedOpenOptions): Promise<UnifiedSearchSystem> {
    const o = parseOptions(UnifiedOpenOptionsSchema, options, 'UnifiedSearchSystem options')
    const custom = typeof o.embedder === 'function' ? o.embedder : null
    const native = await withSignal(o.signal, s =>
      NativeUnifiedSearchSystem.open(
        {
          textIndexPath: o.textIndexPath,
          vectorDbPath: o.vectorDbPath,
          dimensions: o.dimensions,
          metric: o.metric,
          vectorIndex: o.vectorIndex,
          m: o.m,
          efConstruction: o.efConstruction,
          efSearch: o.efSearch,
          seed: o.seed,
          embedder: custom !== null ? 'none' : (o.embedder as 'feature-hashing' | 'none' | undefined),
          writerMemory: o.writerMemory,
        },
        s,
      ),
    )
    return new UnifiedSearchSystem(native, custom)
  }

  /** What `open` found and did: created, generations, repairs, problems. */
  get openReport(): OpenReportInfo {
    return this.#native.openReport
  }

  get dimensions(): number {
    return this.#native.dimensions
  }

  get metric(): 'cosine' | 'l2' | 'dot' {
    return this.#native.metric as 'cosine' | 'l2' | 'dot'
  }

  /** The vector index the store was created with. */
  get vectorIndex(): VectorIndexKind {
    return this.#native.vectorIndex as VectorIndexKind
  }

  /** Whether `close` has completed. */
  get closed(): boolean {
    return this.#closed
  }

  /** ERR_CLOSED once closed: checked before your embedder runs, which the native side never sees. @internal */
  checkOpen(): void {
    if (this.#closed) throw codedError(ErrorCodes.CLOSED, 'the search system is closed')
  }

  /** The committed generation searches see (one more per commit that changed something). */
  get generation(): number {
    return this.#native.generation
  }

  /**
   * Buffers documents, all or nothing; they become searchable at `commit`. Duplicate ids
   * (within the batch, committed, or pending) are refused with ERR_DUPLICATE_ID: delete first
   * to replace a document.
   */
  async add(docs: readonly UnifiedDocument[], options?: WriteOptions): Promise<number> {
    const { signal, timing } = writeOptions(options)
    if (!Array.isArray(docs) || docs.length === 0)
      throw codedError(ErrorCodes.INVALID_ARGUMENT, 'add needs a non-empty array of documents')
    this.checkOpen()
    const d = this.dimensions
    // An index loop, not `map`: `map` skips the holes of a sparse array, which napi would then meet.
    const native = Array.from({ length: docs.length }, (_, i) => {
      const doc = docs[i] as UnifiedDocument | null | undefined
      if (doc === null || typeof doc !== 'object')
        throw codedError(ErrorCodes.INVALID_ARGUMENT, `document ${i} is ${describeValue(doc)}, not an object`)
      checkStringId(doc.id, `document ${i}: id`)
      if (typeof doc.text !== 'string')
        throw codedError(ErrorCodes.INVALID_ARGUMENT, `document ${JSON.stringify(doc.id)}: text must be a string`)
      checkText(doc.text, `document ${JSON.stringify(doc.id)}: text`)
      const vector = doc.vector === undefined ? undefined : toVector(doc.vector, `the vector of document ${i}`)
      if (vector !== undefined && vector.length !== d) {
        throw codedError(
          ErrorCodes.DIMENSION_MISMATCH,
          `document ${JSON.stringify(doc.id)} has a vector of ${vector.length} dimensions, the store has ${d}`,
        )
      }
      return { id: doc.id, text: doc.text, vector, metadata: metadataJson(doc) }
    })
    if (this.embedder !== null) {
      const missing = native.filter(doc => doc.vector === undefined && doc.text.trim().length > 0)
      if (missing.length > 0) {
        const vectors = await embedMany(
          this.embedder,
          missing.map(doc => doc.text),
          d,
        )
        missing.forEach((doc, i) => {
          doc.vector = vectors[i]
        })
      }
    }
    return timed(timing, stamps => withSignal(signal, s => this.#native.add(native, s, stamps)))
  }

  /** Buffers deletions, all or nothing (an unknown id deletes none). */
  delete(ids: readonly string[], options?: SignalOptions): Promise<number> {
    try {
      const { signal } = signalOptions(options)
      if (!Array.isArray(ids) || ids.length === 0) {
        throw codedError(ErrorCodes.INVALID_ARGUMENT, 'delete needs a non-empty array of string ids')
      }
      for (const [i, id] of ids.entries()) checkStringId(id, `ids[${i}]`)
      return withSignal(signal, s => this.#native.delete([...ids], s))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Makes buffered writes durable and visible to searches. Resolves to the new generation. */
  commit(options?: WriteOptions): Promise<number> {
    try {
      const { signal, timing } = writeOptions(options)
      return timed(timing, stamps => withSignal(signal, s => this.#native.commit(s, stamps)))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Drops buffered writes. Resolves to how many operations were dropped. */
  rollback(options?: SignalOptions): Promise<number> {
    try {
      const { signal } = signalOptions(options)
      return withSignal(signal, s => this.#native.rollback(s))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * The store's embedder applied to `texts`: one `Float32Array` of `dimensions` values per
   * text — the vectors documents without their own vector are indexed with, and that text
   * queries are searched with. Your embedder if you gave one, else the built-in one (a text
   * without tokens gives zeros). Fails with ERR_INVALID_ARGUMENT when the store has neither.
   */
  async embed(texts: readonly string[], options?: SignalOptions): Promise<Float32Array[]> {
    const { signal } = signalOptions(options)
    if (!Array.isArray(texts)) throw codedError(ErrorCodes.INVALID_ARGUMENT, 'embed needs an array of strings')
    // An index loop: `some` would skip the holes of a sparse array.
    for (let i = 0; i < texts.length; i++) checkText(texts[i], `texts[${i}]`)
    this.checkOpen()
    const d = this.dimensions
    const custom = this.embedder
    if (custom !== null)
      return withSignal(signal, async () => (texts.length === 0 ? [] : embedMany(custom, [...texts], d)))
    const rows = await withSignal(signal, s => this.#native.embed([...texts], s))
    return Array.from({ length: texts.length }, (_, i) => rows.subarray(i * d, (i + 1) * d))
  }

  /**
   * Searches the committed state. `mode`: `'text'` (BM25), `'vector'` (nearest neighbours of
   * `vector`, or of the embedded text) or `'hybrid'` (both, fused by RRF or linearly).
   */
  async search(text: string, options?: UnifiedSearchOptions): Promise<HybridHit[]> {
    this.checkOpen()
    const { query, signal, timing } = await nativeQuery(text, options, this.embedder, this.dimensions)
    return timed(timing, stamps => withSignal(signal, s => this.#native.search(query, s, stamps)))
  }

  /** A committed document by id, or null. */
  get(
    id: string,
    options?: SignalOptions,
  ): Promise<(Omit<StoredDocument, 'metadata'> & { metadata?: unknown }) | null> {
    try {
      const { signal } = signalOptions(options)
      checkStringId(id, 'id')
      return withSignal(signal, s => this.#native.get(id, s)).then(doc =>
        doc === null ? null : { ...doc, metadata: parseStoredMetadata(id, doc.metadata) },
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Counts, generation, sizes on disk (`textIndexBytes`, `vectorIndexBytes`), and the heap bytes
   * of the committed vector index by kind (`vectorMemory`, as `FlatIndex.memoryUsage()`).
   */
  stats(options?: SignalOptions): Promise<UnifiedStats> {
    try {
      const { signal } = signalOptions(options)
      return withSignal(signal, s => this.#native.stats(s))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** A session with its own search scratch (visited set, heaps, searcher snapshot). */
  openSession(): SearchSession {
    return new SearchSession(this.#native.openSession(), this)
  }

  /** Drops buffered writes and releases the stores; later calls fail with ERR_CLOSED. */
  close(options?: SignalOptions): Promise<void> {
    try {
      const { signal } = signalOptions(options)
      return withSignal(signal, s => this.#native.close(s)).then(() => {
        this.#closed = true
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
