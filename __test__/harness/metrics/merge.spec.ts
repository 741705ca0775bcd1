import test from 'ava'

import { ConcurrentBenchmark } from '../../../harness/run/benchmark.ts'
import { LatencyHistogram } from '../../../harness/metrics/histogram.ts'
import { addEncoded, mergeResults } from '../../../harness/metrics/merge.ts'
import { functionTarget } from '../../../harness/target/function-target.ts'
import { ErrorCodes } from '../../../errors.ts'
import { rng } from '../../helpers/engine.ts'

test('merged histograms = one histogram fed every sample: every percentile, count, mean, max, encoding', t => {
  const next = rng(11)
  const parts = [LatencyHistogram.create(), LatencyHistogram.create(), LatencyHistogram.create()]
  const all = LatencyHistogram.create()
  try {
    for (let i = 0; i < 200_000; i++) {
      // Log-spread latencies from 0 µs to ~10 s, with zeros, as real runs have.
      const us = next() < 0.01 ? 0 : Math.exp(next() * 16)
      const part = parts[Math.floor(next() * parts.length)]
      part.recordMicros(us)
      all.recordMicros(us)
    }
    const merged = addEncoded(parts.map(p => p.encode()))
    try {
      t.is(merged.count, all.count)
      t.deepEqual(merged.summary(), all.summary())
      for (let p = 0; p <= 100; p += 0.25) t.is(merged.percentileMs(p), all.percentileMs(p), `p${p}`)
      for (const p of [99.9, 99.99, 99.999]) t.is(merged.percentileMs(p), all.percentileMs(p), `p${p}`)
      t.is(merged.encode(), all.encode())
    } finally {
      merged.destroy()
    }
  } finally {
    for (const p of parts) p.destroy()
    all.destroy()
  }
})

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

async function run(seed: number, users: number) {
  const target = functionTarget<string>('fixture', async q => {
    await sleep(q === 'slow' ? 4 : 1)
    if (q === 'bad') throw Object.assign(new Error('bad query'), { code: 'E_BAD' })
  })
  return new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users, durationMs: 500, warmUpMs: 100 },
    queries: ['fast', 'slow', 'bad', 'fast'],
    classify: q => (q === 'slow' ? 'slow' : 'other'),
    seed,
    detector: false,
  })
}

test('mergeResults: counts add, distributions are the added histograms, users renumbered, CPU per generator', async t => {
  const [a, b] = await Promise.all([run(1, 2), run(2, 3)])
  const m = mergeResults([a, b])
  t.is(m.concurrentUsers, 5)
  t.is(m.totalRequests, a.totalRequests + b.totalRequests)
  t.is(m.successfulRequests, a.successfulRequests + b.successfulRequests)
  t.is(m.failedRequests, a.failedRequests + b.failedRequests)
  t.is(m.errorsByCode.E_BAD, (a.errorsByCode.E_BAD ?? 0) + (b.errorsByCode.E_BAD ?? 0))
  t.is(m.responseTime.count, a.responseTime.count + b.responseTime.count)
  const added = addEncoded([a.histograms.responseTime, b.histograms.responseTime])
  t.deepEqual(m.responseTime, added.summary())
  added.destroy()
  t.is(m.classes.slow.count, a.classes.slow.count + b.classes.slow.count)
  const slow = addEncoded([a.mergeable?.classes.slow as string, b.mergeable?.classes.slow as string])
  t.deepEqual(m.classes.slow.latency, slow.summary())
  slow.destroy()
  t.is(m.timeBreakdown.requests, a.timeBreakdown.requests + b.timeBreakdown.requests)
  const meanSum = (['scheduleDelay', 'poolWait', 'nativeQueue', 'nativeRun', 'delivery', 'other'] as const).reduce(
    (s, p) => s + m.timeBreakdown[p].mean,
    0,
  )
  t.true(Math.abs(meanSum - m.responseTime.mean) < 0.01 * m.responseTime.mean + 0.01)
  t.deepEqual(
    m.threadPerformance.map(u => u.threadId),
    [0, 1, 2, 3, 4],
  )
  t.is(m.loadConfig.model === 'closed' ? m.loadConfig.users : -1, 5)
  t.is(m.generators?.length, 2)
  t.is(m.generators?.[1].processCpuMs, b.processCpuMs)
  t.is(m.processCpuMs, a.processCpuMs + b.processCpuMs)
  // A merged result merges again (its mergeable parts are the sums).
  const again = mergeResults([m, a])
  t.is(again.totalRequests, m.totalRequests + a.totalRequests)
})

test('mergeResults refuses results without mergeable parts, and different window lengths', async t => {
  const a = await run(3, 1)
  const { mergeable: _m, ...old } = a
  t.throws(() => mergeResults([a, old]), { code: ErrorCodes.INVALID_REPORT })
  t.throws(() => mergeResults([a, { ...a, window: { ...a.window, durationMs: 900 } }]), {
    code: ErrorCodes.PLAN_MISMATCH,
  })
})
