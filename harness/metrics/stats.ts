/**
 * Small pure statistics used by the harness: nearest-rank percentiles, Jain's fairness index,
 * Little's law consistency checks, and a time-weighted gauge.
 */

/**
 * Nearest-rank percentile of values sorted ascending: the smallest value such that at least
 * `p` percent of the values are ≤ it (the definition HdrHistogram uses). `p` in [0, 100].
 * Returns `NaN` for an empty array.
 */
export function nearestRankPercentile(sortedAscending: ArrayLike<number>, p: number): number {
  const n = sortedAscending.length
  if (n === 0) return Number.NaN
  if (p <= 0) return sortedAscending[0]
  const rank = Math.ceil((Math.min(p, 100) / 100) * n)
  return sortedAscending[Math.max(1, rank) - 1]
}

/**
 * Jain's fairness index `(Σx)² / (n·Σx²)`: 1 when all `xs` are equal, `1/n` when one member
 * gets everything. Returns `null` for an empty list and 1 when every value is 0 (all equal).
 * Values must be ≥ 0 (throughputs).
 */
export function jainFairness(xs: ArrayLike<number>): number | null {
  const n = xs.length
  if (n === 0) return null
  let sum = 0
  let sumSq = 0
  for (let i = 0; i < n; i++) {
    sum += xs[i]
    sumSq += xs[i] * xs[i]
  }
  if (sumSq === 0) return 1
  return (sum * sum) / (n * sumSq)
}

/** Relative mismatch above which a Little's law check is flagged (10 %). */
export const LITTLES_LAW_TOLERANCE = 0.1

/** Outcome of a Little's law consistency check. */
export interface LittlesLawCheck {
  model: 'closed' | 'open'
  /** `'N = X·(R+Z)'` (closed; interactive response-time law) or `'L = λ·W'` (open). */
  law: string
  /** Measured left side: users active (closed) or mean number in the system (open). */
  observed: number
  /** Right side computed from throughput and times. */
  predicted: number
  /**
   * `|predicted − observed| / observed`: 0 when both are 0, null when only observed is 0 (no
   * finite relative error exists; JSON has no Infinity).
   */
  relativeError: number | null
  /** `relativeError ≤ tolerance`. */
  consistent: boolean
  tolerance: number
}

function relErr(observed: number, predicted: number): number | null {
  if (observed === 0) return predicted === 0 ? 0 : null
  return Math.abs(predicted - observed) / Math.abs(observed)
}

/**
 * Closed model: `N = X·(R + Z)` with N users, throughput X (per second), mean time in the
 * system R and mean think/idle time Z (both ms).
 */
export function littlesLawClosed(input: {
  users: number
  throughputPerSec: number
  meanResponseMs: number
  meanThinkMs: number
  tolerance?: number
}): LittlesLawCheck {
  const tolerance = input.tolerance ?? LITTLES_LAW_TOLERANCE
  const predicted = (input.throughputPerSec * (input.meanResponseMs + input.meanThinkMs)) / 1000
  const relativeError = relErr(input.users, predicted)
  return {
    model: 'closed',
    law: 'N = X·(R+Z)',
    observed: input.users,
    predicted,
    relativeError,
    consistent: relativeError !== null && relativeError <= tolerance,
    tolerance,
  }
}

/**
 * Open model: `L = λ·W` with L the time-averaged number in the system, λ the arrival rate
 * (per second) and W the mean time in the system (ms).
 */
export function littlesLawOpen(input: {
  meanInSystem: number
  arrivalRatePerSec: number
  meanSojournMs: number
  tolerance?: number
}): LittlesLawCheck {
  const tolerance = input.tolerance ?? LITTLES_LAW_TOLERANCE
  const predicted = (input.arrivalRatePerSec * input.meanSojournMs) / 1000
  const relativeError = relErr(input.meanInSystem, predicted)
  return {
    model: 'open',
    law: 'L = λ·W',
    observed: input.meanInSystem,
    predicted,
    relativeError,
    consistent: relativeError !== null && relativeError <= tolerance,
    tolerance,
  }
}

/**
 * A gauge (e.g. leases held, requests in flight) whose time-weighted average and peak are
 * tracked exactly: the area under the curve is accumulated at every change.
 * Times are `performance.now()` milliseconds (or any monotonic ms clock passed in).
 */
export class TimeWeightedGauge {
  #value = 0
  #peak = 0
  #area = 0
  #since: number
  #last: number

  constructor(now: number, initial = 0) {
    this.#value = initial
    this.#peak = initial
    this.#since = now
    this.#last = now
  }

  get value(): number {
    return this.#value
  }

  /** Highest value since the last reset (updated at the moment of change). */
  get peak(): number {
    return this.#peak
  }

  /** Sets the value at time `now`. */
  set(value: number, now: number): void {
    if (now > this.#last) {
      this.#area += this.#value * (now - this.#last)
      this.#last = now
    }
    this.#value = value
    if (value > this.#peak) this.#peak = value
  }

  add(delta: number, now: number): void {
    this.set(this.#value + delta, now)
  }

  /** Starts a new averaging interval at `now`; the peak restarts at the current value. */
  reset(now: number): void {
    this.#area = 0
    this.#since = now
    this.#last = now
    this.#peak = this.#value
  }

  /** Time-weighted mean from the last reset to `now` (the current value if no time passed). */
  average(now: number): number {
    const span = now - this.#since
    if (span <= 0) return this.#value
    const area = this.#area + this.#value * Math.max(0, now - this.#last)
    return area / span
  }
}
