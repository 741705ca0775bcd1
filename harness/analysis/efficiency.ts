/** Measured scaling efficiency and the ranges derived from it: small pure functions. */
import { LINEAR_EFFICIENCY } from './constants.ts'

export interface ThroughputPoint {
  /** Concurrency level (users). */
  n: number
  /** Throughput at that level (requests per second). */
  x: number
}

/**
 * Efficiency of each level relative to the smallest level measured:
 * (X(N)/N) / (X(N₀)/N₀). With N₀ = 1 this is X(N) / (N·X(1)). 1 means perfectly linear.
 */
export function scalingEfficiency(points: readonly ThroughputPoint[]): number[] {
  if (points.length === 0) return []
  const base = points.reduce((a, b) => (b.n < a.n ? b : a))
  const perUser = base.x / base.n
  return points.map(p => (perUser > 0 ? p.x / p.n / perUser : 0))
}

/**
 * The levels that scale linearly: the run of levels, from the smallest up, whose efficiency
 * stays at or above `threshold` (default {@link LINEAR_EFFICIENCY}). Null when even the second
 * level falls below.
 */
export function linearScalingRange(
  points: readonly ThroughputPoint[],
  threshold = LINEAR_EFFICIENCY,
): [number, number] | null {
  const sorted = [...points].sort((a, b) => a.n - b.n)
  const eff = scalingEfficiency(sorted)
  let last = -1
  for (let i = 0; i < sorted.length; i++) {
    if (eff[i] >= threshold) last = i
    else break
  }
  if (last < 1) return null
  return [sorted[0].n, sorted[last].n]
}
