/**
 * Exact ground truth for recall under load: a `FlatIndex` over the same vectors as the target,
 * built once and kept in step with the writes the target made visible, plus the probes that
 * score sampled searches against it (harness/metrics/recall.ts describes the protocol).
 *
 * Same snapshot: every vector carries the visibility step at which it became searchable (0 for
 * those there from the start; one step per add or per commit). A sampled search records the
 * step visible when it was sent; its ground truth is the exact top-k over the vectors visible then
 * (plus any the search itself returned, which it therefore saw). Exact searches ask for k plus
 * the vectors added since, and drop the ones that were not yet visible.
 */
import { performance } from 'node:perf_hooks'

import { FlatIndex } from '../../engine/index.ts'
import type { HybridHit, SearchHit, SearchMode, UnifiedSearchOptions, UnifiedSearchSystem } from '../../engine/index.ts'
import { recallAt } from '../metrics/recall.ts'
import type { RecallProbe, RecallSample } from '../metrics/recall.ts'

interface PendingVector {
  id: number
  vector: Float32Array | null
  text: string | null
  step: number
}

/** An exact index kept in step with a target's visible writes. */
export class ExactGroundTruth {
  readonly index: FlatIndex
  readonly #embed: ((texts: string[]) => Promise<Float32Array[]>) | null
  readonly #stepOf = new Map<number, number>()
  /** Vectors added after the start, cumulative, at the end of each step (index = step). */
  readonly #addedBy: number[] = [0]
  #step = 0
  #pending: PendingVector[] = []
  /** Registered (written) but not yet visible: in the exact index, eligible only when returned. */
  readonly #invisible = new Set<number>()

  constructor(index: FlatIndex, embed: ((texts: string[]) => Promise<Float32Array[]>) | null = null) {
    this.index = index
    this.#embed = embed
  }

  /** When each step became visible (`performance.now()`; index = step). */
  readonly #stepTimes: number[] = [Number.NEGATIVE_INFINITY]

  /** The current visibility step. */
  get step(): number {
    return this.#step
  }

  /** The step visible at time `t` (`performance.now()`): the last one made visible at or before it. */
  stepAt(t: number): number {
    let lo = 0
    let hi = this.#step
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.#stepTimes[mid] <= t) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /**
   * These vectors just became visible to the target's searches, together (one add, or one
   * commit). A vector may be given as text (embedded later, off the measured path). Cheap: the
   * exact index is updated before the next evaluation.
   */
  visible(items: ReadonlyArray<{ id: number; vector?: Float32Array; text?: string }>): void {
    if (items.length === 0) return
    const step = ++this.#step
    this.#addedBy[step] = this.#addedBy[step - 1] + items.length
    this.#stepTimes[step] = performance.now()
    for (const it of items) {
      this.#stepOf.set(it.id, step)
      // Registered earlier: already on its way into the exact index.
      if (this.#invisible.delete(it.id)) continue
      this.#pending.push({ id: it.id, vector: it.vector ?? null, text: it.text ?? null, step })
    }
  }

  /**
   * These vectors are being written and are not known visible yet (their add or commit has not
   * resolved): register them before sending the write. They go into the exact index at the next
   * flush, so a search that already returns one (the write raced the sample) is scored with its
   * distance; until `visible` they are in no ground truth.
   */
  register(items: ReadonlyArray<{ id: number; vector?: Float32Array; text?: string }>): void {
    for (const it of items) {
      if (this.#stepOf.has(it.id) || this.#invisible.has(it.id)) continue
      this.#invisible.add(it.id)
      this.#pending.push({
        id: it.id,
        vector: it.vector ?? null,
        text: it.text ?? null,
        step: Number.POSITIVE_INFINITY,
      })
    }
  }

  /** Visibility step of `id` (0: there from the start; Infinity: written, not visible yet). */
  stepOf(id: number): number {
    return this.#stepOf.get(id) ?? (this.#invisible.has(id) ? Number.POSITIVE_INFINITY : 0)
  }

  /** Adds what became visible since the last flush to the exact index. */
  async flush(): Promise<void> {
    const pending = this.#pending
    if (pending.length === 0) return
    this.#pending = []
    const needText = pending.filter(p => p.vector === null && p.text !== null)
    if (needText.length > 0 && this.#embed) {
      const vecs = await this.#embed(needText.map(p => p.text as string))
      needText.forEach((p, i) => {
        p.vector = vecs[i]
      })
    }
    const ready = pending.filter(p => p.vector !== null && !this.index.has(p.id))
    if (ready.length === 0) return
    const d = this.index.dimensions
    const data = new Float32Array(ready.length * d)
    ready.forEach((p, i) => {
      data.set(p.vector as Float32Array, i * d)
    })
    await this.index.add(
      Float64Array.from(ready, p => p.id),
      data,
    )
  }

  /**
   * Exact top-`k` per query over the vectors visible at its step (plus those it returned), ids
   * and distances, closest first.
   */
  async truth(
    queries: readonly Float32Array[],
    k: number,
    items: ReadonlyArray<{ step: number; returned: ReadonlySet<number> }>,
  ): Promise<Array<{ ids: number[]; distances: number[] }>> {
    await this.flush()
    if (queries.length === 0) return []
    const total = this.#addedBy[this.#step]
    let extra = 0
    for (const it of items) extra = Math.max(extra, total - (this.#addedBy[it.step] ?? total))
    extra += this.#invisible.size
    const kk = Math.max(1, Math.min(this.index.size, k + extra))
    const d = this.index.dimensions
    const data = new Float32Array(queries.length * d)
    queries.forEach((q, i) => {
      data.set(q, i * d)
    })
    const hits: SearchHit[][] = await this.index.searchBatch(data, kk)
    return hits.map((list, i) => {
      const it = items[i]
      const ids: number[] = []
      const distances: number[] = []
      for (const h of list) {
        if (ids.length >= k) break
        if (this.stepOf(h.id) <= it.step || it.returned.has(h.id)) {
          ids.push(h.id)
          distances.push(h.distance)
        }
      }
      return { ids, distances }
    })
  }
}

interface VectorToken {
  query: Float32Array
  ids: number[]
  distances: number[]
  step: number
}

/** A probe for a vector-index target whose searches return `SearchHit[]`. */
export function vectorIndexRecallProbe(truth: ExactGroundTruth, k: number): RecallProbe<Float32Array> {
  return {
    k,
    capture(query, response, sentAt) {
      const hits = response as SearchHit[]
      if (!Array.isArray(hits)) return null
      return {
        query,
        ids: hits.map(h => h.id),
        distances: hits.map(h => h.distance),
        step: truth.stepAt(sentAt),
      } satisfies VectorToken
    },
    async evaluate(tokens) {
      const ts = tokens as VectorToken[]
      const exact = await truth.truth(
        ts.map(t => t.query),
        k,
        ts.map(t => ({ step: t.step, returned: new Set(t.ids) })),
      )
      return ts.map((t, i): RecallSample => {
        const e = exact[i]
        const kth = e.distances[e.distances.length - 1]
        return {
          recall: recallAt(
            t.ids,
            e.ids,
            kth === undefined ? undefined : { returnedDistances: t.distances, kthTruthDistance: kth },
          ),
        }
      })
    },
  }
}

/**
 * Ground truth for a `UnifiedSearchSystem`: an exact index over the store's documents, embedded
 * by the store's own embedder (or their own vectors), with the documents' string ids numbered.
 */
export class UnifiedGroundTruth {
  readonly exact: ExactGroundTruth
  readonly #numOf = new Map<string, number>()
  #next = 0
  #added: Array<{ id: number; vector?: Float32Array; text?: string }> = []

  private constructor(exact: ExactGroundTruth) {
    this.exact = exact
  }

  /** Builds the exact index over `docs` (the store's committed documents), in batches. */
  static async build(
    system: UnifiedSearchSystem,
    docs: ReadonlyArray<{ id: string; text: string; vector?: Float32Array | readonly number[] }>,
    options: { batch?: number } = {},
  ): Promise<UnifiedGroundTruth> {
    const index = new FlatIndex({ dimensions: system.dimensions, metric: system.metric })
    const gt = new UnifiedGroundTruth(new ExactGroundTruth(index, texts => system.embed(texts)))
    const batch = options.batch ?? 2000
    const d = system.dimensions
    for (let i = 0; i < docs.length; i += batch) {
      const slice = docs.slice(i, i + batch)
      const toEmbed = slice.filter(doc => doc.vector === undefined).map(doc => doc.text)
      const embedded = toEmbed.length > 0 ? await system.embed(toEmbed) : []
      let e = 0
      const data = new Float32Array(slice.length * d)
      const ids = new Float64Array(slice.length)
      slice.forEach((doc, j) => {
        const v = doc.vector === undefined ? embedded[e++] : Float32Array.from(doc.vector)
        data.set(v, j * d)
        ids[j] = gt.numberOf(doc.id)
      })
      await index.add(ids, data)
    }
    return gt
  }

  /** The number standing for string id `id` (given on first sight). */
  numberOf(id: string): number {
    let n = this.#numOf.get(id)
    if (n === undefined) {
      n = this.#next++
      this.#numOf.set(id, n)
    }
    return n
  }

  /** Known number of `id`, or -1. */
  known(id: string): number {
    return this.#numOf.get(id) ?? -1
  }

  /**
   * A document is about to be written: numbered and registered in the exact index now, before
   * the store can show it. A search can return it before this side hears of its commit: the
   * add may land natively in a commit that took its batch (`takeAdded`) before the add's
   * continuation ran, and a commit is searchable before its promise resolves. Registered, it is
   * in the exact index (with its own distance) and counts when returned, though in no sample's
   * ground truth until a commit that made it visible resolved.
   */
  writing(doc: { id: string; text: string; vector?: Float32Array | readonly number[] }): void {
    this.exact.register([this.#entry(doc)])
  }

  /** A document was added (buffered: invisible until the next commit). */
  added(doc: { id: string; text: string; vector?: Float32Array | readonly number[] }): void {
    const entry = this.#entry(doc)
    this.exact.register([entry])
    this.#added.push(entry)
  }

  #entry(doc: { id: string; text: string; vector?: Float32Array | readonly number[] }): {
    id: number
    vector?: Float32Array
    text?: string
  } {
    const id = this.numberOf(doc.id)
    return doc.vector === undefined ? { id, text: doc.text } : { id, vector: Float32Array.from(doc.vector) }
  }

  /** Takes the documents added since the last call (for the commit about to start). */
  takeAdded(): Array<{ id: number; vector?: Float32Array; text?: string }> {
    const out = this.#added
    this.#added = []
    return out
  }

  /** A commit made `batch` visible. */
  committed(batch: Array<{ id: number; vector?: Float32Array; text?: string }>): void {
    this.exact.visible(batch)
  }

  /** A commit failed: its documents wait for the next one. */
  requeue(batch: Array<{ id: number; vector?: Float32Array; text?: string }>): void {
    this.#added.unshift(...batch)
  }
}

/**
 * recall@k of `returned` ids (no distances come with them) against `truth`, counting a returned
 * id whose exact distance ties the truth's k-th as a hit: the exact distances of the returned
 * ids come from one exact search restricted to them.
 */
async function tieAwareRecall(
  exact: ExactGroundTruth,
  query: Float32Array,
  returned: readonly number[],
  truth: readonly number[],
  kth: number | undefined,
): Promise<number> {
  const known = returned.filter(id => id >= 0 && exact.index.has(id))
  if (kth === undefined || known.length === 0) return recallAt(returned, truth)
  const hits = await exact.index.search(query, known.length, { filter: known })
  const dist = new Map(hits.map(h => [h.id, h.distance]))
  return recallAt(returned, truth, {
    returnedDistances: returned.map(id => dist.get(id) ?? Number.POSITIVE_INFINITY),
    kthTruthDistance: kth,
  })
}

interface UnifiedToken {
  text: string
  mode: SearchMode
  ids: number[]
  step: number
}

/** What the unified probe needs of the target's searches. */
export interface UnifiedProbeSettings {
  k: number
  mode: SearchMode
  search: Omit<UnifiedSearchOptions, 'mode' | 'k' | 'signal' | 'timing'>
}

/**
 * A probe for a unified-search target. Vector searches: recall@k of the returned ids. Hybrid
 * searches: the overlap of the returned fused top-k with the top-k fused (RRF, the engine's
 * formula) from the text leg and the *exact* vector leg, and the vector leg's own recall@k (its
 * search re-run, mode 'vector', after the level). Text searches have no vector ground truth.
 */
export function unifiedRecallProbe(
  system: UnifiedSearchSystem,
  gt: UnifiedGroundTruth,
  settings: UnifiedProbeSettings,
): RecallProbe<string | { text: string; mode?: SearchMode }> {
  const { k } = settings
  return {
    k,
    capture(query, response, sentAt) {
      const mode = typeof query === 'string' ? settings.mode : (query.mode ?? settings.mode)
      if (mode === 'text' || !Array.isArray(response)) return null
      const text = typeof query === 'string' ? query : query.text
      return {
        text,
        mode,
        ids: (response as HybridHit[]).map(h => gt.known(h.id)),
        step: gt.exact.stepAt(sentAt),
      } satisfies UnifiedToken
    },
    async evaluate(tokens) {
      const ts = tokens as UnifiedToken[]
      if (ts.length === 0) return []
      const vectors = await system.embed(ts.map(t => t.text))
      const candidates = settings.search.candidates ?? Math.max(k, 50)
      const rrf = settings.search.fusion === undefined || settings.search.fusion === 'rrf'
      const rrfK = settings.search.rrfK ?? 60
      const depth = Math.max(k, candidates)
      const exact = await gt.exact.truth(
        vectors,
        depth,
        ts.map(t => ({ step: t.step, returned: new Set(t.ids) })),
      )
      const out: Array<RecallSample | null> = []
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i]
        const e = exact[i]
        const eligible = (id: number): boolean => id >= 0 && (gt.exact.stepOf(id) <= t.step || t.ids.includes(id))
        const topK = e.ids.slice(0, k)
        if (t.mode === 'vector') {
          out.push({ recall: await tieAwareRecall(gt.exact, vectors[i], t.ids, topK, e.distances[k - 1]) })
          continue
        }
        // Hybrid: the vector leg re-run alone, and the fusion with the exact vector leg.
        const leg = await system.search(t.text, { ...settings.search, mode: 'vector', k })
        const legIds = leg.map(h => gt.known(h.id)).filter(eligible)
        let fusedOverlap: number | null = null
        if (rrf) {
          const textHits = await system.search(t.text, { mode: 'text', k: candidates }).catch(() => [] as HybridHit[])
          const scores = new Map<number, number>()
          let rank = 0
          for (const h of textHits) {
            const id = gt.known(h.id)
            if (!eligible(id)) continue
            rank++
            scores.set(id, (scores.get(id) ?? 0) + 1 / (rrfK + rank))
          }
          e.ids.slice(0, candidates).forEach((id, r) => {
            scores.set(id, (scores.get(id) ?? 0) + 1 / (rrfK + r + 1))
          })
          const fused = [...scores.entries()]
            .sort((a, b) => b[1] - a[1])
            .slice(0, k)
            .map(([id]) => id)
          fusedOverlap = recallAt(t.ids, fused)
        }
        out.push({
          recall: Number.NaN,
          vectorLeg: await tieAwareRecall(gt.exact, vectors[i], legIds, topK, e.distances[k - 1]),
          fusedOverlap,
        })
      }
      return out
    },
  }
}
