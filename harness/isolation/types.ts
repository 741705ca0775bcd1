/** Options and result of the performance-isolation scenario (harness/isolation/scenario.ts). */
import type { ResourceFactory } from '../pool.ts'
import type { SearchTarget } from '../types.ts'

/** One class of users: its target (its own k, ef, mode ... over the shared system), queries and users. */
export interface IsolationClass<Q = unknown> {
  target: SearchTarget<Q, unknown>
  queries: readonly Q[]
  users: number
}

export interface IsolationOptions<Q = unknown> {
  /** Many users with cheap searches. */
  light: IsolationClass<Q>
  /** A few users with expensive searches (large k, wide beam, many hybrid candidates). */
  heavy: IsolationClass<Q>
  /** Leases the two classes share (connections, sessions): the system's admitted concurrency. */
  poolSize: number
  /**
   * With reservation, the heavy class may hold at most this many leases and the light class
   * keeps the rest (`poolSize − heavyLimit`) for itself. @default 1
   */
  heavyLimit?: number
  /** What the pool holds (e.g. search sessions); default numbered tokens. */
  poolFactory?: ResourceFactory<unknown>
  /** Measured window of each phase, ms. */
  durationMs: number
  /** @default 500 */
  warmUpMs?: number
  seed?: number
  /** @default 10000 */
  requestTimeoutMs?: number
  signal?: AbortSignal
  /** Called as each phase starts. */
  onPhase?: (phase: IsolationPhaseName) => void
}

export const ISOLATION_PHASES = ['light-alone', 'heavy-alone', 'shared', 'reserved'] as const
export type IsolationPhaseName = (typeof ISOLATION_PHASES)[number]

/** What one class got in one phase. */
export interface ClassOutcome {
  users: number
  requests: number
  /** Successful requests per second. */
  throughput: number
  /** Response time of successful requests (ms). */
  meanMs: number
  p50Ms: number
  p99Ms: number
  /** Mean wait for a pool lease (ms). */
  poolWaitMeanMs: number
  errors: number
}

/** Latency with the other class present over latency alone (1 = no interference). */
export interface InterferenceRatio {
  mean: number
  p50: number
  p99: number
}

export interface IsolationReport {
  poolSize: number
  heavyLimit: number
  durationMs: number
  warmUpMs: number
  seed: number
  targets: { light: string; heavy: string }
  /** Each class alone, with the whole pool. */
  alone: { light: ClassOutcome; heavy: ClassOutcome }
  /** Both classes on one pool, first come first served. */
  shared: { light: ClassOutcome; heavy: ClassOutcome }
  /** Both classes, the heavy one limited to `heavyLimit` leases, the rest reserved for the light one. */
  reserved: { light: ClassOutcome; heavy: ClassOutcome }
  /** Per class: shared / alone and reserved / alone. */
  interference: {
    shared: { light: InterferenceRatio; heavy: InterferenceRatio }
    reserved: { light: InterferenceRatio; heavy: InterferenceRatio }
  }
  /** What the reservation did for the light class, in words. */
  summary: string
  /** Every phase's measurement warnings, prefixed with the phase. */
  warnings: string[]
}
