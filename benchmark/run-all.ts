/**
 * Runs every benchmark in sequence and prints a summary of the ratios and targets.
 *
 *   npm ci --prefix benchmark          # once: installs the peers (hnswlib-node is compiled)
 *   npm run bench                      # from the repository root, or: cd benchmark && npm run bench
 *   npx tsx run-all.ts --quick         # inside benchmark/: smaller data, shorter timings (~2 min)
 *   npx tsx run-all.ts --only=hnsw,async
 *
 * Each benchmark also runs alone (kernels.bench.ts, hnsw.bench.ts, async.bench.ts,
 * result-format.bench.ts). JSON results go to benchmark/results/.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { kernelIsa } from '../main.ts'
import { runAsync } from './async.bench.ts'
import { runHnsw } from './hnsw.bench.ts'
import { runCallFloor, runKernels } from './kernels.bench.ts'
import {
  BENCH_DIR,
  describeMachine,
  heading,
  ns,
  nowNs,
  num,
  parseFlags,
  ratio,
  table,
  writeResult,
} from './lib/common.ts'
import { runResultFormat } from './result-format.bench.ts'

const flags = parseFlags()
const only = flags.values.get('only')?.split(',')
const want = (name: string) => !only || only.includes(name)
const versions = Object.fromEntries(
  ['hnswlib-node', 'usearch', 'simsimd', 'tinybench', 'benny', 'tsx'].map(name => [
    name,
    JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8')).version as string,
  ]),
)

console.log(`# @acme/vector-native benchmarks${flags.quick ? ' (--quick)' : ''}`)
console.log(`\nmachine: ${describeMachine()}; kernels: ${kernelIsa()}`)
console.log(
  `peers: ${Object.entries(versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
)
const started = nowNs()
const summary: Record<string, unknown> = { quick: flags.quick, versions }

if (want('kernels')) {
  const kernels = await runKernels(flags)
  const floor = await runCallFloor(flags)
  summary.kernels = { ...kernels, floor }
  writeResult('kernels', summary.kernels)
}
if (want('result-format')) {
  summary.resultFormat = await runResultFormat(flags)
  writeResult('result-format', summary.resultFormat)
}
if (want('async')) {
  summary.async = await runAsync(flags)
  writeResult('async', summary.async)
}
if (want('hnsw')) {
  summary.hnsw = await runHnsw(flags)
  writeResult('hnsw', summary.hnsw)
}

heading('Summary')
const rows: (string | number)[][] = []
const k = summary.kernels as Awaited<ReturnType<typeof runKernels>> | undefined
if (k) {
  for (const d of [128, 768, 1536]) {
    const r = k.rows.filter(x => x.dims === d && x.oursNs !== null)
    if (r.length) {
      rows.push([
        `kernels d=${d}: ours / simsimd time (dot, l2, cosine)`,
        r.map(x => ratio(x.oursNs!, x.simsimdNs)).join(', '),
        'lower is better; per-call binding overhead dominates below d≈1k',
      ])
    }
  }
}
const rf = summary.resultFormat as Awaited<ReturnType<typeof runResultFormat>> | undefined
if (rf)
  rows.push([
    'result objects: napi cost per hit vs JS object',
    `${ns(rf.perHitNapi)} vs ${ns(rf.js100 / 100)}`,
    `k = 10 ⇒ ${ns(9 * rf.perHitNapi10)} per search`,
  ])
const a = summary.async as Awaited<ReturnType<typeof runAsync>> | undefined
if (a) {
  rows.push([
    'async overhead / noop round trip',
    ratio(a.overheadPerCallNs, a.noopNs),
    `target ≤ 1.2 (overhead ${ns(a.overheadPerCallNs)}, noop ${ns(a.noopNs)})`,
  ])
}
const h = summary.hnsw as Awaited<ReturnType<typeof runHnsw>> | undefined
if (h) {
  for (const t of h.targets)
    rows.push([
      t.what,
      `${t.value.toFixed(2)}×`,
      Number.isNaN(t.goal) ? '—' : (t.lowerIsBetter ? t.value <= t.goal : t.value >= t.goal) ? 'met' : 'NOT met',
    ])
}
table(['what', 'measured', 'note / target'], rows)
console.log(`\ntotal ${num((nowNs() - started) / 1e9, 0)} s; results in ${join(BENCH_DIR, 'results')}/`)
writeResult('summary', summary)
