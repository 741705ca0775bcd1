/**
 * Universal Scalability Law (Gunther): X(N) = λN / (1 + σ(N − 1) + κN(N − 1)).
 *
 * λ is the throughput of one user without contention, σ the contention (serialised fraction,
 * Amdahl), κ the coherency cost (pairwise crosstalk, what makes throughput fall past a peak).
 * Fitted by bounded least squares (λ > 0, σ ≥ 0, κ ≥ 0): for fixed (σ, κ) the best λ has a closed
 * form, so the search is over two parameters only — a log-spaced grid, then a projected
 * Levenberg–Marquardt refinement of all three. No level at N = 1 is needed.
 */
import { USL_KNEE_REACHED, USL_MIN_R_SQUARED } from './constants.ts'

export interface UslPoint {
  /** Concurrency (users, or in-flight requests). */
  n: number
  /** Measured throughput at that concurrency (requests per second). */
  x: number
}

export interface UslParams {
  lambda: number
  sigma: number
  kappa: number
}

export interface UslFit extends UslParams {
  /** Standard errors from the Jacobian at the optimum (null where not estimable). */
  standardErrors: { lambda: number | null; sigma: number | null; kappa: number | null }
  /** Coefficient of determination of the fit on the measured points. */
  rSquared: number
  /** Measured minus fitted throughput, per point, in input order. */
  residuals: number[]
  /** Concurrency of peak throughput, √((1 − σ)/κ); null when κ = 0 (no peak) or σ ≥ 1. */
  peakConcurrency: number | null
  /** Highest throughput the model allows: X(N*) with a peak, λ/σ without one; null if unbounded. */
  throughputCeiling: number | null
  /** Problems with the data or the fit, in plain words. */
  warnings: string[]
}

/** Model throughput at concurrency `n`. */
export function uslThroughput(p: UslParams, n: number): number {
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1))
}

/** Concurrency of peak throughput, or null when the model has no peak. */
export function uslPeakConcurrency(p: Pick<UslParams, 'sigma' | 'kappa'>): number | null {
  if (p.kappa <= 0 || p.sigma >= 1) return null
  return Math.sqrt((1 - p.sigma) / p.kappa)
}

function bestLambda(points: readonly UslPoint[], sigma: number, kappa: number): number {
  let num = 0
  let den = 0
  for (const { n, x } of points) {
    const f = n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
    num += x * f
    den += f * f
  }
  return den > 0 ? Math.max(num / den, 0) : 0
}

function rss(points: readonly UslPoint[], p: UslParams): number {
  let s = 0
  for (const pt of points) s += (pt.x - uslThroughput(p, pt.n)) ** 2
  return s
}

/** ∂X/∂(λ, σ, κ) at n. */
function gradient(p: UslParams, n: number): [number, number, number] {
  const d = 1 + p.sigma * (n - 1) + p.kappa * n * (n - 1)
  const x = (p.lambda * n) / d
  return [n / d, (-x * (n - 1)) / d, (-x * n * (n - 1)) / d]
}

/** Solves the 3×3 system A·v = b (Gaussian elimination with partial pivoting); null if singular. */
function solve3(a: number[][], b: number[]): number[] | null {
  const m = a.map((row, i) => [...row, b[i]])
  for (let c = 0; c < 3; c++) {
    let pivot = c
    for (let r = c + 1; r < 3; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r
    if (Math.abs(m[pivot][c]) < 1e-300) return null
    ;[m[c], m[pivot]] = [m[pivot], m[c]]
    for (let r = 0; r < 3; r++) {
      if (r === c) continue
      const f = m[r][c] / m[c][c]
      for (let k = c; k < 4; k++) m[r][k] -= f * m[c][k]
    }
  }
  return [m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]]
}

function invert3(a: number[][]): number[][] | null {
  const cols = [0, 1, 2].map(i =>
    solve3(
      a,
      [0, 1, 2].map(j => (i === j ? 1 : 0)),
    ),
  )
  if (cols.some(c => c === null)) return null
  return [0, 1, 2].map(r => [0, 1, 2].map(c => (cols[c] as number[])[r]))
}

function logGrid(lo: number, hi: number, steps: number): number[] {
  const out = [0]
  for (let i = 0; i < steps; i++) out.push(lo * (hi / lo) ** (i / (steps - 1)))
  return out
}

/** Projected Levenberg–Marquardt on (λ, σ, κ) from `start`, keeping σ, κ ≥ 0 and λ > 0. */
function refine(points: readonly UslPoint[], start: UslParams): UslParams {
  let p = { ...start }
  let cost = rss(points, p)
  let mu = 1e-3
  for (let iter = 0; iter < 200; iter++) {
    const jtj = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]
    const jtr = [0, 0, 0]
    for (const pt of points) {
      const g = gradient(p, pt.n)
      const r = pt.x - uslThroughput(p, pt.n)
      for (let i = 0; i < 3; i++) {
        jtr[i] += g[i] * r
        for (let j = 0; j < 3; j++) jtj[i][j] += g[i] * g[j]
      }
    }
    let improved = false
    for (let attempt = 0; attempt < 20 && !improved; attempt++) {
      const damped = jtj.map((row, i) => row.map((v, j) => (i === j ? v * (1 + mu) + 1e-30 : v)))
      const step = solve3(damped, jtr)
      if (step === null) {
        mu *= 10
        continue
      }
      const next = {
        lambda: Math.max(p.lambda + step[0], 1e-12),
        sigma: Math.max(p.sigma + step[1], 0),
        kappa: Math.max(p.kappa + step[2], 0),
      }
      const nextCost = rss(points, next)
      if (nextCost < cost) {
        const gain = cost - nextCost
        p = next
        cost = nextCost
        mu = Math.max(mu / 3, 1e-12)
        improved = true
        if (gain <= 1e-14 * Math.max(cost, 1e-300)) return p
      } else {
        mu *= 4
      }
    }
    if (!improved) break
  }
  return p
}

/**
 * Fits the USL to measured (concurrency, throughput) points.
 * Needs at least two distinct concurrency levels; three parameters want four or more.
 */
export function fitUsl(input: readonly UslPoint[]): UslFit {
  const points = input.filter(p => Number.isFinite(p.n) && Number.isFinite(p.x) && p.n > 0 && p.x >= 0)
  const warnings: string[] = []
  if (points.length < input.length)
    warnings.push(`${input.length - points.length} point(s) with non-finite or non-positive values were ignored`)
  const levels = new Set(points.map(p => p.n)).size
  if (levels < 2) throw new RangeError('fitting the USL needs throughput at two or more concurrency levels')
  if (levels < 4)
    warnings.push(`only ${levels} concurrency levels: three parameters are poorly determined (measure 4 or more)`)
  if (points.every(p => p.x === 0)) throw new RangeError('every level had zero throughput: nothing to fit')

  // Coarse grid over (σ, κ) with λ solved exactly, then refine all three.
  let best: UslParams = { lambda: bestLambda(points, 0, 0), sigma: 0, kappa: 0 }
  let bestCost = rss(points, best)
  for (const sigma of logGrid(1e-4, 2, 40)) {
    for (const kappa of logGrid(1e-7, 1, 50)) {
      const lambda = bestLambda(points, sigma, kappa)
      const cost = rss(points, { lambda, sigma, kappa })
      if (cost < bestCost) {
        best = { lambda, sigma, kappa }
        bestCost = cost
      }
    }
  }
  const p = refine(points, best)

  const mean = points.reduce((s, q) => s + q.x, 0) / points.length
  const tss = points.reduce((s, q) => s + (q.x - mean) ** 2, 0)
  const finalRss = rss(points, p)
  const rSquared = tss > 0 ? 1 - finalRss / tss : finalRss === 0 ? 1 : 0

  // Standard errors: s²·(JᵀJ)⁻¹, s² = RSS / (n − 3). A parameter at its bound has none.
  const standardErrors: UslFit['standardErrors'] = { lambda: null, sigma: null, kappa: null }
  if (points.length > 3) {
    const jtj = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]
    for (const pt of points) {
      const g = gradient(p, pt.n)
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) jtj[i][j] += g[i] * g[j]
    }
    const inv = invert3(jtj)
    if (inv !== null) {
      const s2 = finalRss / (points.length - 3)
      const se = (i: number) => (inv[i][i] >= 0 ? Math.sqrt(inv[i][i] * s2) : null)
      standardErrors.lambda = se(0)
      standardErrors.sigma = p.sigma > 0 ? se(1) : null
      standardErrors.kappa = p.kappa > 0 ? se(2) : null
    }
  }

  const peakConcurrency = uslPeakConcurrency(p)
  const throughputCeiling =
    peakConcurrency !== null ? uslThroughput(p, peakConcurrency) : p.sigma > 0 ? p.lambda / p.sigma : null
  const maxN = Math.max(...points.map(q => q.n))
  if (peakConcurrency === null && p.sigma === 0)
    warnings.push(
      'throughput grew linearly over every level measured: no contention seen yet, the sweep stopped below any limit',
    )
  else if (peakConcurrency !== null && maxN < peakConcurrency * USL_KNEE_REACHED)
    warnings.push(
      `the sweep stopped at ${maxN}, below the fitted peak at ${peakConcurrency.toFixed(1)}: the knee was not reached, so the peak is an extrapolation`,
    )
  if (rSquared < USL_MIN_R_SQUARED)
    warnings.push(
      `the USL fits poorly (R² = ${rSquared.toFixed(2)}): throughput is noisy or limited by something the model does not describe`,
    )

  return {
    ...p,
    standardErrors,
    rSquared,
    residuals: input.map(q => q.x - uslThroughput(p, q.n)),
    peakConcurrency,
    throughputCeiling,
    warnings,
  }
}
