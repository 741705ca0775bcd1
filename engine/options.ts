/** zod schemas of the engine's options: validated here, and again in Rust. */
import { z } from 'zod'

import { CallTimingListenerSchema } from './timing.ts'

export const MetricSchema = z.enum(['cosine', 'l2', 'dot'])
export type Metric = z.infer<typeof MetricSchema>

/** Largest k a search accepts (the engine enforces the same bound). */
export const MAX_K = 100_000
/** Largest dimension an index accepts (the engine enforces the same bound). */
export const MAX_DIMENSIONS = 65_536

const int = (min: number, max: number) => z.number().int().min(min).max(max)

export const FlatIndexOptionsSchema = z.strictObject({
  /** Length of every vector. */
  dimensions: int(1, MAX_DIMENSIONS),
  /** Distance metric. @default 'cosine' */
  metric: MetricSchema.default('cosine'),
})
export type FlatIndexOptions = z.input<typeof FlatIndexOptionsSchema>

export const HnswIndexOptionsSchema = FlatIndexOptionsSchema.extend({
  /** Links per node (layer 0 has 2·M). @default 16 */
  m: int(2, 256).optional(),
  /** Beam width while inserting. @default 200 */
  efConstruction: int(1, 1_000_000).optional(),
  /** Default beam width while searching; raise it for recall, lower it for speed. @default 100 */
  efSearch: int(1, 1_000_000).optional(),
  /** Seed of the level generator: same seed and insertion order, same graph. @default 100 */
  seed: int(0, 0xffff_ffff).optional(),
})
export type HnswIndexOptions = z.input<typeof HnswIndexOptionsSchema>

const IdListSchema = z.union([
  z.array(z.number()),
  z.instanceof(Float64Array),
  z.instanceof(Uint32Array),
  z.instanceof(Int32Array),
])

export const SearchOptionsSchema = z.strictObject({
  /** HNSW beam width for this query only (ignored by flat indexes). */
  ef: int(1, 1_000_000).optional(),
  /** Only these ids may be returned. */
  filter: IdListSchema.optional(),
  /**
   * Cancels the search: a call still waiting to be coalesced is rejected at once and never
   * runs; one sent to the thread pool alone is cancelled if it has not started yet.
   */
  signal: z.instanceof(AbortSignal).optional(),
  /** Called with the call's timing (queued, started, finished, resumed, worker CPU) once it resolves. */
  timing: CallTimingListenerSchema.optional(),
  /**
   * `search()` only: `false` sends this call to the thread pool alone, never batched with
   * concurrent calls. @default true
   */
  coalesce: z.boolean().optional(),
})
export type SearchOptions = z.input<typeof SearchOptionsSchema>

export const SignalOptionsSchema = z.strictObject({
  signal: z.instanceof(AbortSignal).optional(),
})
export type SignalOptions = z.input<typeof SignalOptionsSchema>

/** Options of a write that may be timed (`add`, `commit`). */
export const WriteOptionsSchema = SignalOptionsSchema.extend({
  /** Called with the call's timing once it resolves. */
  timing: CallTimingListenerSchema.optional(),
})
export type WriteOptions = z.input<typeof WriteOptionsSchema>

/** Ids as a caller may give them. */
export type Ids = readonly number[] | Float64Array | Uint32Array | Int32Array
