import test from 'ava'
import fc from 'fast-check'
import * as hdr from 'hdr-histogram-js'

import { LatencyHistogram, histogramBackend, mergeHistograms } from '../../../harness/metrics/histogram.ts'
import { nearestRankPercentile } from '../../../harness/metrics/stats.ts'

const within = (got: number, want: number, rel: number): boolean => Math.abs(got - want) <= rel * Math.abs(want) + 1e-9

test('the faster WASM histogram build is in use', t => {
  t.is(histogramBackend(), 'wasm')
})

test('histogram percentiles match exact nearest-rank percentiles within 0.1 %', t => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 400 }), values => {
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
        return (
          s.count === values.length &&
          within(s.max, sorted[sorted.length - 1] / 1000, 0.001) &&
          within(s.min, sorted[0] / 1000, 0.001)
        )
      } finally {
        h.destroy()
      }
    }),
    { numRuns: 100 },
  )
  t.pass()
})

test('sub-millisecond latencies keep µs precision (no truncation to whole ms)', t => {
  const h = LatencyHistogram.create()
  h.recordMs(0.25)
  h.recordMs(0.75)
  const s = h.summary()
  t.true(within(s.min, 0.25, 0.001))
  t.true(within(s.max, 0.75, 0.001))
  t.true(within(s.mean, 0.5, 0.002))
  h.destroy()
})

test('merging adds histograms: merged percentiles are those of the union, not a max or mean of percentiles', t => {
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

test('a histogram survives encode → decode', t => {
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

test('an empty histogram summarises to zeros, and a destroyed one refuses use', t => {
  const h = LatencyHistogram.create()
  t.deepEqual(h.summary(), { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0 })
  h.destroy()
  h.destroy() // idempotent
  t.throws(() => h.recordMs(1), { message: /after destroy/ })
})

test('values that round to 0 µs are counted apart and added before any read: every read is as if each was recorded', t => {
  const values = [0, 0.0001, 0.0004, -1, 0.25, 0, 0.0006, 3.5, 0, 0.0002, 120, 0]
  const h = LatencyHistogram.create()
  const ref = hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: histogramBackend() === 'wasm',
  })
  for (const ms of values) {
    h.recordMs(ms)
    ref.recordValue(ms > 0 ? Math.round(ms * 1000) : 0)
  }
  t.is(h.count, values.length)
  const s = h.summary()
  t.is(s.count, values.length)
  t.is(s.min, 0)
  t.is(s.p50, ref.getValueAtPercentile(50) / 1000)
  t.is(s.mean, ref.mean / 1000)
  t.is(s.max, ref.getValueAtPercentile(100) / 1000)
  // More zeros after a read, then merged into another histogram.
  h.recordMicros(0.2)
  h.recordMicros(0.3)
  const merged = LatencyHistogram.create()
  merged.add(h)
  t.is(merged.count, values.length + 2)
  t.is(merged.percentileMs(30), 0)
  // The encoding carries the zeros too.
  const back = LatencyHistogram.decode(h.encode())
  t.deepEqual(back.summary(), h.summary())
  // reset forgets pending zeros.
  h.recordMs(0)
  h.reset()
  t.is(h.count, 0)
  h.destroy()
  t.throws(() => h.recordMs(0), { message: /after destroy/ })
  for (const x of [merged, back]) x.destroy()
  ref.destroy()
})
