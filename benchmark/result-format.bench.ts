/**
 * Benchmark 4 — what the `{ id, distance }[]` result format costs, to decide between it and
 * typed arrays (issue: "as typed arrays or a small array of {id, distance}, chosen by measurement").
 *
 * Recorded first with napi-built objects (docs/benchmarks/result-format.md), which led to the
 * binding returning one packed Float64Array that the wrapper turns into objects; the same tasks
 * now measure that path. The cost is bracketed:
 *   (a) per returned hit through the binding: searchSync on a tiny flat index (n = 100, d = 1, so the
 *       search itself is ~nothing) with k = 1, 10, 100; the slope per extra hit is an upper bound
 *       of napi's cost to create one `{ id, distance }` object (it also includes top-k upkeep);
 *   (b) the same objects built in JS from two typed arrays (what a caller would pay to get objects
 *       if the binding returned typed arrays), and allocating the two typed arrays in JS;
 *   (c) the async path: search (k = 10, objects) vs search (k = 1) vs noopAsync, same run.
 * tinybench (latency percentiles; async tasks).
 *
 * Run alone: `npx tsx result-format.bench.ts [--quick]` inside benchmark/.
 */
import { FlatIndex, noopAsync } from '../main.ts'
import { heading, isMain, ns, parseFlags, ratio, table, waitForQuiet, writeResult } from './lib/common.ts'
import { uniformVectors } from './lib/data.ts'
import { type TaskStats, medianOverRounds, taskStats, timedBench } from './lib/tinybench.ts'

export let sink = 0

async function round(time: number): Promise<TaskStats[]> {
  const n = 100
  const index = new FlatIndex({ dimensions: 1, metric: 'l2' })
  index.addSync(
    Float64Array.from({ length: n }, (_, i) => i),
    uniformVectors(n, 1, 7),
  )
  const queries = Array.from({ length: 64 }, (_, i) => new Float32Array([Math.sin(i)]))
  let qi = 0
  const q = () => queries[qi++ & 63]
  const ids10 = Float64Array.from({ length: 10 }, (_, i) => i * 3)
  const dist10 = Float32Array.from({ length: 10 }, (_, i) => i / 7)
  const ids100 = Float64Array.from({ length: 100 }, (_, i) => i * 3)
  const dist100 = Float32Array.from({ length: 100 }, (_, i) => i / 7)
  const toObjects = (ids: Float64Array, dist: Float32Array) => {
    const out = new Array<{ id: number; distance: number }>(ids.length)
    for (let j = 0; j < ids.length; j++) out[j] = { id: ids[j], distance: dist[j] }
    return out
  }

  const bench = timedBench(time)
  bench
    .add('napi: searchSync k = 1 (flat, n = 100, d = 1)', () => {
      sink += index.searchSync(q(), 1).length
    })
    .add('napi: searchSync k = 10', () => {
      sink += index.searchSync(q(), 10).length
    })
    .add('napi: searchSync k = 100', () => {
      sink += index.searchSync(q(), 100).length
    })
    .add('JS: 10 {id, distance} from typed arrays', () => {
      sink += toObjects(ids10, dist10).length
    })
    .add('JS: 100 {id, distance} from typed arrays', () => {
      sink += toObjects(ids100, dist100).length
    })
    .add('JS: new Float64Array(10) + new Float32Array(10)', () => {
      sink += new Float64Array(10).length + new Float32Array(10).length
    })
    .add('JS: read 10 ids from objects', () => {
      const hits = toObjects(ids10, dist10)
      let s = 0
      for (let j = 0; j < hits.length; j++) s += hits[j].id
      sink += s
    })
    .add('async: noopAsync()', async () => {
      await noopAsync()
    })
    .add('async: search k = 1', async () => {
      sink += (await index.search(q(), 1)).length
    })
    .add('async: search k = 10', async () => {
      sink += (await index.search(q(), 10)).length
    })
  await bench.run()
  return taskStats(bench)
}

export async function runResultFormat(opts: { quick: boolean }) {
  const rounds = opts.quick ? 1 : 3
  const time = opts.quick ? 300 : 800
  heading(`Result format: cost of {id, distance} objects — tinybench, ${rounds} round(s) × ${time} ms per task`)
  const all: TaskStats[][] = []
  for (let r = 0; r < rounds; r++) {
    await waitForQuiet('result-format')
    all.push(await round(time))
  }
  const rows = medianOverRounds(all)
  table(
    ['task', 'mean', 'p50', 'p99', 'rme'],
    rows.map(r => [r.name, ns(r.mean), ns(r.p50), ns(r.p99), `±${r.rme.toFixed(1)}%`]),
  )

  const m = (prefix: string) => rows.find(r => r.name.startsWith(prefix))!.mean
  const k1 = m('napi: searchSync k = 1 ')
  const k10 = m('napi: searchSync k = 10')
  const k100 = m('napi: searchSync k = 100')
  const perHitNapi = (k100 - k1) / 99
  const perHitNapi10 = (k10 - k1) / 9
  const js10 = m('JS: 10 {id')
  const js100 = m('JS: 100 {id')
  const typedAlloc = m('JS: new Float64Array')
  const noop = m('async: noopAsync')
  const a1 = m('async: search k = 1')
  const a10 = m('async: search k = 10')
  heading('Reading')
  table(
    ['quantity', 'value'],
    [
      ['searchSync cost per returned hit, slope k 1 → 100 (binding + wrapper objects; upper bound)', ns(perHitNapi)],
      ['searchSync cost per returned hit, slope k 1 → 10', ns(perHitNapi10)],
      ['→ 9 more hits (9 × slope k1→10 over k = 1)', ns(9 * perHitNapi10)],
      ['JS: building 10 objects from typed arrays', ns(js10)],
      ['JS: building 100 objects from typed arrays', ns(js100)],
      ['JS: allocating two 10-element typed arrays', ns(typedAlloc)],
      ['searchSync per hit vs JS objects alone, per hit', ratio(perHitNapi, js100 / 100)],
      ['async search k = 10 − k = 1', ns(a10 - a1)],
      ['async search k = 10 − noopAsync', ns(a10 - noop)],
    ],
  )
  return { rows, rounds: all, perHitNapi, perHitNapi10, js10, js100, typedAlloc, noop, asyncK1: a1, asyncK10: a10 }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  const result = await runResultFormat(flags)
  console.log(`\nresults: ${writeResult('result-format', result)}`)
}
