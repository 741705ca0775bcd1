/**
 * From a sweep's per-level measurements to the `ScalabilityReport` verdict: efficiency, USL fit,
 * optimal concurrency, breaking point, contention, and a recommendation with its reasons.
 * Pure: numbers in, numbers and words out.
 */
import { leverFor } from './bottleneck.ts'
import type { Bottleneck } from './bottleneck.ts'
import {
  BREAKING_THROUGHPUT_DROP,
  CPU_PER_REQUEST_GROWTH,
  DEFAULT_ERROR_BUDGET,
  OPTIMAL_THROUGHPUT_TOLERANCE,
  SATURATION_LATENCY_GROWTH,
  SATURATION_THROUGHPUT_TOLERANCE,
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
  /** Mean response time (from the intended start), ms. */
  responseMeanMs: number
  /** Share of scheduled starts that were dropped (open model; 0 for closed users), 0..1. */
  startFailureRate: number
  /** Calls that ran past the level's hang threshold (timed out and still running), at most at once. */
  hungCalls: number
  /** Share (0–100) of response time spent waiting for shared resources (the level's `resourceContentionScore`). */
  contention: number
  /** The resource limiting the level (null for results recorded before time attribution). */
  bottleneck: Bottleneck | null
}

/** Service-level objective a level must meet. */
export interface Slo {
  /** Highest acceptable p99 response time, ms. */
  p99Ms?: number
  /** Highest acceptable error rate, 0..1. @default {@link DEFAULT_ERROR_BUDGET} */
  errorRate?: number
}

/** Where a sweep's throughput stopped growing: the first level within noise of the peak, past which latency grows. */
export interface Saturation {
  /** The smallest level whose throughput is within {@link SATURATION_THROUGHPUT_TOLERANCE} of the peak. */
  level: number
  /** The peak throughput of the sweep (successful requests/s). */
  peakThroughput: number
  /** p50 at the most loaded level that stayed on the plateau, divided by p50 at `level`. */
  latencyGrowth: number
  /** The most loaded level still on the plateau. */
  lastPlateauLevel: number
  /**
   * The most loaded level, when its throughput fell below the plateau (more users cost
   * throughput, not only latency); null when the sweep ended on the plateau.
   */
  fell: { level: number; throughput: number } | null
}

export interface AnalysisContext {
  slo?: Slo
  /** Cores of the machine (for CPU-bound advice). */
  cores: number
  /** Native worker threads in force (libuv's pool; the engine's search pool is sized alike). */
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
  /**
   * Share (0–100) of response time spent waiting for shared resources (pool leases, libuv's
   * thread pool, harness locks) at the level the run's bottleneck is named at: the same measure
   * as each level's `resourceContentionScore`. (The USL's serial fraction is `usl.sigma`.)
   */
  resourceContentionScore: number | null
  /** Where throughput stopped growing while latency grew; null if it never did over the levels measured. */
  saturation: Saturation | null
  /** The run's bottleneck: the one at the breaking point, else at the most loaded level. */
  bottleneck: Bottleneck
  /** κ of the USL fit: the coherency (crosstalk) cost per pair of users. Null without a fit. */
  coherencyCost: number | null
  usl: UslFit | null
  /** Why there is no USL fit, when there is none. */
  uslError: string | null
  recommendation: ScalabilityRecommendation
  warnings: string[]
}

/** A level meets the SLO when its p99, its error rate, its start failures and its hangs are within bounds. */
export function meetsSlo(level: LevelMeasurement, slo: Slo | undefined): boolean {
  const errorBudget = slo?.errorRate ?? DEFAULT_ERROR_BUDGET
  if (level.errorRate > errorBudget) return false
  if (level.startFailureRate > errorBudget) return false
  if (level.hungCalls > 0) return false
  if (slo?.p99Ms !== undefined && level.p99Ms > slo.p99Ms) return false
  return true
}

/**
 * First level (ascending) where throughput falls more than {@link BREAKING_THROUGHPUT_DROP} below
 * the best so far, a call hangs, the open model drops more starts than the error budget allows,
 * or the SLO or error budget breaks.
 */
export function findBreakingPoint(
  levels: readonly LevelMeasurement[],
  slo: Slo | undefined,
): { level: number; reason: string } | null {
  let best = 0
  const errorBudget = slo?.errorRate ?? DEFAULT_ERROR_BUDGET
  for (const level of levels) {
    if (level.deadlockDetected)
      return {
        level: level.concurrency,
        reason: `the detector found a deadlock or total stall at ${level.concurrency}`,
      }
    if (level.hungCalls > 0) {
      return {
        level: level.concurrency,
        reason: `${level.hungCalls} call(s) hung: still running past the level's hang threshold`,
      }
    }
    if (level.errorRate > errorBudget) {
      return {
        level: level.concurrency,
        reason: `error rate ${(level.errorRate * 100).toFixed(2)} % exceeds the budget of ${(errorBudget * 100).toFixed(2)} %`,
      }
    }
    if (level.startFailureRate > errorBudget) {
      return {
        level: level.concurrency,
        reason: `${(level.startFailureRate * 100).toFixed(1)} % of scheduled starts were dropped (budget ${(errorBudget * 100).toFixed(2)} %): the system could not keep up with the offered rate`,
      }
    }
    if (slo?.p99Ms !== undefined && level.p99Ms > slo.p99Ms) {
      return {
        level: level.concurrency,
        reason: `p99 ${level.p99Ms.toFixed(2)} ms exceeds the objective of ${formatObjectiveMs(slo.p99Ms)} ms`,
      }
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

/** An objective in ms as written in prose: whole where whole, else two decimals. */
function formatObjectiveMs(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(2)
}

function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x)
}

/**
 * Where throughput stopped growing: the smallest level within
 * {@link SATURATION_THROUGHPUT_TOLERANCE} of the peak throughput, provided a more loaded level
 * was measured with its p50 at least {@link SATURATION_LATENCY_GROWTH}× higher (more users bought
 * only latency), whether that level stayed on the plateau or fell below it. Null while throughput
 * still grows at the last level.
 */
export function findSaturation(levels: readonly LevelMeasurement[]): Saturation | null {
  const sorted = [...levels].sort((a, b) => a.concurrency - b.concurrency)
  if (sorted.length < 2) return null
  const peak = Math.max(...sorted.map(l => l.throughput))
  if (!(peak > 0)) return null
  const onPlateau = (l: LevelMeasurement): boolean => l.throughput >= peak * (1 - SATURATION_THROUGHPUT_TOLERANCE)
  const first = sorted.find(onPlateau) as LevelMeasurement
  const mostLoaded = sorted[sorted.length - 1]
  if (mostLoaded === first || first.p50Ms <= 0) return null
  const plateau = sorted.filter(l => l.concurrency > first.concurrency && onPlateau(l))
  const lastPlateau = plateau[plateau.length - 1] ?? first
  const fell = onPlateau(mostLoaded) ? null : mostLoaded
  const growth = (fell ?? lastPlateau).p50Ms / first.p50Ms
  if (growth < SATURATION_LATENCY_GROWTH) return null
  return {
    level: first.concurrency,
    peakThroughput: peak,
    latencyGrowth: growth,
    lastPlateauLevel: lastPlateau.concurrency,
    fell: fell ? { level: fell.concurrency, throughput: fell.throughput } : null,
  }
}

/** The throughput part of a saturation's prose, for the analysis and the reports alike. */
export function describeSaturation(s: Saturation, rate: (x: number) => string, level: (n: number) => string): string {
  const plateau =
    s.lastPlateauLevel > s.level
      ? `throughput stayed within ${fmt(SATURATION_THROUGHPUT_TOLERANCE * 100, 0)} % of its peak (${rate(s.peakThroughput)}/s) up to ${level(s.lastPlateauLevel)}`
      : `throughput peaked here (${rate(s.peakThroughput)}/s)`
  const fell = s.fell ? ` and fell to ${rate(s.fell.throughput)}/s by ${level(s.fell.level)}` : ''
  return `${plateau}${fell} while p50 grew ${fmt(s.latencyGrowth, 1)}×`
}

/** The level whose bottleneck names the run's: the breaking point, else the most loaded level. */
function bottleneckLevel(levels: readonly LevelMeasurement[], breaking: { level: number } | null): LevelMeasurement {
  const last = levels[levels.length - 1]
  return breaking ? (levels.find(l => l.concurrency === breaking.level) ?? last) : last
}

const UNKNOWN_BOTTLENECK: Bottleneck = {
  resource: 'none',
  share: 0,
  evidence: 'no time attribution was recorded for this level',
}

function recommend(
  levels: readonly LevelMeasurement[],
  ctx: AnalysisContext,
  usl: UslFit | null,
  breaking: { level: number; reason: string } | null,
  optimal: number | null,
  saturation: Saturation | null,
  bottleneck: Bottleneck,
): ScalabilityRecommendation {
  const reasons: string[] = []
  const advice: string[] = []
  const last = levels[levels.length - 1]
  const at = bottleneckLevel(levels, breaking)
  const lever = leverFor(bottleneck.resource, {
    cores: ctx.cores,
    threadPoolSize: ctx.threadPoolSize,
    poolSize: ctx.poolSize,
    saturatedAt: saturation?.level ?? optimal,
  })

  if (levels.some(l => l.deadlockDetected)) {
    reasons.push('the detector reported a deadlock or a total stall: more load or hardware will not help')
    advice.push('read the detector findings in the report: they name the operations and resources in the cycle')
    return { kind: 'OptimizeCode', reasons, advice }
  }
  if (levels.some(l => l.hungCalls > 0)) {
    reasons.push('native or target calls hung past the hang threshold: a stuck call is a defect, not a capacity limit')
    advice.push("read the detector's timed-out-still-running findings: they name the operations that hung")
    return { kind: 'OptimizeCode', reasons, advice }
  }

  if (breaking === null && saturation === null) {
    reasons.push(
      `every level up to ${last.concurrency} met the objective and throughput was still growing${usl?.peakConcurrency ? `; the fitted peak is at ${fmt(usl.peakConcurrency)}` : ''}`,
    )
    advice.push(`measure beyond ${last.concurrency} users to find the limit`)
    return { kind: 'AcceptablePerformance', reasons, advice }
  }

  if (saturation) {
    reasons.push(`saturated at ${saturation.level}: ${describeSaturation(saturation, x => fmt(x, 0), String)}`)
  }
  if (breaking) reasons.push(`breaking point at ${breaking.level}: ${breaking.reason}`)
  if (bottleneck.resource !== 'none')
    reasons.push(`bound by ${bottleneck.resource} at ${at.concurrency}: ${bottleneck.evidence}`)
  if (optimal !== null) reasons.push(`the best level that meets the objective is ${optimal}`)

  switch (bottleneck.resource) {
    case 'cpu': {
      // Saturated cores alone look like contention to the USL. What tells hardware from overhead
      // is whether a request costs more CPU as users grow.
      const first = levels[0]
      if (first.cpuMsPerRequest !== null && at.cpuMsPerRequest !== null && first.cpuMsPerRequest > 0) {
        const growth = at.cpuMsPerRequest / first.cpuMsPerRequest
        if (growth > CPU_PER_REQUEST_GROWTH) {
          reasons.push(
            `a request costs ${fmt(growth, 1)}× the CPU at ${at.concurrency} users (${fmt(at.cpuMsPerRequest, 3)} ms) that it cost at ${first.concurrency} (${fmt(first.cpuMsPerRequest, 3)} ms): work grows with concurrency`,
          )
          advice.push(
            'profile at high concurrency: spinning locks, cache-line sharing or per-request overhead that grows with users',
          )
          advice.push(lever)
          return { kind: 'OptimizeCode', reasons, advice }
        }
        reasons.push(
          `CPU per request stays flat (${fmt(first.cpuMsPerRequest, 3)} → ${fmt(at.cpuMsPerRequest, 3)} ms): the cores are simply full`,
        )
      }
      advice.push(lever)
      return { kind: 'IncreaseResources', reasons, advice }
    }
    case 'native-pool':
    case 'connection-pool':
    case 'event-loop':
    case 'target':
      advice.push(lever)
      return { kind: 'IncreaseResources', reasons, advice }
    case 'none':
      break
  }
  if (usl && usl.peakConcurrency !== null && usl.peakConcurrency <= last.concurrency && usl.kappa > 0) {
    reasons.push(
      `throughput peaks at N* = ${fmt(usl.peakConcurrency)} and falls after it (κ = ${usl.kappa.toExponential(2)}): users slow each other down`,
    )
    advice.push('look for shared locks, cache-line sharing or a single writer that readers wait on')
    return { kind: 'OptimizeCode', reasons, advice }
  }
  if (usl && usl.sigma > SERIALISED_SHARE) {
    reasons.push(`USL σ = ${fmt(usl.sigma, 3)}: about ${fmt(usl.sigma * 100, 0)} % of each request is serialised`)
    advice.push('find the serialised section (a global lock, the event loop) and shorten or split it')
    return { kind: 'OptimizeCode', reasons, advice }
  }
  const cap = saturation?.level ?? optimal ?? Math.max(1, (breaking?.level ?? last.concurrency) - 1)
  advice.push(`admit at most ${cap} concurrent requests (size the pool to it) and queue or shed the rest`)
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
  const saturation = findSaturation(levels)
  const at = bottleneckLevel(levels, breaking)
  const bottleneck = at.bottleneck ?? UNKNOWN_BOTTLENECK

  return {
    efficiencyCurve: levels.map((l, i) => [l.concurrency, efficiency[i] * 100]),
    linearScalingRange: linearScalingRange(points),
    optimalConcurrentUsers: optimal,
    peakConcurrency: usl?.peakConcurrency ?? null,
    scalabilityBreakingPoint: breaking?.level ?? null,
    breakingReason: breaking?.reason ?? null,
    resourceContentionScore: at.bottleneck ? at.contention : null,
    saturation,
    bottleneck,
    coherencyCost: usl?.kappa ?? null,
    usl,
    uslError,
    recommendation: recommend(levels, ctx, usl, breaking, optimal, saturation, bottleneck),
    warnings,
  }
}
