/**
 * Mixed read/write (issue 11, goal 6): search QPS on one HNSW index with no writer, then while
 * another caller adds vectors at a steady 1 000 per second (10 every 10 ms, each `add` awaited),
 * on the same index in the same process. Target: QPS with the writer ≥ 0.8 × without.
 *
 * Searches: `search()` with 16 in flight (coalesced, the default) and `searchSync` in a loop
 * (one thread, yielding to the event loop every 16 calls so the writer's timer can fire).
 * Phases alternate (without, with, without, with, …) so drift on a busy machine hits both.
 *
 * Run alone: `npx tsx mixed-rw.bench.ts [--quick] [--n=20000] [--rate=1000] [--seconds=3]`
 * inside benchmark/.
 */
import { HnswIndex } from '../main.ts'
import {
  describeMachine,
  heading,
  isMain,
  loadAverage,
  median,
  num,
  parseFlags,
  pct,
  ratio,
  startWindow,
  table,
  writeResult,
} from './lib/common.ts'
import { rowsOf, uniformVectors } from './lib/data.ts'
import { prepareDataset, specFor } from './lib/dataset.ts'

const K = 10

interface Phase {
  mode: string
  writer: boolean
  qps: number
  added: number
  addRate: number
  othersShare: number
  cpuUsPerSearch: number
}

/** Adds `rate` vectors per second in 100 ticks per second until `stop()`; resolves to the count. */
function startWriter(index: HnswIndex, rate: number, dims: number, firstId: number) {
  let next = firstId
  let stopped = false
  let busy = false
  const perTick = Math.max(1, Math.round(rate / 100))
  const fresh = uniformVectors(1000, dims, 4242)
  let row = 0
  const started = performance.now()
  const timer = setInterval(() => {
    if (stopped || busy) return
    // Keep to the rate on average: catch up if ticks were late, never run ahead.
    const due = Math.floor(((performance.now() - started) / 1000) * rate) - (next - firstId)
    if (due <= 0) return
    const count = Math.min(due, perTick * 4)
    const ids = new Float64Array(count).map((_, i) => next + i)
    const vecs = new Float32Array(count * dims)
    for (let i = 0; i < count; i++) {
      vecs.set(fresh.subarray((row % 1000) * dims, ((row % 1000) + 1) * dims), i * dims)
      row++
    }
    next += count
    busy = true
    index.add(ids, vecs).then(
      () => {
        busy = false
      },
      (error: unknown) => {
        console.error('writer failed', error)
        busy = false
      },
    )
  }, 10)
  return {
    stop: async (): Promise<number> => {
      stopped = true
      clearInterval(timer)
      while (busy) await new Promise(r => setTimeout(r, 1))
      return next - firstId
    },
    get added() {
      return next - firstId
    },
  }
}

async function searchPhase(
  index: HnswIndex,
  queries: Float32Array[],
  mode: 'async16' | 'sync',
  seconds: number,
): Promise<{ count: number }> {
  const end = performance.now() + seconds * 1000
  let count = 0
  let i = 0
  if (mode === 'sync') {
    while (performance.now() < end) {
      for (let j = 0; j < 16; j++) index.searchSync(queries[i++ % queries.length], K)
      count += 16
      await new Promise(r => setImmediate(r))
    }
    return { count }
  }
  const worker = async () => {
    while (performance.now() < end) {
      await index.search(queries[i++ % queries.length], K)
      count++
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  return { count }
}

export async function runMixed(opts: { quick: boolean; values: Map<string, string> }) {
  const spec = { ...specFor(opts.quick), n: Number(opts.values.get('n') ?? (opts.quick ? 10_000 : 20_000)) }
  const rate = Number(opts.values.get('rate') ?? 1000)
  const seconds = Number(opts.values.get('seconds') ?? (opts.quick ? 1 : 3))
  const pairs = opts.quick ? 1 : 3
  const data = await prepareDataset({ ...spec, queries: 256 })
  const index = new HnswIndex({ dimensions: spec.dims, metric: 'l2', efSearch: 64 })
  await index.add(
    new Float64Array(spec.n).map((_, i) => i),
    data.base,
  )
  const queries = rowsOf(data.queries, spec.dims)
  heading(
    `Mixed read/write — HNSW ${num(spec.n)} × ${spec.dims} (l2, M 16, efSearch 64), k = ${K}; ` +
      `writer ${num(rate)} adds/s; ${seconds} s per phase; ${describeMachine()}`,
  )
  const phases: Phase[] = []
  let nextId = spec.n
  for (const mode of ['async16', 'sync'] as const) {
    await searchPhase(index, queries, mode, 0.5) // warm-up
    for (let p = 0; p < pairs; p++) {
      for (const writer of [false, true]) {
        const w = writer ? startWriter(index, rate, spec.dims, nextId) : null
        const win = startWindow()
        const { count } = await searchPhase(index, queries, mode, seconds)
        const window = win.end()
        const added = w ? await w.stop() : 0
        nextId += added
        phases.push({
          mode,
          writer,
          qps: (count / window.wallMs) * 1000,
          added,
          addRate: (added / window.wallMs) * 1000,
          othersShare: window.othersShare,
          cpuUsPerSearch: (window.ownCpuMs * 1000) / count,
        })
      }
    }
  }
  const rows = (['async16', 'sync'] as const).map(mode => {
    const without = phases.filter(p => p.mode === mode && !p.writer)
    const withW = phases.filter(p => p.mode === mode && p.writer)
    const q0 = median(without.map(p => p.qps))
    const q1 = median(withW.map(p => p.qps))
    return [
      mode === 'async16' ? 'search(), 16 in flight' : 'searchSync loop',
      num(q0),
      num(q1),
      ratio(q1, q0),
      num(median(withW.map(p => p.addRate))),
      phases
        .filter(p => p.mode === mode)
        .map(p => pct(p.othersShare))
        .join(' '),
    ]
  })
  table(
    [
      'searches',
      'QPS, no writer',
      `QPS, writer at ${num(rate)}/s`,
      'ratio (target ≥ 0.8)',
      'adds/s achieved',
      "others' CPU per phase",
    ],
    rows,
  )
  console.log(`  load average at end: ${loadAverage()}; index size ${num(index.size)}`)
  return { n: spec.n, rate, seconds, phases }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  const result = await runMixed(flags)
  console.log(`\nresults: ${writeResult('mixed-rw', result)}`)
}
