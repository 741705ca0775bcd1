/**
 * Benchmark 3 — what "async" costs: `search` vs `searchSync` per call (one at a time and 16 in
 * flight), beside `noopAsync()` as the floor measured in the same run; event-loop delay while
 * searches are in flight vs the same number of searchSync calls; throughput with 16 in flight vs
 * 1, and how it follows libuv's pool size (UV_THREADPOOL_SIZE, default 4, on 2 cores).
 *
 * tinybench, not benny: benny (benchmark.js) runs one deferred call at a time and reports
 * ops/s ± margin only — no concurrency within a task, no latency percentiles.
 *
 * Run alone: `npx tsx async.bench.ts [--quick]` inside benchmark/; `--many-only [--rounds=N]` runs only the
 * single-call trio and the many-in-flight section (N paired rounds, default 5).
 */
import { fork, spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { HnswIndex, loadIndex, nativeThreadStats, noopAsync } from '../main.ts'
import type { NativeThreadStats } from '../main.ts'
import {
  CACHE_DIR,
  heading,
  isMain,
  median,
  ns,
  num,
  parseFlags,
  pct,
  ratio,
  startWindow,
  table,
  waitForQuiet,
  writeResult,
} from './lib/common.ts'
import { rowsOf } from './lib/data.ts'
import { prepareDataset, specFor } from './lib/dataset.ts'
import { type TaskStats, medianOverRounds, taskStats, timedBench } from './lib/tinybench.ts'

const K = 10
const IN_FLIGHT = 16

function asyncSpec(quick: boolean) {
  return { ...specFor(quick), n: quick ? 10_000 : 20_000, queries: 256 }
}

/** The cached queries of the async benchmark's data set (children use the same ones). */
async function asyncQueries(quick: boolean): Promise<Float32Array[]> {
  const spec = asyncSpec(quick)
  const data = await prepareDataset(spec)
  return rowsOf(data.queries, spec.dims)
}

async function buildIndex(
  quick: boolean,
): Promise<{ index: HnswIndex; queries: Float32Array[]; path: string; n: number }> {
  const spec = asyncSpec(quick)
  const data = await prepareDataset(spec)
  const path = join(CACHE_DIR, `async-n${spec.n}-s${spec.seed}.vnidx`)
  const index = new HnswIndex({ dimensions: spec.dims, metric: 'l2' })
  const ids = new Float64Array(spec.n).map((_, i) => i)
  await index.add(ids, data.base)
  await index.save(path)
  const queries = rowsOf(data.queries, spec.dims)
  return { index, queries, path, n: spec.n }
}

/** One tinybench run of every call pattern, tasks in the given order. */
async function tinyRound(index: HnswIndex, queries: Float32Array[], time: number): Promise<TaskStats[]> {
  let i = 0
  const next = () => queries[i++ % queries.length]
  const bench = timedBench(time)
  bench
    .add('noopAsync()', async () => {
      await noopAsync()
    })
    .add('search() — async, 1 in flight', async () => {
      await index.search(next(), K)
    })
    .add('searchSync()', () => {
      index.searchSync(next(), K)
    })
    .add(`noopAsync() × ${IN_FLIGHT} in flight`, async () => {
      const ps: Promise<void>[] = []
      for (let j = 0; j < IN_FLIGHT; j++) ps.push(noopAsync())
      await Promise.all(ps)
    })
    .add(`search() × ${IN_FLIGHT} in flight`, async () => {
      const ps: Promise<unknown>[] = []
      for (let j = 0; j < IN_FLIGHT; j++) ps.push(index.search(next(), K))
      await Promise.all(ps)
    })
    .add(`searchSync() × ${IN_FLIGHT}`, () => {
      for (let j = 0; j < IN_FLIGHT; j++) index.searchSync(next(), K)
    })
  await bench.run()
  return taskStats(bench)
}

interface LoopDelay {
  mode: string
  calls: number
  wallMs: number
  throughput: number
  p50: number
  p99: number
  max: number
  othersShare: number
}

/** Keeps `inFlight` async searches running until `total` have completed. */
async function pool(
  index: HnswIndex,
  queries: Float32Array[],
  total: number,
  inFlight: number,
  options?: { coalesce: boolean },
): Promise<void> {
  let started = 0
  let i = 0
  await new Promise<void>((resolve, reject) => {
    let done = 0
    const launch = () => {
      if (started >= total) return
      started++
      index.search(queries[i++ % queries.length], K, options).then(() => {
        done++
        if (done === total) resolve()
        else launch()
      }, reject)
    }
    for (let j = 0; j < inFlight; j++) launch()
  })
}

/** The same number of searchSync calls, `chunk` per macrotask (a server answering `chunk` requests per tick). */
async function syncChunks(index: HnswIndex, queries: Float32Array[], total: number, chunk: number): Promise<void> {
  let i = 0
  while (i < total) {
    for (let j = 0; j < chunk && i < total; j++) index.searchSync(queries[i++ % queries.length], K)
    await new Promise(r => setImmediate(r))
  }
}

async function loopDelay(mode: string, calls: number, run: () => Promise<void>): Promise<LoopDelay> {
  const h = monitorEventLoopDelay({ resolution: 1 })
  const w = startWindow()
  h.enable()
  await run()
  h.disable()
  const win = w.end()
  return {
    mode,
    calls,
    wallMs: win.wallMs,
    throughput: (calls / win.wallMs) * 1000,
    p50: h.percentile(50),
    p99: h.percentile(99),
    max: h.max,
    othersShare: win.othersShare,
  }
}

async function attribute(index: HnswIndex, queries: Float32Array[], calls: number) {
  await waitForQuiet('async attribution')
  const c0 = process.cpuUsage()
  for (let i = 0; i < calls; i++) index.searchSync(queries[i % queries.length], K)
  const c = process.cpuUsage(c0)
  const syncCpuPerCall = ((c.user + c.system) * 1e3) / calls
  const before = nativeThreadStats()
  for (let i = 0; i < calls; i++) await index.search(queries[i % queries.length], K)
  const d = statsDelta(before, nativeThreadStats())
  const tasks = d.reduce((a, x) => a + x.tasks, 0)
  const workerCpuPerTask = (d.reduce((a, x) => a + x.cpuMs, 0) * 1e6) / tasks
  const workerWallPerTask = (d.reduce((a, x) => a + x.wallMs, 0) * 1e6) / tasks
  return { syncCpuPerCall, workerCpuPerTask, workerWallPerTask, workers: d.length }
}

function statsDelta(before: NativeThreadStats[], after: NativeThreadStats[]) {
  return after
    .map(a => {
      const b = before.find(x => x.threadId === a.threadId)
      return {
        threadId: a.threadId,
        tasks: a.tasks - (b?.tasks ?? 0),
        cpuMs: (a.cpuTimeNs - (b?.cpuTimeNs ?? 0)) / 1e6,
        wallMs: (a.wallTimeNs - (b?.wallTimeNs ?? 0)) / 1e6,
      }
    })
    .filter(d => d.tasks > 0)
}

// ---- pool-size child: throughput with 1 and 16 in flight under this process's UV_THREADPOOL_SIZE ----
async function poolChild(path: string, seconds: number, out: string): Promise<void> {
  const index = (await loadIndex(path)) as HnswIndex
  const qs = await asyncQueries(false)
  const measure = async (inFlight: number) => {
    await pool(index, qs, 500, inFlight) // warm-up
    let total = 2000
    for (;;) {
      const w = startWindow()
      await pool(index, qs, total, inFlight)
      const win = w.end()
      if (win.wallMs > seconds * 1000 || total > 1e6)
        return { inFlight, qps: (total / win.wallMs) * 1000, othersShare: win.othersShare }
      total *= 2
    }
  }
  const before = nativeThreadStats()
  const one = await measure(1)
  const many = await measure(IN_FLIGHT)
  const threads = statsDelta(before, nativeThreadStats()).length
  const { writeFileSync } = await import('node:fs')
  writeFileSync(out, JSON.stringify({ uv: process.env.UV_THREADPOOL_SIZE ?? '4 (default)', one, many, threads }))
}

/**
 * Many independent `search()` calls in flight (a server's pattern): QPS with the calls
 * coalesced (default) and each sent alone (`coalesce: false`), against one thread of
 * `searchSync` in a loop, same index and queries; loop delay while 64 are in flight.
 */
/**
 * Many independent `search()` calls in flight vs one thread of `searchSync`, in paired rounds:
 * each round measures `searchSync` and then every in-flight level (coalesced, then each call
 * alone), so a level's ratio is against the `searchSync` of its own round; the table reports
 * the median over rounds of each figure and of each ratio (the machine's load drifts between
 * rounds, and a ratio within one round survives it best).
 */
async function manyInFlight(index: HnswIndex, queries: Float32Array[], quick: boolean, rounds: number) {
  const seconds = quick ? 0.4 : 1.2
  const qpsOf = async (run: (total: number) => Promise<void>) => {
    await run(500) // warm-up
    let total = 2000
    for (;;) {
      const w = startWindow()
      await run(total)
      const win = w.end()
      if (win.wallMs > seconds * 1000 || total > 4e6)
        return {
          qps: (total / win.wallMs) * 1000,
          othersShare: win.othersShare,
          // This process's CPU (all threads) per search: what survives a busy machine.
          cpuUsPerSearch: (win.ownCpuMs * 1000) / total,
        }
      total *= 2
    }
  }
  type Measured = { qps: number; othersShare: number; cpuUsPerSearch: number }
  const levels = [1, 4, 16, 64, 256]
  const perRound: { sync: Measured; levels: { inFlight: number; coalesced: Measured; alone: Measured }[] }[] = []
  for (let r = 0; r < rounds; r++) {
    await waitForQuiet(`many in flight, round ${r + 1} of ${rounds}`)
    const sync = await qpsOf(async total => {
      for (let i = 0; i < total; i++) index.searchSync(queries[i % queries.length], K)
    })
    const measured: { inFlight: number; coalesced: Measured; alone: Measured }[] = []
    for (const inFlight of levels) {
      const coalesced = await qpsOf(total => pool(index, queries, total, inFlight))
      const alone = await qpsOf(total => pool(index, queries, total, inFlight, { coalesce: false }))
      measured.push({ inFlight, coalesced, alone })
    }
    perRound.push({ sync, levels: measured })
  }
  const med = (pick: (round: (typeof perRound)[number]) => number) => median(perRound.map(pick))
  const sync = {
    qps: med(p => p.sync.qps),
    cpuUsPerSearch: med(p => p.sync.cpuUsPerSearch),
    othersShare: med(p => p.sync.othersShare),
  }
  const summarize = (i: number, mode: 'coalesced' | 'alone') => ({
    qps: med(p => p.levels[i][mode].qps),
    /** Median over rounds of (this QPS / the same round's searchSync QPS). */
    perSync: med(p => p.levels[i][mode].qps / p.sync.qps),
    perSyncRange: [
      Math.min(...perRound.map(p => p.levels[i][mode].qps / p.sync.qps)),
      Math.max(...perRound.map(p => p.levels[i][mode].qps / p.sync.qps)),
    ],
    cpuUsPerSearch: med(p => p.levels[i][mode].cpuUsPerSearch),
    othersShare: med(p => p.levels[i][mode].othersShare),
  })
  const rows = levels.map((inFlight, i) => ({
    inFlight,
    coalesced: summarize(i, 'coalesced'),
    alone: summarize(i, 'alone'),
  }))
  const total = quick ? 4000 : 20000
  const delay = await loopDelay('search(), 64 in flight, coalesced', total, () => pool(index, queries, total, 64))
  heading(
    `Many in flight: search() QPS, coalesced vs each call alone, vs one thread of searchSync ` +
      `(median of ${rounds} paired round(s): ${num(sync.qps)} QPS, CPU ${sync.cpuUsPerSearch.toFixed(1)} µs / search, ` +
      `others' CPU ${pct(sync.othersShare)})`,
  )
  const perSync = (m: { perSync: number; perSyncRange: number[] }) =>
    rounds > 1
      ? `${m.perSync.toFixed(2)}× (${m.perSyncRange[0].toFixed(2)}–${m.perSyncRange[1].toFixed(2)})`
      : `${m.perSync.toFixed(2)}×`
  table(
    [
      'in flight',
      'coalesced QPS',
      '/ searchSync (range)',
      'CPU µs / search',
      'alone QPS',
      '/ searchSync (range)',
      'CPU µs / search',
      "others' CPU (coalesced / alone)",
    ],
    rows.map(r => [
      r.inFlight,
      num(r.coalesced.qps),
      perSync(r.coalesced),
      r.coalesced.cpuUsPerSearch.toFixed(1),
      num(r.alone.qps),
      perSync(r.alone),
      r.alone.cpuUsPerSearch.toFixed(1),
      `${pct(r.coalesced.othersShare)} / ${pct(r.alone.othersShare)}`,
    ]),
  )
  console.log(
    `  event loop, ${num(total)} searches with 64 in flight (coalesced): ${num(delay.throughput)} searches/s, ` +
      `delay p50 ${ns(delay.p50)}, p99 ${ns(delay.p99)}, max ${ns(delay.max)}; others' CPU ${pct(delay.othersShare)}`,
  )
  return { syncQps: sync.qps, sync, rounds, rows, perRound, loopDelay: delay }
}

export async function runAsync(opts: { quick: boolean }) {
  const rounds = opts.quick ? 1 : 3
  const time = opts.quick ? 400 : 1000
  const { index, queries, path, n } = await buildIndex(opts.quick)
  heading(
    `Async cost — HNSW ${num(n)} × 128 (l2, M 16, efSearch 64), k = ${K}; tinybench, ${rounds} round(s) × ${time} ms per task`,
  )

  const roundsStats: TaskStats[][] = []
  const shares: number[] = []
  for (let r = 0; r < rounds; r++) {
    await waitForQuiet('async tinybench')
    const w = startWindow()
    roundsStats.push(await tinyRound(index, queries, time))
    shares.push(w.end().othersShare)
  }
  const agg = medianOverRounds(roundsStats)
  const get = (prefix: string) => agg.find(t => t.name.startsWith(prefix))!
  const noop1 = get('noopAsync()').mean
  const async1 = get('search() — async').mean
  const sync1 = get('searchSync()').mean
  const noop16 = get(`noopAsync() × `).mean
  const async16 = get(`search() × `).mean
  const sync16 = get(`searchSync() × `).mean

  table(
    ['pattern', 'mean / iteration', 'p50', 'p99', 'rme', 'per call', 'calls / s'],
    agg.map(t => {
      const calls = t.name.includes(`× ${IN_FLIGHT}`) ? IN_FLIGHT : 1
      return [
        t.name,
        ns(t.mean),
        ns(t.p50),
        ns(t.p99),
        `±${t.rme.toFixed(1)}%`,
        ns(t.mean / calls),
        num((calls / t.mean) * 1e9),
      ]
    }),
  )
  console.log(`  others' CPU share during the rounds: ${shares.map(pct).join(', ')}`)

  // Where the overhead goes: CPU time of a search on a libuv worker (nativeThreadStats) vs the
  // main thread's CPU time per searchSync call (process.cpuUsage; includes argument conversion
  // and building the result objects, which the worker figure does not).
  const attribution = await attribute(index, queries, opts.quick ? 1000 : 3000)
  const overhead1 = async1 - sync1
  const overhead16 = async16 / IN_FLIGHT - sync16 / IN_FLIGHT
  heading('Async overhead vs the noop round trip')
  table(
    ['', 'value'],
    [
      ['async − sync, 1 in flight (overhead per call)', ns(overhead1)],
      ['noopAsync round trip, 1 in flight', ns(noop1)],
      ['overhead / noop round trip (target ≤ 1.2)', ratio(overhead1, noop1)],
      ['CPU per search on a libuv worker (1 in flight)', ns(attribution.workerCpuPerTask)],
      ['CPU per searchSync on the main thread', ns(attribution.syncCpuPerCall)],
      [`async − sync per call, ${IN_FLIGHT} in flight`, ns(overhead16)],
      [`noopAsync per call, ${IN_FLIGHT} in flight`, ns(noop16 / IN_FLIGHT)],
      [`throughput: search ${IN_FLIGHT} in flight / search 1 in flight`, ratio(async1 / 1, async16 / IN_FLIGHT)],
      [`throughput: search ${IN_FLIGHT} in flight / searchSync`, ratio(sync1, async16 / IN_FLIGHT)],
    ],
  )

  // ---- event-loop delay ----
  const total = opts.quick ? 2000 : 8000
  await waitForQuiet('event-loop delay')
  const before = nativeThreadStats()
  const asyncRun = await loopDelay(`search(), ${IN_FLIGHT} in flight (pool)`, total, () =>
    pool(index, queries, total, IN_FLIGHT),
  )
  const threadDelta = statsDelta(before, nativeThreadStats())
  const asyncOne = await loopDelay('search(), 1 in flight', total, () => pool(index, queries, total, 1))
  const syncRun = await loopDelay(`searchSync(), ${IN_FLIGHT} per macrotask`, total, () =>
    syncChunks(index, queries, total, IN_FLIGHT),
  )
  const syncOne = await loopDelay('searchSync(), 1 per macrotask', total, () => syncChunks(index, queries, total, 1))
  heading(`Event-loop delay (monitorEventLoopDelay, resolution 1 ms) over ${num(total)} searches`)
  const eld = [asyncRun, asyncOne, syncRun, syncOne]
  table(
    ['mode', 'wall', 'searches / s', 'loop delay p50', 'p99', 'max', "others' CPU"],
    eld.map(e => [
      e.mode,
      `${e.wallMs.toFixed(0)} ms`,
      num(e.throughput),
      ns(e.p50),
      ns(e.p99),
      ns(e.max),
      pct(e.othersShare),
    ]),
  )
  console.log(
    `  libuv workers that ran searches (${IN_FLIGHT} in flight): ${threadDelta.length}; ` +
      threadDelta
        .map(d => `#${d.threadId}: ${d.tasks} tasks, CPU ${d.cpuMs.toFixed(0)} ms / wall ${d.wallMs.toFixed(0)} ms`)
        .join('; '),
  )

  // ---- throughput vs libuv pool size (child processes) ----
  const poolSizes = opts.quick ? [] : [1, 2, 4, 8]
  const poolRows: { uv: string; one: { qps: number }; many: { qps: number; othersShare: number }; threads: number }[] =
    []
  for (const uv of poolSizes) {
    await waitForQuiet(`pool size ${uv}`)
    const out = join(CACHE_DIR, `async-pool-${uv}-${process.pid}.json`)
    await new Promise<void>((resolve, reject) => {
      const child = fork(
        join(import.meta.dirname, 'async.bench.ts'),
        ['--pool-child', `--index=${path}`, `--out=${out}`],
        {
          execArgv: process.execArgv,
          env: { ...process.env, UV_THREADPOOL_SIZE: String(uv) },
          stdio: 'inherit',
        },
      )
      child.on('exit', code => (code === 0 ? resolve() : reject(new Error(`pool child exited ${code}`))))
    })
    poolRows.push(JSON.parse(readFileSync(out, 'utf8')))
    rmSync(out, { force: true })
  }
  if (poolRows.length) {
    heading('Throughput vs UV_THREADPOOL_SIZE (2 cores): search() with 1 and 16 in flight, separate processes')
    table(
      [
        'UV_THREADPOOL_SIZE',
        'QPS, 1 in flight',
        `QPS, ${IN_FLIGHT} in flight`,
        'scaling',
        'workers used',
        "others' CPU",
      ],
      poolRows.map(p => [
        p.uv,
        num(p.one.qps),
        num(p.many.qps),
        ratio(p.many.qps, p.one.qps),
        p.threads,
        pct(p.many.othersShare),
      ]),
    )
  }
  // ---- the same trio with the whole process pinned to one core (taskset -c 0) ----
  let pinned: { noop: number; async1: number; sync1: number } | null = null
  if (!opts.quick) {
    await waitForQuiet('pinned child')
    const out = join(CACHE_DIR, `async-pinned-${process.pid}.json`)
    const ok = await new Promise<boolean>(resolve => {
      const child = spawn(
        'taskset',
        [
          '-c',
          '0',
          process.execPath,
          ...process.execArgv,
          join(import.meta.dirname, 'async.bench.ts'),
          '--pinned-child',
          `--index=${path}`,
          `--out=${out}`,
        ],
        { stdio: 'inherit' },
      )
      child.on('error', () => resolve(false))
      child.on('exit', code => resolve(code === 0))
    })
    if (ok) {
      pinned = JSON.parse(readFileSync(out, 'utf8'))
      rmSync(out, { force: true })
      heading('Diagnostic: the same calls with the process pinned to one core (taskset -c 0)')
      table(
        ['', 'both cores (above)', 'pinned to core 0'],
        [
          ['noopAsync round trip', ns(noop1), ns(pinned!.noop)],
          ['search() async, 1 in flight', ns(async1), ns(pinned!.async1)],
          ['searchSync()', ns(sync1), ns(pinned!.sync1)],
          ['overhead / noop', ratio(overhead1, noop1), ratio(pinned!.async1 - pinned!.sync1, pinned!.noop)],
        ],
      )
    } else console.log('  (taskset not available: pinned diagnostic skipped)')
  }

  const many = await manyInFlight(index, queries, opts.quick, rounds)

  rmSync(path, { force: true })
  return {
    many,
    n,
    rounds: roundsStats,
    aggregated: agg,
    overheadPerCallNs: overhead1,
    noopNs: noop1,
    overheadOverNoop: overhead1 / noop1,
    attribution,
    pinned,
    overhead16PerCallNs: overhead16,
    eventLoop: eld,
    workers: threadDelta,
    poolSizes: poolRows,
  }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  if (flags.values.has('pinned-child')) {
    const index = (await loadIndex(flags.values.get('index')!)) as HnswIndex
    const qs = await asyncQueries(false)
    const rounds: TaskStats[][] = []
    for (let r = 0; r < 3; r++) rounds.push(await tinyRound(index, qs, 600))
    const m = (prefix: string) => median(rounds.map(rs => rs.find(t => t.name.startsWith(prefix))!.mean))
    const { writeFileSync } = await import('node:fs')
    writeFileSync(
      flags.values.get('out')!,
      JSON.stringify({ noop: m('noopAsync()'), async1: m('search() — async'), sync1: m('searchSync()') }),
    )
  } else if (flags.values.has('many-only')) {
    // Only the many-in-flight section (and the single-call trio), on a fresh index.
    const { index, queries, path } = await buildIndex(flags.quick)
    const rounds: TaskStats[][] = []
    for (let r = 0; r < (flags.quick ? 1 : 3); r++)
      rounds.push(await tinyRound(index, queries, flags.quick ? 400 : 1000))
    const m = (prefix: string) => median(rounds.map(rs => rs.find(t => t.name.startsWith(prefix))!.mean))
    const [noop, async1, sync1] = [m('noopAsync()'), m('search() — async'), m('searchSync()')]
    heading('Single awaited call')
    table(
      ['noopAsync', 'search() 1 in flight', 'searchSync', 'overhead / noop (target ≤ 1.2)'],
      [[ns(noop), ns(async1), ns(sync1), ratio(async1 - sync1, noop)]],
    )
    const many = await manyInFlight(
      index,
      queries,
      flags.quick,
      flags.quick ? 1 : Number(flags.values.get('rounds') ?? 5),
    )
    rmSync(path, { force: true })
    console.log(`\nresults: ${writeResult('async-many', { noop, async1, sync1, many })}`)
  } else if (flags.values.has('pool-child')) {
    await poolChild(flags.values.get('index')!, 1.5, flags.values.get('out')!)
  } else {
    const result = await runAsync(flags)
    console.log(`\nresults: ${writeResult('async', result)}`)
  }
}
