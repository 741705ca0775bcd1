/** zod schema of the isolation report (`isolation.json`), typed against the interface. */
import { z } from 'zod'

import type { IsolationReport } from './types.ts'

const nonneg = z.number().nonnegative()
const count = z.number().int().nonnegative()
const outcome = z.strictObject({
  users: z.number().int().positive(),
  requests: count,
  throughput: nonneg,
  meanMs: nonneg,
  p50Ms: nonneg,
  p99Ms: nonneg,
  poolWaitMeanMs: nonneg,
  errors: count,
})
const pair = z.strictObject({ light: outcome, heavy: outcome })
const ratio = z.strictObject({ mean: nonneg, p50: nonneg, p99: nonneg })
const ratios = z.strictObject({ light: ratio, heavy: ratio })

export const IsolationReportSchema = z.strictObject({
  poolSize: z.number().int().positive(),
  heavyLimit: z.number().int().positive(),
  durationMs: nonneg,
  warmUpMs: nonneg,
  seed: count,
  targets: z.strictObject({ light: z.string(), heavy: z.string() }),
  alone: pair,
  shared: pair,
  reserved: pair,
  interference: z.strictObject({ shared: ratios, reserved: ratios }),
  summary: z.string(),
  warnings: z.array(z.string()),
}) satisfies z.ZodType<IsolationReport>
