/**
 * Batched exact search: per-query throughput of `FlatIndex.searchBatch` (the blocked scan: each
 * row read once per batch and compared with several queries at once) vs `searchSync` one query
 * at a time, on ONE thread (a child process with RAYON_NUM_THREADS=1), and for reference on the
 * default pool. Same index, same queries; results checked equal.
 *
 * Run alone: `npx tsx flat-batch.bench.ts [--n=1000000] [--d=128] [--batch=16] [--quick]
 * [--quiet-wait-ms=60000]`
 * inside benchmark/ (`--quick`: 200k vectors). Memory: the data once in JS and once in the
 * index (n × d × 8 bytes, 1 GiB at 1M × 128).
 */
import { fork } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import { FlatIndex } from '../main.ts'
import {
  CACHE_DIR,
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
  waitForQuiet,
  writeResult,
} from './lib/common.ts'
import { uniformVectors } from './lib/data.ts'

interface Pass {
  /** ms per query, wall */
  wallMs: number
  /** ms per query, this process's CPU (all threads) */
  cpuMs: number
  othersShare: number
}

interface ChildResult {
  threads: string
  n: number
  d: number
  batch: number
  one: Pass[]
  batched: Pass[]
  load: string
}

async function child(n: number, d: number, batch: number, rounds: number, out: string): Promise<void> {
  const index = new FlatIndex({ dimensions: d, metric: 'l2' })
  const chunk = 100_000
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start)
    const ids = new Float64Array(m).map((_, i) => start + i)
    await index.add(ids, uniformVectors(m, d, 1000 + start))
  }
  const queries = uniformVectors(batch, d, 7)
  const rows = Array.from({ length: batch }, (_, i) => queries.subarray(i * d, (i + 1) * d))
  const k = 10
  // Same answers (the batch is exact and its distances are bit for bit the single ones').
  const check = await index.searchBatch(queries, k)
  for (let i = 0; i < batch; i++) {
    const want = index.searchSync(rows[i], k)
    if (JSON.stringify(want) !== JSON.stringify(check[i])) throw new Error(`batch result ${i} differs`)
  }
  const one: Pass[] = []
  const batched: Pass[] = []
  for (let r = 0; r < rounds; r++) {
    let w = startWindow()
    for (const q of rows) index.searchSync(q, k)
    let win = w.end()
    one.push({ wallMs: win.wallMs / batch, cpuMs: win.ownCpuMs / batch, othersShare: win.othersShare })
    const reps = 3
    w = startWindow()
    for (let j = 0; j < reps; j++) await index.searchBatch(queries, k)
    win = w.end()
    batched.push({
      wallMs: win.wallMs / (reps * batch),
      cpuMs: win.ownCpuMs / (reps * batch),
      othersShare: win.othersShare,
    })
  }
  const { writeFileSync } = await import('node:fs')
  const result: ChildResult = {
    threads: process.env.RAYON_NUM_THREADS ?? 'default',
    n,
    d,
    batch,
    one,
    batched,
    load: loadAverage(),
  }
  writeFileSync(out, JSON.stringify(result))
}

async function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  mkdirSync(CACHE_DIR, { recursive: true })
  const out = join(CACHE_DIR, `flat-batch-${process.pid}-${Math.random().toString(36).slice(2)}.json`)
  await new Promise<void>((resolve, reject) => {
    const c = fork(join(import.meta.dirname, 'flat-batch.bench.ts'), ['--child', `--out=${out}`, ...args], {
      execArgv: process.execArgv,
      env,
      stdio: 'inherit',
    })
    c.on('exit', code => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`))))
  })
  const r = JSON.parse(readFileSync(out, 'utf8')) as ChildResult
  rmSync(out, { force: true })
  return r
}

export async function runFlatBatch(opts: { quick: boolean; values: Map<string, string> }) {
  const n = Number(opts.values.get('n') ?? (opts.quick ? 200_000 : 1_000_000))
  const d = Number(opts.values.get('d') ?? 128)
  const batch = Number(opts.values.get('batch') ?? 16)
  const rounds = opts.quick ? 2 : 5
  heading(`Exact search, FlatIndex ${num(n)} × ${d} (l2, uniform), k = 10, batch of ${batch}: ${describeMachine()}`)
  const args = [`--n=${n}`, `--d=${d}`, `--batch=${batch}`, `--rounds=${rounds}`]
  const results: ChildResult[] = []
  for (const threads of ['1', undefined]) {
    await waitForQuiet(
      `flat batch, threads ${threads ?? 'default'}`,
      0.1,
      Number(opts.values.get('quiet-wait-ms') ?? 60_000),
    )
    const env = { ...process.env }
    if (threads === undefined) delete env.RAYON_NUM_THREADS
    else env.RAYON_NUM_THREADS = threads
    results.push(await runChild(args, env))
  }
  const rowsOut = results.map(r => {
    const one = median(r.one.map(p => p.wallMs))
    const b = median(r.batched.map(p => p.wallMs))
    const oneCpu = median(r.one.map(p => p.cpuMs))
    const bCpu = median(r.batched.map(p => p.cpuMs))
    return [
      r.threads === '1' ? '1 (RAYON_NUM_THREADS=1)' : 'default pool',
      `${one.toFixed(2)} ms (CPU ${oneCpu.toFixed(2)})`,
      `${b.toFixed(2)} ms (CPU ${bCpu.toFixed(2)})`,
      ratio(one, b),
      ratio(oneCpu, bCpu),
      r.one
        .concat(r.batched)
        .map(p => pct(p.othersShare))
        .join(' '),
      r.load,
    ]
  })
  table(
    [
      'batch threads',
      'searchSync, per query (median)',
      `searchBatch(${batch}), per query`,
      'throughput × (wall)',
      '× (CPU)',
      "others' CPU per pass",
      'load avg at end',
    ],
    rowsOut,
  )
  return { n, d, batch, results }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  if (flags.values.has('child')) {
    await child(
      Number(flags.values.get('n')),
      Number(flags.values.get('d')),
      Number(flags.values.get('batch')),
      Number(flags.values.get('rounds')),
      flags.values.get('out')!,
    )
  } else {
    const result = await runFlatBatch(flags)
    console.log(`\nresults: ${writeResult('flat-batch', result)}`)
  }
}
