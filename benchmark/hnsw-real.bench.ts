/**
 * HNSW on real vectors (issue 11, goal 2): ours vs hnswlib-node vs usearch, ann-benchmarks
 * style recall@10 / QPS curves from an ef sweep, in ONE process on the same vectors and queries.
 *
 * - Data (`--data=`): `words` (default; fastText word vectors of the SpamAssassin corpus, built
 *   by `npm run data:word-vectors`, cosine), `sentences` (fastText sentence vectors of the same
 *   corpus, cosine) or `synthetic` (the seeded clustered set of hnsw.bench.ts, l2, labelled as
 *   such). Exact top-10 ground truth from our FlatIndex, cached with the data.
 * - Parameters: M 16, efConstruction 200 for all; k = 10; ids 0..n−1.
 * - Build, one child process per library and thread count (clean RSS deltas; rayon reads
 *   RAYON_NUM_THREADS once per process): wall and CPU time, RSS delta after build, memory per
 *   vector (ours: `memoryUsage()`; hnswlib-node: its allocation formula; usearch: RSS delta, it
 *   has no memory API), saved file size and sha256 (ours on 1 and 2 threads must give the same
 *   graph: builds are thread-count independent). `--build-rounds=N` (default 3, `--quick` 1)
 *   repeats the five builds in rotating order; times are medians, ratios the median of each
 *   round's ratio (the host's speed drifts by up to 50 % within an hour, more than the margins
 *   measured).
 * - Search, in this process: each library builds its index here (ours on the default threads,
 *   hnswlib-node 1 thread, usearch 2 threads), then for each round, each ef, the libraries in a
 *   rotating order: set ef, a warm-up of 300 queries, timed passes over every query (as many as
 *   fill 300 ms, at least one), one at a time on this thread (ours `searchSync`, hnswlib-node
 *   `searchKnn`, usearch `search(q, 10, 1)`).
 *   QPS = median over rounds (≥ 3); recall@10 vs the exact truth. Interleaving spreads the shared
 *   machine's load drift over all three alike; others' CPU share is recorded per pass.
 * - Headline: QPS at recall 0.95 and 0.99 interpolated on each library's Pareto frontier
 *   (lib/pareto.ts), ratios vs hnswlib-node and usearch.
 *
 *   npx tsx hnsw-real.bench.ts [--data=words|sentences|synthetic] [--quick] [--rounds=N] [--build-rounds=N]
 *     [--no-builds] [--ours-row-by-row]
 *
 * `--ours-row-by-row`: the sweep's ours is built one `addSync` row at a time (a diagnostic of the
 * batch's round-based linking; results get the suffix `-rowbyrow`).
 * `--quick`: ef 10, 16, 32, 64, 128, 256 and 3 rounds (synthetic: the 20k set); `--no-builds` skips
 * the child-process build measurements. Results: benchmark/results/hnsw-real-<data>[-quick].json.
 */
import { execFileSync, fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import {
  CACHE_DIR,
  describeMachine,
  gc,
  heading,
  isMain,
  loadAverage,
  median,
  mib,
  nowNs,
  num,
  parseFlags,
  pct,
  ratio,
  rss,
  startWindow,
  table,
  waitForQuiet,
  writeResult,
} from './lib/common.ts'
import { K, prepareDataset, recallAtK, specFor } from './lib/dataset.ts'
import { hnswlibAdapter, hnswlibBytesPerVector, makeAdapter, oursAdapter, usearchAdapter } from './lib/hnsw-adapters.ts'
import type { Adapter, AdapterData, Lib } from './lib/hnsw-adapters.ts'
import { BUILD_RUNS, EF_CONSTRUCTION, M } from './lib/hnsw-params.ts'
import type { BuildRun } from './lib/hnsw-params.ts'
import { qpsAtRecall } from './lib/pareto.ts'
import type { AtRecall } from './lib/pareto.ts'
import { loadRealSet } from './lib/real-vectors.ts'

export const REAL_EF_SWEEP = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
export const REAL_EF_SWEEP_QUICK = [10, 16, 32, 64, 128, 256]
export const HEADLINE_RECALLS = [0.95, 0.99] as const
const WARMUP_QUERIES = 300
/**
 * A point's timed passes over the queries repeat until this much wall time has passed: one pass
 * of ours at ef 10 takes 15 ms, too short for a stable rate (a timer tick, a frequency step or
 * one descheduling moves it by 10–30 %); at 300 ms the rounds of one point agree within a few %.
 */
const MIN_POINT_MS = 300

type DataName = 'words' | 'sentences' | 'synthetic'

interface BenchData extends AdapterData {
  name: DataName
  label: string
  n: number
  nq: number
  truth: Uint32Array
  fingerprint: string
  provenance: Record<string, unknown>
}

async function loadData(name: DataName, quick: boolean): Promise<BenchData> {
  if (name === 'synthetic') {
    const spec = specFor(quick)
    const d = await prepareDataset(spec)
    return {
      name,
      label: `synthetic clustered ${num(spec.n)} × ${spec.dims} (l2; ${spec.clusters} clusters, ${spec.latentDims}-d latent, seed ${spec.seed})`,
      base: d.base,
      queries: d.queries,
      truth: d.truth,
      dims: spec.dims,
      metric: 'l2',
      n: spec.n,
      nq: spec.queries,
      fingerprint: d.fingerprint,
      provenance: { generator: 'benchmark/lib/data.ts clusteredData', spec },
    }
  }
  const set = loadRealSet(name === 'words' ? 'spam-words' : 'spam-sentences')
  const m = set.manifest
  return {
    name,
    label: `${m.description}: ${num(m.n)} × ${m.dims} (cosine)`,
    base: set.base,
    queries: set.queries,
    truth: set.truth,
    dims: m.dims,
    metric: m.metric,
    n: m.n,
    nq: m.queries,
    fingerprint: set.fingerprint,
    provenance: { manifest: m },
  }
}

// ---------------------------------------------------------------------------------------------
// Build measurements, one child per library / thread count

export interface BuildResult {
  lib: Lib
  threads: number
  version: string
  threadsNote: string
  fingerprint: string
  wallMs: number
  cpuMs: number
  othersShare: number
  loadAvgBefore: string
  rssDelta: number
  peakDelta: number
  fileBytes: number
  fileSha256: string
  /** bytes per vector, and how it was obtained */
  memoryPerVector: { bytes: number; source: string; detail?: Record<string, number> }
}

async function buildChild(lib: Lib, threads: number, data: BenchData): Promise<BuildResult> {
  gc()
  await waitForQuiet(`${lib} build`, 0.1, 10_000)
  const loadAvgBefore = loadAverage()
  const before = rss()
  const adapter = makeAdapter(lib, data, threads)
  const w = startWindow()
  await adapter.build()
  const win = w.end()
  const peak = rss().peak
  gc()
  const after = rss()
  mkdirSync(CACHE_DIR, { recursive: true })
  const file = join(CACHE_DIR, `hnsw-real-${lib}-${threads}-${process.pid}.bin`)
  await adapter.save(file)
  const bytes = readFileSync(file)
  rmSync(file, { force: true })
  const rssDelta = after.rss - before.rss
  let memoryPerVector: BuildResult['memoryPerVector']
  if (lib === 'ours') {
    const u = (adapter as ReturnType<typeof oursAdapter>).index.memoryUsage()
    memoryPerVector = {
      bytes: u.totalBytes / data.n,
      source: 'HnswIndex.memoryUsage().totalBytes / n (allocated, growth headroom included)',
      detail: {
        vectorBytes: u.vectorBytes / data.n,
        idBytes: u.idBytes / data.n,
        graphBytes: u.graphBytes / data.n,
        otherBytes: u.otherBytes / data.n,
      },
    }
  } else if (lib === 'hnswlib') {
    const f = hnswlibBytesPerVector(data.dims)
    memoryPerVector = { bytes: f.bytes, source: "hnswlib's allocation formula (hnswalg.h)", detail: f.terms }
  } else {
    // usearch has no memory API from JS and its RSS delta varies run to run (it reserves
    // capacity ahead); its serialized size is what it holds (load() reads the file into memory).
    memoryPerVector = {
      bytes: bytes.byteLength / data.n,
      source: 'saved file size / n (usearch has no memory API from JS; its RSS delta is in the next column)',
    }
  }
  return {
    lib,
    threads,
    version: adapter.version,
    threadsNote: adapter.threadsNote,
    fingerprint: data.fingerprint,
    wallMs: win.wallMs,
    cpuMs: win.ownCpuMs,
    othersShare: win.othersShare,
    loadAvgBefore,
    rssDelta,
    peakDelta: peak - before.rss,
    fileBytes: bytes.byteLength,
    fileSha256: createHash('sha256').update(bytes).digest('hex'),
    memoryPerVector,
  }
}

function runBuildChild(run: BuildRun, argv: readonly string[]): Promise<BuildResult> {
  const out = join(CACHE_DIR, `hnsw-real-build-${run.lib}-${run.threads}-${process.pid}.json`)
  mkdirSync(CACHE_DIR, { recursive: true })
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...run.env }
    if (!run.env?.RAYON_NUM_THREADS) delete env.RAYON_NUM_THREADS
    const child = fork(
      import.meta.filename,
      ['--child=build', `--lib=${run.lib}`, `--threads=${run.threads}`, `--out=${out}`, ...argv],
      { execArgv: [...process.execArgv, '--expose-gc'], env, stdio: 'inherit' },
    )
    child.on('error', reject)
    child.on('exit', code => {
      if (code !== 0) return reject(new Error(`${run.label}: build child exited with ${code}`))
      const r = JSON.parse(readFileSync(out, 'utf8')) as BuildResult
      rmSync(out, { force: true })
      resolve(r)
    })
  })
}

/** One build run over its rounds: the first round's details, medians of the times. */
interface BuildSummary extends BuildResult {
  label: string
  wallMsRounds: number[]
  cpuMsRounds: number[]
  /** median over rounds of (this run's time / hnswlib-node's time in the same round) */
  wallVsHnswlib: number
  cpuVsHnswlib: number
  fileSha256s: string[]
}

function summarizeBuilds(label: string, runs: readonly BuildResult[], hnswlib: readonly BuildResult[]): BuildSummary {
  const paired = (key: 'wallMs' | 'cpuMs') => median(runs.map((r, i) => r[key] / hnswlib[i][key]))
  return {
    ...runs[0],
    label,
    wallMs: median(runs.map(r => r.wallMs)),
    cpuMs: median(runs.map(r => r.cpuMs)),
    othersShare: Math.max(...runs.map(r => r.othersShare)),
    wallMsRounds: runs.map(r => r.wallMs),
    cpuMsRounds: runs.map(r => r.cpuMs),
    wallVsHnswlib: paired('wallMs'),
    cpuVsHnswlib: paired('cpuMs'),
    fileSha256s: runs.map(r => r.fileSha256),
  }
}

// ---------------------------------------------------------------------------------------------
// The interleaved sweep

export interface SweepPoint {
  ef: number
  recall: number
  /** median over rounds */
  qps: number
  qpsRounds: number[]
  /** queries per CPU-second of this process during the pass, median over rounds */
  qpsCpu: number
  qpsCpuRounds: number[]
  /** highest share of the machine other processes used during one of this point's passes */
  othersShareMax: number
}

interface LibSweep {
  lib: Lib
  label: string
  version: string
  buildInProcessMs: number
  points: SweepPoint[]
  /** QPS (wall time) at each headline recall */
  at: Record<string, AtRecall>
  /** the same on queries per CPU-second */
  atCpu: Record<string, AtRecall>
}

const LABEL: Record<Lib, string> = { ours: 'ours', hnswlib: 'hnswlib-node', usearch: 'usearch' }

async function sweep(
  data: BenchData,
  efs: readonly number[],
  rounds: number,
  rowByRow: boolean,
  log: (s: string) => void,
) {
  const adapters: Adapter[] = [oursAdapter(data, { rowByRow }), hnswlibAdapter(data), usearchAdapter(data, 2)]
  const buildMs: Record<string, number> = {}
  for (const a of adapters) {
    const t0 = nowNs()
    await a.build()
    buildMs[a.lib] = (nowNs() - t0) / 1e6
    log(`built ${LABEL[a.lib]} in-process: ${(buildMs[a.lib] / 1000).toFixed(2)} s`)
  }
  // usearch reopens its saved graph for every ef (its binding fixes expansion_search)
  mkdirSync(CACHE_DIR, { recursive: true })
  const usearchFile = join(CACHE_DIR, `hnsw-real-usearch-${process.pid}.bin`)
  await adapters[2].save(usearchFile)

  const { nq } = data
  const results: unknown[] = new Array(nq)
  const found = new Int32Array(nq * K)
  const qps = new Map<string, number[]>()
  // per CPU-second of this process (its search thread; GC threads add a little): survives
  // being descheduled on the shared machine, which wall-time QPS does not
  const qpsCpu = new Map<string, number[]>()
  const others = new Map<string, number>()
  const recall = new Map<string, number>()
  const loads: string[] = [loadAverage()]
  await waitForQuiet('sweep', 0.1, 10_000)
  for (let round = 0; round < rounds; round++) {
    for (const [e, ef] of efs.entries()) {
      const shift = (round + e) % adapters.length
      const order = [...adapters.slice(shift), ...adapters.slice(0, shift)]
      for (const a of order) {
        const key = `${a.lib}:${ef}`
        a.setEf(ef)
        for (let q = 0; q < Math.min(WARMUP_QUERIES, nq); q++) a.search(q)
        const w = startWindow()
        const t0 = nowNs()
        let searched = 0
        let elapsed = 0
        do {
          for (let q = 0; q < nq; q++) results[q] = a.search(q)
          searched += nq
          elapsed = nowNs() - t0
        } while (elapsed < MIN_POINT_MS * 1e6)
        const win = w.end()
        const share = win.othersShare
        if (!qps.has(key)) qps.set(key, [])
        qps.get(key)!.push((searched / elapsed) * 1e9)
        if (!qpsCpu.has(key)) qpsCpu.set(key, [])
        qpsCpu.get(key)!.push((searched / win.ownCpuMs) * 1e3)
        // NaN (pass shorter than the /proc/stat tick resolution allows) counts as unknown
        if (Number.isFinite(share) && share > (others.get(key) ?? -1)) others.set(key, share)
        if (round === 0) {
          for (let q = 0; q < nq; q++) a.ids(results[q], found, q * K)
          recall.set(key, recallAtK(found, data.truth, nq))
        }
      }
    }
    loads.push(loadAverage())
    log(`round ${round + 1}/${rounds} done (load average ${loadAverage()})`)
  }
  rmSync(usearchFile, { force: true })
  const sweeps: LibSweep[] = adapters.map(a => {
    const points = efs.map(ef => {
      const key = `${a.lib}:${ef}`
      const rs = qps.get(key)!
      const cs = qpsCpu.get(key)!
      return {
        ef,
        recall: recall.get(key)!,
        qps: median(rs),
        qpsRounds: rs,
        qpsCpu: median(cs),
        qpsCpuRounds: cs,
        othersShareMax: others.get(key) ?? NaN,
      }
    })
    const at: Record<string, AtRecall> = {}
    const atCpu: Record<string, AtRecall> = {}
    for (const r of HEADLINE_RECALLS) {
      at[String(r)] = qpsAtRecall(points, r)
      atCpu[String(r)] = qpsAtRecall(
        points.map(p => ({ recall: p.recall, qps: p.qpsCpu })),
        r,
      )
    }
    return {
      lib: a.lib,
      label: a.lib === 'ours' && rowByRow ? 'ours (row-by-row add)' : LABEL[a.lib],
      version: a.version,
      buildInProcessMs: buildMs[a.lib],
      points,
      at,
      atCpu,
    }
  })
  return { sweeps, loads }
}

function topProcesses(): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pcpu,etime,comm', '--sort=-pcpu'], { encoding: 'utf8' })
      .split('\n')
      .slice(0, 9)
      .map(l => l.trim())
      .filter(l => l.length > 0)
  } catch {
    return ['(ps unavailable)']
  }
}

export async function runHnswReal(opts: { quick: boolean; values: ReadonlyMap<string, string> }) {
  const name = (opts.values.get('data') ?? 'words') as DataName
  if (!['words', 'sentences', 'synthetic'].includes(name))
    throw new Error(`--data=${name}: words, sentences or synthetic`)
  const efs = opts.quick ? REAL_EF_SWEEP_QUICK : REAL_EF_SWEEP
  const rounds = Math.max(3, Number(opts.values.get('rounds') ?? '3'))
  const data = await loadData(name, opts.quick)
  heading(`HNSW on ${data.label}; ${data.nq} held-out queries, k = ${K}, M = ${M}, efConstruction = ${EF_CONSTRUCTION}`)
  console.log(`  machine: ${describeMachine()}`)
  const machineBefore = { loadAverage: loadAverage(), top: topProcesses() }
  console.log(`  load average before: ${machineBefore.loadAverage}`)
  const forward = [`--data=${name}`, ...(opts.quick ? ['--quick'] : [])]

  const builds: BuildSummary[] = []
  const buildRounds = Math.max(1, Number(opts.values.get('build-rounds') ?? (opts.quick ? '1' : '3')))
  if (opts.values.get('no-builds') === undefined) {
    const byLabel = new Map<string, BuildResult[]>(BUILD_RUNS.map(r => [r.label, []]))
    for (let round = 0; round < buildRounds; round++) {
      // rotating order: the host's speed drifts over minutes, so no library keeps one slot
      const shift = round % BUILD_RUNS.length
      for (const run of [...BUILD_RUNS.slice(shift), ...BUILD_RUNS.slice(0, shift)]) {
        console.log(`  build ${round + 1}/${buildRounds}: ${run.label} …`)
        const r = await runBuildChild(run, forward)
        if (r.fingerprint !== data.fingerprint) throw new Error(`${run.label} indexed different data`)
        byLabel.get(run.label)!.push(r)
      }
    }
    const hnswlibRuns = byLabel.get(BUILD_RUNS.find(r => r.lib === 'hnswlib')!.label)!
    for (const run of BUILD_RUNS) builds.push(summarizeBuilds(run.label, byLabel.get(run.label)!, hnswlibRuns))
    heading(
      buildRounds === 1
        ? 'Build (child process per run)'
        : `Build (child process per run, ${buildRounds} rounds in rotating order: medians; ratios are medians of each round's ratio)`,
    )
    table(
      [
        'library',
        'wall',
        'CPU',
        "others' CPU share",
        'load avg before',
        'wall vs hnswlib-node',
        'CPU vs hnswlib-node',
        'RSS delta (/ vector)',
        'memory / vector',
        'file',
      ],
      builds.map(b => [
        b.label,
        `${(b.wallMs / 1000).toFixed(2)} s`,
        `${(b.cpuMs / 1000).toFixed(2)} s`,
        pct(b.othersShare),
        b.loadAvgBefore,
        `${b.wallVsHnswlib.toFixed(2)}×`,
        `${b.cpuVsHnswlib.toFixed(2)}×`,
        `${mib(b.rssDelta)} (${num(b.rssDelta / data.n)} B)`,
        `${num(b.memoryPerVector.bytes)} B`,
        mib(b.fileBytes),
      ]),
    )
    for (const b of builds)
      console.log(`  ${b.label}: memory/vector from ${b.memoryPerVector.source}; ${b.threadsNote}`)
    const oursFiles = new Set(builds.filter(b => b.lib === 'ours').flatMap(b => b.fileSha256s))
    console.log(
      `  ours' graph, every build on 1 and 2 threads: ${oursFiles.size === 1 ? 'byte-identical saved files' : 'DIFFERENT saved files'}`,
    )
  }

  console.log(`  sweep: ef ${efs.join(', ')}; ${rounds} rounds, libraries interleaved …`)
  const rowByRow = opts.values.has('ours-row-by-row')
  const { sweeps, loads } = await sweep(data, efs, rounds, rowByRow, s => console.log(`  ${s}`))
  const machineAfter = { loadAverage: loadAverage(), top: topProcesses() }

  heading(
    `ef sweep: recall@10 / QPS (wall) / queries per CPU-second (medians of ${rounds} rounds; single thread, one query at a time)`,
  )
  table(
    ['ef', ...sweeps.map(s => s.label), "others' CPU share (max of the point's passes)"],
    efs.map((ef, i) => [
      ef,
      ...sweeps.map(s => `${s.points[i].recall.toFixed(4)} / ${num(s.points[i].qps)} / ${num(s.points[i].qpsCpu)}`),
      sweeps.map(s => pct(s.points[i].othersShareMax)).join(' · '),
    ]),
  )

  heading('QPS at recall@10 (interpolated on each Pareto frontier): wall time, and per CPU-second')
  const ours = sweeps[0]
  table(
    ['recall', 'basis', ...sweeps.map(s => s.label), 'ours / hnswlib-node', 'ours / usearch'],
    HEADLINE_RECALLS.flatMap(r =>
      (['at', 'atCpu'] as const).map(basis => {
        const k = String(r)
        const q = (s: LibSweep) => s[basis][k].qps ?? NaN
        return [
          r,
          basis === 'at' ? 'wall' : 'CPU',
          ...sweeps.map(s =>
            s[basis][k].qps === null
              ? 'not reached'
              : `${num(q(s))}${s[basis][k].how === 'floor' ? ' (≥, floor)' : ''}`,
          ),
          ratio(q(ours), q(sweeps[1])),
          ratio(q(ours), q(sweeps[2])),
        ]
      }),
    ),
  )
  console.log(`  load average during the sweep (after each round): ${loads.join(' → ')}`)
  console.log(`  busiest processes after the run:\n    ${machineAfter.top.join('\n    ')}`)

  return {
    data: {
      name,
      label: data.label,
      n: data.n,
      nq: data.nq,
      dims: data.dims,
      metric: data.metric,
      fingerprint: data.fingerprint,
      provenance: data.provenance,
    },
    params: {
      m: M,
      efConstruction: EF_CONSTRUCTION,
      k: K,
      efs,
      rounds,
      buildRounds,
      warmupQueries: WARMUP_QUERIES,
      minPointMs: MIN_POINT_MS,
      oursRowByRow: rowByRow,
    },
    builds,
    sweeps,
    machine: { before: machineBefore, after: machineAfter, loadsPerRound: loads },
  }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  if (flags.values.get('child') === 'build') {
    const name = (flags.values.get('data') ?? 'words') as DataName
    const data = await loadData(name, flags.quick)
    const r = await buildChild(flags.values.get('lib') as Lib, Number(flags.values.get('threads') ?? '1'), data)
    writeFileSync(flags.values.get('out')!, JSON.stringify(r))
  } else {
    const result = await runHnswReal(flags)
    const name = `hnsw-real-${result.data.name}${flags.values.has('ours-row-by-row') ? '-rowbyrow' : ''}${flags.quick ? '-quick' : ''}`
    console.log(`\nresults: ${writeResult(name, result)}`)
  }
}
