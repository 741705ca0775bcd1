/**
 * Recall under load: a sampled share of a level's searches is checked against exact ground
 * truth for the same query on the same snapshot of the data, off the measured path.
 *
 * The harness knows no engine: the target provides a {@link RecallProbe}. On the measured path
 * the harness only decides whether a search is sampled (a counter) and, after the search's
 * outcome is recorded, hands the query and the response to `probe.capture`, which copies what
 * it needs (the returned ids, the k, a marker of the data snapshot). The exact searches run in
 * `probe.evaluate`, after the level's window closed, before its result is built.
 */

/** What one sampled search scored against exact ground truth (each 0..1, null: not measured). */
export interface RecallSample {
  /** recall@k of what the search returned: |returned ∩ exact top-k| / |exact top-k|. */
  recall: number
  /** Hybrid search: recall@k of its vector leg alone. */
  vectorLeg?: number | null
  /** Hybrid search: overlap of the fused top-k with the top-k fused from the exact vector leg. */
  fusedOverlap?: number | null
}

/**
 * Ground-truth hook a target provides (see `harness/target/`). `capture` runs on the JS thread
 * right after a sampled search settled, so it must be cheap (copy ids, no engine calls);
 * `evaluate` runs after the level, off the measured path.
 */
export interface RecallProbe<Q = unknown> {
  /** Results per search (the k of recall@k). */
  readonly k: number
  /**
   * A token for `evaluate`, or null when this search has no vector ground truth (e.g. text-only).
   * `sentAt` is when the search was sent (`performance.now()`): writes made visible after it
   * may or may not have been seen, so its ground truth is taken as of then.
   */
  capture(query: Q, response: unknown, sentAt: number): unknown
  /** Scores the captured searches (one entry per token, null when it could not be scored). */
  evaluate(tokens: readonly unknown[]): Promise<Array<RecallSample | null>>
  /**
   * Brings the target to rest after the window, before the idle pass: e.g. commits the
   * acknowledged writes that wait and waits for a commit in progress, so that no background
   * work of the target overlaps the idle searches. Optional.
   */
  settle?(): Promise<void>
}

/** Recall sampling settings. */
export interface RecallOptions {
  /** Share of successful measured searches checked (0..1). @default 0.01 */
  sampleRate?: number
  /** At most this many per level. @default 300 */
  maxSamples?: number
  /**
   * After the level, up to this many of the sampled queries are searched again one at a time
   * (idle) and scored the same way: the idle recall of the same queries. @default 100
   */
  idleQueries?: number
}

export const DEFAULT_RECALL_SAMPLE_RATE = 0.01
export const DEFAULT_RECALL_MAX_SAMPLES = 300
export const DEFAULT_IDLE_RECALL_QUERIES = 100

/** Distribution of one recall figure over a level's samples. */
export interface RecallDistribution {
  samples: number
  mean: number
  /** The worst 1 %: the 1st percentile (99 % of sampled searches did at least this well). */
  worst1Percent: number
  min: number
}

/** Recall of a level (or of the idle measurement). */
export interface RecallStats {
  k: number
  /** Searches sampled (captured) in the window. */
  sampled: number
  /** recall@k of what the searches returned (null when no sample could be scored). */
  recall: RecallDistribution | null
  /** Hybrid: the vector leg's recall@k. */
  vectorLeg: RecallDistribution | null
  /** Hybrid: overlap of the fused top-k with the exact-vector fused top-k. */
  fusedOverlap: RecallDistribution | null
  /**
   * The same figures for the same queries searched idle: the first `idleQueries` sampled
   * queries searched again one at a time right after the window (or a figure the caller gave).
   */
  idle: { recall: RecallDistribution | null; fusedOverlap: RecallDistribution | null } | null
  /**
   * Idle mean − loaded mean of the headline figure (recall, or fused overlap when only that
   * exists), over the same queries (paired) when the idle figures come from the re-run; null
   * without both.
   */
  drop: number | null
  /** Time the exact searches took after the level (ms): what measuring recall cost, off the window. */
  evaluationMs: number
}

/** Picks which searches are sampled: every `1/rate`-th, from the middle of the first stride, up to `max`. */
export class RecallSampler {
  readonly #stride: number
  readonly #max: number
  #seen = 0
  readonly tokens: unknown[] = []
  /** The query index of each token (for the idle re-run of the same queries). */
  readonly queries: number[] = []

  constructor(rate: number, max: number) {
    this.#stride = rate > 0 ? Math.max(1, Math.round(1 / Math.min(1, rate))) : 0
    this.#max = Math.max(0, Math.floor(max))
  }

  /** Counts one successful measured search; true if it is to be captured. */
  take(): boolean {
    if (this.#stride === 0 || this.tokens.length >= this.#max) return false
    const n = this.#seen++
    return n % this.#stride === this.#stride >> 1
  }

  add(token: unknown, queryIndex = -1): void {
    if (token === null || token === undefined) return
    this.tokens.push(token)
    this.queries.push(queryIndex)
  }
}

/** Mean, 1st percentile (nearest rank) and minimum; null for no values. */
export function recallDistribution(values: readonly number[]): RecallDistribution | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const sum = sorted.reduce((s, v) => s + v, 0)
  const rank = Math.max(0, Math.ceil(0.01 * sorted.length) - 1)
  return { samples: sorted.length, mean: sum / sorted.length, worst1Percent: sorted[rank], min: sorted[0] }
}

/** Scores of one evaluation, split by figure. */
export function splitSamples(scored: ReadonlyArray<RecallSample | null>): {
  recall: number[]
  vectorLeg: number[]
  fusedOverlap: number[]
} {
  const recall: number[] = []
  const vectorLeg: number[] = []
  const fusedOverlap: number[] = []
  for (const s of scored) {
    if (s === null) continue
    if (Number.isFinite(s.recall)) recall.push(s.recall)
    if (typeof s.vectorLeg === 'number') vectorLeg.push(s.vectorLeg)
    if (typeof s.fusedOverlap === 'number') fusedOverlap.push(s.fusedOverlap)
  }
  return { recall, vectorLeg, fusedOverlap }
}

/**
 * recall@k of `returned` against `truth` (ids, best first). A returned id counts when it is in
 * the truth, or when its distance ties the truth's k-th (both are right answers).
 */
export function recallAt(
  returned: ArrayLike<number | string>,
  truth: ArrayLike<number | string>,
  tie?: { returnedDistances: ArrayLike<number>; kthTruthDistance: number },
): number {
  if (truth.length === 0) return 1
  const want = new Set<number | string>()
  for (let i = 0; i < truth.length; i++) want.add(truth[i])
  let hits = 0
  for (let i = 0; i < returned.length && hits < truth.length; i++) {
    if (want.has(returned[i])) hits++
    else if (tie && tie.returnedDistances[i] <= tie.kthTruthDistance + 1e-6 * Math.abs(tie.kthTruthDistance)) hits++
  }
  return Math.min(1, hits / truth.length)
}

/** Mean of `idle[i] − loaded[i]` over the pairs where both scored the figure; null for none. */
function pairedDrop(
  loaded: ReadonlyArray<RecallSample | null>,
  idle: ReadonlyArray<RecallSample | null>,
  figure: 'recall' | 'fusedOverlap',
): number | null {
  let sum = 0
  let n = 0
  for (let i = 0; i < Math.min(loaded.length, idle.length); i++) {
    const a = loaded[i]?.[figure]
    const b = idle[i]?.[figure]
    if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) {
      sum += b - a
      n++
    }
  }
  return n > 0 ? sum / n : null
}

/**
 * A level's recall statistics from its scored samples and the idle figures: either the idle
 * re-run of the same queries (`idleScored[i]` pairs with `scored[i]`), or a figure given.
 */
export function recallStats(a: {
  k: number
  sampled: number
  scored: ReadonlyArray<RecallSample | null>
  idle: RecallStats['idle']
  idleScored?: ReadonlyArray<RecallSample | null>
  evaluationMs: number
}): RecallStats {
  const s = splitSamples(a.scored)
  const recall = recallDistribution(s.recall)
  const vectorLeg = recallDistribution(s.vectorLeg)
  const fusedOverlap = recallDistribution(s.fusedOverlap)
  let idle = a.idle
  let drop: number | null = null
  if (a.idleScored && a.idleScored.length > 0) {
    const i = splitSamples(a.idleScored)
    idle = { recall: recallDistribution(i.recall), fusedOverlap: recallDistribution(i.fusedOverlap) }
    drop = recall ? pairedDrop(a.scored, a.idleScored, 'recall') : pairedDrop(a.scored, a.idleScored, 'fusedOverlap')
  } else if (idle?.recall && recall) drop = idle.recall.mean - recall.mean
  else if (idle?.fusedOverlap && fusedOverlap) drop = idle.fusedOverlap.mean - fusedOverlap.mean
  return {
    k: a.k,
    sampled: a.sampled,
    recall,
    vectorLeg,
    fusedOverlap,
    idle,
    drop,
    evaluationMs: a.evaluationMs,
  }
}
