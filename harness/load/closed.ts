/**
 * Closed model: a fixed population of users, each looping
 * `pick query → acquire pool lease → request → release → think`.
 * Throughput is an *outcome* (users wait for responses), so it falls when the system slows.
 *
 * Users start spread over a ramp-up: linearly (user i of N at `i·D/N`) or in steps (k groups;
 * group g at `g·D/k`). The start times are a pure function of the config
 * ({@link planClosedModel}), tested directly.
 *
 * Intended start of each request (the origin of its response time):
 * - with `pacing`: the scheduled start `userStart + k·intervalMs`;
 * - otherwise: the moment the user became ready (previous response + think time).
 */
import { z } from 'zod'
import { ConfigError } from '../../errors.ts'
import { littlesLawClosed } from '../metrics/stats.ts'
import { DEFAULT_LATE_THRESHOLD_MS, Outcome, lateStartWarnings } from './driver.ts'
import type { LoadDriver, LoadModel, MeasurementWindow } from './driver.ts'
import { Rng, Streams, deriveSeed } from './rng.ts'
import { ThinkTimeSchema, sampleThinkMs } from './think-time.ts'
import type { ThinkTime } from './think-time.ts'
import { now, sleepUntil, yieldIfDue } from './time.ts'
import { describeIssues, field, isNum } from './validation.ts'

/** Name of this load model. */
export const CLOSED_MODEL = 'closed'

/** Ramp-up: how users' start times are spread. */
export interface RampUp {
  /** Time over which users start. 0 = all at once. */
  durationMs: number
  /** `'linear'` (default): evenly spread; `'stepped'`: in `steps` equal groups. */
  shape?: 'linear' | 'stepped'
  /** Number of groups for `'stepped'` (default 4, at most `users`). */
  steps?: number
}

/** Closed-model configuration. */
export interface ClosedModelConfig {
  model: 'closed'
  /** Number of concurrent users. */
  users: number
  /** Total run length from schedule time 0 (warm-up included); no request starts after it. */
  durationMs: number
  /** Leading part of the run excluded from measurement. @default 0 */
  warmUpMs?: number
  /** @default { durationMs: 0 } (all users at once) */
  rampUp?: RampUp
  /** @default { kind: 'none' } */
  thinkTime?: ThinkTime
  /** With `pacing`: a start more than this behind its schedule counts as late. @default 2 */
  lateThresholdMs?: number
}

/** Config with every default filled in. */
export interface ResolvedClosedModelConfig {
  model: 'closed'
  users: number
  durationMs: number
  warmUpMs: number
  rampUp: { durationMs: number; shape: 'linear' | 'stepped'; steps: number }
  thinkTime: ThinkTime
  lateThresholdMs: number
}

const MAX_MS = 7 * 86_400_000

export const ClosedModelConfigSchema = z.strictObject({
  model: z.literal('closed'),
  users: z.number().int().min(1).max(100_000),
  durationMs: z.number().positive().max(MAX_MS),
  warmUpMs: z.number().nonnegative().max(MAX_MS).optional(),
  rampUp: z
    .strictObject({
      durationMs: z.number().nonnegative().max(MAX_MS),
      shape: z.enum(['linear', 'stepped']).optional(),
      steps: z.number().int().min(1).optional(),
    })
    .optional(),
  thinkTime: ThinkTimeSchema.optional(),
  lateThresholdMs: z.number().nonnegative().max(60_000).optional(),
})

/**
 * Every problem with a closed-model config, in plain words; empty when valid.
 * `prefix` names the config in messages (e.g. `'load'`).
 */
export function validateClosedModel(input: unknown, prefix = ''): string[] {
  const problems: string[] = []
  const parsed = ClosedModelConfigSchema.safeParse(input)
  if (!parsed.success) problems.push(...describeIssues(parsed.error, input, prefix))
  const p = prefix ? `${prefix}.` : ''
  const duration = field(input, 'durationMs')
  const warmUp = field(input, 'warmUpMs')
  const users = field(input, 'users')
  const ramp = field(input, 'rampUp')
  const rampMs = field(ramp, 'durationMs')
  const steps = field(ramp, 'steps')
  if (isNum(duration) && isNum(warmUp) && warmUp >= duration)
    problems.push(`${p}warmUpMs (${warmUp}) must be less than durationMs (${duration}): nothing would be measured`)
  if (isNum(duration) && isNum(rampMs) && rampMs >= duration)
    problems.push(
      `${p}rampUp.durationMs (${rampMs}) must be less than durationMs (${duration}): some users would never start`,
    )
  if (isNum(steps) && isNum(users) && steps > users)
    problems.push(`${p}rampUp.steps (${steps}) must not exceed users (${users}): some steps would start nobody`)
  if (isNum(steps) && field(ramp, 'shape') !== 'stepped')
    problems.push(`${p}rampUp.steps is only used with shape 'stepped'`)
  return problems
}

/** Validates and fills defaults. @throws {ConfigError} listing every problem. */
export function resolveClosedModel(input: unknown, prefix = ''): ResolvedClosedModelConfig {
  const problems = validateClosedModel(input, prefix)
  if (problems.length > 0) throw new ConfigError('closed-model config', problems)
  const c = input as ClosedModelConfig
  const shape = c.rampUp?.shape ?? 'linear'
  return {
    model: 'closed',
    users: c.users,
    durationMs: c.durationMs,
    warmUpMs: c.warmUpMs ?? 0,
    rampUp: {
      durationMs: c.rampUp?.durationMs ?? 0,
      shape,
      steps: shape === 'stepped' ? (c.rampUp?.steps ?? Math.min(4, c.users)) : 1,
    },
    thinkTime: c.thinkTime ?? { kind: 'none' },
    lateThresholdMs: c.lateThresholdMs ?? DEFAULT_LATE_THRESHOLD_MS,
  }
}

/** The closed model's execution plan, derived from the config alone. */
export interface ClosedModelPlan {
  /** Start offset (ms from schedule time 0) of each user, by user id. Non-decreasing. */
  userStartsMs: number[]
  window: MeasurementWindow
  /** Time-averaged number of users started during the measurement window. */
  meanActiveUsers: number
  /** The window starts before the last user starts (throughput includes the ramp). */
  windowOverlapsRampUp: boolean
}

/** Start offset of every user: linear `i·D/N`, or stepped `floor(i·k/N)·D/k`. */
export function userStartOffsets(config: ResolvedClosedModelConfig): number[] {
  const { users } = config
  const { durationMs: d, shape, steps } = config.rampUp
  const out: number[] = new Array(users)
  for (let i = 0; i < users; i++) {
    out[i] = shape === 'stepped' ? (Math.floor((i * steps) / users) * d) / steps : (i * d) / users
  }
  return out
}

/** Plans a closed-model run. */
export function planClosedModel(config: ResolvedClosedModelConfig): ClosedModelPlan {
  const userStartsMs = userStartOffsets(config)
  const window = { startMs: config.warmUpMs, endMs: config.durationMs }
  const span = window.endMs - window.startMs
  let active = 0
  for (const s of userStartsMs) active += Math.max(0, window.endMs - Math.max(s, window.startMs)) / span
  const lastStart = userStartsMs.length > 0 ? userStartsMs[userStartsMs.length - 1] : 0
  return { userStartsMs, window, meanActiveUsers: active, windowOverlapsRampUp: lastStart > window.startMs }
}

/** Runs the closed model: one loop per user until `durationMs`. Resolves when all loops end. */
export async function runClosedModel(config: ResolvedClosedModelConfig, driver: LoadDriver): Promise<void> {
  const plan = planClosedModel(config)
  await Promise.all(plan.userStartsMs.map((offset, userId) => runUser(config, driver, userId, offset)))
}

async function runUser(
  config: ResolvedClosedModelConfig,
  driver: LoadDriver,
  userId: number,
  offsetMs: number,
): Promise<void> {
  const { t0, signal } = driver
  const startAt = t0 + offsetMs
  const endAt = t0 + config.durationMs
  const think = config.thinkTime
  const pacing = think.kind === 'pacing' ? think.intervalMs : 0
  const thinkRng = new Rng(deriveSeed(driver.seed, Streams.think, userId))
  await sleepUntil(startAt, signal)
  if (signal.aborted) return
  driver.userStarted(userId, now())
  try {
    let intended = startAt
    let k = 0
    while (intended < endAt && !signal.aborted) {
      if (pacing > 0) {
        await sleepUntil(intended, signal)
        const issued = now()
        if (issued - intended > config.lateThresholdMs) driver.lateStart(intended, issued)
      }
      const outcome = await driver.execute(userId, intended)
      const end = driver.endedAt ? driver.endedAt(userId) : now()
      if (pacing > 0) {
        k++
        intended = startAt + k * pacing
        if (outcome !== Outcome.ok && driver.errorBackoffMs > 0) await sleepUntil(end + driver.errorBackoffMs, signal)
        else {
          const y = yieldIfDue(end)
          if (y !== undefined) await y
        }
      } else {
        let pause = think.kind === 'none' ? 0 : sampleThinkMs(think, thinkRng)
        if (outcome !== Outcome.ok) pause = Math.max(pause, driver.errorBackoffMs)
        intended = end + pause
        // The user is ready at `end + pause`; if the timer (or the event loop) is late, that
        // lag is part of this request's response time.
        if (pause > 0) await sleepUntil(intended, signal)
        else {
          // Yield to the event loop about once a millisecond (not per request: a macrotask turn
          // per request would cost more than a no-op request itself).
          const y = yieldIfDue(end)
          if (y !== undefined) await y
        }
      }
    }
    driver.userFinished(userId, now())
  } catch (err) {
    driver.userFinished(userId, now(), err)
  }
}

/** The closed model, as registered in `load/models.ts`. */
export const closedModel: LoadModel<ResolvedClosedModelConfig, ClosedModelConfig> = {
  name: CLOSED_MODEL,
  hasUsers: true,
  validate: validateClosedModel,
  resolve: resolveClosedModel,
  window: c => planClosedModel(c).window,
  concurrency: c => c.users,
  users: c => c.users,
  planWarnings: c =>
    planClosedModel(c).windowOverlapsRampUp
      ? [
          'the measurement window starts before the last user starts: throughput includes the ramp-up ' +
            '(set warmUpMs ≥ rampUp.durationMs)',
        ]
      : [],
  run: runClosedModel,
  // N = X·(R+Z): users, throughput, time in the system, idle time.
  littlesLaw: m =>
    littlesLawClosed({
      users: m.meanActiveUsers,
      throughputPerSec: m.throughputPerSec,
      meanResponseMs: m.meanResidenceMs,
      meanThinkMs: m.meanIdleMs,
    }),
  // Users wait for each other's outcome, so no start is ever dropped; with pacing one can be late.
  startWarnings: lateStartWarnings,
  levelConfig: (level, s) => ({
    model: CLOSED_MODEL,
    users: level,
    durationMs: s.durationMs,
    warmUpMs: s.warmUpMs,
    ...(s.rampUpMs ? { rampUp: { durationMs: Math.min(s.rampUpMs, s.warmUpMs) } } : {}),
    ...(s.thinkTime ? { thinkTime: s.thinkTime } : {}),
  }),
  levelConcurrency: level => level,
  analysisConcurrency: configured => configured,
}
