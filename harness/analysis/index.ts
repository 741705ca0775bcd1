/** Scalability analysis: pure functions from per-level measurements to a verdict. */
export { linearScalingRange, scalingEfficiency } from './efficiency.ts'
export {
  RECOMMENDATIONS,
  analyzeScalability,
  describeSaturation,
  findBreakingPoint,
  findSaturation,
  meetsSlo,
} from './scalability.ts'
export { BOTTLENECK_RESOURCES, classifyBottleneck, jsThreadBusy, leverFor, targetTimeMs } from './bottleneck.ts'
export type { Bottleneck, BottleneckEvidence, BottleneckResource } from './bottleneck.ts'
export { fitUsl, uslPeakConcurrency, uslThroughput } from './usl.ts'
export type { ThroughputPoint } from './efficiency.ts'
export type {
  AnalysisContext,
  LevelMeasurement,
  Saturation,
  ScalabilityAnalysis,
  ScalabilityRecommendation,
  ScalabilityRecommendationKind,
  Slo,
} from './scalability.ts'
export type { UslFit, UslParams, UslPoint } from './usl.ts'
