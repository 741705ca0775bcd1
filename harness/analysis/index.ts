/** Scalability analysis: pure functions from per-level measurements to a verdict. */
export { linearScalingRange, scalingEfficiency } from './efficiency.ts'
export { RECOMMENDATIONS, analyzeScalability, findBreakingPoint, meetsSlo } from './scalability.ts'
export { fitUsl, uslPeakConcurrency, uslThroughput } from './usl.ts'
export type { ThroughputPoint } from './efficiency.ts'
export type {
  AnalysisContext,
  LevelMeasurement,
  ScalabilityAnalysis,
  ScalabilityRecommendation,
  ScalabilityRecommendationKind,
  Slo,
} from './scalability.ts'
export type { UslFit, UslParams, UslPoint } from './usl.ts'
