/** zod schema of {@link EnhancedPerformanceMetrics} (per level), typed against the interface. */
import { z } from 'zod'

import { METRIC_FINDING_KINDS } from './enhanced.ts'
import type { EnhancedPerformanceMetrics } from './enhanced.ts'

const count = z.number().int().nonnegative()
const nonneg = z.number().nonnegative()
const unit = z.number().min(0).max(1)
const percent = z.number().min(0).max(100)

const RecallDistributionSchema = z.strictObject({ samples: count, mean: unit, worst1Percent: unit, min: unit })

export const RecallStatsSchema = z.strictObject({
  k: z.number().int().positive(),
  sampled: count,
  recall: RecallDistributionSchema.nullable(),
  vectorLeg: RecallDistributionSchema.nullable(),
  fusedOverlap: RecallDistributionSchema.nullable(),
  idle: z
    .strictObject({ recall: RecallDistributionSchema.nullable(), fusedOverlap: RecallDistributionSchema.nullable() })
    .nullable(),
  drop: z.number().min(-1).max(1).nullable(),
  evaluationMs: nonneg,
})

export const ResourceStatsSchema = z.strictObject({
  memory: z.strictObject({
    rssStartMb: nonneg,
    rssEndMb: nonneg,
    rssPeakMb: nonneg,
    rssSlopeMbPerSec: z.number(),
    rssFitR2: unit,
    heapUsedMb: nonneg,
    heapUsedPeakMb: nonneg,
    heapTotalMb: nonneg,
    externalMb: nonneg,
    arrayBuffersMb: nonneg,
    samples: count,
    retainedMb: z.number().nullable(),
  }),
  gc: z.strictObject({
    count,
    pauseMs: nonneg,
    shareOfWall: nonneg,
    maxPauseMs: nonneg,
    byKind: z.record(z.string(), z.strictObject({ count, pauseMs: nonneg })),
  }),
  eventLoop: z.strictObject({ utilization: unit, delayMeanMs: nonneg, delayP99Ms: nonneg, delayMaxMs: nonneg }),
  openFileHandles: count.nullable(),
  fileHandlesSource: z.enum(['procfs', 'unavailable']),
  engine: z
    .strictObject({
      vectors: count.nullable(),
      indexBytes: count.nullable(),
      graphBytes: count.nullable(),
      segments: count.nullable(),
      segmentBytes: count.nullable(),
      source: z.string(),
    })
    .nullable(),
})

export const EnhancedPerformanceMetricsSchema = z.strictObject({
  throughput: nonneg,
  latencyMs: z.strictObject({ mean: nonneg, p50: nonneg, p95: nonneg, p99: nonneg, max: nonneg }),
  errorRate: unit,
  cpu: z.strictObject({
    machineBusy: percent,
    mainThread: percent.nullable(),
    engineThreads: percent,
    otherProcesses: percent,
  }),
  resourceContention: percent,
  recall: RecallStatsSchema.nullable(),
  resources: ResourceStatsSchema.nullable(),
  findings: z.array(
    z.strictObject({
      kind: z.enum(METRIC_FINDING_KINDS),
      value: z.number(),
      threshold: z.number(),
      message: z.string(),
    }),
  ),
}) satisfies z.ZodType<EnhancedPerformanceMetrics>
