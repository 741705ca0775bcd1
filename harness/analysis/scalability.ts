/**
 * From a sweep's per-level measurements to the `ScalabilityReport` verdict: efficiency, USL fit,
 * optimal concurrency, breaking point, contention, and a recommendation with its reasons.
 * Pure: numbers in, numbers and words out.
 */
import {
  BREAKING_THROUGHPUT_DROP,
  CPU_BOUND_UTILIZATION,
  CPU_PER_REQUEST_GROWTH,
  DEFAULT_ERROR_BUDGET,
  OPTIMAL_THROUGHPUT_TOLERANCE,
  POOL_BOUND_MAX_CPU,
  POOL_BOUND_WAIT_SHARE,
  SERIALISED_SHARE,
} from './constants.ts'
import { linearScalingRange, scalingEfficiency } from './efficiency.ts'
import { fitUsl } from './usl.ts'
import type { UslFit } from './usl.ts'

/** What the analysis needs from one level of a sweep. */
export interface LevelMeasurement {
  /** Concurrent users (closed model) or mean requests in flight (open model). */
  concurrency: number
  /** Successful requests per second in the measurement window. */
  throughput: number
  /** Response-time percentiles (from the intended start), in ms. */
  p50Ms: number
  p99Ms: number
  /** (failed + timed out) / total. */
  errorRate: number
  /** Mean wait for a pool lease, in ms. */
  poolWaitMeanMs: number
  /** Mean service time (from the actual send), in ms. */
  serviceMeanMs: number
  /** Whether every pool lease was in use with requests queued behind them. */
  poolSaturated: boolean
  /** Busy fraction of the machine's cores over the window (main thread + native workers), 0..1; null if unknown. */
  cpuUtilization: number | null
  /** CPU time spent per successful request (main thread + native workers), ms; null if unknown. */
  cpuMsPerRequest: number | null
  /** The detector found a deadlock or a total stall. */
  deadlockDetected: boolean
}

/** Service-level objective a level must meet. */
export interface Slo {
  /** Highest acceptable p99 response time, ms. */
  p99Ms?: number
  /** Highest acceptable error rate, 0..1. @default {@link DEFAULT_ERROR_BUDGET} */
  errorRate?: number
}

export interface AnalysisContext {
  slo?: Slo
  /** Cores of the machine (for CPU-bound advice). */
  cores: number
  /** libuv thread-pool size in force. */
  threadPoolSize: number
  /** Connection-pool size used at each level (null: the pool did not limit). */
  poolSize: number | null
}

export const RECOMMENDATIONS = ['IncreaseResources', 'OptimizeCode', 'AcceptablePerformance', 'ReduceLoad'] as const
export type ScalabilityRecommendationKind = (typeof RECOMMENDATIONS)[number]

export interface ScalabilityRecommendation {
  kind: ScalabilityRecommendationKind
  /** Why this kind was chosen, with the numbers that chose it. */
  reasons: string[]
  /** Concrete changes to try, most useful first. */
  advice: string[]
}

export interface ScalabilityAnalysis {
  /** (users, efficiency in percent) per level, efficiency relative to the smallest level. */
  efficiencyCurve: [number, number][]
  /** Levels (from the smallest) whose efficiency stays ≥ {@link LINEAR_EFFICIENCY}; null if none beyond the first. */
  linearScalingRange: [number, number] | null
  /**
   * The smallest measured level that meets the SLO with throughput within
   * {@link OPTIMAL_THROUGHPUT_TOLERANCE} of the best throughput among the levels meeting it (past
   * it, more users add only latency); null when no level meets the SLO.
   */
  optimalConcurrentUsers: number | null
  /** The fitted concurrency of peak throughput, N* = √((1 − σ)/κ); null without a peak. */
  peakConcurrency: number | null
  /** The first level where throughput falls, or the SLO or error budget breaks; null if never. */
  scalabilityBreakingPoint: number | null
  /** Why the breaking point is where it is. */
  breakingReason: string | null
  /** 100·σ, capped at 100: the share of work serialised by contention (USL). Null without a fit. */
  resourceContentionScore: number | null
  /** κ of the USL fit: the coherency (crosstalk) cost per pair of users. Null without a fit. */
  coherencyCost: number | null
  usl: UslFit | null
  /** Why there is no USL fit, when there is none. */
  uslError: string | null
  recommendation: ScalabilityRecommendation
  warnings: string[]
}

/** A level meets the SLO when its p99 and its error rate are within bounds. */
export function meetsSlo(level: LevelMeasurement, slo: Slo | undefined): boolean {
  const errorBudget = slo?.errorRate ?? DEFAULT_ERROR_BUDGET
  if (level.errorRate > errorBudget) return false
  if (slo?.p99Ms !== undefined && level.p99Ms > slo.p99Ms) return false
  return true
}

/**
 * First level (ascending) where throughput falls more than {@link BREAKING_THROUGHPUT_DROP} below
 * the best so far, or the SLO or error budget breaks.
 */
export function findBreakingPoint(
  levels: readonly LevelMeasurement[],
  slo: Slo | undefined,
): { level: number; reason: string } | null {
  let best = 0
  for (const level of levels) {
    if (level.deadlockDetected)
      return {
        level: level.concurrency,
        reason: `the detector found a deadlock or total stall at ${level.concurrency}`,
      }
    const errorBudget = slo?.errorRate ?? DEFAULT_ERROR_BUDGET
    if (level.errorRate > errorBudget) {
      return {
        level: level.concurrency,
        reason: `error rate ${(level.errorRate * 100).toFixed(2)} % exceeds the budget of ${(errorBudget * 100).toFixed(2)} %`,
      }
    }
    if (slo?.p99Ms !== undefined && level.p99Ms > slo.p99Ms) {
      return { level: level.concurrency, reason: `p99 ${level.p99Ms.toFixed(2)} ms exceeds the SLO of ${slo.p99Ms} ms` }
    }
    if (best > 0 && level.throughput < best * (1 - BREAKING_THROUGHPUT_DROP)) {
      return {
        level: level.concurrency,
        reason: `throughput fell to ${level.throughput.toFixed(0)}/s from a best of ${best.toFixed(0)}/s`,
      }
    }
    best = Math.max(best, level.throughput)
  }
  return null
}

function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x)
}

function recommend(
  levels: readonly LevelMeasurement[],
  ctx: AnalysisContext,
  usl: UslFit | null,
  breaking: { level: number; reason: string } | null,
  optimal: number | null,
): ScalabilityRecommendation {
  const reasons: string[] = []
  const advice: string[] = []
  const last = levels[levels.length - 1]
  const worst = breaking ? (levels.find(l => l.concurrency === breaking.level) ?? last) : last

  // Where latency goes at the worst level: waiting for a lease, or being served.
  const waitShare = worst.poolWaitMeanMs / Math.max(worst.poolWaitMeanMs + worst.serviceMeanMs, 1e-9)
  if (worst.poolWaitMeanMs > 0) {
    reasons.push(
      `at ${worst.concurrency}, ${fmt(waitShare * 100, 0)} % of response time is pool wait (${fmt(worst.poolWaitMeanMs, 2)} ms) and ${fmt(100 - waitShare * 100, 0)} % service (${fmt(worst.serviceMeanMs, 2)} ms)`,
    )
  }

  if (levels.some(l => l.deadlockDetected)) {
    reasons.push('the detector reported a deadlock or a total stall: more load or hardware will not help')
    advice.push('read the detector findings in the report: they name the operations and resources in the cycle')
    return { kind: 'OptimizeCode', reasons, advice }
  }

  if (breaking === null) {
    reasons.push(
      `every level up to ${last.concurrency} met the SLO${usl?.peakConcurrency ? `; the fitted peak is at ${fmt(usl.peakConcurrency)}` : ''}`,
    )
    advice.push(`measure beyond ${last.concurrency} users to find the limit`)
    return { kind: 'AcceptablePerformance', reasons, advice }
  }
  reasons.push(`breaking point at ${breaking.level}: ${breaking.reason}`)
  if (optimal !== null) reasons.push(`the best level that meets the SLO is ${optimal}`)

  const cpu = worst.cpuUtilization
  // Where the cores were busiest up to the breaking point: at the knee they may be full even if
  // the overloaded level itself shows less (time lost to queueing, or to something else).
  const busiest = levels
    .filter(l => l.concurrency <= worst.concurrency && l.cpuUtilization !== null)
    .reduce<LevelMeasurement | null>(
      (a, b) => (a === null || (b.cpuUtilization as number) > (a.cpuUtilization as number) ? b : a),
      null,
    )
  const poolBound = worst.poolSaturated && waitShare > POOL_BOUND_WAIT_SHARE
  if (poolBound && cpu !== null && cpu < POOL_BOUND_MAX_CPU) {
    reasons.push(
      `the pool (${ctx.poolSize ?? '?'} leases) is saturated while the CPU is only ${fmt(cpu * 100, 0)} % busy`,
    )
    advice.push(`raise the connection-pool size above ${ctx.poolSize ?? 'its current size'}`)
    if (ctx.poolSize !== null && ctx.poolSize >= ctx.threadPoolSize) {
      advice.push(
        `raise UV_THREADPOOL_SIZE (now ${ctx.threadPoolSize}) to at least the pool size: native calls beyond ${ctx.threadPoolSize} in flight queue inside libuv`,
      )
    }
    return { kind: 'IncreaseResources', reasons, advice }
  }
  const busyCpu = busiest?.cpuUtilization ?? null
  if (busyCpu !== null && busyCpu >= CPU_BOUND_UTILIZATION) {
    reasons.push(
      busiest === worst
        ? `the CPU is ${fmt(busyCpu * 100, 0)} % busy at the breaking point: the work, not waiting, is the limit`
        : `the CPU was ${fmt(busyCpu * 100, 0)} % busy at ${busiest?.concurrency}, before the breaking point: the work, not waiting, is the limit`,
    )
    // Saturated cores alone look like contention to the USL (σ near 1 once N passes the core
    // count). What tells hardware from overhead is whether a request costs more CPU as users grow.
    const first = levels[0]
    if (first.cpuMsPerRequest !== null && worst.cpuMsPerRequest !== null && first.cpuMsPerRequest > 0) {
      const growth = worst.cpuMsPerRequest / first.cpuMsPerRequest
      if (growth > CPU_PER_REQUEST_GROWTH) {
        reasons.push(
          `a request costs ${fmt(growth, 1)}× the CPU at ${worst.concurrency} users (${fmt(worst.cpuMsPerRequest, 3)} ms) that it cost at ${first.concurrency} (${fmt(first.cpuMsPerRequest, 3)} ms): work grows with concurrency`,
        )
        if (usl)
          reasons.push(`USL: σ = ${fmt(usl.sigma, 3)} (contention), κ = ${usl.kappa.toExponential(2)} (coherency)`)
        advice.push(
          'profile at high concurrency: spinning locks, cache-line sharing or per-request overhead that grows with users',
        )
        return { kind: 'OptimizeCode', reasons, advice }
      }
      reasons.push(
        `CPU per request stays flat (${fmt(first.cpuMsPerRequest, 3)} → ${fmt(worst.cpuMsPerRequest, 3)} ms): the cores are simply full`,
      )
    }
    advice.push(`add cores (${ctx.cores} now) or machines; cap concurrency at ${optimal ?? breaking.level} until then`)
    return { kind: 'IncreaseResources', reasons, advice }
  }
  if (usl && usl.peakConcurrency !== null && usl.peakConcurrency <= last.concurrency && usl.kappa > 0) {
    reasons.push(
      `throughput peaks at N* = ${fmt(usl.peakConcurrency)} and falls after it (κ = ${usl.kappa.toExponential(2)}): users slow each other down`,
    )
    advice.push('look for shared locks, cache-line sharing or a single writer that readers wait on')
    return { kind: 'OptimizeCode', reasons, advice }
  }
  if (usl && usl.sigma > SERIALISED_SHARE) {
    reasons.push(`σ = ${fmt(usl.sigma, 3)}: about ${fmt(usl.sigma * 100, 0)} % of each request is serialised`)
    advice.push('find the serialised section (a global lock, the event loop) and shorten or split it')
    return { kind: 'OptimizeCode', reasons, advice }
  }
  advice.push(
    `admit at most ${optimal ?? Math.max(1, breaking.level - 1)} concurrent requests (size the pool to it) and queue or shed the rest`,
  )
  return { kind: 'ReduceLoad', reasons, advice }
}

/** Analyses a sweep. Levels may come in any order; they are sorted by concurrency. */
export function analyzeScalability(input: readonly LevelMeasurement[], ctx: AnalysisContext): ScalabilityAnalysis {
  if (input.length === 0) throw new RangeError('a scalability analysis needs at least one level')
  const levels = [...input].sort((a, b) => a.concurrency - b.concurrency)
  const warnings: string[] = []
  const points = levels.map(l => ({ n: l.concurrency, x: l.throughput }))
  const efficiency = scalingEfficiency(points)

  let usl: UslFit | null = null
  let uslError: string | null = null
  try {
    usl = fitUsl(points)
    warnings.push(...usl.warnings)
  } catch (error) {
    uslError = (error as Error).message
    warnings.push(`no USL fit: ${uslError}`)
  }
  if (levels.every(l => l.errorRate >= 1))
    warnings.push('every request failed at every level: the target is down or misconfigured')

  const meeting = levels.filter(l => meetsSlo(l, ctx.slo) && !l.deadlockDetected && l.throughput > 0)
  const bestThroughput = Math.max(0, ...meeting.map(l => l.throughput))
  const optimal =
    meeting.find(l => l.throughput >= bestThroughput * (1 - OPTIMAL_THROUGHPUT_TOLERANCE))?.concurrency ?? null
  const breaking = findBreakingPoint(levels, ctx.slo)

  return {
    efficiencyCurve: levels.map((l, i) => [l.concurrency, efficiency[i] * 100]),
    linearScalingRange: linearScalingRange(points),
    optimalConcurrentUsers: optimal,
    peakConcurrency: usl?.peakConcurrency ?? null,
    scalabilityBreakingPoint: breaking?.level ?? null,
    breakingReason: breaking?.reason ?? null,
    resourceContentionScore: usl ? Math.min(100, usl.sigma * 100) : null,
    coherencyCost: usl?.kappa ?? null,
    usl,
    uslError,
    recommendation: recommend(levels, ctx, usl, breaking, optimal),
    warnings,
  }
}
