import test from 'ava'

import { ConcurrentBenchmark, functionTarget } from '../../../main.ts'
import type { LiveProgress } from '../../../harness/index.ts'
import { createFixtureTarget } from '../../fixtures/fixture-target.ts'

test('onProgress reports live throughput near c/S and the phase', async t => {
  const target = createFixtureTarget({ slots: 2, serviceTimeMs: 10 })
  const ticks: LiveProgress[] = []
  const result = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 1200, warmUpMs: 300 },
    queries: [1],
    seed: 1,
    onProgress: p => ticks.push(p),
    progressIntervalMs: 200,
  })
  t.true(ticks.length >= 4, `${ticks.length} ticks`)
  t.is(ticks[0].phase, 'warm-up')
  t.is(ticks[ticks.length - 1].phase, 'measuring')
  const measuring = ticks.filter(p => p.phase === 'measuring' && p.p99Ms !== null)
  const mean = measuring.reduce((s, p) => s + p.throughput, 0) / measuring.length
  t.true(mean > 120 && mean < 230, `live throughput ${mean} vs theory 200/s`)
  t.true(measuring.every(p => p.p99Ms! >= 9 && p.errors === 0))
  t.is(ticks[0].totalMs, 1200)
  t.true(result.successfulRequests > 0)
})

test('a throwing progress callback does not break the measurement', async t => {
  const result = await new ConcurrentBenchmark(createFixtureTarget({ slots: 1, serviceTimeMs: 5 })).runConcurrentTest({
    load: { model: 'closed', users: 1, durationMs: 300 },
    queries: [1],
    onProgress: () => {
      throw new Error('printer broke')
    },
    progressIntervalMs: 50,
  })
  t.true(result.successfulRequests > 0)
})

test('drain waits for timed-out calls that are still running', async t => {
  let running = 0
  const target = functionTarget<number>('hangs-then-returns', async () => {
    running++
    await new Promise(resolve => setTimeout(resolve, 400)) // ignores the abort, like a native task
    running--
  })
  const bench = new ConcurrentBenchmark(target)
  const result = await bench.runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 300 },
    queries: [1],
    requestTimeoutMs: 50,
    detector: false,
  })
  t.true(result.timeoutRequests > 0)
  t.true(bench.unsettledCalls > 0)
  t.is(bench.unsettledCalls, running)
  t.is(await bench.drain({ timeoutMs: 5000 }), 0)
  t.is(running, 0)
  t.is(bench.unsettledCalls, 0)
})
