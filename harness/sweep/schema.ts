/**
 * zod schema of {@link ScalabilityReport}: `report.json` is validated against it when written
 * and when read back (e.g. by `compare`). `schemaVersion` changes when the shape does.
 */
import { z } from 'zod'

import { RECOMMENDATIONS } from '../analysis/scalability.ts'
import { BottleneckSchema, ConcurrentTestResultSchema, EnvironmentInfoSchema } from '../result-schema.ts'
import { BOTTLENECK_RESOURCES } from '../analysis/bottleneck.ts'
import { REPORT_SCHEMA_VERSION } from './types.ts'
import type { ScalabilityReport } from './types.ts'

const num = z.number()
const nonneg = z.number().nonnegative()
const pair = z.tuple([num, num])

export const LevelRowSchema = z.strictObject({
  level: z.number().positive(),
  concurrency: nonneg,
  throughput: nonneg,
  p50Ms: nonneg,
  p90Ms: nonneg,
  p99Ms: nonneg,
  maxMs: nonneg,
  errorRate: z.number().min(0).max(1),
  efficiency: nonneg,
  poolWaitMeanMs: nonneg,
  poolWaitP99Ms: nonneg,
  serviceMeanMs: nonneg,
  poolPeakUsage: nonneg,
  poolAverageUsage: nonneg,
  poolSize: z.number().int().positive(),
  cpuUtilization: z.number().min(0).max(1).nullable(),
  cpuMsPerRequest: nonneg.nullable(),
  sloMet: z.boolean(),
  deadlockDetected: z.boolean(),
  littlesLawConsistent: z.boolean().nullable(),
  droppedStarts: nonneg,
  startFailureRate: z.number().min(0).max(1),
  hungCalls: nonneg,
  contention: z.number().min(0).max(100),
  bottleneck: z.enum(BOTTLENECK_RESOURCES),
  refined: z.boolean(),
  coolDownMs: nonneg,
})

const nullableNum = num.nullable()

export const UslFitSchema = z.strictObject({
  lambda: nonneg,
  sigma: nonneg,
  kappa: nonneg,
  standardErrors: z.strictObject({ lambda: nullableNum, sigma: nullableNum, kappa: nullableNum }),
  rSquared: num,
  residuals: z.array(num),
  peakConcurrency: nullableNum,
  throughputCeiling: nullableNum,
  warnings: z.array(z.string()),
})

export const ScalabilityReportSchema = z.strictObject({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  generatedAt: z.string(),
  target: z.string(),
  loadModel: z.enum(['closed', 'open']),
  seed: z.number().int().nonnegative(),
  slo: z
    .strictObject({ p99Ms: z.number().positive().optional(), errorRate: z.number().min(0).max(1).optional() })
    .nullable(),
  objective: z.strictObject({ source: z.enum(['slo', 'derived']), description: z.string() }),
  sweep: z.strictObject({
    levelsPlanned: z.array(z.number().positive()),
    levelsMeasured: z.array(z.number().positive()),
    warmUpMs: nonneg,
    durationMs: z.number().positive(),
    stoppedEarly: z.string().nullable(),
  }),
  environment: EnvironmentInfoSchema,
  levels: z.array(LevelRowSchema).min(1),
  efficiencyCurve: z.array(pair),
  fittedCurve: z.array(pair),
  linearScalingRange: pair.nullable(),
  optimalConcurrentUsers: nullableNum,
  peakConcurrency: nullableNum,
  scalabilityBreakingPoint: nullableNum,
  breakingReason: z.string().nullable(),
  resourceContentionScore: z.number().min(0).max(100).nullable(),
  coherencyCost: nullableNum,
  saturation: z
    .strictObject({
      level: z.number().positive(),
      peakThroughput: nonneg,
      latencyGrowth: nonneg,
      lastPlateauLevel: z.number().positive(),
      fell: z.strictObject({ level: z.number().positive(), throughput: nonneg }).nullable().default(null),
    })
    .nullable(),
  bottleneck: BottleneckSchema,
  usl: UslFitSchema.nullable(),
  uslError: z.string().nullable(),
  recommendation: z.strictObject({
    kind: z.enum(RECOMMENDATIONS),
    reasons: z.array(z.string()),
    advice: z.array(z.string()),
  }),
  warnings: z.array(z.string()),
  testResults: z.array(ConcurrentTestResultSchema),
})

type _SchemaMatches =
  Omit<z.output<typeof ScalabilityReportSchema>, 'testResults'> extends Omit<ScalabilityReport, 'testResults'>
    ? true
    : never
const _schemaMatches: _SchemaMatches = true
void _schemaMatches

/** Parses a report (e.g. read back from report.json). @throws {z.ZodError} */
export function parseScalabilityReport(value: unknown): ScalabilityReport {
  return ScalabilityReportSchema.parse(value) as ScalabilityReport
}

/** The report's JSON Schema (draft 2020-12), generated from the zod schema. */
export function scalabilityReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScalabilityReportSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >
}
