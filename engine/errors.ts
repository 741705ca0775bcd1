/**
 * Errors of the engine and of this package's TypeScript layer: plain `Error`s with a stable
 * `code`, the same codes the native binding uses.
 */
import type { ZodError, z } from 'zod'

/** Every code an engine call can fail with. */
export const ERROR_CODES = [
  'ERR_INVALID_ARGUMENT',
  'ERR_DIMENSION_MISMATCH',
  'ERR_DUPLICATE_ID',
  'ERR_UNKNOWN_ID',
  'ERR_CORRUPT_INDEX',
  'ERR_UNSUPPORTED_VERSION',
  'ERR_IO',
  'ERR_LOCKED',
  'ERR_ABORTED',
  'ERR_CLOSED',
  'ERR_INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** An `Error` with a stable `code`. */
export interface CodedError extends Error {
  code: ErrorCode
}

/** Builds a coded error (the same shape the native binding throws). */
export function codedError(code: ErrorCode, message: string, cause?: unknown): CodedError {
  const error = new Error(message, cause === undefined ? undefined : { cause }) as CodedError
  error.code = code
  return error
}

/** True for errors thrown by this package (native or TypeScript side). */
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
  return codedError('ERR_INVALID_ARGUMENT', `invalid ${what}: ${problems.join('; ')}`, error)
}

/**
 * The error for an aborted call. napi rejects a cancelled task with an `AbortError` whose code
 * is napi's status name; callers see one shape instead: `name: 'AbortError'`, `code: 'ERR_ABORTED'`.
 */
export function abortError(signal?: AbortSignal): CodedError {
  const error = codedError('ERR_ABORTED', 'the operation was aborted', signal?.reason)
  error.name = 'AbortError'
  return error
}

/** Maps napi's cancellation error to `abortError`; passes every other error through. */
export function normalizeAbort(error: unknown, signal?: AbortSignal): never {
  if (error instanceof Error && error.name === 'AbortError' && (error as { code?: unknown }).code !== 'ERR_ABORTED') {
    throw abortError(signal)
  }
  throw error
}

/** Parses options with a zod schema; a failure is one ERR_INVALID_ARGUMENT naming every problem. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
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
