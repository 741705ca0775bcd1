/**
 * `runScalabilityTest`: measures a target at increasing load, then analyses the levels.
 *
 * Per level: warm-up, measured window, then a cool-down that waits until timed-out work has
 * drained (not a fixed pause). With an SLO, the sweep stops at the first level that breaks it
 * (its whole measured window, so the breach is sustained), then bisects between the last good
 * and the first bad level for a sharper breaking point.
 */
import { performance } from 'node:perf_hooks'

import { targetTimeMs } from '../analysis/bottleneck.ts'
import { DEFAULT_ERROR_BUDGET, DEFAULT_OBJECTIVE_P99_FACTOR, HANG_SHARE_OF_LEVEL } from '../analysis/constants.ts'
import { analyzeScalability, findBreakingPoint, meetsSlo } from '../analysis/scalability.ts'
import type { Slo } from '../analysis/scalability.ts'
import { scalingEfficiency } from '../analysis/efficiency.ts'
import { uslThroughput } from '../analysis/usl.ts'
import { collectEnvironment } from '../environment.ts'
import { ConfigError } from '../../errors.ts'
import { CLOSED_MODEL } from '../load/closed.ts'
import type { LevelSettings } from '../load/driver.ts'
import { getLoadModel, loadModelNames } from '../load/models.ts'
import type { AnyLoadModel } from '../load/models.ts'
import type { ConcurrentTestOptions, ConcurrentTestResult } from '../types.ts'
import { expandLevels, refineBetween } from './levels.ts'
import { levelMeasurement } from './measure.ts'
import { REPORT_SCHEMA_VERSION } from './types.ts'
import type { LevelRow, LevelRunner, ScalabilityReport, ScalabilityTestOptions } from './types.ts'

/** The model a sweep uses when none is named. */
const DEFAULT_MODEL = CLOSED_MODEL
/** Warm-up of each level, ms. */
const DEFAULT_WARM_UP_MS = 1000
/** Sweep defaults for rate-driven models (wider than a single test's: a sweep probes overload). */
const DEFAULT_ARRIVALS = 'poisson'
const DEFAULT_MAX_IN_FLIGHT = 256

/** Bounds of the default per-request timeout, which is the hang threshold of a level (ms). */
const MIN_HANG_THRESHOLD_MS = 1000
const MAX_HANG_THRESHOLD_MS = 10_000

/**
 * A call still running {@link HANG_SHARE_OF_LEVEL} of a level's measured duration after it
 * started is hung: the default request timeout, so it times out, is counted, and the detector
 * names it (timed out, still running) inside the level instead of after the sweep.
 */
export function hangThresholdMs(durationMs: number): number {
  return Math.min(MAX_HANG_THRESHOLD_MS, Math.max(MIN_HANG_THRESHOLD_MS, durationMs * HANG_SHARE_OF_LEVEL))
}

/**
 * The objective levels are held to: the caller's SLO when it bounds p99, else p99 ≤
 * {@link DEFAULT_OBJECTIVE_P99_FACTOR} × the p99 measured at the lightest level (the caller's
 * error budget, or the default one, either way).
 */
export function deriveObjective(
  slo: Slo | undefined,
  lightest: { level: number; p99Ms: number; noun: string } | null,
): { slo: Slo | undefined; source: 'slo' | 'derived'; description: string } {
  const errorRate = slo?.errorRate ?? DEFAULT_ERROR_BUDGET
  const budget = `errors ≤ ${+(errorRate * 100).toFixed(2)} %`
  if (slo?.p99Ms !== undefined)
    return { slo, source: 'slo', description: `p99 ≤ ${slo.p99Ms} ms and ${budget} (--slo)` }
  if (lightest === null || !(lightest.p99Ms > 0))
    return { slo, source: 'derived', description: `${budget}; no p99 bound (nothing measured to derive one from)` }
  const p99Ms = +(lightest.p99Ms * DEFAULT_OBJECTIVE_P99_FACTOR).toFixed(3)
  return {
    slo: { p99Ms, errorRate },
    source: 'derived',
    description: `p99 ≤ ${p99Ms} ms (${DEFAULT_OBJECTIVE_P99_FACTOR} × the ${lightest.p99Ms.toFixed(2)} ms measured at ${lightest.level} ${lightest.noun}) and ${budget}; set --slo to choose your own`,
  }
}

/** The knobs every level of the sweep shares, for the model to build each level's config. */
function levelSettings(o: ScalabilityTestOptions<unknown, unknown>): LevelSettings {
  const warmUpMs = o.warmUpMs ?? DEFAULT_WARM_UP_MS
  return {
    durationMs: warmUpMs + o.durationMs,
    warmUpMs,
    rampUpMs: o.rampUpMs,
    thinkTime: o.thinkTime,
    arrivals: o.arrivals ?? DEFAULT_ARRIVALS,
    maxInFlight: o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
  }
}

function validate(o: ScalabilityTestOptions<unknown, unknown>): string[] {
  const problems: string[] = []
  if (!(Number.isFinite(o.durationMs) && o.durationMs > 0))
    problems.push('durationMs must be a positive number of milliseconds')
  if (o.warmUpMs !== undefined && !(o.warmUpMs >= 0)) problems.push('warmUpMs must be 0 or more')
  if (o.model !== undefined && getLoadModel(o.model) === undefined)
    problems.push(`model must be ${loadModelNames.map(n => `'${n}'`).join(' or ')}, got ${String(o.model)}`)
  if (o.poolSize !== undefined && o.poolSize !== 'level' && !(Number.isInteger(o.poolSize) && o.poolSize >= 1))
    problems.push("poolSize must be a positive integer or 'level'")
  if (o.refineSteps !== undefined && !(Number.isInteger(o.refineSteps) && o.refineSteps >= 0))
    problems.push('refineSteps must be a whole number, 0 or more')
  if (o.slo?.p99Ms !== undefined && !(o.slo.p99Ms > 0)) problems.push('slo.p99Ms must be positive')
  if (o.slo?.errorRate !== undefined && !(o.slo.errorRate >= 0 && o.slo.errorRate <= 1))
    problems.push('slo.errorRate must be between 0 and 1')
  return problems
}

/** Runs the sweep, each level through `runner`, and returns the report. */
export async function runScalabilityTest<Q, D>(
  runner: LevelRunner<Q, D>,
  options: ScalabilityTestOptions<Q, D>,
): Promise<ScalabilityReport> {
  const o = options as ScalabilityTestOptions<unknown, unknown>
  const problems = validate(o)
  let planned: number[] = []
  const known = getLoadModel(o.model ?? DEFAULT_MODEL)
  // Levels are user counts (whole numbers) for a model with users, else arrival rates.
  const integer = known?.hasUsers ?? false
  try {
    planned = expandLevels(o.levels, integer)
  } catch (error) {
    problems.push(`levels: ${(error as Error).message}`)
  }
  if (problems.length > 0) throw new ConfigError('scalability test options', problems)
  const model = known as AnyLoadModel

  const environment = collectEnvironment()
  const cores = o.cores ?? environment.cores
  const threadPoolSize = o.threadPoolSize ?? environment.uvThreadpoolSize
  const seed = o.seed ?? (Math.random() * 0x100000000) >>> 0
  const stopOnBreach = o.stopOnBreach ?? true
  const settings = levelSettings(o)
  const results = new Map<number, { result: ConcurrentTestResult; coolDownMs: number; refined: boolean }>()
  let baseline: number | undefined
  let baselineTargetMs: number | undefined
  let stoppedEarly: string | null = null
  /** The objective: the caller's, or derived once the lightest level is measured. */
  let objective = deriveObjective(o.slo, null)
  const hangMs = hangThresholdMs(o.durationMs)

  const measure = async (level: number, index: number, refining: boolean): Promise<void> => {
    o.onLevelStart?.({ level, index, planned: planned.length, refining })
    const testOptions: ConcurrentTestOptions<unknown, unknown> = {
      load: model.levelConfig(level, settings),
      queries: o.queries,
      classify: o.classify,
      selection: o.selection,
      writes: o.writes,
      seed,
      requestTimeoutMs: o.requestTimeoutMs ?? hangMs,
      pool: {
        size:
          o.poolSize === undefined || o.poolSize === 'level'
            ? Math.ceil(model.levelConcurrency(level, settings))
            : o.poolSize,
        ...(o.poolFactory ? { factory: o.poolFactory, name: 'sessions' } : {}),
      },
      detector: o.detector ?? { stallAfterMs: hangMs },
      baselineThroughput: baseline,
      baselineTargetMs,
      signal: o.signal,
      onProgress: o.onProgress ? progress => o.onProgress?.({ level, progress }) : undefined,
      recall: o.recall,
      resources: o.resources,
    }
    for (const key of Object.keys(testOptions) as (keyof typeof testOptions)[]) {
      if (testOptions[key] === undefined) delete testOptions[key]
    }
    const result = await (runner as LevelRunner<unknown, unknown>).runConcurrentTest(testOptions)
    const coolStart = performance.now()
    await runner.drain({ timeoutMs: o.coolDownMaxMs ?? 30_000, signal: o.signal })
    const coolDownMs = performance.now() - coolStart
    if (baseline === undefined && integer && level === 1 && result.successfulRequestsPerSecond > 0)
      baseline = result.successfulRequestsPerSecond
    if (baselineTargetMs === undefined && result.successfulRequests > 0) {
      // The lightest level (levels are measured in ascending order first) sets the baselines.
      baselineTargetMs = targetTimeMs({
        scheduleDelay: result.timeBreakdown.scheduleDelay.mean,
        poolWait: result.timeBreakdown.poolWait.mean,
        nativeQueue: result.timeBreakdown.nativeQueue.mean,
        nativeRun: result.timeBreakdown.nativeRun.mean,
        delivery: result.timeBreakdown.delivery.mean,
        other: result.timeBreakdown.other.mean,
      })
      objective = deriveObjective(o.slo, {
        level,
        p99Ms: result.responseTime.p99,
        noun: integer ? (level === 1 ? 'user' : 'users') : 'requests/s',
      })
    }
    results.set(level, { result, coolDownMs, refined: refining })
    o.onLevelEnd?.({ level, result, row: rowOf(level, result, coolDownMs, refining) })
  }

  const rowOf = (level: number, result: ConcurrentTestResult, coolDownMs: number, refined: boolean): LevelRow => {
    const m = levelMeasurement(result, cores)
    const pool = result.connectionPoolUsage
    return {
      level,
      concurrency: m.concurrency,
      throughput: m.throughput,
      p50Ms: result.responseTime.p50,
      p90Ms: result.responseTime.p90,
      p99Ms: result.responseTime.p99,
      maxMs: result.responseTime.max,
      errorRate: m.errorRate,
      efficiency: 0, // filled in once all levels are known
      poolWaitMeanMs: m.poolWaitMeanMs,
      poolWaitP99Ms: result.poolWait.p99,
      serviceMeanMs: m.serviceMeanMs,
      poolPeakUsage: pool.peakUsage,
      poolAverageUsage: pool.averageUsage,
      poolSize: pool.poolSize,
      cpuUtilization: m.cpuUtilization,
      cpuMsPerRequest: m.cpuMsPerRequest,
      sloMet: false, // filled in below
      deadlockDetected: result.deadlockDetected,
      littlesLawConsistent: result.littlesLaw?.consistent ?? null,
      droppedStarts: result.droppedStarts,
      startFailureRate: m.startFailureRate,
      hungCalls: m.hungCalls,
      contention: m.contention,
      bottleneck: result.bottleneck.resource,
      refined,
      coolDownMs,
    }
  }

  // Planned levels, stopping at the first breach.
  for (let i = 0; i < planned.length; i++) {
    if (o.signal?.aborted) {
      stoppedEarly = 'aborted'
      break
    }
    await measure(planned[i], i, false)
    if (stopOnBreach) {
      const measured = [...results.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([, r]) => levelMeasurement(r.result, cores))
      const breach = findBreakingPoint(measured, objective.slo)
      if (breach !== null && i < planned.length - 1) {
        stoppedEarly = `stopped after ${planned[i]}: ${breach.reason}`
        break
      }
    }
  }

  // Refinement between the last good and the first bad level.
  for (let step = 0; step < (o.refineSteps ?? 2) && !o.signal?.aborted; step++) {
    const sorted = [...results.keys()].sort((a, b) => a - b)
    const measured = sorted.map(l =>
      levelMeasurement((results.get(l) as { result: ConcurrentTestResult }).result, cores),
    )
    const breach = findBreakingPoint(measured, objective.slo)
    if (breach === null) break
    const badIndex = sorted.indexOf(
      sorted.find(l => levelMeasurement(results.get(l)!.result, cores).concurrency === breach.level) ?? -1,
    )
    if (badIndex <= 0) break
    const next = refineBetween(sorted[badIndex - 1], sorted[badIndex], integer)
    if (next === null || results.has(next)) break
    await measure(next, planned.length + step, true)
  }

  const levels = [...results.keys()].sort((a, b) => a - b)
  const entries = levels.map(l => results.get(l)!)
  const measurements = entries.map(e => levelMeasurement(e.result, cores))
  const analysis = analyzeScalability(measurements, {
    slo: objective.slo,
    cores,
    threadPoolSize,
    poolSize: o.poolSize === undefined || o.poolSize === 'level' ? null : o.poolSize,
  })
  const efficiency = scalingEfficiency(measurements.map(m => ({ n: m.concurrency, x: m.throughput })))
  const rows = entries.map((e, i) => {
    const row = rowOf(levels[i], e.result, e.coolDownMs, e.refined)
    row.efficiency = efficiency[i]
    row.sloMet = meetsSlo(measurements[i], objective.slo) && !measurements[i].deadlockDetected
    return row
  })
  const maxN = Math.max(...measurements.map(m => m.concurrency), analysis.peakConcurrency ?? 0)
  const fittedCurve: [number, number][] = []
  if (analysis.usl) {
    // From the smallest level measured to a quarter past the largest (or past N*).
    const low = Math.min(...measurements.map(m => m.concurrency))
    const top = maxN * 1.25
    for (let i = 0; i <= 60; i++) {
      const n = low + ((top - low) * i) / 60
      fittedCurve.push([n, uslThroughput(analysis.usl, n)])
    }
  }
  const { efficiencyCurve, ...rest } = analysis
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: new Date().toISOString(),
    target: runner.target.name,
    loadModel: model.name,
    seed,
    slo: objective.slo ?? null,
    objective: { source: objective.source, description: objective.description },
    sweep: {
      levelsPlanned: planned,
      levelsMeasured: levels,
      warmUpMs: settings.warmUpMs,
      durationMs: o.durationMs,
      stoppedEarly,
    },
    environment,
    levels: rows,
    efficiencyCurve,
    fittedCurve,
    ...rest,
    testResults: entries.map(e => e.result),
  }
}
