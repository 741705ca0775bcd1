/**
 * Per-call timing of native work, on `performance.now()`'s clock.
 *
 * The binding stamps a call when it is handed to the thread pool, when a worker starts and
 * finishes it, and the worker thread's CPU time, in nanoseconds on its own monotonic clock
 * (`nativeClockNs()`: Rust's `Instant`, the OS's monotonic clock like libuv's `uv_hrtime`). One
 * calibration maps that clock onto `performance.now()`: the offset measured over the fastest of
 * a few back-to-back reads, so the mapping errs by at most half that round trip (≈ 0.1 µs).
 */
import { performance } from 'node:perf_hooks'
import { z } from 'zod'

import { ErrorCodes, codedError } from '../errors.ts'
import { nativeClockNs } from './native.ts'
import { describeValue } from './validate.ts'

/** What one native call reports about itself (ms on `performance.now()`'s clock). */
export interface CallTiming {
  /** The call was handed to the thread pool. */
  queuedAt: number
  /** A worker thread started it. */
  startedAt: number
  /** The worker finished it. */
  finishedAt: number
  /** The awaiting JS code resumed. */
  resumedAt: number
  /** CPU time the worker thread spent on it, ms. */
  cpuMs: number
}

/** Receives a call's timing once it has resumed. */
export type CallTimingListener = (timing: CallTiming) => void

/** The object the binding fills on the main thread as the call completes (ns, native clock). */
export interface NativeStamps {
  queuedNs?: number
  startedNs?: number
  finishedNs?: number
  cpuNs?: number
}

const CALIBRATION_READS = 25

/** performance.now() − nativeClock (ms), from the back-to-back read pair with the shortest gap. */
function calibrate(): number {
  let best = Number.POSITIVE_INFINITY
  let offset = 0
  for (let i = 0; i < CALIBRATION_READS; i++) {
    const before = performance.now()
    const native = nativeClockNs() / 1e6
    const after = performance.now()
    if (after - before < best) {
      best = after - before
      offset = (before + after) / 2 - native
    }
  }
  return offset
}

let offsetMs: number | null = null

/** Maps a native clock reading (ns) to `performance.now()` (ms). */
export function nativeToPerformanceMs(ns: number): number {
  if (typeof ns !== 'number' || !Number.isFinite(ns)) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `ns must be a finite number, got ${describeValue(ns)}`)
  }
  offsetMs ??= calibrate()
  return ns / 1e6 + offsetMs
}

/** Converts what the binding stamped into a {@link CallTiming}; null if it stamped nothing (cancelled). */
export function callTiming(stamps: NativeStamps, resumedAt: number): CallTiming | null {
  if (stamps.queuedNs === undefined || stamps.startedNs === undefined || stamps.finishedNs === undefined) return null
  return {
    queuedAt: nativeToPerformanceMs(stamps.queuedNs),
    startedAt: nativeToPerformanceMs(stamps.startedNs),
    finishedAt: nativeToPerformanceMs(stamps.finishedNs),
    resumedAt,
    cpuMs: (stamps.cpuNs ?? 0) / 1e6,
  }
}

/**
 * Runs a native call that fills `stamps`, and reports its timing to `listener` as soon as the
 * awaiting code resumes. Without a listener it is the bare call: no stamps object, no extra
 * promise, nothing on the hot path.
 */
export function timed<T>(
  listener: CallTimingListener | undefined,
  call: (stamps: NativeStamps | undefined) => Promise<T>,
): Promise<T> {
  if (listener === undefined) return call(undefined)
  const stamps: NativeStamps = {}
  return call(stamps).then(out => {
    const timing = callTiming(stamps, performance.now())
    if (timing) listener(timing)
    return out
  })
}

/** The zod schema of a timing listener option. */
export const CallTimingListenerSchema = z.custom<CallTimingListener>(v => typeof v === 'function', {
  message: 'must be a function',
})
