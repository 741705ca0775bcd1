/** The performance-isolation scenario: heavy and light users sharing one system, with and without a reservation. */
export { runIsolationScenario, interference } from './scenario.ts'
export { IsolationReportSchema } from './schema.ts'
export { ISOLATION_PHASES } from './types.ts'
export type {
  ClassOutcome,
  InterferenceRatio,
  IsolationClass,
  IsolationOptions,
  IsolationPhaseName,
  IsolationReport,
} from './types.ts'
