/**
 * The options of one concurrent test: their schema, every problem with them in plain words,
 * and their resolution (the load model's config and every default filled in) before a run.
 */
import { z } from 'zod'
import { DeadlockDetector } from '../detector/detector.ts'
import type { DeadlockDetectorOptions } from '../detector/detector.ts'
import { ConfigError } from '../../errors.ts'
import type { MeasurementWindow } from '../load/driver.ts'
import { getLoadModel, loadModelNames } from '../load/models.ts'
import type { AnyLoadModel, ResolvedLoadModelConfig } from '../load/models.ts'
import { QuerySelectionSchema } from '../load/selection.ts'
import type { QuerySelection } from '../load/selection.ts'
import { describeIssues, field, isNum } from '../load/validation.ts'
import { ConnectionPool } from '../pool.ts'
import type { ResourceFactory } from '../pool.ts'
import type { ConcurrentTestOptions, LiveProgress, SearchTarget, WriteMix } from '../types.ts'

const isFn = (v: unknown): boolean => typeof v === 'function'
const fnSchema = z.custom<(...args: never[]) => unknown>(isFn, { message: 'must be a function' })

/** Structural schema of {@link ConcurrentTestOptions} (the load model is checked by its own validator). */
export const ConcurrentTestOptionsSchema = z.strictObject({
  load: z.looseObject({ model: z.enum(loadModelNames) }),
  queries: z.array(z.unknown()).min(1),
  classify: fnSchema.optional(),
  selection: QuerySelectionSchema.optional(),
  writes: z
    .strictObject({
      fraction: z.number().min(0).max(1),
      makeInsert: fnSchema,
      className: z.string().min(1).optional(),
    })
    .optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  requestTimeoutMs: z.number().positive().max(86_400_000).optional(),
  pool: z
    .union([
      z.custom<ConnectionPool<unknown>>(v => v instanceof ConnectionPool, { message: 'must be a ConnectionPool' }),
      z.strictObject({
        size: z.number().int().min(1).optional(),
        acquireTimeoutMs: z.number().nonnegative().optional(),
        factory: z
          .custom<object>(
            v => v !== null && typeof v === 'object' && isFn(field(v, 'create')) && isFn(field(v, 'destroy')),
            {
              message: 'must have create() and destroy()',
            },
          )
          .optional(),
        name: z.string().min(1).optional(),
      }),
    ])
    .optional(),
  errorBackoffMs: z.number().nonnegative().max(60_000).optional(),
  detector: z
    .union([
      z.literal(false),
      z.custom<DeadlockDetector>(v => v instanceof DeadlockDetector, { message: 'must be a DeadlockDetector' }),
      z.strictObject({
        heartbeatIntervalMs: z.number().positive().optional(),
        blockedAfterMs: z.number().positive().optional(),
        stallAfterMs: z.number().positive().optional(),
        poolExhaustionAfterMs: z.number().positive().optional(),
        checkIntervalMs: z.number().positive().optional(),
        tickMs: z.number().positive().optional(),
        maxFindingsPerKind: z.number().int().positive().optional(),
      }),
    ])
    .optional(),
  baselineThroughput: z.number().positive().optional(),
  baselineTargetMs: z.number().nonnegative().optional(),
  packageVersion: z.string().optional(),
  signal: z.custom<AbortSignal>(v => v instanceof AbortSignal, { message: 'must be an AbortSignal' }).optional(),
  onProgress: fnSchema.optional(),
  progressIntervalMs: z.number().int().min(10).max(60_000).optional(),
  recall: z
    .union([
      z.literal(false),
      z.strictObject({
        sampleRate: z.number().min(0).max(1).optional(),
        maxSamples: z.number().int().min(0).max(100_000).optional(),
        idleQueries: z.number().int().min(0).max(100_000).optional(),
        idle: z.custom<unknown>(v => v === null || (typeof v === 'object' && v !== null)).optional(),
      }),
    ])
    .optional(),
  resources: z
    .union([z.literal(false), z.strictObject({ intervalMs: z.number().int().min(10).max(60_000).optional() })])
    .optional(),
})

/**
 * Every problem with the options (and with the target, for writes), in plain words; empty when
 * valid.
 */
export function validateConcurrentTestOptions(input: unknown, target?: SearchTarget<unknown, unknown>): string[] {
  const problems: string[] = []
  if (input === null || typeof input !== 'object') return ['options must be an object']
  const parsed = ConcurrentTestOptionsSchema.safeParse(input)
  if (!parsed.success) {
    // The load model's own validator reports its problems in more detail.
    const known = getLoadModel(field(field(input, 'load'), 'model')) !== undefined
    const issues = parsed.error.issues.filter(i => !(known && i.path[0] === 'load' && i.path.length > 1))
    problems.push(...describeIssues(new z.ZodError(issues), input))
  }
  const load = field(input, 'load')
  const model = getLoadModel(field(load, 'model'))
  if (model) problems.push(...model.validate(load, 'load'))
  const writes = field(input, 'writes')
  const fraction = field(writes, 'fraction')
  if (isNum(fraction) && fraction > 0 && target && typeof target.insert !== 'function')
    problems.push(`writes.fraction is ${fraction} but target "${target.name}" has no insert()`)
  if (target) {
    if (typeof target.search !== 'function') problems.push('the target must have a search() method')
    if (typeof target.name !== 'string') problems.push('the target must have a name')
  }
  const pool = field(input, 'pool')
  const acquireTimeout = field(pool, 'acquireTimeoutMs')
  if (isNum(acquireTimeout) && acquireTimeout === 0)
    problems.push('pool.acquireTimeoutMs of 0 would time out every request that has to wait; use a positive value')
  return [...new Set(problems)]
}

/** Default per-request timeout, ms. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** Default pause after a failed or timed-out request, ms. */
const DEFAULT_ERROR_BACKOFF_MS = 10
/** Default interval of progress reports, ms. */
const DEFAULT_PROGRESS_INTERVAL_MS = 250

/** Settings of the pool the run makes (when the caller did not give one). */
export interface OwnPoolSettings {
  size: number
  factory: ResourceFactory<unknown> | undefined
  name: string
}

/** A test's options with the load model resolved and every default filled in. */
export interface ResolvedTestOptions {
  model: AnyLoadModel
  load: ResolvedLoadModelConfig
  window: MeasurementWindow
  /** Users, or the in-flight bound. */
  concurrency: number
  seed: number
  requestTimeoutMs: number
  errorBackoffMs: number
  queries: readonly unknown[]
  classify: (q: unknown, i: number) => string
  selection: QuerySelection
  writes: WriteMix<unknown> | undefined
  /** The caller's pool (used, never closed), or the settings of one the run makes and closes. */
  pool: ConnectionPool<unknown> | OwnPoolSettings
  acquireTimeoutMs: number
  /** The caller's detector, the options of one the run makes, or null for none. */
  detector: DeadlockDetector | DeadlockDetectorOptions | null
  baselineThroughput: number | undefined
  baselineTargetMs: number | undefined
  packageVersion: string | undefined
  signal: AbortSignal | undefined
  onProgress: ((progress: LiveProgress) => void) | undefined
  progressIntervalMs: number
}

/**
 * Validates the options against `target` and fills every default.
 * @throws {ConfigError} listing every problem.
 */
export function resolveTestOptions<Q, D>(
  options: ConcurrentTestOptions<Q, D>,
  target: SearchTarget<unknown, unknown>,
): ResolvedTestOptions {
  const problems = validateConcurrentTestOptions(options, target)
  if (problems.length > 0) throw new ConfigError('concurrent test options', problems)
  const model = getLoadModel(options.load.model) as AnyLoadModel
  const load = model.resolve(options.load, 'load')
  const concurrency = model.concurrency(load)
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS

  const poolOpt = options.pool
  const pool: ConnectionPool<unknown> | OwnPoolSettings =
    poolOpt instanceof ConnectionPool
      ? poolOpt
      : { size: poolOpt?.size ?? concurrency, factory: poolOpt?.factory, name: poolOpt?.name ?? 'connections' }
  const acquireTimeoutMs =
    (poolOpt instanceof ConnectionPool ? undefined : poolOpt?.acquireTimeoutMs) ?? requestTimeoutMs

  let detector: DeadlockDetector | DeadlockDetectorOptions | null = null
  if (options.detector instanceof DeadlockDetector) detector = options.detector
  else if (options.detector !== false) {
    const d: DeadlockDetectorOptions = { ...(options.detector ?? {}) }
    d.stallAfterMs ??= Math.max(2000, 2 * (requestTimeoutMs + acquireTimeoutMs))
    detector = d
  }

  return {
    model,
    load,
    window: model.window(load),
    concurrency,
    seed: options.seed ?? (Math.random() * 0x100000000) >>> 0,
    requestTimeoutMs,
    errorBackoffMs: options.errorBackoffMs ?? DEFAULT_ERROR_BACKOFF_MS,
    queries: options.queries,
    classify: (options.classify as ((q: unknown, i: number) => string) | undefined) ?? (() => 'read'),
    selection: options.selection ?? { kind: 'uniform' },
    writes: options.writes as WriteMix<unknown> | undefined,
    pool,
    acquireTimeoutMs,
    detector,
    baselineThroughput: options.baselineThroughput,
    baselineTargetMs: options.baselineTargetMs,
    packageVersion: options.packageVersion,
    signal: options.signal,
    onProgress: options.onProgress,
    progressIntervalMs: options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
  }
}
