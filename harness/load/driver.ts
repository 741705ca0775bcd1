/**
 * The interface a load model's `run` drives. Load models only decide *when* each request is
 * intended to start; the driver (`RunState` in `run/run-state.ts`) picks the query,
 * acquires the pool lease, calls the target with a timeout and records the measurements.
 * Kept here, with its consumers (k6's `lib/executors.go` layout).
 */

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

/**
 * What a load model provides (one file per model, each exporting one of these; the registry is
 * `load/models.ts`). Everything but `run` is pure and derived from the config alone.
 */
export interface LoadModel<R extends { model: string }> {
  readonly name: R['model']
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
}
