/**
 * Soak: mixed search / add / remove / commit load on the real engine for a number of minutes,
 * sampling the process's memory (RSS, V8 heap, external, array buffers) every few seconds,
 * then reporting the RSS drift after a warm-up: the slope of a least-squares line through the
 * samples (MB/min) and the difference between the first and the last samples. Fails (exit 1)
 * when the slope exceeds the threshold.
 *
 * The load keeps the data's size steady (every add is matched by a removal of an old entry), so
 * memory that keeps growing is a leak, not data:
 *   - a `UnifiedSearchSystem` (HNSW, built-in embedder): concurrent searches (text, vector and
 *     hybrid, through sessions), adds of new documents, deletes of the oldest, a commit every
 *     `--commit-ms`;
 *   - a `HnswIndex` and a `FlatIndex`: searches, `searchBatch`, adds and removals.
 *
 * Run from the repository root (the machine is shared: run it niced and note the load):
 *   nice -n 10 npm --prefix benchmark run bench:soak                       # 2 minutes
 *   nice -n 10 npm --prefix benchmark run bench:soak -- --minutes=10       # the documented run
 * Flags: --minutes=N (2), --sample-s=S (5), --warmup-min=W (min(1, minutes/5)),
 * --max-slope=MB/min (4), --concurrency=C (8), --commit-ms=MS (250), --out=name (soak),
 * --vector-index=hnsw|flat (hnsw): `flat` runs the store with an exact vector index and the
 * index load on the `FlatIndex` only. HNSW deletes leave tombstones, which a compaction
 * reclaims once they reach the live count (at least 1,024; `crates/index/src/hnsw/mod.rs`), so
 * under add/remove churn HNSW memory saw-tooths within a bound instead of growing; the flat run
 * shows the drift without tombstones at all.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { generateCorpus } from '../corpus/index.ts'
import { FlatIndex, HnswIndex, UnifiedSearchSystem } from '../main.ts'
import { gc, loadAverage, markdownTable, parseFlags, startWindow, writeResult } from './lib/common.ts'

const flags = parseFlags()
const number = (name: string, fallback: number): number => {
  const raw = flags.values.get(name)
  const value = raw === undefined ? fallback : Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`)
  return value
}

/** The pass/fail bound on the RSS slope after warm-up, MB per minute. */
const DEFAULT_MAX_SLOPE_MB_PER_MIN = 4

const MINUTES = number('minutes', 2)
const SAMPLE_S = number('sample-s', 5)
const WARMUP_MIN = number('warmup-min', Math.min(1, MINUTES / 5))
const MAX_SLOPE = number('max-slope', DEFAULT_MAX_SLOPE_MB_PER_MIN)
const CONCURRENCY = number('concurrency', 8)
const COMMIT_MS = number('commit-ms', 250)
const OUT = flags.values.get('out') ?? 'soak'
const VECTOR_INDEX = flags.values.get('vector-index') ?? 'hnsw'
if (VECTOR_INDEX !== 'hnsw' && VECTOR_INDEX !== 'flat') throw new Error('--vector-index must be hnsw or flat')

const DIMS = 64
const STORE_DOCS = 5000
const INDEX_VECTORS = 20_000
const MB = 1024 * 1024

interface Sample {
  /** Minutes since the start. */
  t: number
  rssMb: number
  heapUsedMb: number
  externalMb: number
  arrayBuffersMb: number
  ops: number
  loadAverage: string
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

function vector(seed: number): Float32Array {
  let a = seed >>> 0
  return Float32Array.from({ length: DIMS }, () => {
    a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return a / 2 ** 32 - 0.5
  })
}

const dir = mkdtempSync(join(tmpdir(), 'vn-soak-'))
let failed = false
try {
  console.log(
    `soak (${VECTOR_INDEX}): ${MINUTES} min, sample every ${SAMPLE_S} s, warm-up ${WARMUP_MIN} min, ${CONCURRENCY} callers per store, ` +
      `commit every ${COMMIT_MS} ms; load average at start ${loadAverage()}`,
  )
  const corpus = generateCorpus({ documents: STORE_DOCS * 4, queries: 500, seed: 7 })
  const system = await UnifiedSearchSystem.open({
    textIndexPath: join(dir, 'text'),
    vectorDbPath: join(dir, 'vectors'),
    dimensions: DIMS,
    vectorIndex: VECTOR_INDEX,
  })
  const live: string[] = []
  let nextDoc = 0
  const docAt = (i: number) => {
    const d = corpus.documents[i % corpus.documents.length]
    return { id: `d${i}`, text: d.text, metadata: { topic: d.topic } }
  }
  for (let i = 0; i < STORE_DOCS; i += 500) {
    const batch = Array.from({ length: 500 }, () => docAt(nextDoc++))
    await system.add(batch)
    live.push(...batch.map(d => d.id))
  }
  await system.commit()

  const hnsw = new HnswIndex({ dimensions: DIMS, metric: 'cosine', m: 16, efConstruction: 100 })
  const flat = new FlatIndex({ dimensions: DIMS, metric: 'l2' })
  const liveIds: number[] = []
  let nextId = 0
  for (let i = 0; i < INDEX_VECTORS; i += 1000) {
    const ids = Array.from({ length: 1000 }, () => nextId++)
    const rows = new Float32Array(ids.length * DIMS)
    for (const [j, id] of ids.entries()) rows.set(vector(id), j * DIMS)
    if (VECTOR_INDEX === 'hnsw') await hnsw.add(ids, rows)
    await flat.add(ids, rows)
    liveIds.push(...ids)
  }

  const started = performance.now()
  const endAt = started + MINUTES * 60_000
  let ops = 0
  const counts = { search: 0, add: 0, remove: 0, commit: 0, indexSearch: 0, indexAdd: 0, indexRemove: 0 }

  async function storeCaller(c: number): Promise<void> {
    const session = system.openSession()
    let i = c
    while (performance.now() < endAt) {
      i++
      const r = (i * 2654435761) % 100
      if (r < 70) {
        const q = corpus.queries[i % corpus.queries.length]
        const mode = (['text', 'vector', 'hybrid'] as const)[i % 3]
        await session.search(q.text, { mode, k: 10 })
        counts.search++
      } else if (r < 85) {
        const doc = docAt(nextDoc++)
        await system.add([doc])
        live.push(doc.id)
        counts.add++
      } else if (live.length > STORE_DOCS) {
        // Delete the oldest committed documents, keeping the store's size steady.
        const victim = live.shift()!
        try {
          await system.delete([victim])
          counts.remove++
        } catch (error) {
          // Still pending (added after the last commit): put it back and move on.
          if ((error as { code?: string }).code !== 'ERR_UNKNOWN_ID') throw error
          live.push(victim)
        }
      }
      ops++
    }
    session.close()
  }

  async function committer(): Promise<void> {
    while (performance.now() < endAt) {
      await new Promise(resolve => setTimeout(resolve, COMMIT_MS))
      await system.commit()
      counts.commit++
      ops++
    }
  }

  async function indexCaller(c: number): Promise<void> {
    let i = c
    while (performance.now() < endAt) {
      i++
      const r = (i * 40503) % 100
      const index = VECTOR_INDEX === 'flat' || i % 4 === 0 ? flat : hnsw
      if (r < 60) {
        await index.search(vector(i * 7919), 10)
        counts.indexSearch++
      } else if (r < 70) {
        const queries = new Float32Array(8 * DIMS)
        for (let q = 0; q < 8; q++) queries.set(vector(i * 31 + q), q * DIMS)
        await index.searchBatch(queries, 10)
        counts.indexSearch += 8
      } else if (r < 85) {
        const id = nextId++
        const row = vector(id)
        if (VECTOR_INDEX === 'hnsw') await hnsw.add([id], row)
        await flat.add([id], row)
        liveIds.push(id)
        counts.indexAdd++
      } else if (liveIds.length > INDEX_VECTORS) {
        const id = liveIds.shift()!
        if (VECTOR_INDEX === 'hnsw') await hnsw.remove([id])
        await flat.remove([id])
        counts.indexRemove++
      }
      ops++
    }
  }

  const samples: Sample[] = []
  const sample = () => {
    gc()
    const m = process.memoryUsage()
    samples.push({
      t: (performance.now() - started) / 60_000,
      rssMb: m.rss / MB,
      heapUsedMb: m.heapUsed / MB,
      externalMb: m.external / MB,
      arrayBuffersMb: m.arrayBuffers / MB,
      ops,
      loadAverage: loadAverage(),
    })
    const s = samples.at(-1)!
    console.log(
      `${s.t.toFixed(2)} min  rss ${s.rssMb.toFixed(1)} MB  heap ${s.heapUsedMb.toFixed(1)} MB  ` +
        `external ${s.externalMb.toFixed(1)} MB  ops ${s.ops}  load ${s.loadAverage}`,
    )
  }
  sample()
  const timer = setInterval(sample, SAMPLE_S * 1000)
  const window = startWindow()
  await Promise.all([
    ...Array.from({ length: CONCURRENCY }, (_, c) => storeCaller(c)),
    ...Array.from({ length: CONCURRENCY }, (_, c) => indexCaller(c)),
    committer(),
  ])
  clearInterval(timer)
  sample()
  const w = window.end()

  const after = samples.filter(s => s.t >= WARMUP_MIN)
  const edge = Math.max(1, Math.min(3, Math.floor(after.length / 4)))
  const mean = (xs: readonly Sample[], key: keyof Sample) => xs.reduce((a, s) => a + (s[key] as number), 0) / xs.length
  const drift = (key: 'rssMb' | 'heapUsedMb' | 'externalMb' | 'arrayBuffersMb') => ({
    slopeMbPerMin:
      after.length >= 2
        ? slope(
            after.map(s => s.t),
            after.map(s => s[key]),
          )
        : Number.NaN,
    firstMb: mean(after.slice(0, edge), key),
    lastMb: mean(after.slice(-edge), key),
  })
  const result = {
    minutes: MINUTES,
    vectorIndex: VECTOR_INDEX,
    warmupMinutes: WARMUP_MIN,
    sampleSeconds: SAMPLE_S,
    concurrency: CONCURRENCY,
    commitMs: COMMIT_MS,
    maxSlopeMbPerMin: MAX_SLOPE,
    ops,
    counts,
    rss: drift('rssMb'),
    heapUsed: drift('heapUsedMb'),
    external: drift('externalMb'),
    arrayBuffers: drift('arrayBuffersMb'),
    samplesAfterWarmup: after.length,
    othersShareOfMachine: w.othersShare,
    ownCpuSeconds: w.ownCpuMs / 1000,
    loadAverageAtEnd: loadAverage(),
    samples,
  }
  const row = (name: string, d: { slopeMbPerMin: number; firstMb: number; lastMb: number }) => [
    name,
    d.slopeMbPerMin.toFixed(2),
    d.firstMb.toFixed(1),
    d.lastMb.toFixed(1),
    (d.lastMb - d.firstMb).toFixed(1),
  ]
  console.log(
    `\n${markdownTable(
      [
        'memory',
        'slope MB/min (least squares)',
        `first ${edge} samples MB`,
        `last ${edge} samples MB`,
        'last − first MB',
      ],
      [
        row('RSS', result.rss),
        row('V8 heap used', result.heapUsed),
        row('external', result.external),
        row('array buffers', result.arrayBuffers),
      ],
    )}`,
  )
  console.log(
    `\n${ops} operations (${JSON.stringify(counts)}); this process used ${result.ownCpuSeconds.toFixed(0)} CPU s; ` +
      `other processes used ${(w.othersShare * 100).toFixed(0)} % of the machine; load average at end ${result.loadAverageAtEnd}`,
  )
  failed = !(result.rss.slopeMbPerMin <= MAX_SLOPE)
  console.log(
    `RSS slope ${result.rss.slopeMbPerMin.toFixed(2)} MB/min after ${WARMUP_MIN} min of warm-up: ` +
      `${failed ? 'FAIL' : 'pass'} (threshold ${MAX_SLOPE} MB/min)`,
  )
  console.log(`results: ${writeResult(OUT, result)}`)
  await system.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exitCode = failed ? 1 : 0
