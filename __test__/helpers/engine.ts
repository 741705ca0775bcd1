/** Seeded data for the engine tests: the same seed always gives the same vectors. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { ExecutionContext } from 'ava'

import { UnifiedSearchSystem } from '../../main.ts'

/** mulberry32: tiny, fast, seeded PRNG with uniform floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal via Box-Muller. */
export function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
}

/** n uniform random vectors in [-1, 1)^d, row-major. */
export function randomVectors(n: number, d: number, seed: number): Float32Array {
  const next = rng(seed)
  const out = new Float32Array(n * d)
  for (let i = 0; i < out.length; i++) out[i] = next() * 2 - 1
  return out
}

/** n vectors around `clusters` random centres (spread 0.3), row-major. */
export function clusteredVectors(n: number, d: number, clusters: number, seed: number): Float32Array {
  const next = rng(seed)
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, () => gaussian(next)))
  const out = new Float32Array(n * d)
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(next() * clusters)]
    for (let j = 0; j < d; j++) out[i * d + j] = c[j] + 0.3 * gaussian(next)
  }
  return out
}

export function row(data: Float32Array, i: number, d: number): Float32Array {
  return data.subarray(i * d, (i + 1) * d)
}

/** Brute-force distance with the engine's definitions (smaller is closer). */
export function distance(metric: 'cosine' | 'l2' | 'dot', a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let aa = 0
  let bb = 0
  let l2 = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    aa += a[i] * a[i]
    bb += b[i] * b[i]
    l2 += (a[i] - b[i]) ** 2
  }
  if (metric === 'l2') return l2
  if (metric === 'dot') return 1 - dot
  return 1 - dot / Math.sqrt(aa * bb)
}

/** Exact k nearest neighbours of `query` among the rows of `data` whose id is live. */
export function bruteForce(
  metric: 'cosine' | 'l2' | 'dot',
  data: Float32Array,
  ids: readonly number[],
  d: number,
  query: ArrayLike<number>,
  k: number,
  live: (id: number) => boolean = () => true,
): { id: number; distance: number }[] {
  const all: { id: number; distance: number }[] = []
  for (let i = 0; i < ids.length; i++) {
    if (live(ids[i])) all.push({ id: ids[i], distance: distance(metric, row(data, i, d), query) })
  }
  all.sort((x, y) => x.distance - y.distance || x.id - y.id)
  return all.slice(0, k)
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'vn-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A new store in a temporary directory, closed and removed when the test ends. */
export async function openTempSystem(
  t: ExecutionContext,
  dimensions: number,
): Promise<{ system: UnifiedSearchSystem; textIndexPath: string; vectorDbPath: string }> {
  const { dir, cleanup } = tempDir('vn-system-')
  t.teardown(cleanup)
  const paths = { textIndexPath: join(dir, 'text'), vectorDbPath: join(dir, 'vectors') }
  const system = await UnifiedSearchSystem.open({ ...paths, dimensions })
  t.teardown(() => system.close())
  return { system, ...paths }
}
