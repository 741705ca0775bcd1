import test from 'ava'
import fc from 'fast-check'

import {
  TimeWeightedGauge,
  jainFairness,
  littlesLawClosed,
  littlesLawOpen,
  nearestRankPercentile,
} from '../../../harness/metrics/stats.ts'

const within = (got: number, want: number, rel: number): boolean => Math.abs(got - want) <= rel * Math.abs(want) + 1e-9

test('nearestRankPercentile follows the nearest-rank definition', t => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  t.is(nearestRankPercentile(v, 50), 5)
  t.is(nearestRankPercentile(v, 90), 9)
  t.is(nearestRankPercentile(v, 91), 10)
  t.is(nearestRankPercentile(v, 100), 10)
  t.is(nearestRankPercentile(v, 0), 1)
  t.is(nearestRankPercentile([42], 99.9), 42)
  t.true(Number.isNaN(nearestRankPercentile([], 50)))
})

test("Jain's fairness index", t => {
  t.is(jainFairness([5, 5, 5, 5]), 1)
  t.is(jainFairness([1, 0, 0, 0]), 0.25) // one of n gets everything: 1/n
  t.true(within(jainFairness([1, 2, 3]) as number, 36 / (3 * 14), 1e-12))
  t.is(jainFairness([]), null)
  t.is(jainFairness([0, 0]), 1)
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), xs => {
      const j = jainFairness(xs) as number
      return j >= 1 / xs.length - 1e-9 && j <= 1 + 1e-9
    }),
  )
})

test("Little's law, closed: N = X·(R+Z)", t => {
  // 10 users, 100 ms response, 900 ms think: X = 10 / 1 s = 10/s
  const ok = littlesLawClosed({ users: 10, throughputPerSec: 10, meanResponseMs: 100, meanThinkMs: 900 })
  t.true(ok.consistent)
  t.true(within(ok.predicted, 10, 1e-12))
  t.is(ok.relativeError, 0)
  const off = littlesLawClosed({ users: 10, throughputPerSec: 8, meanResponseMs: 100, meanThinkMs: 900 })
  t.false(off.consistent) // 20 % off
  t.true(within(off.relativeError as number, 0.2, 1e-9))
  const edge = littlesLawClosed({ users: 10, throughputPerSec: 9.1, meanResponseMs: 100, meanThinkMs: 900 })
  t.true(edge.consistent) // 9 % off: within the 10 % tolerance
  // Nobody observed but something predicted: no finite relative error (null, never Infinity).
  const none = littlesLawClosed({ users: 0, throughputPerSec: 5, meanResponseMs: 100, meanThinkMs: 0 })
  t.is(none.relativeError, null)
  t.false(none.consistent)
  t.is(littlesLawClosed({ users: 0, throughputPerSec: 0, meanResponseMs: 0, meanThinkMs: 0 }).relativeError, 0)
})

test("Little's law, open: L = λ·W", t => {
  const ok = littlesLawOpen({ meanInSystem: 5, arrivalRatePerSec: 100, meanSojournMs: 50 })
  t.true(ok.consistent)
  t.true(within(ok.predicted, 5, 1e-12))
  const off = littlesLawOpen({ meanInSystem: 2, arrivalRatePerSec: 100, meanSojournMs: 50 })
  t.false(off.consistent)
  t.is(off.law, 'L = λ·W')
  t.is(littlesLawOpen({ meanInSystem: 0, arrivalRatePerSec: 0, meanSojournMs: 0 }).relativeError, 0)
})

test('TimeWeightedGauge: exact time-weighted average and peak', t => {
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
