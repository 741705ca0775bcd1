/**
 * Timing helpers for the run loops. All times are `performance.now()` milliseconds.
 */
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises'

/**
 * Monotonic time in ms (`performance.now()`). Bound once: on Node 20 looking `performance` up
 * on the global object costs about as much as the clock read itself (~60 vs ~35 ns a call),
 * and the harness reads the clock a few times per request.
 */
export const now: () => number = performance.now.bind(performance)

/**
 * Resolves at (or just after) time `at`, never before it. Node timers have 1 ms granularity,
 * are computed from the event loop's cached clock (so they can fire up to ~1 ms *early*), and
 * fire late when the loop is busy; the last sub-millisecond is waited out with `setImmediate`
 * turns. Callers measure from the intended time, never from the wake-up.
 * Resolves early (without throwing) when `signal` aborts.
 */
export async function sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
  for (let ms = at - performance.now(); ms > 0; ms = at - performance.now()) {
    if (signal?.aborted) return
    try {
      if (ms > 1) await sleep(ms, undefined, signal ? { signal } : undefined)
      else await yieldToLoop()
    } catch {
      return // aborted
    }
  }
  lastYield = performance.now()
}

let lastYield = performance.now()

/**
 * Yields to the event loop (a macrotask turn) if it has not been yielded to for more than
 * 1 ms. Loops whose awaits may all resolve as microtasks (a target that answers at once)
 * call this so timers, I/O and the detector's heartbeat keep running.
 */
export async function yieldIfNeeded(): Promise<void> {
  const y = yieldIfDue(now())
  if (y !== undefined) await y
}

/**
 * {@link yieldIfNeeded} for hot loops: given the time `t` the caller has just read, returns a
 * promise to await if a yield is due, else `undefined`, so the common case costs neither a
 * promise nor a microtask turn.
 */
export function yieldIfDue(t: number): Promise<void> | undefined {
  if (t - lastYield <= 1) return undefined
  return yieldToLoop().then(markYield)
}

/** Records that the event loop turned (called from timer callbacks). */
export function markYield(): void {
  lastYield = performance.now()
}
