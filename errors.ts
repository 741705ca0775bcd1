/**
 * Every coded error of this package's TypeScript side: the codes (defined once, here), the
 * error classes, and the helpers that turn failures into coded errors.
 *
 * Why at the package root rather than in `engine/` or `harness/`: both raise coded errors, and
 * neither may import the other for it. The harness is engine-independent (it load-tests any
 * target and must load without the native addon), and the engine wrapper sits below the
 * harness (a layer never imports one above it). This module imports nothing of either, so both
 * can take their codes from it. The Rust side (`src/`, `crates/`) defines the engine's codes
 * for itself; `__test__/errors.spec.ts` checks that every code it raises is listed here.
 */
import type { ZodError, z } from 'zod'

/** Every error code the package uses, by name. The strings are stable: callers match on them. */
export const ErrorCodes = {
  // The engine (the native binding raises these too).
  /** A bad option or argument: k out of range, NaN in a vector, ids not integers … */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** A vector or query of the wrong length. */
  DIMENSION_MISMATCH: 'ERR_DIMENSION_MISMATCH',
  /** Adding an id that is already there. */
  DUPLICATE_ID: 'ERR_DUPLICATE_ID',
  /** Removing an id that is not there. */
  UNKNOWN_ID: 'ERR_UNKNOWN_ID',
  /** A damaged, truncated or foreign file. */
  CORRUPT_INDEX: 'ERR_CORRUPT_INDEX',
  /** A file written by a newer format version. */
  UNSUPPORTED_VERSION: 'ERR_UNSUPPORTED_VERSION',
  /** The file system said no. */
  IO: 'ERR_IO',
  /** Another open store (in this process or another) holds the store's lock. */
  LOCKED: 'ERR_LOCKED',
  /** The caller's `AbortSignal` fired before the operation finished (engine and harness). */
  ABORTED: 'ERR_ABORTED',
  /** A closed `UnifiedSearchSystem` or session. */
  CLOSED: 'ERR_CLOSED',
  /** A bug in the engine (reported, never a crashed process). */
  INTERNAL: 'ERR_INTERNAL',

  // The harness.
  /** A pool lease was not granted within `timeoutMs`. */
  POOL_TIMEOUT: 'ERR_POOL_TIMEOUT',
  /** The pool was closed while waiting, or `acquire` was called after `close`. */
  POOL_CLOSED: 'ERR_POOL_CLOSED',
  /** The pool's factory failed to create a resource (with a non-Error value). */
  POOL_CREATE: 'ERR_POOL_CREATE',
  /** The target did not settle within the per-request timeout. */
  REQUEST_TIMEOUT: 'ERR_REQUEST_TIMEOUT',
  /** A harness lock was not acquired within its `timeoutMs`. */
  LOCK_TIMEOUT: 'ERR_LOCK_TIMEOUT',
  /** Options or a load-model configuration failed validation. */
  INVALID_CONFIG: 'ERR_INVALID_CONFIG',

  // Reports.
  /** Not valid JSON, not a report, the wrong schema version, or a report that fails its schema. */
  INVALID_REPORT: 'ERR_INVALID_REPORT',
  /** A threshold expression that cannot be parsed. */
  INVALID_THRESHOLD: 'ERR_INVALID_THRESHOLD',
  /** `scale merge`: result files of different plans (target, model, levels, window, seed ...). */
  PLAN_MISMATCH: 'ERR_PLAN_MISMATCH',

  // HTTP: the server (`vector-native serve`) and the HTTP target.
  /** No such route or method (HTTP 404). */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** A request body over the server's limit (HTTP 413). */
  PAYLOAD_TOO_LARGE: 'ERR_PAYLOAD_TOO_LARGE',
  /** The service answered with a status outside 2xx. */
  HTTP_STATUS: 'ERR_HTTP_STATUS',
  /** The service's answer is not JSON, or holds no hits where the target looks for them. */
  HTTP_RESPONSE: 'ERR_HTTP_RESPONSE',
} as const

/** Every code an engine call can fail with. */
export const ERROR_CODES = [
  ErrorCodes.INVALID_ARGUMENT,
  ErrorCodes.DIMENSION_MISMATCH,
  ErrorCodes.DUPLICATE_ID,
  ErrorCodes.UNKNOWN_ID,
  ErrorCodes.CORRUPT_INDEX,
  ErrorCodes.UNSUPPORTED_VERSION,
  ErrorCodes.IO,
  ErrorCodes.LOCKED,
  ErrorCodes.ABORTED,
  ErrorCodes.CLOSED,
  ErrorCodes.INTERNAL,
] as const

/** A code an engine call can fail with. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** A code the harness (load tests, reports) raises. */
export type HarnessErrorCode = (typeof ErrorCodes)[
  | 'POOL_TIMEOUT'
  | 'POOL_CLOSED'
  | 'POOL_CREATE'
  | 'ABORTED'
  | 'REQUEST_TIMEOUT'
  | 'LOCK_TIMEOUT'
  | 'INVALID_CONFIG'
  | 'INVALID_REPORT'
  | 'INVALID_THRESHOLD'
  | 'PLAN_MISMATCH'
  | 'HTTP_STATUS'
  | 'HTTP_RESPONSE']

/** Codes of the errors `harness/report/files.ts` raises (`ErrorCodes.INVALID_REPORT`). */
export const ReportErrorCodes = { INVALID_REPORT: ErrorCodes.INVALID_REPORT } as const

/** Code of a malformed threshold expression (`ErrorCodes.INVALID_THRESHOLD`). */
export const THRESHOLD_ERROR_CODE = ErrorCodes.INVALID_THRESHOLD

// ---- the engine's errors: plain `Error`s with a code, as the native binding throws them ----

/** An `Error` with a stable engine `code`. */
export interface CodedError extends Error {
  code: ErrorCode
}

/** Builds a coded error (the same shape the native binding throws). */
export function codedError(code: ErrorCode, message: string, cause?: unknown): CodedError {
  const error = new Error(message, cause === undefined ? undefined : { cause }) as CodedError
  error.code = code
  return error
}

/** True for errors the engine throws (native or TypeScript side): an `Error` with an engine code. */
export function isCodedError(value: unknown): value is CodedError {
  const code = value instanceof Error ? (value as { code?: unknown }).code : undefined
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)
}

/** Turns a zod failure into one ERR_INVALID_ARGUMENT naming every problem. */
export function fromZodError(what: string, error: ZodError): CodedError {
  const problems = error.issues.map(issue => {
    const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
    return `${path}${issue.message}`
  })
  return codedError(ErrorCodes.INVALID_ARGUMENT, `invalid ${what}: ${problems.join('; ')}`, error)
}

/**
 * The error for an aborted call. napi rejects a cancelled task with an `AbortError` whose code
 * is napi's status name; callers see one shape instead: `name: 'AbortError'`, `code: 'ERR_ABORTED'`.
 */
export function abortError(signal?: AbortSignal): CodedError {
  const error = codedError(ErrorCodes.ABORTED, 'the operation was aborted', signal?.reason)
  error.name = 'AbortError'
  return error
}

/** Maps napi's cancellation error to `abortError`; passes every other error through. */
export function normalizeAbort(error: unknown, signal?: AbortSignal): never {
  if (
    error instanceof Error &&
    error.name === 'AbortError' &&
    (error as { code?: unknown }).code !== ErrorCodes.ABORTED
  ) {
    throw abortError(signal)
  }
  throw error
}

/**
 * Parses options with a zod schema; a failure is one ERR_INVALID_ARGUMENT naming every problem.
 * An object that is not a plain one (a `Date`, a `Map`, a class instance, a typed array) is
 * refused too: zod would read it as an empty bag of options and the caller's mistake would pass.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      const kind = Object.prototype.toString.call(value).slice(8, -1)
      throw codedError(ErrorCodes.INVALID_ARGUMENT, `invalid ${what}: expected a plain object, got a ${kind}`)
    }
  }
  const result = schema.safeParse(value)
  if (!result.success) throw fromZodError(what, result.error)
  return result.data
}

/**
 * Calls a native async method with an optional signal: rejects at once if it has already fired,
 * and maps napi's cancellation into `ERR_ABORTED`.
 */
export function withSignal<T>(
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (signal === undefined) return run(undefined)
  if (signal.aborted) return Promise.reject(abortError(signal))
  return run(signal).catch((error: unknown) => normalizeAbort(error, signal))
}

// ---- the harness's errors: classes, so callers can `instanceof` them ----

/** An `Error` with a stable `code`, raised by the harness. */
export class HarnessError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HarnessError'
    this.code = code
  }
}

/** Thrown when options or a load-model configuration are invalid; lists every problem found. */
export class ConfigError extends HarnessError {
  readonly problems: readonly string[]

  constructor(what: string, problems: readonly string[]) {
    super(ErrorCodes.INVALID_CONFIG, `invalid ${what}:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/** A report that cannot be written or read: says where, why, and lists the schema issues. */
export class ReportError extends HarnessError {
  /** The file concerned, or null for a report in memory. */
  readonly path: string | null
  readonly reason: 'json' | 'version' | 'schema'
  /** One line per problem: `where: what`. */
  readonly issues: readonly string[]

  constructor(
    reason: 'json' | 'version' | 'schema',
    message: string,
    options: { path?: string | null; issues?: readonly string[]; cause?: unknown } = {},
  ) {
    const issues = options.issues ?? []
    const shown = issues.slice(0, 25)
    const more = issues.length > shown.length ? `\n  … and ${issues.length - shown.length} more` : ''
    super(ErrorCodes.INVALID_REPORT, shown.length > 0 ? `${message}:\n  - ${shown.join('\n  - ')}${more}` : message, {
      cause: options.cause,
    })
    this.name = 'ReportError'
    this.path = options.path ?? null
    this.reason = reason
    this.issues = issues
  }
}

/** A threshold expression that cannot be parsed; the message says what is wrong and what works. */
export class ThresholdError extends HarnessError {
  readonly expression: string

  constructor(expression: string, problem: string) {
    super(ErrorCodes.INVALID_THRESHOLD, `invalid threshold ${JSON.stringify(expression)}: ${problem}`)
    this.name = 'ThresholdError'
    this.expression = expression
  }
}

/**
 * The code used to count an error in `errorsByCode`: `err.code`, else `err.name`, else the
 * value's type (targets may reject with anything).
 */
export function errorCodeOf(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown }
    if (typeof e.code === 'string' && e.code !== '') return e.code
    if (typeof e.code === 'number') return String(e.code)
    if (typeof e.name === 'string' && e.name !== '') return e.name
    return 'Object'
  }
  if (typeof err === 'string') return 'string'
  return typeof err
}
