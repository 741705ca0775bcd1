/**
 * The addon's free functions with their arguments checked: napi would reject a wrong type with
 * its own uncoded error (`NumberExpected`, `InvalidArg`); these raise ERR_INVALID_ARGUMENT.
 * The checks are a few comparisons: `noopAsync` stays the floor of an async call.
 */
import { ErrorCodes, codedError, withSignal } from '../errors.ts'
import * as native from './native.ts'
import { MetricSchema } from './options.ts'
import type { Metric } from './options.ts'
import { checkAttached, describeValue } from './validate.ts'

export { kernelIsa, nativeThreadStats, searchThreads } from './native.ts'

function checkVectorArg(value: unknown, what: string): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what} must be a Float32Array, got ${describeValue(value)}`)
  }
  checkAttached(value, what)
  return value
}

/**
 * The distance between two vectors under `metric`, with the indexes' definitions (`'l2'`:
 * squared Euclidean, `'cosine'`: 1 − cos, `'dot'`: 1 − a·b), on the calling thread. Vectors of
 * different lengths are ERR_DIMENSION_MISMATCH. Components are not checked: NaN in, NaN out.
 */
export function distance(metric: Metric | (string & {}), a: Float32Array, b: Float32Array): number {
  if (!MetricSchema.safeParse(metric).success) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `metric must be 'cosine', 'l2' or 'dot', got ${describeValue(metric)}`,
    )
  }
  return native.distance(metric, checkVectorArg(a, 'a'), checkVectorArg(b, 'b'))
}

/** An async call that does nothing on the thread pool: the floor of any async engine call. */
export function noopAsync(signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return native.noopAsync()
  if (!(signal instanceof AbortSignal)) {
    return Promise.reject(
      codedError(ErrorCodes.INVALID_ARGUMENT, `signal must be an AbortSignal, got ${describeValue(signal)}`),
    )
  }
  return withSignal(signal, s => native.noopAsync(s))
}
