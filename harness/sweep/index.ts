/** Scalability sweeps: levels, the runner, the report's types and schema. */
export { LevelsSchema, expandLevels, refineBetween } from './levels.ts'
export { levelMeasurement } from './measure.ts'
export {
  LevelRowSchema,
  ScalabilityReportSchema,
  parseScalabilityReport,
  scalabilityReportJsonSchema,
} from './schema.ts'
export { runScalabilityTest } from './sweep.ts'
export { REPORT_SCHEMA_VERSION } from './types.ts'
export type { LevelsSpec } from './levels.ts'
export type { LevelRow, LevelRunner, ScalabilityReport, ScalabilityTestOptions } from './types.ts'
