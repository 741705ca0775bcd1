/** Parameters of the HNSW comparisons, shared by hnsw.bench.ts, hnsw-real.bench.ts and hnsw-worker.ts. */
export const M = 16
export const EF_CONSTRUCTION = 200
export const EF_SWEEP = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
export const TARGET_RECALL = 0.95

/** The HNSW libraries compared. */
export type Lib = 'ours' | 'hnswlib' | 'usearch'

/** One index build measured in a child process: a library on a number of threads. */
export interface BuildRun {
  label: string
  lib: Lib
  threads: number
  env?: Record<string, string>
}

/** The builds both HNSW benchmarks measure (ours on one thread through rayon's variable). */
export const BUILD_RUNS: readonly BuildRun[] = [
  { label: 'ours (2 threads)', lib: 'ours', threads: 2 },
  { label: 'ours (1 thread)', lib: 'ours', threads: 1, env: { RAYON_NUM_THREADS: '1' } },
  { label: 'hnswlib-node (1 thread)', lib: 'hnswlib', threads: 1 },
  { label: 'usearch (2 threads)', lib: 'usearch', threads: 2 },
  { label: 'usearch (1 thread)', lib: 'usearch', threads: 1 },
]
