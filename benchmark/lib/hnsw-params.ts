/** Parameters of the HNSW comparison, shared by hnsw.bench.ts and hnsw-worker.ts. */
export const M = 16
export const EF_CONSTRUCTION = 200
export const EF_SWEEP = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
export const TARGET_RECALL = 0.95
