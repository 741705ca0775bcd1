/**
 * Harness overhead against a no-op target: how many requests per second the harness can drive
 * on one core, and how much latency it adds per request, beside a bare loop that only awaits
 * the target and records into an HDR histogram. Issue target: ≥ 1 M requests/s with the pool
 * and the detector on, so the instrument is never the bottleneck.
 *
 * Measured in one process, round-robin (every configuration once per round, so a burst of load
 * from other processes hits all of them alike), after one discarded warm-up round:
 * - `bare`: N async users, each looping `await target.search(q)` + `hist.recordValue(µs)` into
 *   an hdr-histogram-js WASM histogram (the build the harness uses). It does only what any load
 *   generator must do for a no-op: await, read the clock, record.
 * - `harness, pool+detector off`: `runConcurrentTest`, closed model, `detector: false`, a pool of
 *   size = users (it never makes anyone wait, but every request still takes and returns a lease).
 * - `harness, pool+detector on`: the defaults (pool of size = users, a detector with its watchdog
 *   worker, per-request timeout 30 s).
 * for users = 1, 16, 64, each for a fixed time.
 *
 * Reported per configuration: requests/s (median and min–max over the rounds) and the ratio to
 * the bare loop with the same users; requests per CPU-second of this process (what one core can
 * drive, much less disturbed than wall-clock rates when other processes take the core away), its
 * ratio, and the CPU time per request the harness adds (1/X_cpu,harness − 1/X_cpu,bare); and the
 * latency the harness adds per request, two ways:
 * - `Δ(N/X)`: N/X is the mean time a request takes in a closed loop with no think time (Little),
 *   so N·(1/X_harness − 1/X_bare) is the time the harness adds to each request (for N = 1 this is
 *   simply the CPU time per request it adds);
 * - the mean response and service times the harness itself reports for the no-op (µs resolution:
 *   HDR records whole microseconds, so sub-µs means are quantised).
 *
 * Also reported:
 * - the CPU other processes used during each sample (in cores) and the CPU this process got
 *   (CPU time / wall time): the machine has 2 cores and is shared, and a sample taken while this
 *   process did not have a core to itself is suspect;
 * - the bare loop measured before the harness has run at all in this process, beside the bare
 *   loop in the rounds: a gap means running the harness leaves the process slower (it did: an
 *   AsyncLocalStorage left enabled ran promise hooks on every promise, the target's included).
 *
 * Run from the repository root: `npx tsx benchmark/harness-overhead.bench.ts [--quick]`
 * (`--json=<file>` also writes the raw numbers).
 */
import { writeFileSync } from 'node:fs'
import os from 'node:os'

import * as hdr from 'hdr-histogram-js'

import { ConcurrentBenchmark, histogramBackend } from '../harness/index.ts'
import type { ConcurrentTestResult, SearchTarget } from '../harness/index.ts'
import { cpuSnapshot, loadAverage, machine, markdownTable, median, othersShare, parseFlags } from './lib/common.ts'

const argv = process.argv.slice(2)
const flags = parseFlags(argv)
const QUICK = flags.quick
const JSON_OUT = flags.values.get('json')
const USERS = [1, 16, 64]
const ROUNDS = QUICK ? 3 : 7
/** Length of one measurement (ms); the harness runs add a warm-up excluded from its window. */
const MEASURE_MS = QUICK ? 500 : 1500
const HARNESS_WARMUP_MS = QUICK ? 150 : 300

type Kind = 'bare' | 'off' | 'on'
const KIND_LABEL: Record<Kind, string> = {
  bare: 'bare loop (await + HDR record)',
  off: 'harness, pool+detector off',
  on: 'harness, pool+detector on',
}

interface Sample {
  rps: number
  /**
   * Requests per second of this process's CPU time (its main thread, GC helpers and, for the
   * harness, the watchdog worker): what one core can drive, and far less sensitive than `rps` to
   * other processes taking the core away.
   */
  perCpuSec: number
  /** Mean response / service time as recorded (ms); the bare loop has only one. */
  responseMs: number
  serviceMs: number
  /** CPU used by other processes during the sample, in cores (0..number of cores). */
  othersCores: number
  /** This process's CPU time / wall time during the sample (≈ 1: it had its core throughout). */
  ownCpu: number
}

// ---------- the no-op target ----------

/** `async () => {}`: resolves at once (a microtask), reads nothing. */
const noop: SearchTarget<string> = { name: 'no-op', search: async () => {} }

// ---------- the bare loop ----------

hdr.initWebAssemblySync()

function bareHistogram(): hdr.Histogram {
  // The same settings as harness/metrics/histogram.ts.
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: true,
  })
}

async function bareUser(hist: hdr.Histogram, endAt: number): Promise<number> {
  const opts = { signal: new AbortController().signal }
  let n = 0
  let t = performance.now()
  while (t < endAt) {
    await noop.search('q', opts)
    const t2 = performance.now()
    hist.recordValue(Math.round((t2 - t) * 1000))
    t = t2
    n++
  }
  return n
}

async function bareRun(users: number): Promise<Sample> {
  const hist = bareHistogram()
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  const endAt = start + MEASURE_MS
  const counts = await Promise.all(Array.from({ length: users }, () => bareUser(hist, endAt)))
  const elapsed = performance.now() - start
  const cpu = process.cpuUsage(cpu0)
  const n = counts.reduce((a, b) => a + b, 0)
  const mean = hist.mean / 1000
  hist.destroy()
  return {
    rps: (n * 1000) / elapsed,
    perCpuSec: n / ((cpu.user + cpu.system) / 1e6),
    responseMs: mean,
    serviceMs: mean,
    othersCores: 0,
    ownCpu: 0,
  }
}

// ---------- the harness ----------

async function harnessRun(kind: 'off' | 'on', users: number): Promise<Sample> {
  const r: ConcurrentTestResult = await new ConcurrentBenchmark(noop).runConcurrentTest({
    load: { model: 'closed', users, durationMs: HARNESS_WARMUP_MS + MEASURE_MS, warmUpMs: HARNESS_WARMUP_MS },
    queries: ['q'],
    seed: 1,
    pool: { size: users },
    ...(kind === 'off' ? { detector: false as const } : {}),
  })
  if (r.totalRequests !== r.successfulRequests)
    throw new Error(`${kind}/${users}: ${r.totalRequests - r.successfulRequests} requests failed`)
  if (r.detector?.deadlockDetected) throw new Error(`${kind}/${users}: the detector reported a deadlock on a no-op`)
  return {
    rps: r.requestsPerSecond,
    // processCpuMs covers the measurement window only, like totalRequests.
    perCpuSec: r.totalRequests / (r.processCpuMs / 1000),
    responseMs: r.responseTime.mean,
    serviceMs: r.serviceTime.mean,
    othersCores: 0,
    ownCpu: 0,
  }
}

// ---------- other processes' CPU use ----------

/** Runs `fn` and measures the CPU other processes used meanwhile, and how much this one got. */
async function withLoad(fn: () => Promise<Sample>): Promise<Sample> {
  const t0 = cpuSnapshot()
  const c0 = process.cpuUsage()
  const w0 = performance.now()
  const s = await fn()
  const wallMs = performance.now() - w0
  const share = othersShare(t0, cpuSnapshot())
  const c = process.cpuUsage(c0)
  s.ownCpu = (c.user + c.system) / 1000 / wallMs
  if (Number.isFinite(share)) s.othersCores = share * os.availableParallelism()
  return s
}

// ---------- formatting ----------

const kilo = (x: number): string => `${(x / 1000).toFixed(0)} k`
const nsStr = (ms: number): string =>
  Math.abs(ms) < 0.01 ? `${(ms * 1e6).toFixed(0)} ns` : `${(ms * 1000).toFixed(2)} µs`

// ---------- main ----------

async function main(): Promise<void> {
  const configs: Array<{ kind: Kind; users: number }> = []
  for (const users of USERS) for (const kind of ['bare', 'off', 'on'] as const) configs.push({ kind, users })
  const run = (c: { kind: Kind; users: number }): Promise<Sample> =>
    withLoad(() => (c.kind === 'bare' ? bareRun(c.users) : harnessRun(c.kind, c.users)))

  const cpu = machine().cpu
  console.log(`# Harness overhead against a no-op target${QUICK ? ' (--quick)' : ''}\n`)
  console.log(
    `machine: ${cpu}, ${os.availableParallelism()} logical CPUs; Node ${process.version}; histograms: ${histogramBackend()}`,
  )
  console.log(`load average before: ${loadAverage()}`)
  console.log(`${ROUNDS} rounds (+1 warm-up round) × ${configs.length} configurations × ${MEASURE_MS} ms\n`)

  // The bare loop in this process before the harness has run at all: if the later bare rounds
  // are slower, running the harness left something behind that slows every promise (as an
  // enabled AsyncLocalStorage did: promise hooks on every promise in the process).
  const fresh = new Map<number, number>()
  for (const users of USERS) {
    const rps: number[] = []
    for (let i = 0; i < 5; i++) rps.push((await bareRun(users)).rps)
    rps.splice(0, 2) // JIT warm-up
    fresh.set(users, median(rps))
  }
  for (const c of configs) await run(c) // warm-up: JIT, WASM, worker start-up paths
  const samples = new Map<string, Sample[]>()
  const key = (c: { kind: Kind; users: number }): string => `${c.kind}/${c.users}`
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of configs) {
      const s = await run(c)
      const list = samples.get(key(c)) ?? []
      list.push(s)
      samples.set(key(c), list)
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`)
  }

  const rows: string[][] = []
  const raw: Array<Record<string, unknown>> = []
  for (const users of USERS) {
    const bare = samples.get(`bare/${users}`) ?? []
    const bareRps = median(bare.map(s => s.rps))
    const bareCpu = median(bare.map(s => s.perCpuSec))
    for (const kind of ['bare', 'off', 'on'] as const) {
      const ss = samples.get(`${kind}/${users}`) ?? []
      const rps = ss.map(s => s.rps)
      const med = median(rps)
      // Little: mean time per request in a closed loop with no think time is N/X.
      const addedMs = kind === 'bare' ? 0 : users * (1000 / med - 1000 / bareRps)
      const cpuMed = median(ss.map(s => s.perCpuSec))
      // CPU time per request the harness adds (robust to preemption).
      const addedCpuMs = kind === 'bare' ? 0 : 1000 / cpuMed - 1000 / bareCpu
      const resp = median(ss.map(s => s.responseMs))
      const serv = median(ss.map(s => s.serviceMs))
      const others = median(ss.map(s => s.othersCores))
      const own = median(ss.map(s => s.ownCpu))
      rows.push([
        String(users),
        KIND_LABEL[kind],
        kilo(med),
        `${kilo(Math.min(...rps))}–${kilo(Math.max(...rps))}`,
        kind === 'bare' ? '1.00' : (med / bareRps).toFixed(2),
        kilo(cpuMed),
        kind === 'bare' ? '1.00' : (cpuMed / bareCpu).toFixed(2),
        kind === 'bare' ? '—' : nsStr(addedCpuMs),
        kind === 'bare' ? '—' : nsStr(addedMs),
        nsStr(resp),
        kind === 'bare' ? '—' : nsStr(serv),
        others.toFixed(2),
        `${(own * 100).toFixed(0)} %`,
      ])
      raw.push({
        users,
        kind,
        rps,
        medianRps: med,
        ratioToBare: med / bareRps,
        medianPerCpuSec: cpuMed,
        ratioToBarePerCpu: cpuMed / bareCpu,
        addedCpuPerRequestMs: addedCpuMs,
        addedLatencyMs: addedMs,
        samples: ss,
      })
    }
  }
  console.log(
    markdownTable(
      [
        'users',
        'loop',
        'req/s (median)',
        'req/s (min–max)',
        '× bare',
        'req per CPU-s',
        '× bare (CPU)',
        'CPU added per req',
        'latency added Δ(N/X)',
        'mean response',
        'mean service',
        "others' CPU (cores)",
        'own CPU/wall',
      ],
      rows,
    ),
  )
  console.log('\nbare loop before any harness run in this process vs in the rounds (after harness runs):')
  console.log(
    markdownTable(
      ['users', 'fresh req/s', 'in rounds req/s', 'ratio'],
      USERS.map(users => {
        const inRounds = median((samples.get(`bare/${users}`) ?? []).map(s => s.rps))
        const f = fresh.get(users) ?? Number.NaN
        return [String(users), kilo(f), kilo(inRounds), (inRounds / f).toFixed(2)]
      }),
    ),
  )
  console.log(`\nload average after: ${loadAverage()}`)
  if (JSON_OUT) {
    writeFileSync(
      JSON_OUT,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          command: `npx tsx benchmark/harness-overhead.bench.ts ${argv.join(' ')}`.trim(),
          machine: { cpu, cores: os.availableParallelism(), node: process.version },
          rounds: ROUNDS,
          measureMs: MEASURE_MS,
          freshBareRps: Object.fromEntries(fresh),
          results: raw,
        },
        null,
        2,
      ),
    )
  }
}

await main()
