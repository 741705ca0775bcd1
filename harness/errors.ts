/**
 * Coded errors raised by the harness.
 *
 * Every error the harness creates carries a stable `code` (Node's convention), so callers and
 * the result's `errorsByCode` can tell them apart without parsing messages.
 */

/** Error codes the harness itself produces. */
export const ErrorCodes = {
  /** A pool lease was not granted within `timeoutMs`. */
  POOL_TIMEOUT: 'ERR_POOL_TIMEOUT',
  /** The pool was closed while waiting, or `acquire` was called after `close`. */
  POOL_CLOSED: 'ERR_POOL_CLOSED',
  /** The caller's `AbortSignal` fired before the operation finished. */
  ABORTED: 'ERR_ABORTED',
  /** The target did not settle within the per-request timeout. */
  REQUEST_TIMEOUT: 'ERR_REQUEST_TIMEOUT',
  /** A harness lock was not acquired within its `timeoutMs`. */
  LOCK_TIMEOUT: 'ERR_LOCK_TIMEOUT',
  /** Options or a load-model configuration failed validation. */
  INVALID_CONFIG: 'ERR_INVALID_CONFIG',
} as const

/** One of the codes in {@link ErrorCodes}. */
export type HarnessErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/** An `Error` with a stable `code`. */
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
