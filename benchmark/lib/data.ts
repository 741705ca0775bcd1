/**
 * Seeded synthetic data: the same (n, d, clusters, seed) always gives the same bytes, on every
 * machine (integer PRNG, no Math.random), so all libraries index identical vectors.
 */

/** mulberry32: tiny 32-bit PRNG with good enough statistics for synthetic benchmark data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal samples (Box–Muller, both outputs used). */
export function gaussian(rand: () => number): () => number {
  let spare: number | null = null
  return () => {
    if (spare !== null) {
      const s = spare
      spare = null
      return s
    }
    let u = 0
    while (u === 0) u = rand()
    const v = rand()
    const r = Math.sqrt(-2 * Math.log(u))
    spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }
}

export interface ClusteredSpec {
  /** vectors to index */
  n: number
  /** queries (drawn from the same mixture, not in the index) */
  queries: number
  dims: number
  clusters: number
  /** spread of the cluster centres (per component) */
  centerScale: number
  /** latent dimensions of each cluster (its intrinsic dimensionality) */
  latentDims: number
  /** spread of the points around their centre, per ambient component, from the latent part */
  pointScale: number
  /** isotropic noise added on top (per component) */
  noiseScale: number
  seed: number
}

export const DEFAULT_SPEC: ClusteredSpec = {
  n: 100_000,
  queries: 1_000,
  dims: 128,
  clusters: 100,
  centerScale: 1.0,
  latentDims: 48,
  pointScale: 0.35,
  noiseScale: 0.1,
  seed: 42,
}

/**
 * A gaussian mixture of `clusters` components. Centres ~ N(0, centerScale²·I). Each component
 * is a `latentDims`-dimensional gaussian embedded in the ambient space by its own random
 * `dims × latentDims` matrix (scaled so each ambient component has standard deviation
 * `pointScale`), plus isotropic noise N(0, noiseScale²·I): real embeddings have an intrinsic
 * dimensionality far below their ambient one, and isotropic 128-d blobs would be an unusually
 * hard (and unrealistic) case for graph indexes. Points pick their cluster uniformly.
 * Returns row-major Float32Arrays (base and queries; queries are fresh draws, not in the base).
 */
export function clusteredData(spec: ClusteredSpec): { base: Float32Array; queries: Float32Array } {
  const rand = mulberry32(spec.seed)
  const normal = gaussian(rand)
  const { dims, clusters, latentDims: r } = spec
  const centres = new Float64Array(clusters * dims)
  for (let i = 0; i < centres.length; i++) centres[i] = normal() * spec.centerScale
  // Per cluster a dims × r mixing matrix with entries N(0, pointScale² / r).
  const mixScale = spec.pointScale / Math.sqrt(r)
  const mixing = new Float64Array(clusters * dims * r)
  for (let i = 0; i < mixing.length; i++) mixing[i] = normal() * mixScale
  const z = new Float64Array(r)
  const draw = (count: number): Float32Array => {
    const out = new Float32Array(count * dims)
    for (let i = 0; i < count; i++) {
      const c = Math.floor(rand() * clusters)
      for (let t = 0; t < r; t++) z[t] = normal()
      const row = i * dims
      const centre = c * dims
      const mix = c * dims * r
      for (let j = 0; j < dims; j++) {
        let v = centres[centre + j] + normal() * spec.noiseScale
        const m = mix + j * r
        for (let t = 0; t < r; t++) v += mixing[m + t] * z[t]
        out[row + j] = v
      }
    }
    return out
  }
  const base = draw(spec.n)
  const queries = draw(spec.queries)
  return { base, queries }
}

/** `count` random vectors with components uniform in [-1, 1). */
export function uniformVectors(count: number, dims: number, seed: number): Float32Array {
  const rand = mulberry32(seed)
  const out = new Float32Array(count * dims)
  for (let i = 0; i < out.length; i++) out[i] = rand() * 2 - 1
  return out
}

/** The rows of a row-major matrix with `dims` columns, as copies. */
export function rowsOf(matrix: Float32Array, dims: number): Float32Array[] {
  return Array.from({ length: matrix.length / dims }, (_, i) => matrix.slice(i * dims, (i + 1) * dims))
}

/** FNV-1a over the bytes of a typed array: a cheap fingerprint to check that runs used the same data. */
export function fingerprint(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}
