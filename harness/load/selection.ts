/**
 * Query selection: which query each operation sends.
 *
 * - `uniform`: every query equally likely.
 * - `zipf`: query at rank k (k = 1 for `queries[0]`) has probability ∝ 1/k^s: a few hot
 *   queries, a long tail. Sampled through a precomputed CDF and a binary search (O(log n)).
 * - `sequential`: user u starts at query `u mod n` and steps through the list in order.
 *
 * Each user draws from its own generator seeded by `(seed, user id)`, so the same seed gives
 * the same query sequence per user regardless of timing.
 */
import { z } from 'zod'
import { Rng, Streams, deriveSeed } from './rng.ts'

/** How queries are picked. */
export type QuerySelection =
  | { kind: 'uniform' }
  | { kind: 'zipf' /** Skew exponent s > 0 (1 is classic Zipf). */; exponent: number }
  | { kind: 'sequential' }

export const QuerySelectionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('uniform') }),
  z.strictObject({
    kind: z.literal('zipf'),
    exponent: z.number().positive().max(100),
  }),
  z.strictObject({ kind: z.literal('sequential') }),
])

/** Picks the next query index. */
export interface QuerySelector {
  next(): number
}

/** Zipf probabilities for ranks 1..n with exponent s (index 0 = rank 1). */
export function zipfProbabilities(n: number, s: number): Float64Array {
  const p = new Float64Array(n)
  let sum = 0
  for (let k = 1; k <= n; k++) {
    p[k - 1] = 1 / k ** s
    sum += p[k - 1]
  }
  for (let i = 0; i < n; i++) p[i] /= sum
  return p
}

/** Cumulative distribution of {@link zipfProbabilities}; the last entry is exactly 1. */
export function zipfCdf(n: number, s: number): Float64Array {
  const p = zipfProbabilities(n, s)
  const cdf = new Float64Array(n)
  let acc = 0
  for (let i = 0; i < n; i++) {
    acc += p[i]
    cdf[i] = acc
  }
  cdf[n - 1] = 1
  return cdf
}

/** Smallest index i with `cdf[i] > u` (u in [0, 1)). */
export function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0
  let hi = cdf.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cdf[mid] > u) hi = mid
    else lo = mid + 1
  }
  return lo
}

/**
 * Prepares selection over `queryCount` queries once (the Zipf CDF is shared by all users);
 * the returned function makes a selector drawing from `rng` for user `userId`.
 */
export function selectorFactory(
  selection: QuerySelection,
  queryCount: number,
): (rng: Rng, userId: number) => QuerySelector {
  if (queryCount < 1) throw new RangeError('there must be at least one query')
  switch (selection.kind) {
    case 'uniform':
      return rng => ({ next: () => rng.nextInt(queryCount) })
    case 'zipf': {
      const cdf = zipfCdf(queryCount, selection.exponent)
      return rng => ({ next: () => searchCdf(cdf, rng.next()) })
    }
    case 'sequential':
      return (_rng, userId) => {
        let i = userId % queryCount
        return {
          next: () => {
            const q = i
            i = i + 1 === queryCount ? 0 : i + 1
            return q
          },
        }
      }
  }
}

/** The generator a user's operation choices come from. */
export function selectionRng(seed: number, userId: number): Rng {
  return new Rng(deriveSeed(seed, Streams.select, userId))
}

/**
 * The first `length` operations user `userId` would send: query indexes, and -1 for writes
 * when `writeFraction` > 0. Pure: the run loop draws the very same sequence (for the same
 * options), whatever the timing.
 */
export function querySequence(
  selection: QuerySelection,
  queryCount: number,
  seed: number,
  userId: number,
  length: number,
  writeFraction = 0,
): number[] {
  const rng = selectionRng(seed, userId)
  const sel = selectorFactory(selection, queryCount)(rng, userId)
  const out: number[] = []
  for (let i = 0; i < length; i++) {
    out.push(writeFraction > 0 && rng.next() < writeFraction ? -1 : sel.next())
  }
  return out
}
