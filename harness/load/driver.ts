/**
 * The interface a load model's `run` drives. Load models only decide *when* each request is
 * intended to start; the driver (`RunState` in `run/run-state.ts`) picks the query,
 * acquires the pool lease, calls the target with a timeout and records the measurements.
 * Kept here, with its consumers (k6's `lib/executors.go` layout), as is {@link LoadModel}: what
 * every model provides, including how it summarises a run and sets up a sweep level, so the
 * run (`run/`) and the sweep (`sweep/`) never branch on a model's name.
 */
import type { LittlesLawCheck } from '../metrics/stats.ts'
import type { ThinkTime } from './think-time.ts'

/** What a user saw for one request. */
export const Outcome = { ok: 0, failed: 1, timedOut: 2 } as const
export type Outcome = (typeof Outcome)[keyof typeof Outcome]

export interface LoadDriver {
  /** `performance.now()` at schedule time 0: plan offsets are relative to it. */
  readonly t0: number
  /** Run seed (for think times and arrival schedules). */
  readonly seed: number
  /** Aborts when the run is cancelled: stop issuing new requests. */
  readonly signal: AbortSignal
  /** Pause after a failed or timed-out request so a failing system is never hammered in a spin loop. */
  readonly errorBackoffMs: number
  /**
   * Runs one request for `userId` whose intended start is `intendedAt` (performance.now() ms).
   * Resolves when the user has an outcome (success, failure, or timeout); never rejects.
   */
  execute(userId: number, intendedAt: number): Promise<Outcome>
  /**
   * When `userId`'s last request got its outcome (`performance.now()` ms), read after
   * `execute` resolves: the closed model's user is ready from then on, so any delay before its
   * next request (including the harness's own) counts in that request's response time. Saves a
   * clock read per request; without it the model reads the clock.
   */
  endedAt?(userId: number): number
  /** A user (closed model) began its loop at `at`. */
  userStarted(userId: number, at: number): void
  /** A user's loop ended at `at` (normally, or with `error` if it crashed). */
  userFinished(userId: number, at: number, error?: unknown): void
  /** A start was issued at `issuedAt`, later than its intended time by more than the threshold. */
  lateStart(intendedAt: number, issuedAt: number): void
  /** An open-model arrival could not be issued: the in-flight bound was reached. */
  droppedStart(intendedAt: number): void
}

/** The measurement window: offsets in ms from schedule time 0, `[startMs, endMs)`. */
export interface MeasurementWindow {
  startMs: number
  endMs: number
}

/**
 * Default lateness threshold (ms). Node timers have 1 ms granularity and fire up to about
 * 1 ms after their due time on an idle event loop; a start more than 2 ms behind schedule
 * means the loop was busy (or the in-flight bound held it back) and is counted as late.
 * Late starts are still measured from their intended time, so their delay is in the
 * response time; the count says how often the schedule slipped.
 */
export const DEFAULT_LATE_THRESHOLD_MS = 2

/** What a run measured over its window: what a model needs to summarise the run. */
export interface WindowMeasures {
  /** Requests whose intended start fell in the window. */
  requests: number
  /** `requests` per second of window. */
  throughputPerSec: number
  /** Mean time a request spent in the system (from its begin to its outcome), ms. */
  meanResidenceMs: number
  /** Mean idle time between a user's requests (think time and the harness's own delays), ms. */
  meanIdleMs: number
  /** Time-averaged number of users active. */
  meanActiveUsers: number
  /** Time-averaged number of requests in the system. */
  meanInSystem: number
  /** Scheduled starts dropped (the in-flight bound was reached). */
  droppedStarts: number
  /** Starts issued more than the lateness threshold after their schedule. */
  lateStarts: number
  /** Largest lag between a scheduled start and its issue, ms. */
  maxStartLagMs: number
}

/**
 * Share of starts that may be late before the run is flagged: a few late starts are the timer's
 * 1 ms granularity; more mean the generator fell behind.
 */
export const LATE_STARTS_WARNING_SHARE = 0.01

/** The late-start warning for a schedule that slipped on more than {@link LATE_STARTS_WARNING_SHARE} of its starts. */
export function lateStartWarnings(m: WindowMeasures): string[] {
  const starts = m.requests + m.droppedStarts
  return m.lateStarts > 0 && m.lateStarts > LATE_STARTS_WARNING_SHARE * starts
    ? [
        `${m.lateStarts} start(s) were issued late (max lag ${m.maxStartLagMs.toFixed(1)} ms): the load generator could not keep the schedule`,
      ]
    : []
}

/** The per-level knobs of a scalability sweep, from which a model builds a level's config. */
export interface LevelSettings {
  /** Run length, warm-up included, ms. */
  durationMs: number
  warmUpMs: number
  /** Users start spread over this long (models with users). */
  rampUpMs?: number
  /** Pause between a user's requests (models with users). */
  thinkTime?: ThinkTime
  /** Arrival process (rate-driven models). */
  arrivals: 'constant' | 'poisson'
  /** Bound on requests in flight (rate-driven models). */
  maxInFlight: number
}

/**
 * What a load model provides (one file per model, each exporting one of these; the registry is
 * `load/models.ts`). Everything but `run` is pure and derived from the config alone. `R` is the
 * resolved config, `C` the config as given.
 */
export interface LoadModel<R extends { model: string }, C extends { model: string } = { model: R['model'] }> {
  readonly name: R['model']
  /**
   * The model runs a fixed population of users: a sweep's levels are user counts (whole
   * numbers), and per-user statistics, fairness and scalability efficiency apply. Otherwise
   * the load is an arrival rate and none of these exist.
   */
  readonly hasUsers: boolean
  /** Every problem with a config, in plain words (empty when valid). */
  validate(input: unknown, prefix?: string): string[]
  /** Validates and fills defaults; throws a `ConfigError` listing every problem. */
  resolve(input: unknown, prefix?: string): R
  /** The measurement window. */
  window(config: R): MeasurementWindow
  /** The concurrency the model runs at (users, or the in-flight bound). */
  concurrency(config: R): number
  /** How many driver user ids `run` uses (0..users-1). */
  users(config: R): number
  /** Caveats of the plan itself (e.g. a window overlapping the ramp-up). */
  planWarnings(config: R): string[]
  /** Executes the plan through the driver. */
  run(config: R, driver: LoadDriver): Promise<void>
  /** The model's form of Little's law over the window (`requests` > 0). */
  littlesLaw(measured: WindowMeasures): LittlesLawCheck
  /** Warnings about starts the model dropped or issued late. */
  startWarnings(measured: WindowMeasures): string[]
  /** The config of one sweep level (`level`: users, or arrivals per second). */
  levelConfig(level: number, settings: LevelSettings): C
  /** The concurrency a sweep level runs at (users, or the in-flight bound). */
  levelConcurrency(level: number, settings: LevelSettings): number
  /**
   * The concurrency the scalability analysis uses for a measured level: the configured users,
   * or, where the rate is set rather than the concurrency, the measured mean number in the
   * system (Little's L, `littlesLaw.observed`; the configured bound without a check).
   */
  analysisConcurrency(configured: number, littlesLaw: LittlesLawCheck | null): number
}
