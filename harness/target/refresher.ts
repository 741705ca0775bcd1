/**
 * Write visibility for targets whose writes become searchable on a commit (a refresh), the way
 * search engines do it: acknowledged writes are committed together every `intervalMs`, or once
 * `everyWrites` of them wait, instead of one commit per write. The lag from a write's
 * acknowledgement to the end of the commit that made it visible is recorded.
 */
import { performance } from 'node:perf_hooks'

import { LatencyHistogram } from '../metrics/histogram.ts'
import type { WriteVisibility } from '../types.ts'

/** When acknowledged writes become visible to searches. */
export type RefreshPolicy =
  /** Commit every `intervalMs` while writes wait (search engines' refresh interval). */
  | { intervalMs: number }
  /** Commit once `everyWrites` acknowledged writes wait. */
  | { everyWrites: number }
  /** Commit inside each write before acknowledging it (visible at once, slow). */
  | 'every-write'
  /** Never commit: the caller does. */
  | 'manual'

/** Search engines' default refresh interval. */
export const DEFAULT_REFRESH: RefreshPolicy = { intervalMs: 1000 }

export class Refresher {
  readonly #commit: () => Promise<unknown>
  readonly #policy: RefreshPolicy
  readonly #lag = LatencyHistogram.create()
  #waiting: number[] = []
  #commits = 0
  #failedCommits = 0
  #chain: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | null = null

  constructor(commit: () => Promise<unknown>, policy: RefreshPolicy) {
    this.#commit = commit
    this.#policy = policy
    if (typeof policy === 'object' && 'intervalMs' in policy) {
      this.#timer = setInterval(() => {
        if (this.#waiting.length > 0) void this.refresh()
      }, policy.intervalMs)
      this.#timer.unref()
    }
  }

  /** Whether a write must commit before it is acknowledged. */
  get commitsEachWrite(): boolean {
    return this.#policy === 'every-write'
  }

  /** A write was acknowledged at `at` (`performance.now()`); it waits for the next refresh. */
  acknowledged(at: number): void {
    if (this.#policy === 'manual' || this.#policy === 'every-write') return
    this.#waiting.push(at)
    if (typeof this.#policy === 'object' && 'everyWrites' in this.#policy) {
      if (this.#waiting.length >= this.#policy.everyWrites) void this.refresh()
    }
  }

  /** A write that committed itself (`every-write`): visible `lagMs` after its add returned. */
  committedInline(lagMs: number): void {
    this.#commits++
    this.#lag.recordMs(lagMs)
  }

  /** Commits what waits now (chained after any commit in progress). Never rejects. */
  refresh(): Promise<void> {
    const batch = this.#waiting
    this.#waiting = []
    this.#chain = this.#chain.then(async () => {
      if (batch.length === 0) return
      try {
        await this.#commit()
        const at = performance.now()
        this.#commits++
        for (const ack of batch) this.#lag.recordMs(at - ack)
      } catch {
        // The writes stay acknowledged but invisible until a later commit picks them up.
        this.#failedCommits++
        this.#waiting.unshift(...batch)
      }
    })
    return this.#chain
  }

  /** Visibility since the last drain (and resets it). */
  drain(): WriteVisibility {
    const out: WriteVisibility = {
      policy: describeRefresh(this.#policy),
      commits: this.#commits,
      failedCommits: this.#failedCommits,
      waiting: this.#waiting.length,
      lag: this.#lag.summary(),
    }
    this.#commits = 0
    this.#failedCommits = 0
    this.#lag.reset()
    return out
  }

  /**
   * Stops the timer and commits what waits. `drain()` still reads the last figures afterwards
   * (the lag histogram's memory goes with the refresher, through the histogram's finalizer).
   */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.refresh()
  }
}

export function describeRefresh(policy: RefreshPolicy): string {
  if (policy === 'every-write') return 'a commit per write'
  if (policy === 'manual') return 'no commits (manual)'
  if ('intervalMs' in policy) return `a commit every ${policy.intervalMs} ms`
  return `a commit every ${policy.everyWrites} writes`
}
