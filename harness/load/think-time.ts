/**
 * Think time: what a closed-model user does between requests.
 *
 * - `none`: next request as soon as the previous one finished.
 * - `constant`: wait `ms`.
 * - `uniform`: wait a uniform random time in [minMs, maxMs].
 * - `exponential`: wait an exponential random time with mean `meanMs` (memoryless users).
 * - `pacing`: start requests on a fixed schedule, every `intervalMs` from the user's start
 *   (wrk2 / k6 `constant-arrival-rate` per user). Late requests are measured from their
 *   scheduled start, so queueing stalls show up in the response time.
 */
import { z } from 'zod'
import type { Rng } from './rng.ts'

export type ThinkTime =
  | { kind: 'none' }
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'exponential'; meanMs: number }
  | { kind: 'pacing'; intervalMs: number }

const ms = () => z.number().nonnegative().max(86_400_000)

export const ThinkTimeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('constant'), ms: ms() }),
  z.strictObject({ kind: z.literal('uniform'), minMs: ms(), maxMs: ms() }).refine(t => t.maxMs >= t.minMs, {
    message: 'maxMs must be at least minMs',
    path: ['maxMs'],
  }),
  z.strictObject({ kind: z.literal('exponential'), meanMs: ms() }),
  z.strictObject({ kind: z.literal('pacing'), intervalMs: z.number().positive().max(86_400_000) }),
])

/** A think time drawn from `rng` (0 for `none` and `pacing`, which schedule by interval). */
export function sampleThinkMs(think: ThinkTime, rng: Rng): number {
  switch (think.kind) {
    case 'none':
    case 'pacing':
      return 0
    case 'constant':
      return think.ms
    case 'uniform':
      return think.minMs + rng.next() * (think.maxMs - think.minMs)
    case 'exponential':
      return rng.nextExponential(think.meanMs)
  }
}

/** Expected think time in ms (`pacing` has none: its idle time depends on the response time). */
export function meanThinkMs(think: ThinkTime): number {
  switch (think.kind) {
    case 'none':
    case 'pacing':
      return 0
    case 'constant':
      return think.ms
    case 'uniform':
      return (think.minMs + think.maxMs) / 2
    case 'exponential':
      return think.meanMs
  }
}
