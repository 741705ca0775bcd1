/**
 * Benchmark 2 — our HnswIndex vs hnswlib-node and usearch on the same seeded clustered data
 * (100k × 128, l2, M = 16, efConstruction = 200; `--quick`: 20k): build time (with explicit
 * thread counts), single-thread QPS at recall@10 ≥ 0.95 (smallest ef of a sweep 16..512 that
 * reaches it, vs exact ground truth from FlatIndex.searchBatch), memory.
 *
 * Every library runs in its own child process (hnsw-worker.ts): RSS deltas do not mix, and
 * rayon / usearch thread pools are set per process.
 *
 * Run alone: `npx tsx hnsw.bench.ts [--quick]` inside benchmark/.
 */
import { fork } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import {
  CACHE_DIR,
  heading,
  isMain,
  mib,
  nowNs,
  num,
  parseFlags,
  pct,
  ratio,
  table,
  writeResult,
} from './lib/common.ts'
import { prepareDataset, specFor } from './lib/dataset.ts'
import { BUILD_RUNS, EF_CONSTRUCTION, EF_SWEEP, M, TARGET_RECALL } from './lib/hnsw-params.ts'
import type { BuildRun } from './lib/hnsw-params.ts'
import type { WorkerResult } from './hnsw-worker.ts'

function runWorker(run: BuildRun, argv: readonly string[]): Promise<WorkerResult> {
  const out = join(CACHE_DIR, `result-${run.lib}-${run.threads}-${process.pid}.json`)
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...run.env }
    if (!run.env?.RAYON_NUM_THREADS) delete env.RAYON_NUM_THREADS
    const child = fork(
      join(import.meta.dirname, 'hnsw-worker.ts'),
      [`--lib=${run.lib}`, `--threads=${run.threads}`, `--out=${out}`, ...argv],
      {
        execArgv: [...process.execArgv, '--expose-gc'],
        env,
        stdio: 'inherit',
      },
    )
    child.on('error', reject)
    child.on('exit', code => {
      if (code !== 0) return reject(new Error(`${run.label}: worker exited with ${code}`))
      const result = JSON.parse(readFileSync(out, 'utf8')) as WorkerResult
      rmSync(out, { force: true })
      resolve(result)
    })
  })
}

export async function runHnsw(opts: { quick: boolean; values?: ReadonlyMap<string, string> }) {
  const spec = specFor(opts.quick, opts.values)
  heading(
    `HNSW: ours vs hnswlib-node vs usearch — ${num(spec.n)} × ${spec.dims} clustered (${spec.clusters} clusters, ` +
      `${spec.latentDims}-d latent, seed ${spec.seed}), l2, M = ${M}, efConstruction = ${EF_CONSTRUCTION}, ${spec.queries} queries, k = 10`,
  )
  const t0 = nowNs()
  const data = await prepareDataset(spec, s => console.log(`  ${s}`))
  const prepMs = (nowNs() - t0) / 1e6
  const forward = [
    ...(opts.quick ? ['--quick'] : []),
    ...[...(opts.values ?? new Map())].filter(([k]) => k in spec).map(([k, v]) => `--${k}=${v}`),
  ]

  const results: { run: BuildRun; r: WorkerResult }[] = []
  for (const run of BUILD_RUNS) {
    console.log(`  running ${run.label} …`)
    const r = await runWorker(run, forward)
    if (r.fingerprint !== data.fingerprint)
      throw new Error(`${run.label} indexed different data (${r.fingerprint} vs ${data.fingerprint})`)
    results.push({ run, r })
  }
  const by = (label: string) => results.find(x => x.run.label === label)!.r
  const ours2 = by('ours (2 threads)')
  const ours1 = by('ours (1 thread)')
  const hnswlib = by('hnswlib-node (1 thread)')
  const us2 = by('usearch (2 threads)')
  const us1 = by('usearch (1 thread)')

  heading('Build (whole data set; wall time, CPU time of all threads)')
  table(
    ['library', 'threads', 'wall', 'CPU', 'parallelism', "others' CPU share", 'wall vs hnswlib-node'],
    results.map(({ run, r }) => [
      run.label,
      r.buildThreads,
      `${(r.build.wallMs / 1000).toFixed(2)} s`,
      `${(r.build.cpuMs / 1000).toFixed(2)} s`,
      r.build.parallelism.toFixed(2),
      pct(r.build.othersShare),
      ratio(r.build.wallMs, hnswlib.build.wallMs),
    ]),
  )
  for (const { run, r } of results) {
    console.log(`  ${run.label}: ${r.threadsNote}${r.build.extraNote ? `; ${r.build.extraNote}` : ''}`)
  }

  heading('Memory (RSS of the worker process after the build, after GC, minus RSS before it; file = saved index)')
  const rawVectors = spec.n * spec.dims * 4
  table(
    ['library', 'RSS delta', 'peak RSS delta (during build)', 'saved index file', 'RSS delta / raw vectors'],
    results.map(({ run, r }) => [
      run.label,
      mib(r.memory.rssDelta),
      mib(r.memory.peakDelta),
      mib(r.memory.fileBytes),
      ratio(r.memory.rssDelta, rawVectors),
    ]),
  )
  console.log(`  raw vectors: ${mib(rawVectors)} (${num(spec.n)} × ${spec.dims} × 4 B)`)

  heading(
    `ef sweep — recall@10 / single-thread QPS (best of two passes of ${spec.queries} queries, after a warm-up pass)`,
  )
  const sweepLibs = [ours2, ours1, hnswlib, us2, us1]
  table(
    ['ef', ...results.map(({ run }) => run.label)],
    EF_SWEEP.map(ef => [
      ef,
      ...sweepLibs.map(r => {
        const p = r.sweep.find(s => s.ef === ef)!
        return `${p.recall.toFixed(3)} / ${num(p.qps)}`
      }),
    ]),
  )

  heading(
    `Single-thread QPS at the smallest ef with recall@10 ≥ ${TARGET_RECALL} (median of passes; graph built with the default threads)`,
  )
  const qpsRows = [
    { label: 'ours', r: ours2 },
    { label: 'hnswlib-node', r: hnswlib },
    { label: 'usearch', r: us2 },
  ]
  table(
    [
      'library',
      'ef',
      'recall@10',
      'QPS (median)',
      'QPS (best pass)',
      'µs / query',
      'on-CPU share (min)',
      'ours / this (median)',
      'ours / this (best)',
    ],
    qpsRows.map(({ label, r }) =>
      r.chosen
        ? [
            label,
            r.chosen.ef,
            r.chosen.recall.toFixed(3),
            num(r.chosen.qps),
            num(r.chosen.qpsBest),
            (1e6 / r.chosen.qps).toFixed(1),
            pct(r.chosen.ownShareMin),
            ratio(ours2.chosen?.qps ?? NaN, r.chosen.qps),
            ratio(ours2.chosen?.qpsBest ?? NaN, r.chosen.qpsBest),
          ]
        : [label, '—', `never ≥ ${TARGET_RECALL}`, '', '', '', '', '', ''],
    ),
  )
  const oursExtra = ours2.extra as { qpsSetter?: number; qpsPerCallEfOption?: number; searchBatchQps?: number }
  const usExtra = us2.extra as { searchBatchQps?: number }
  if (ours2.chosen) {
    console.log(
      `  ours at ef=${ours2.chosen.ef}: efSearch setter ${num(oursExtra.qpsSetter ?? NaN)} QPS vs searchSync(q, 10, { ef }) ` +
        `${num(oursExtra.qpsPerCallEfOption ?? NaN)} QPS (per-call options are parsed by zod in the wrapper).`,
    )
    console.log(
      `  batch, all cores, at each one's chosen ef: ours searchBatch ${num(oursExtra.searchBatchQps ?? NaN)} QPS, ` +
        `usearch search(matrix, threads = 0) ${num(usExtra.searchBatchQps ?? NaN)} QPS.`,
    )
  }
  // Equal-ef comparison at large ef, where per-call overheads (argument conversion, result
  // objects) are small next to the graph walk: the engines' inner loops compared.
  const atEf = (r: WorkerResult, ef: number) => r.sweep.find(p => p.ef === ef)!.qps
  console.log(
    '  equal-ef QPS ratio ours / hnswlib-node (sweep): ' +
      [64, 128, 256, 512].map(ef => `ef ${ef}: ${ratio(atEf(ours2, ef), atEf(hnswlib, ef))}`).join(', '),
  )
  console.log(
    '  equal-ef QPS ratio ours / usearch (sweep): ' +
      [64, 128, 256, 512].map(ef => `ef ${ef}: ${ratio(atEf(ours2, ef), atEf(us2, ef))}`).join(', '),
  )
  console.log(
    `  graph quality of single-threaded builds: ours (1 thread) ${ours1.chosen ? `reaches ${TARGET_RECALL} at ef=${ours1.chosen.ef}` : 'never reaches the target'}, usearch (1 thread) ${us1.chosen ? `at ef=${us1.chosen.ef}` : 'never'}.`,
  )

  heading('Targets')
  const q = (r: WorkerResult) => r.chosen?.qps ?? NaN
  const targets = [
    { what: 'QPS ≥ 2× hnswlib-node at the same recall', value: q(ours2) / q(hnswlib), goal: 2, lowerIsBetter: false },
    { what: 'QPS ≥ 1.2× usearch at the same recall', value: q(ours2) / q(us2), goal: 1.2, lowerIsBetter: false },
    {
      what: 'build ≤ 0.8× hnswlib-node (ours 2 threads vs hnswlib-node 1 thread)',
      value: ours2.build.wallMs / hnswlib.build.wallMs,
      goal: 0.8,
      lowerIsBetter: true,
    },
    {
      what: 'build ≤ 0.8× hnswlib-node (both 1 thread)',
      value: ours1.build.wallMs / hnswlib.build.wallMs,
      goal: 0.8,
      lowerIsBetter: true,
    },
    {
      what: '(for reference) build vs usearch, both 2 threads',
      value: ours2.build.wallMs / us2.build.wallMs,
      goal: NaN,
      lowerIsBetter: true,
    },
  ]
  table(
    ['target', 'measured', 'met?'],
    targets.map(t => [
      t.what,
      `${t.value.toFixed(2)}×`,
      Number.isNaN(t.goal) ? '—' : (t.lowerIsBetter ? t.value <= t.goal : t.value >= t.goal) ? 'yes' : 'NO',
    ]),
  )
  return {
    spec,
    fingerprint: data.fingerprint,
    prepMs,
    results: results.map(({ run, r }) => ({ label: run.label, ...r })),
    targets,
  }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  const result = await runHnsw(flags)
  console.log(`\nresults: ${writeResult('hnsw', result)}`)
}
