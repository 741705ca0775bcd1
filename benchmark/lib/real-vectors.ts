/**
 * Real-vector data sets for the HNSW comparison (hnsw-real.bench.ts): fastText vectors trained on
 * the SpamAssassin corpus by data/word-vectors.ts, cached with a manifest (provenance, counts,
 * sha256 of every file) in benchmark/.cache/real/<name>/. This module only reads and checks them.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { CACHE_DIR } from './common.ts'
import { fingerprint } from './data.ts'
import { K, readF32, readU32 } from './dataset.ts'

export const REAL_DIR = join(CACHE_DIR, 'real')

/** The real sets data/word-vectors.ts builds: fastText word vectors, and sentence vectors of the same model. */
export const REAL_SETS = ['spam-words', 'spam-sentences'] as const
export type RealSetName = (typeof REAL_SETS)[number]

export interface ManifestFile {
  file: string
  bytes: number
  sha256: string
}

export interface RealManifest {
  name: RealSetName
  description: string
  metric: 'cosine'
  dims: number
  /** indexed vectors (rows of base.f32) */
  n: number
  /** held-out query vectors (rows of queries.f32), not in the index */
  queries: number
  k: number
  source: Record<string, unknown>
  fasttext: { version: string; command: string[]; seconds: number }
  split: string
  files: { base: ManifestFile; queries: ManifestFile; truth: ManifestFile; labels: ManifestFile }
  /** FNV-1a of base.f32, the fingerprint the synthetic set uses too */
  fingerprint: string
  groundTruth: string
  createdAt: string
}

export interface RealDataset {
  manifest: RealManifest
  base: Float32Array
  queries: Float32Array
  truth: Uint32Array
  fingerprint: string
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function manifestPath(name: RealSetName): string {
  return join(REAL_DIR, name, 'manifest.json')
}

/** Reads a built set and checks every file against the manifest's sha256. */
export function loadRealSet(name: RealSetName): RealDataset {
  const path = manifestPath(name)
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build the data first with \`npm --prefix benchmark run data:word-vectors\``)
  }
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as RealManifest
  const dir = join(REAL_DIR, name)
  for (const f of Object.values(manifest.files)) {
    const got = sha256(readFileSync(join(dir, f.file)))
    if (got !== f.sha256) throw new Error(`${name}/${f.file}: sha256 ${got} ≠ manifest ${f.sha256}`)
  }
  const base = readF32(join(dir, manifest.files.base.file))
  const queries = readF32(join(dir, manifest.files.queries.file))
  const truth = readU32(join(dir, manifest.files.truth.file))
  if (base.length !== manifest.n * manifest.dims || queries.length !== manifest.queries * manifest.dims)
    throw new Error(`${name}: file sizes do not match the manifest's counts`)
  if (truth.length !== manifest.queries * K) throw new Error(`${name}: ground truth is not top-${K}`)
  return { manifest, base, queries, truth, fingerprint: fingerprint(base) }
}
