/**
 * `ConcurrentBenchmark`: the front door of the harness for one target. It runs one test
 * (`run-test.ts`), a sweep of them (`sweep/`), and keeps track of the target calls that timed
 * out and still run, so a sweep can wait for them between levels.
 */
import { setTimeout as sleep } from 'node:timers/promises'

import { ConfigError } from '../../errors.ts'
import { now } from '../load/time.ts'
import { runScalabilityTest } from '../sweep/sweep.ts'
import type { ScalabilityReport, ScalabilityTestOptions } from '../sweep/types.ts'
import type { ConcurrentTestOptions, ConcurrentTestResult, SearchTarget } from '../types.ts'
import type { RunState } from './run-state.ts'
import { runTest } from './run-test.ts'

/** Runs concurrent load tests against one target. */
export class ConcurrentBenchmark<Q = unknown, D = unknown> {
  readonly target: SearchTarget<Q, D>
  /** Runs that ended with timed-out target calls still running. */
  #lingering: RunState[] = []

  constructor(target: SearchTarget<Q, D>) {
    if (target === null || typeof target !== 'object' || typeof target.search !== 'function')
      throw new ConfigError('target', ['the target must be an object with a search() method'])
    this.target = target
  }

  /**
   * Measures the target at increasing load (users or arrival rates), fits the Universal
   * Scalability Law, and says how many users it serves, where it breaks, why, and what to do.
   * @throws {ConfigError} listing every problem with the options.
   */
  runScalabilityTest(options: ScalabilityTestOptions<Q, D>): Promise<ScalabilityReport> {
    return runScalabilityTest(this, options)
  }

  /**
   * Target calls that timed out and have not settled yet: they still hold their pool lease and,
   * for a native target, a thread-pool thread.
   */
  get unsettledCalls(): number {
    this.#lingering = this.#lingering.filter(r => r.inFlightAfterTimeout > 0)
    return this.#lingering.reduce((sum, r) => sum + r.inFlightAfterTimeout, 0)
  }

  /**
   * Waits until every timed-out call has settled (the cool-down between sweep levels), polling
   * every `pollMs`, for at most `timeoutMs`. Resolves to the number still running (0 = drained).
   */
  async drain(options: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<number> {
    const deadline = now() + (options.timeoutMs ?? 30_000)
    const pollMs = options.pollMs ?? 10
    while (this.unsettledCalls > 0 && now() < deadline && !options.signal?.aborted) {
      await sleep(pollMs)
    }
    return this.unsettledCalls
  }

  /**
   * Runs one test and returns its result.
   * @throws {ConfigError} listing every problem with the options.
   */
  runConcurrentTest(options: ConcurrentTestOptions<Q, D>): Promise<ConcurrentTestResult> {
    return runTest(this.target as SearchTarget<unknown, unknown>, options, run => this.#lingering.push(run))
  }
}
