import test from 'ava'

import {
  ConcurrentBenchmark,
  ConfigError,
  DeadlockDetector,
  Outcome,
  closedModel,
  getLoadModel,
  loadModelNames,
  openModel,
  planClosedModel,
  querySequence,
  resolveClosedModel,
  validateConcurrentTestOptions,
  runClosedModel,
} from '../../../harness/index.ts'
import type { LoadDriver, SearchTarget, TargetCallOptions } from '../../../harness/index.ts'
import { createFixtureTarget } from '../../fixtures/fixture-target.ts'
import { assertConsistent } from '../../helpers/harness.ts'

const near = (got: number, want: number, rel: number): boolean => Math.abs(got - want) <= rel * want

// Ground truth comes from the fixture: c parallel slots, service time S (a timer; the fixture
// measures its real busy time, since Node timers fire a little early or late).

test.serial('closed model, N = 2c users, no think time: throughput = c/S, response ≈ N/X', async t => {
  const c = 4
  const S = 20
  const target = createFixtureTarget({ slots: c, serviceTimeMs: S })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2 * c, durationMs: 2000, warmUpMs: 300 },
    queries: ['a', 'b', 'c'],
    seed: 1,
  })
  assertConsistent(t, r)
  const capacity = target.measuredCapacity() // c / S_actual
  t.true(near(r.requestsPerSecond, capacity, 0.1), `X ${r.requestsPerSecond} vs c/S ${capacity}`)
  t.true(near(r.requestsPerSecond, (1000 * c) / S, 0.15), `X ${r.requestsPerSecond} vs nominal ${(1000 * c) / S}`)
  // Interactive response-time law: R = N/X (Z = 0) ≈ 2·S
  const R = (1000 * 2 * c) / r.requestsPerSecond
  t.true(near(r.responseTime.mean, R, 0.1), `R ${r.responseTime.mean} vs N/X ${R}`)
  t.true(r.littlesLaw?.consistent, JSON.stringify(r.littlesLaw))
  t.is(r.failedRequests + r.timeoutRequests, 0)
  t.true(r.fairness !== null && r.fairness > 0.95, `fairness ${r.fairness}`)
  t.is(r.window.startMs, 300)
  t.is(r.window.durationMs, 1700)
  t.is(r.threadPerformance.length, 8)
  t.true(r.threadPerformance.every(u => u.cpuTimeMs === null && u.requestsCompleted > 0))
  t.is(r.scalabilityEfficiency, null)
  t.is(r.loadModel, 'closed')
  t.is(r.environment.loadModel, 'closed')
  t.is(r.environment.seed, 1)
  t.true(r.environment.cores >= 1)
  t.is(r.environment.packageVersion, '0.1.0')
})

test.serial('closed model, N = c users: p50 ≈ S, no queueing, service ≈ response', async t => {
  const c = 4
  const S = 25
  const target = createFixtureTarget({ slots: c, serviceTimeMs: S })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: c, durationMs: 1500, warmUpMs: 200 },
    queries: ['q'],
    seed: 2,
    baselineThroughput: 1000 / S,
  })
  assertConsistent(t, r)
  const Sm = target.stats().meanBusyMs
  t.true(near(r.responseTime.p50, Sm, 0.15), `p50 ${r.responseTime.p50} vs S ${Sm}`)
  // no queueing anywhere: the tail stays close to S (timer jitter on a loaded machine aside)
  t.true(r.responseTime.p90 < 1.5 * Sm, `p90 ${r.responseTime.p90} vs S ${Sm}`)
  t.true(near(r.serviceTime.p50, r.responseTime.p50, 0.05))
  t.true(r.poolWait.p99 < 2, `pool wait p99 ${r.poolWait.p99}`)
  t.true(target.stats().maxInService <= c)
  t.true(near(r.requestsPerSecond, target.measuredCapacity(), 0.1))
  // X(N) / (N · X(1)) with X(1) = 1/S: linear scaling ≈ 100 %
  t.true(
    r.scalabilityEfficiency !== null && near(r.scalabilityEfficiency, 100, 0.15),
    `efficiency ${r.scalabilityEfficiency}`,
  )
})

test.serial('resource contention score = share of response time spent waiting for a pool lease', async t => {
  // 4 users, 2 leases, 10 free slots at the target: each request waits ≈ S for a lease, then
  // takes S: about half of the response time is pool wait.
  const target = createFixtureTarget({ slots: 10, serviceTimeMs: 20 })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1500, warmUpMs: 200 },
    queries: ['q'],
    pool: { size: 2 },
    seed: 3,
  })
  assertConsistent(t, r)
  t.true(r.resourceContentionScore > 40 && r.resourceContentionScore < 60, `score ${r.resourceContentionScore}`)
  t.true(
    near(r.poolWait.mean, r.serviceTime.mean, 0.2),
    `pool wait ${r.poolWait.mean} vs service ${r.serviceTime.mean}`,
  )
  t.is(r.connectionPoolUsage.peakUsage, 2)
  t.true(r.connectionPoolUsage.averageUsage > 1.8, `avg usage ${r.connectionPoolUsage.averageUsage}`)
  t.true(r.connectionPoolUsage.peakQueueLength >= 1)
  t.true(r.connectionPoolUsage.waitTimeMs > 10)
  // an uncontended pool scores ≈ 0
  const free = await new ConcurrentBenchmark(createFixtureTarget({ slots: 10, serviceTimeMs: 10 })).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 500 },
    queries: ['q'],
    seed: 3,
  })
  t.true(free.resourceContentionScore < 2, `score ${free.resourceContentionScore}`)
})

test.serial('closed model with think time: Little N = X·(R+Z) holds, throughput = N/(R+Z)', async t => {
  const target = createFixtureTarget({ slots: 10, serviceTimeMs: 10 })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1500, warmUpMs: 200, thinkTime: { kind: 'constant', ms: 40 } },
    queries: ['q'],
    seed: 4,
  })
  assertConsistent(t, r)
  const cycleMs = target.stats().meanBusyMs + 40
  t.true(near(r.requestsPerSecond, (4 * 1000) / cycleMs, 0.12), `X ${r.requestsPerSecond} vs ${(4 * 1000) / cycleMs}`)
  t.true(r.littlesLaw?.consistent, JSON.stringify(r.littlesLaw))
  t.true(near(r.littlesLaw?.observed ?? 0, 4, 0.01))
})

test.serial('open model, constant arrivals at λ: throughput ≈ λ, latency ≈ S, nothing dropped', async t => {
  const target = createFixtureTarget({ slots: 50, serviceTimeMs: 10 })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'open', rate: 200, durationMs: 1500, warmUpMs: 250, maxInFlight: 100 },
    queries: ['q'],
    seed: 5,
  })
  assertConsistent(t, r)
  // constant spacing: exactly λ·window arrivals start in the window
  t.is(r.totalRequests + r.droppedStarts, 250)
  t.is(r.droppedStarts, 0)
  t.true(near(r.requestsPerSecond, 200, 0.02), `X ${r.requestsPerSecond}`)
  t.true(near(r.responseTime.p50, target.stats().meanBusyMs, 0.3), `p50 ${r.responseTime.p50}`)
  t.true(r.littlesLaw?.consistent, JSON.stringify(r.littlesLaw))
  t.is(r.loadModel, 'open')
  t.is(r.concurrentUsers, 100)
  t.deepEqual(r.threadPerformance, [])
  t.is(r.fairness, null)
})

test.serial('open model, Poisson arrivals at λ: throughput ≈ λ', async t => {
  const target = createFixtureTarget({ slots: 50, serviceTimeMs: 10 })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'open', rate: 400, durationMs: 1500, arrivals: 'poisson' },
    queries: ['q'],
    seed: 6,
  })
  assertConsistent(t, r)
  // 600 expected arrivals, sd ≈ 24.5: 15 % is > 3.5 sd
  t.true(near(r.requestsPerSecond, 400, 0.15), `X ${r.requestsPerSecond}`)
  t.is(r.droppedStarts, 0)
})

test.serial('open model against a slow target with small maxInFlight: starts are dropped and counted', async t => {
  const target = createFixtureTarget({ slots: 3, serviceTimeMs: 100 })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'open', rate: 100, durationMs: 1000, maxInFlight: 3 },
    queries: ['q'],
    seed: 7,
  })
  assertConsistent(t, r)
  t.is(r.totalRequests + r.droppedStarts, 100, 'every scheduled start is a request or a dropped start')
  // capacity 3 / 100 ms = 30/s of the 100/s offered
  t.true(r.droppedStarts >= 55 && r.droppedStarts <= 80, `dropped ${r.droppedStarts}`)
  t.true(r.totalRequests >= 20 && r.totalRequests <= 45, `requests ${r.totalRequests}`)
  t.true(r.measurementWarnings.some(w => w.includes('dropped')))
  t.true(target.stats().maxInService <= 3)
})

test.serial('failures are counted by code, kept out of the latency of successes', async t => {
  const target = createFixtureTarget({ slots: 4, serviceTimeMs: 5, failEvery: 4, failCode: 'E_BUSY' })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 800 },
    queries: ['q'],
    errorBackoffMs: 0,
    seed: 8,
  })
  assertConsistent(t, r)
  t.true(r.failedRequests > 0)
  t.deepEqual(Object.keys(r.errorsByCode), ['E_BUSY'])
  t.true(Math.abs(r.failedRequests / r.totalRequests - 0.25) < 0.05)
  t.is(r.failedResponseTime.count, r.failedRequests)
})

test.serial('write mix and query classes: reads and writes contend and are reported per class', async t => {
  let inserts = 0
  const docs: unknown[] = []
  const base = createFixtureTarget({ slots: 2, serviceTimeMs: 5 })
  const target: SearchTarget<string, { id: number; v: number }> = {
    name: 'rw',
    search: (q, o) => base.search(q, o),
    insert: (doc, o: TargetCallOptions) => {
      inserts++
      docs.push(doc)
      return base.search('w', o)
    },
  }
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 3, durationMs: 1000 },
    queries: ['heavy-1', 'light-1', 'light-2'],
    classify: q => (q.startsWith('heavy') ? 'hybrid-heavy' : 'text-light'),
    writes: { fraction: 0.25, makeInsert: (rng, i) => ({ id: i, v: rng.next() }) },
    seed: 9,
  })
  assertConsistent(t, r)
  t.deepEqual(Object.keys(r.classes).sort(), ['hybrid-heavy', 'text-light', 'write'])
  const w = r.classes.write
  t.true(Math.abs(w.count / r.totalRequests - 0.25) < 0.08, `write share ${w.count / r.totalRequests}`)
  t.true(w.latency.count === w.successful && w.successful > 0)
  t.true(inserts >= w.count)
  const ids = docs.map(d => (d as { id: number }).id)
  t.is(new Set(ids).size, ids.length, 'insert sequence numbers are unique')
  // ~1/3 of reads are 'hybrid-heavy' (uniform over 3 queries)
  const reads = r.classes['hybrid-heavy'].count + r.classes['text-light'].count
  t.true(Math.abs(r.classes['hybrid-heavy'].count / reads - 1 / 3) < 0.1)
})

test.serial('same seed → the run sends the same query sequence as the pure plan', async t => {
  const sent: string[] = []
  const queries = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5']
  const target: SearchTarget<string> = {
    name: 'recorder',
    async search(q) {
      sent.push(q)
    },
  }
  const run = async (seed: number) => {
    sent.length = 0
    await new ConcurrentBenchmark(target).runConcurrentTest({
      load: { model: 'closed', users: 1, durationMs: 150, thinkTime: { kind: 'constant', ms: 2 } },
      queries,
      selection: { kind: 'zipf', exponent: 1.1 },
      seed,
      detector: false,
    })
    return [...sent]
  }
  const a = await run(31)
  const b = await run(31)
  const c = await run(32)
  const n = Math.min(a.length, b.length, 20)
  t.true(n >= 10)
  t.deepEqual(a.slice(0, n), b.slice(0, n))
  t.notDeepEqual(a.slice(0, n), c.slice(0, n))
  const plan = querySequence({ kind: 'zipf', exponent: 1.1 }, queries.length, 31, 0, n).map(i => queries[i])
  t.deepEqual(a.slice(0, n), plan)
})

test.serial('ramp-up: the run starts users at the planned times', async t => {
  const config = resolveClosedModel({ model: 'closed', users: 4, durationMs: 800, rampUp: { durationMs: 600 } })
  const started: number[] = []
  const t0 = performance.now()
  const driver: LoadDriver = {
    t0,
    seed: 1,
    signal: new AbortController().signal,
    errorBackoffMs: 0,
    execute: () => new Promise(r => setTimeout(() => r(Outcome.ok), 5)),
    userStarted: (id, at) => {
      started[id] = at - t0
    },
    userFinished: () => {},
    lateStart: () => {},
    droppedStart: () => {},
  }
  await runClosedModel(config, driver)
  const planned = planClosedModel(config).userStartsMs
  t.deepEqual(planned, [0, 150, 300, 450])
  for (let i = 0; i < 4; i++)
    t.true(started[i] >= planned[i] - 1 && started[i] < planned[i] + 60, `user ${i} started at ${started[i]}`)
})

test.serial('ramp-up: the window warning and per-user throughput account for staggered starts', async t => {
  const r = await new ConcurrentBenchmark(createFixtureTarget({ slots: 4, serviceTimeMs: 5 })).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1200, rampUp: { durationMs: 600 } },
    queries: ['q'],
    seed: 10,
  })
  assertConsistent(t, r)
  t.true(r.measurementWarnings.some(w => w.includes('ramp-up')))
  // users started late did fewer requests, but per-user throughput is over each user's active time
  const req = r.threadPerformance.map(u => u.requests)
  t.true(req[0] > req[3], JSON.stringify(req))
  t.true(r.fairness !== null && r.fairness > 0.95, `fairness ${r.fairness}`)
  // Little's law uses the time-averaged number of active users
  t.true(
    r.littlesLaw !== null && r.littlesLaw.observed < 4 && r.littlesLaw.observed > 2.5,
    JSON.stringify(r.littlesLaw),
  )
  t.true(r.littlesLaw?.consistent)
})

test.serial('native worker-thread stats are drained at the window start and aggregated at its end', async t => {
  let drains = 0
  const target: SearchTarget<string> = {
    name: 'threads',
    search: () => new Promise(r => setTimeout(r, 5)),
    drainThreadStats() {
      drains++
      if (drains === 1) return [{ threadId: 'w0', tasks: 999, cpuTimeNs: 9e9 }] // warm-up: discarded
      return [
        { threadId: 'w1', tasks: 3, cpuTimeNs: 2e6 },
        { threadId: 'w0', tasks: 5, cpuTimeNs: 4e6 },
        { threadId: 'w0', tasks: 1, cpuTimeNs: 1e6 },
      ]
    },
  }
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 1, durationMs: 300, warmUpMs: 100 },
    queries: ['q'],
    seed: 11,
    detector: false,
  })
  assertConsistent(t, r)
  t.is(drains, 2)
  t.deepEqual(r.workerThreads, [
    { threadId: 'w0', tasks: 6, cpuTimeMs: 5 },
    { threadId: 'w1', tasks: 3, cpuTimeMs: 2 },
  ])
  t.is(r.detector, null)
  t.true(r.mainThreadCpuMs >= 0 && r.processCpuMs >= 0)
})

test.serial('a target that rejects at once does not turn users into a spin loop', async t => {
  let calls = 0
  const target: SearchTarget<string> = {
    name: 'refuses',
    search: () => {
      calls++
      return Promise.reject(Object.assign(new Error('no'), { code: 'ECONNREFUSED' }))
    },
  }
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 500 },
    queries: ['q'],
    errorBackoffMs: 20,
    seed: 12,
  })
  assertConsistent(t, r)
  t.is(r.successfulRequests, 0)
  t.is(r.errorsByCode.ECONNREFUSED, r.failedRequests)
  // 2 users pausing 20 ms after each failure: about 50 attempts, not thousands
  t.true(calls <= 60, `calls ${calls}`)
})

test.serial('cancelling through the signal stops the run early and says so', async t => {
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 200)
  const start = performance.now()
  const r = await new ConcurrentBenchmark(createFixtureTarget({ slots: 2, serviceTimeMs: 5 })).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 10_000 },
    queries: ['q'],
    signal: ac.signal,
    seed: 13,
  })
  t.true(performance.now() - start < 2000)
  assertConsistent(t, r)
  t.true(r.measurementWarnings.some(w => w.includes('cancelled')))
})

test('invalid options are rejected at the boundary with every problem listed', async t => {
  const bench = new ConcurrentBenchmark({ name: 'x', search: async () => null })
  const err = await t.throwsAsync(
    bench.runConcurrentTest({
      load: { model: 'closed', users: 0, durationMs: -5 },
      queries: [],
      requestTimeoutMs: 0,
    }),
    { instanceOf: ConfigError },
  )
  const problems = (err as ConfigError).problems
  t.true(problems.length >= 4, problems.join('\n'))
  t.true(problems.some(p => p.includes('load.users')))
  t.true(problems.some(p => p.includes('load.durationMs')))
  t.true(problems.some(p => p.includes('queries')))
  t.true(problems.some(p => p.includes('requestTimeoutMs')))
  t.is((err as ConfigError).code, 'ERR_INVALID_CONFIG')
  t.throws(() => new ConcurrentBenchmark({ name: 'no-search' } as never), { instanceOf: ConfigError })
})

test.serial('a classify() that returns no label is rejected, and the run cleans up after itself', async t => {
  const detector = new DeadlockDetector()
  const err = await t.throwsAsync(
    new ConcurrentBenchmark(createFixtureTarget()).runConcurrentTest({
      load: { model: 'closed', users: 1, durationMs: 100 },
      queries: ['q'],
      classify: () => '',
      detector,
    }),
    { instanceOf: ConfigError },
  )
  t.regex(err?.message ?? '', /classify\(\) must return a non-empty string/)
  const report = await detector.stop() // already stopped by the run: returns the final report
  t.is(report.watchdog, 'worker')
})

test('load models are registered by name, each with its plan', t => {
  t.deepEqual(loadModelNames, ['closed', 'open'])
  t.is(getLoadModel('closed') as unknown, closedModel)
  t.is(getLoadModel('open') as unknown, openModel)
  t.is(getLoadModel('ramping-vus'), undefined)
  t.is(getLoadModel('toString'), undefined)
  const c = closedModel.resolve({ model: 'closed', users: 3, durationMs: 1000, warmUpMs: 100 })
  t.deepEqual(closedModel.window(c), { startMs: 100, endMs: 1000 })
  t.is(closedModel.concurrency(c), 3)
  const o = openModel.resolve({ model: 'open', rate: 5, durationMs: 1000, maxInFlight: 7 })
  t.is(openModel.concurrency(o), 7)
  t.is(openModel.users(o), 1)
})

test('benchmark options validation reports problems in the options and in the load model together', t => {
  const target = { name: 'x', search: async () => null }
  const problems = validateConcurrentTestOptions(
    {
      load: { model: 'closed', users: 0, durationMs: 100 },
      queries: [],
      writes: { fraction: 0.5, makeInsert: () => ({}) },
      seed: -3,
    },
    target,
  )
  t.true(
    problems.some(p => p.includes('queries must have at least 1 item')),
    problems.join('\n'),
  )
  t.true(problems.some(p => p.includes('load.users must be at least 1')))
  t.true(problems.some(p => p.includes('has no insert()')))
  t.true(problems.some(p => p.startsWith('seed')))
  t.true(
    validateConcurrentTestOptions({ load: { model: 'nope' }, queries: [1] }).some(p =>
      p.includes('load.model must be one of'),
    ),
  )
})
