/**
 * The cost of the per-level metrics on the measured path: the hybrid target driven by the
 * harness with recall sampling (1 % of searches, exact ground truth kept by the target) and the
 * resource sampler (memory every 100 ms, GC observer, loop-delay monitor) on, and with both off,
 * in the same process, alternating the order every round so a burst from other processes hits
 * both alike.
 *
 * Reported per users level: requests/s on and off (median over the rounds) and their ratio, the
 * time the exact searches took after each level (off the window), other processes' share of
 * the machine during the rounds, and the load average. The issue's bound: under 2 %.
 *
 * Run from the repository root: `npx tsx benchmark/metrics-overhead.bench.ts [--quick]`
 * (npm script: `npm --prefix benchmark run bench:metrics-overhead`).
 */

import { ConcurrentBenchmark, FlatIndex, sessionFactory, unifiedSearchTarget } from '../main.ts'
import type { SearchTarget } from '../harness/index.ts'
import { ExactGroundTruth, UnifiedGroundTruth, vectorIndexRecallProbe } from '../harness/target/index.ts'
import { openCorpusStore } from './lib/corpus-store.ts'
import { cpuSnapshot, loadAverage, machine, markdownTable, median, othersShare, parseFlags } from './lib/common.ts'

const flags = parseFlags()
const QUICK = flags.quick
const USERS = [1, 8]
const ROUNDS = QUICK ? 3 : 15
const MEASURE_MS = QUICK ? 700 : 1000
const WARMUP_MS = 300

const store = await openCorpusStore('metrics-overhead', QUICK)
try {
  const { system, docs, queries } = store
  const groundTruth = await UnifiedGroundTruth.build(system, docs)

  interface Sample {
    rps: number
    /** This process's CPU per successful request (µs): less sensitive than req/s to other processes. */
    cpuUs: number
    evaluationMs: number
    sampled: number
    others: number
  }
  const run = async (users: number, on: boolean): Promise<Sample> => {
    const target = unifiedSearchTarget(system, { mode: 'hybrid', k: 10, ...(on ? { groundTruth } : {}) })
    const before = cpuSnapshot()
    const result = await new ConcurrentBenchmark(target).runConcurrentTest({
      load: { model: 'closed', users, durationMs: WARMUP_MS + MEASURE_MS, warmUpMs: WARMUP_MS },
      queries,
      pool: { factory: sessionFactory(system), name: 'sessions' },
      detector: false,
      seed: 1,
      recall: on ? { sampleRate: 0.01 } : false,
      resources: on ? {} : false,
    })
    const others = othersShare(before, cpuSnapshot())
    await target.close()
    return {
      rps: result.successfulRequestsPerSecond,
      cpuUs: (1000 * result.processCpuMs) / Math.max(1, result.successfulRequests),
      evaluationMs: result.enhancedMetrics?.recall?.evaluationMs ?? 0,
      sampled: result.enhancedMetrics?.recall?.sampled ?? 0,
      others,
    }
  }

  const samples = new Map<string, Sample[]>()
  const loadBefore = loadAverage()
  await run(1, true) // warm-up round, discarded
  for (let round = 0; round < ROUNDS; round++) {
    for (const users of USERS) {
      for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
        const key = `${users}:${on}`
        samples.set(key, [...(samples.get(key) ?? []), await run(users, on)])
      }
    }
  }
  await system.close()

  const m = machine()
  console.log(`${m.cpu}, ${m.logicalCpus} logical CPUs, Node ${m.node}`)
  console.log(`load average before ${loadBefore}, after ${loadAverage()}`)
  console.log(
    `${ROUNDS} rounds of ${MEASURE_MS} ms per setting, hybrid search (k 10) on ${docs.length} documents, on/off alternating\n`,
  )
  const of = (users: number, on: boolean, key: keyof Sample): number =>
    median((samples.get(`${users}:${on}`) ?? []).map(x => x[key]))
  /** Median of the per-round on/off ratios (the two runs of a round are adjacent in time). */
  const pairedRatio = (users: number, key: 'rps' | 'cpuUs'): number => {
    const on = samples.get(`${users}:true`) ?? []
    const off = samples.get(`${users}:false`) ?? []
    return median(on.map((s, i) => s[key] / off[i][key]))
  }
  const rows = USERS.map(users => {
    const [on, off] = [of(users, true, 'rps'), of(users, false, 'rps')]
    return [
      users,
      on.toFixed(0),
      off.toFixed(0),
      `${((on / off - 1) * 100).toFixed(1)} %`,
      `${((pairedRatio(users, 'rps') - 1) * 100).toFixed(1)} %`,
      `${of(users, true, 'cpuUs').toFixed(0)} / ${of(users, false, 'cpuUs').toFixed(0)}`,
      `${((pairedRatio(users, 'cpuUs') - 1) * 100).toFixed(1)} %`,
      of(users, true, 'sampled').toFixed(0),
      of(users, true, 'evaluationMs').toFixed(0),
      `${(of(users, true, 'others') * 100).toFixed(0)} % / ${(of(users, false, 'others') * 100).toFixed(0)} %`,
    ]
  })
  console.log(
    markdownTable(
      [
        'users',
        'metrics on (req/s)',
        'metrics off (req/s)',
        'on vs off (medians)',
        'on vs off (median of paired rounds)',
        'CPU µs/req on / off',
        'CPU/req on vs off (paired)',
        'searches sampled',
        'exact check after the level (ms)',
        'other processes on / off',
      ],
      rows,
    ),
  )
  const perRound = USERS.map(users => {
    const on = (samples.get(`${users}:true`) ?? []).map(s => s.rps.toFixed(0)).join(', ')
    const off = (samples.get(`${users}:false`) ?? []).map(s => s.rps.toFixed(0)).join(', ')
    return `${users} users: on [${on}], off [${off}]`
  })
  console.log(`\nper round (req/s):\n${perRound.join('\n')}`)

  // Part 2: the harness's own added cost per request, against a target that does no work (it
  // returns the same 10 hits at once), so the engine's noise does not hide microseconds. The
  // difference of 1 / throughput on and off is what the metrics add to every request.
  const d = 16
  const flat = new FlatIndex({ dimensions: d, metric: 'l2' })
  flat.addSync(
    Array.from({ length: 1000 }, (_, i) => i),
    new Float32Array(1000 * d).map((_, i) => Math.sin(i)),
  )
  const hits = Array.from({ length: 10 }, (_, i) => ({ id: i, distance: i / 10 }))
  const vq = Array.from({ length: 64 }, (_, i) => new Float32Array(d).fill(i / 64))
  const probe = vectorIndexRecallProbe(new ExactGroundTruth(flat), 10)
  const noWork = (on: boolean): SearchTarget<Float32Array, never> => ({
    name: 'no-work',
    search: () => Promise.resolve(hits.slice()),
    ...(on ? { recallProbe: probe } : {}),
  })
  const noWorkRun = async (on: boolean): Promise<number> => {
    const result = await new ConcurrentBenchmark<Float32Array, never>(noWork(on)).runConcurrentTest({
      load: { model: 'closed', users: 8, durationMs: WARMUP_MS + MEASURE_MS, warmUpMs: WARMUP_MS },
      queries: vq,
      detector: false,
      seed: 1,
      recall: on ? { sampleRate: 0.01 } : false,
      resources: on ? {} : false,
    })
    return result.successfulRequestsPerSecond
  }
  const nw: { on: number[]; off: number[] } = { on: [], off: [] }
  await noWorkRun(true)
  for (let round = 0; round < ROUNDS; round++) {
    for (const on of round % 2 === 0 ? [true, false] : [false, true]) nw[on ? 'on' : 'off'].push(await noWorkRun(on))
  }
  const usOn = median(nw.on.map(x => 1e6 / x))
  const usOff = median(nw.off.map(x => 1e6 / x))
  const paired = median(nw.on.map((x, i) => 1e6 / x - 1e6 / nw.off[i]))
  console.log(
    `\nno-work target, 8 users, ${ROUNDS} rounds: ${usOn.toFixed(2)} µs/request on, ${usOff.toFixed(2)} off; ` +
      `median paired difference ${paired.toFixed(3)} µs/request (req/s on [${nw.on.map(x => x.toFixed(0)).join(', ')}], off [${nw.off.map(x => x.toFixed(0)).join(', ')}])`,
  )
} finally {
  await store.dispose()
}
