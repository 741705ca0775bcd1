import test from 'ava'
import fc from 'fast-check'

import {
  LatencyHistogram,
  TimeWeightedGauge,
  histogramBackend,
  jainFairness,
  littlesLawClosed,
  littlesLawOpen,
  mergeHistograms,
  nearestRankPercentile,
} from '../../harness/index.ts'

const within = (got: number, want: number, rel: number): boolean => Math.abs(got - want) <= rel * Math.abs(want) + 1e-9

test('the faster WASM histogram build is in use', (t) => {
  t.is(histogramBackend(), 'wasm')
})

test('nearestRankPercentile follows the nearest-rank definition', (t) => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  t.is(nearestRankPercentile(v, 50), 5)
  t.is(nearestRankPercentile(v, 90), 9)
  t.is(nearestRankPercentile(v, 91), 10)
  t.is(nearestRankPercentile(v, 100), 10)
  t.is(nearestRankPercentile(v, 0), 1)
  t.is(nearestRankPercentile([42], 99.9), 42)
  t.true(Number.isNaN(nearestRankPercentile([], 50)))
})

test('histogram percentiles match exact nearest-rank percentiles within 0.1 %', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 400 }), (values) => {
      const h = LatencyHistogram.create()
      try {
        for (const us of values) h.recordMicros(us)
        const sorted = [...values].sort((a, b) => a - b)
        const s = h.summary()
        for (const [p, got] of [
          [50, s.p50],
          [90, s.p90],
          [99, s.p99],
          [99.9, s.p99_9],
        ] as const) {
          const want = nearestRankPercentile(sorted, p) / 1000
          if (!within(got, want, 0.001)) return false
        }
        return s.count === values.length && within(s.max, sorted[sorted.length - 1] / 1000, 0.001) && within(s.min, sorted[0] / 1000, 0.001)
      } finally {
        h.destroy()
      }
    }),
    { numRuns: 100 },
  )
  t.pass()
})

test('sub-millisecond latencies keep µs precision (no truncation to whole ms)', (t) => {
  const h = LatencyHistogram.create()
  h.recordMs(0.25)
  h.recordMs(0.75)
  const s = h.summary()
  t.true(within(s.min, 0.25, 0.001))
  t.true(within(s.max, 0.75, 0.001))
  t.true(within(s.mean, 0.5, 0.002))
  h.destroy()
})

test('merging adds histograms: merged percentiles are those of the union, not a max or mean of percentiles', (t) => {
  const fast = LatencyHistogram.create()
  const slow = LatencyHistogram.create()
  for (let i = 0; i < 990; i++) fast.recordMs(1)
  for (let i = 0; i < 10; i++) slow.recordMs(1000)
  const merged = mergeHistograms([fast, slow])
  const m = merged.summary()
  t.is(m.count, 1000)
  t.true(within(m.p99, 1, 0.001), `p99 ${m.p99}`) // 990 of 1000 values are 1 ms
  t.true(within(m.p99_9, 1000, 0.001), `p99.9 ${m.p99_9}`)
  t.true(within(m.mean, (990 + 10_000) / 1000, 0.001))
  // inputs unchanged
  t.is(fast.count, 990)
  t.is(slow.count, 10)
  for (const h of [fast, slow, merged]) h.destroy()
})

test('a histogram survives encode → decode', (t) => {
  const h = LatencyHistogram.create()
  for (let i = 1; i <= 5000; i++) h.recordMicros(i * 37)
  const encoded = h.encode()
  t.regex(encoded, /^[A-Za-z0-9+/=]+$/)
  const back = LatencyHistogram.decode(encoded)
  t.deepEqual(back.summary(), h.summary())
  // a decoded histogram can keep recording and be merged
  back.recordMs(10_000)
  t.is(back.count, 5001)
  h.destroy()
  back.destroy()
})

test('an empty histogram summarises to zeros, and a destroyed one refuses use', (t) => {
  const h = LatencyHistogram.create()
  t.deepEqual(h.summary(), { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0 })
  h.destroy()
  h.destroy() // idempotent
  t.throws(() => h.recordMs(1), { message: /after destroy/ })
})

test("Jain's fairness index", (t) => {
  t.is(jainFairness([5, 5, 5, 5]), 1)
  t.is(jainFairness([1, 0, 0, 0]), 0.25) // one of n gets everything: 1/n
  t.true(within(jainFairness([1, 2, 3]) as number, 36 / (3 * 14), 1e-12))
  t.is(jainFairness([]), null)
  t.is(jainFairness([0, 0]), 1)
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
      const j = jainFairness(xs) as number
      return j >= 1 / xs.length - 1e-9 && j <= 1 + 1e-9
    }),
  )
})

test("Little's law, closed: N = X·(R+Z)", (t) => {
  // 10 users, 100 ms response, 900 ms think: X = 10 / 1 s = 10/s
  const ok = littlesLawClosed({ users: 10, throughputPerSec: 10, meanResponseMs: 100, meanThinkMs: 900 })
  t.true(ok.consistent)
  t.true(within(ok.predicted, 10, 1e-12))
  t.is(ok.relativeError, 0)
  const off = littlesLawClosed({ users: 10, throughputPerSec: 8, meanResponseMs: 100, meanThinkMs: 900 })
  t.false(off.consistent) // 20 % off
  t.true(within(off.relativeError, 0.2, 1e-9))
  const edge = littlesLawClosed({ users: 10, throughputPerSec: 9.1, meanResponseMs: 100, meanThinkMs: 900 })
  t.true(edge.consistent) // 9 % off: within the 10 % tolerance
})

test("Little's law, open: L = λ·W", (t) => {
  const ok = littlesLawOpen({ meanInSystem: 5, arrivalRatePerSec: 100, meanSojournMs: 50 })
  t.true(ok.consistent)
  t.true(within(ok.predicted, 5, 1e-12))
  const off = littlesLawOpen({ meanInSystem: 2, arrivalRatePerSec: 100, meanSojournMs: 50 })
  t.false(off.consistent)
  t.is(off.law, 'L = λ·W')
  t.is(littlesLawOpen({ meanInSystem: 0, arrivalRatePerSec: 0, meanSojournMs: 0 }).relativeError, 0)
})

test('TimeWeightedGauge: exact time-weighted average and peak', (t) => {
  const g = new TimeWeightedGauge(0)
  g.set(2, 0) // 2 for 10 ms
  g.set(4, 10) // 4 for 10 ms
  g.set(0, 20) // 0 for 20 ms
  t.is(g.average(40), (2 * 10 + 4 * 10) / 40)
  t.is(g.peak, 4)
  g.reset(40)
  t.is(g.peak, 0)
  g.add(1, 40)
  t.is(g.average(50), 1)
  t.is(g.average(40), 1) // no time elapsed: the current value
})
