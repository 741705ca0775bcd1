/**
 * Open model: requests arrive on a schedule, whether or not earlier ones have finished
 * (k6 `constant-arrival-rate` / `ramping-arrival-rate`). Throughput is an *input*; latency and
 * dropped starts are the outcome.
 *
 * The arrival rate follows stages (`{ durationMs, targetRate }`, linear ramps from the previous
 * rate, starting at `startRate`), so hold, ramp and spike are all expressible. Arrivals are
 * either evenly spaced (`constant`) or a Poisson process (`poisson`), both produced by
 * inverting the cumulative rate Λ(t) = ∫λ: constant spacing puts arrival k at Λ(t) = k + ½;
 * Poisson puts it at Λ(t) = E₁ + … + E_k with Eᵢ ~ Exp(1) (time-rescaling theorem). The
 * schedule is a pure function of config and seed ({@link ArrivalSchedule}, {@link planArrivals}).
 *
 * In-flight requests are bounded by `maxInFlight`. An arrival that finds the bound reached is
 * not queued (queuing would hide the overload): it is counted as a *dropped start*. An arrival
 * issued more than `lateThresholdMs` after its scheduled time counts as a *late start*. Both are
 * reported beside the latencies; response time is measured from the scheduled arrival.
 */
import { z } from 'zod'
import { ConfigError } from '../../errors.ts'
import { littlesLawOpen } from '../metrics/stats.ts'
import { DEFAULT_LATE_THRESHOLD_MS, lateStartWarnings } from './driver.ts'
import type { LoadDriver, LoadModel, MeasurementWindow } from './driver.ts'
import { Rng, Streams, deriveSeed } from './rng.ts'
import { now, sleepUntil, yieldIfDue } from './time.ts'
import { describeIssues, field, isNum } from './validation.ts'

/** Name of this load model. */
export const OPEN_MODEL = 'open'

/** One stage: the rate moves linearly from the previous stage's rate to `targetRate`. */
export interface ArrivalStage {
  durationMs: number
  /** Arrivals per second at the end of the stage. */
  targetRate: number
}

/** Open-model configuration: either `rate` + `durationMs`, or `stages`. */
export interface OpenModelConfig {
  model: 'open'
  /** Spacing of arrivals. @default 'constant' */
  arrivals?: 'constant' | 'poisson'
  /** Constant rate (arrivals per second), for `durationMs`. */
  rate?: number
  /** Run length when `rate` is used. */
  durationMs?: number
  /** Rate at time 0 when `stages` are used. @default 0 */
  startRate?: number
  /** Rate stages (k6 `ramping-arrival-rate`). */
  stages?: ArrivalStage[]
  /** Most requests in flight at once; arrivals beyond it are dropped. @default 1000 */
  maxInFlight?: number
  /** Leading part of the run excluded from measurement. @default 0 */
  warmUpMs?: number
  /** A start more than this behind its schedule counts as late. @default 2 */
  lateThresholdMs?: number
}

export interface ResolvedOpenModelConfig {
  model: 'open'
  arrivals: 'constant' | 'poisson'
  startRate: number
  stages: ArrivalStage[]
  /** Sum of stage durations. */
  durationMs: number
  maxInFlight: number
  warmUpMs: number
  lateThresholdMs: number
}

const MAX_MS = 7 * 86_400_000
const MAX_RATE = 10_000_000

export const OpenModelConfigSchema = z.strictObject({
  model: z.literal('open'),
  arrivals: z.enum(['constant', 'poisson']).optional(),
  rate: z.number().positive().max(MAX_RATE).optional(),
  durationMs: z.number().positive().max(MAX_MS).optional(),
  startRate: z.number().nonnegative().max(MAX_RATE).optional(),
  stages: z
    .array(
      z.strictObject({
        durationMs: z.number().nonnegative().max(MAX_MS),
        targetRate: z.number().nonnegative().max(MAX_RATE),
      }),
    )
    .min(1)
    .optional(),
  maxInFlight: z.number().int().min(1).max(10_000_000).optional(),
  warmUpMs: z.number().nonnegative().max(MAX_MS).optional(),
  lateThresholdMs: z.number().nonnegative().max(60_000).optional(),
})

/** Every problem with an open-model config, in plain words; empty when valid. */
export function validateOpenModel(input: unknown, prefix = ''): string[] {
  const problems: string[] = []
  const parsed = OpenModelConfigSchema.safeParse(input)
  if (!parsed.success) problems.push(...describeIssues(parsed.error, input, prefix))
  const p = prefix ? `${prefix}.` : ''
  const rate = field(input, 'rate')
  const duration = field(input, 'durationMs')
  const stages = field(input, 'stages')
  const warmUp = field(input, 'warmUpMs')
  const hasRate = rate !== undefined
  const hasStages = stages !== undefined
  if (hasRate && hasStages) problems.push(`${p}give either rate (with durationMs) or stages, not both`)
  if (!hasRate && !hasStages) problems.push(`${p}an arrival rate is needed: give rate (with durationMs) or stages`)
  if (hasRate && duration === undefined) problems.push(`${p}durationMs is needed with rate`)
  if (hasStages && duration !== undefined)
    problems.push(`${p}durationMs is only used with rate; stages set their own durations`)
  if (hasRate && !hasStages && field(input, 'startRate') !== undefined)
    problems.push(`${p}startRate is only used with stages`)
  let total = hasRate && isNum(duration) ? duration : 0
  if (Array.isArray(stages)) {
    total = 0
    let anyArrivals = isNum(field(input, 'startRate')) && (field(input, 'startRate') as number) > 0
    for (const s of stages) {
      const d = field(s, 'durationMs')
      const r = field(s, 'targetRate')
      if (isNum(d)) total += d
      if (isNum(r) && r > 0) anyArrivals = true
    }
    if (!anyArrivals) problems.push(`${p}every stage has a rate of 0: no request would ever arrive`)
    if (total <= 0) problems.push(`${p}the stages must last longer than 0 ms in total`)
  }
  if (isNum(warmUp) && total > 0 && warmUp >= total)
    problems.push(`${p}warmUpMs (${warmUp}) must be less than the run length (${total}): nothing would be measured`)
  return problems
}

/** Validates and fills defaults. @throws {ConfigError} listing every problem. */
export function resolveOpenModel(input: unknown, prefix = ''): ResolvedOpenModelConfig {
  const problems = validateOpenModel(input, prefix)
  if (problems.length > 0) throw new ConfigError('open-model config', problems)
  const c = input as OpenModelConfig
  const stages = c.stages ?? [{ durationMs: c.durationMs as number, targetRate: c.rate as number }]
  const startRate = c.stages ? (c.startRate ?? 0) : (c.rate as number)
  return {
    model: 'open',
    arrivals: c.arrivals ?? 'constant',
    startRate,
    stages: stages.map(s => ({ durationMs: s.durationMs, targetRate: s.targetRate })),
    durationMs: stages.reduce((a, s) => a + s.durationMs, 0),
    maxInFlight: c.maxInFlight ?? 1000,
    warmUpMs: c.warmUpMs ?? 0,
    lateThresholdMs: c.lateThresholdMs ?? DEFAULT_LATE_THRESHOLD_MS,
  }
}

/** Arrival rate (per second) at offset `t` ms. 0 outside the schedule. */
export function rateAt(config: ResolvedOpenModelConfig, t: number): number {
  let start = 0
  let from = config.startRate
  for (const s of config.stages) {
    if (t < start + s.durationMs) return from + ((s.targetRate - from) * (t - start)) / s.durationMs
    start += s.durationMs
    from = s.targetRate
  }
  return 0
}

/** Expected number of arrivals in `[fromMs, toMs)`: ∫λ (the cumulative rate Λ). */
export function expectedArrivals(config: ResolvedOpenModelConfig, fromMs = 0, toMs = config.durationMs): number {
  return cumulative(config, toMs) - cumulative(config, fromMs)
}

function cumulative(config: ResolvedOpenModelConfig, t: number): number {
  let acc = 0
  let start = 0
  let from = config.startRate / 1000
  for (const s of config.stages) {
    const to = s.targetRate / 1000
    const d = s.durationMs
    if (t <= start) break
    const tau = Math.min(t - start, d)
    if (d > 0) acc += from * tau + ((to - from) * tau * tau) / (2 * d)
    start += d
    from = to
  }
  return acc
}

/**
 * The arrival times (ms offsets from schedule time 0, increasing) of an open-model run:
 * `next()` returns the next one, or -1 when the schedule is over. No allocation per arrival.
 */
export class ArrivalSchedule {
  readonly #stages: ArrivalStage[]
  readonly #poisson: boolean
  readonly #rng: Rng
  #stage = 0
  #stageStart = 0
  #stageBase = 0
  #from: number
  #target: number

  constructor(config: ResolvedOpenModelConfig, seed: number) {
    this.#stages = config.stages
    this.#poisson = config.arrivals === 'poisson'
    this.#rng = new Rng(deriveSeed(seed, Streams.arrivals))
    this.#from = config.startRate / 1000
    this.#target = this.#poisson ? this.#rng.nextExponential(1) : 0.5
  }

  next(): number {
    while (this.#stage < this.#stages.length) {
      const s = this.#stages[this.#stage]
      const to = s.targetRate / 1000
      const d = s.durationMs
      const total = ((this.#from + to) / 2) * d
      const x = this.#target - this.#stageBase
      if (x < total) {
        // Solve a·τ² + b·τ = x with a = (to − from)/(2d), b = from (stable form).
        const a = (to - this.#from) / (2 * d)
        const b = this.#from
        const den = b + Math.sqrt(Math.max(0, b * b + 4 * a * x))
        const tau = den > 0 ? Math.min(d, (2 * x) / den) : 0
        this.#target += this.#poisson ? this.#rng.nextExponential(1) : 1
        return this.#stageStart + tau
      }
      this.#stageBase += total
      this.#stageStart += d
      this.#from = to
      this.#stage++
    }
    return -1
  }
}

/** All arrival times of a schedule (at most `limit`), for inspection and tests. */
export function planArrivals(
  config: ResolvedOpenModelConfig,
  seed: number,
  limit = Number.POSITIVE_INFINITY,
): number[] {
  const s = new ArrivalSchedule(config, seed)
  const out: number[] = []
  for (let t = s.next(); t >= 0 && out.length < limit; t = s.next()) out.push(t)
  return out
}

/** The open model's execution plan, derived from the config alone. */
export interface OpenModelPlan {
  window: MeasurementWindow
  durationMs: number
  /** Expected arrivals in the whole run and in the measurement window (∫λ). */
  expectedArrivals: number
  expectedArrivalsInWindow: number
  /** Peak scheduled rate (per second). */
  peakRate: number
}

export function planOpenModel(config: ResolvedOpenModelConfig): OpenModelPlan {
  const window = { startMs: config.warmUpMs, endMs: config.durationMs }
  return {
    window,
    durationMs: config.durationMs,
    expectedArrivals: expectedArrivals(config),
    expectedArrivalsInWindow: expectedArrivals(config, window.startMs, window.endMs),
    peakRate: Math.max(config.startRate, ...config.stages.map(s => s.targetRate)),
  }
}

/**
 * Runs the open model: issues each arrival at its time (never queuing beyond `maxInFlight`),
 * then waits for the requests in flight. All arrivals go through user id 0.
 */
export async function runOpenModel(config: ResolvedOpenModelConfig, driver: LoadDriver): Promise<void> {
  const { t0, signal } = driver
  const schedule = new ArrivalSchedule(config, driver.seed)
  let inFlight = 0
  let scheduleDone = false
  let resolveDrained: () => void = () => {}
  const drained = new Promise<void>(r => {
    resolveDrained = r
  })
  const settle = (): void => {
    inFlight--
    if (scheduleDone && inFlight === 0) resolveDrained()
  }
  driver.userStarted(0, now())
  for (let at = schedule.next(); at >= 0; at = schedule.next()) {
    const due = t0 + at
    const t = now()
    if (due > t) await sleepUntil(due, signal)
    else {
      const y = yieldIfDue(t)
      if (y !== undefined) await y
    }
    if (signal.aborted) break
    if (inFlight >= config.maxInFlight) {
      driver.droppedStart(due)
      continue
    }
    const issued = now()
    if (issued - due > config.lateThresholdMs) driver.lateStart(due, issued)
    inFlight++
    driver.execute(0, due).then(settle, settle)
  }
  scheduleDone = true
  if (inFlight > 0) await drained
  driver.userFinished(0, now())
}

/** The open model, as registered in `load/models.ts`. */
export const openModel: LoadModel<ResolvedOpenModelConfig, OpenModelConfig> = {
  name: OPEN_MODEL,
  hasUsers: false,
  validate: validateOpenModel,
  resolve: resolveOpenModel,
  window: c => planOpenModel(c).window,
  concurrency: c => c.maxInFlight,
  users: () => 1,
  planWarnings: c => {
    const plan = planOpenModel(c)
    return plan.window.startMs > 0 && expectedArrivals(c, 0, plan.window.startMs) === 0
      ? ['no request arrives during the warm-up: nothing warms the target up']
      : []
  },
  run: runOpenModel,
  // L = λ·W: mean number in the system, arrival rate, time in the system.
  littlesLaw: m =>
    littlesLawOpen({
      meanInSystem: m.meanInSystem,
      arrivalRatePerSec: m.throughputPerSec,
      meanSojournMs: m.meanResidenceMs,
    }),
  startWarnings: m => [
    ...(m.droppedStarts > 0
      ? [
          `${m.droppedStarts} scheduled start(s) were dropped because maxInFlight requests were in flight: the offered load was not delivered`,
        ]
      : []),
    ...lateStartWarnings(m),
  ],
  levelConfig: (level, s) => ({
    model: OPEN_MODEL,
    rate: level,
    durationMs: s.durationMs,
    warmUpMs: s.warmUpMs,
    arrivals: s.arrivals,
    maxInFlight: s.maxInFlight,
  }),
  levelConcurrency: (_level, s) => s.maxInFlight,
  // The rate is set, so the concurrency is an outcome: the measured mean in flight.
  analysisConcurrency: (configured, littlesLaw) => littlesLaw?.observed ?? configured,
}
