/**
 * Messages between `scale --workers N` (the parent, ./pool.ts) and its generator processes
 * (./worker.ts), over the fork IPC channel (structured clone: results are plain JSON).
 */
import type { LoadModelConfig } from '../../harness/load/models.ts'
import type { ConcurrentTestResult } from '../../harness/types.ts'
import type { HttpTargetSpec, HttpWorkloadOptions } from '../http-workload.ts'

/** The parts of a level's test options that cross the process boundary (no functions). */
export interface LevelShare {
  load: LoadModelConfig
  seed: number
  requestTimeoutMs?: number
  poolSize: number
}

export type ToWorker =
  | { type: 'init'; index: number; spec: HttpTargetSpec; workload: HttpWorkloadOptions; needsVector: boolean }
  | { type: 'run'; id: number; share: LevelShare }
  | { type: 'drain'; id: number; timeoutMs: number }
  | { type: 'close' }

export type FromWorker =
  | { type: 'ready'; index: number; queries: number }
  | { type: 'result'; id: number; result: ConcurrentTestResult }
  | { type: 'drained'; id: number; remaining: number }
  | { type: 'error'; id: number | null; code: string | null; message: string }
