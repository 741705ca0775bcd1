/**
 * The cost of time attribution: the hybrid target driven by the harness with native timing on
 * (the default: a stamps object per native call, four property writes on the main thread as it
 * settles, the mapping onto performance.now() and the six-part recording) and off, in the same
 * process, round-robin so a burst from other processes hits both alike.
 *
 * Reported per users level: requests/s with timing on and off (median over the rounds), and the
 * median of each round's on/off ratio (the two runs of a round are adjacent, so a burst from
 * other processes mostly hits both: on a busy machine the paired ratio is the figure to read).
 * The bound: timing must not move throughput by more than 2 %.
 *
 * Run from the repository root: `npx tsx benchmark/time-attribution.bench.ts [--quick]`
 * (npm script: `npm --prefix benchmark run bench:time-attribution`).
 */

import { ConcurrentBenchmark, sessionFactory, unifiedSearchTarget } from '../main.ts'
import { openCorpusStore } from './lib/corpus-store.ts'
import { loadAverage, machine, markdownTable, median, parseFlags } from './lib/common.ts'

const flags = parseFlags()
const QUICK = flags.quick
const USERS = [1, 8]
const ROUNDS = QUICK ? 3 : 9
const MEASURE_MS = QUICK ? 700 : 2000
const WARMUP_MS = 300

const store = await openCorpusStore('time-attribution', QUICK)
try {
  const { system, docs, queries } = store

  /** Throughput (successful requests/s) and this process's CPU per request (µs). */
  const run = async (users: number, nativeTiming: boolean): Promise<{ rps: number; cpuUs: number }> => {
    const target = unifiedSearchTarget(system, { mode: 'hybrid', k: 10, nativeTiming })
    const result = await new ConcurrentBenchmark(target).runConcurrentTest({
      load: { model: 'closed', users, durationMs: WARMUP_MS + MEASURE_MS, warmUpMs: WARMUP_MS },
      queries,
      pool: { factory: sessionFactory(system), name: 'sessions' },
      detector: false,
      seed: 1,
    })
    await target.close()
    return {
      rps: result.successfulRequestsPerSecond,
      cpuUs: (1000 * result.processCpuMs) / Math.max(1, result.successfulRequests),
    }
  }

  const samples = new Map<string, { rps: number; cpuUs: number }[]>()
  await run(1, true) // warm-up round, discarded
  for (let round = 0; round < ROUNDS; round++) {
    for (const users of USERS) {
      // Alternate the order each round so neither setting always runs first.
      for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
        const key = `${users}:${on}`
        samples.set(key, [...(samples.get(key) ?? []), await run(users, on)])
      }
    }
  }
  await system.close()

  const m = machine()
  console.log(`${m.cpu}, ${m.logicalCpus} logical CPUs, Node ${m.node}; load average ${loadAverage()}`)
  console.log(`${ROUNDS} rounds of ${MEASURE_MS} ms per setting, hybrid search on ${docs.length} documents\n`)
  const of = (users: number, on: boolean, key: 'rps' | 'cpuUs'): number =>
    median((samples.get(`${users}:${on}`) ?? []).map(x => x[key]))
  /** Median over the rounds of (on / off − 1), each round's two runs paired. */
  const paired = (users: number, key: 'rps' | 'cpuUs'): number => {
    const on = samples.get(`${users}:true`) ?? []
    const off = samples.get(`${users}:false`) ?? []
    return median(on.map((x, i) => x[key] / off[i][key] - 1))
  }
  const percent = (x: number): string => `${(x * 100).toFixed(1)} %`
  const rows = USERS.map(users => {
    const [on, off] = [of(users, true, 'rps'), of(users, false, 'rps')]
    const [cpuOn, cpuOff] = [of(users, true, 'cpuUs'), of(users, false, 'cpuUs')]
    return [
      users,
      on.toFixed(0),
      off.toFixed(0),
      percent(on / off - 1),
      percent(paired(users, 'rps')),
      cpuOn.toFixed(1),
      cpuOff.toFixed(1),
      percent(cpuOn / cpuOff - 1),
      percent(paired(users, 'cpuUs')),
    ]
  })
  console.log(
    markdownTable(
      [
        'users',
        'timing on (req/s)',
        'timing off (req/s)',
        'on vs off',
        'paired',
        'CPU µs/req on',
        'CPU µs/req off',
        'on vs off',
        'paired',
      ],
      rows,
    ),
  )
} finally {
  await store.dispose()
}
