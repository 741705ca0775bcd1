import test from 'ava'

import {
  ArrivalSchedule,
  expectedArrivals,
  openModel,
  planArrivals,
  planOpenModel,
  rateAt,
  resolveOpenModel,
  validateOpenModel,
} from '../../../harness/load/open.ts'
import type { WindowMeasures } from '../../../harness/load/driver.ts'

test('open plan: constant spacing at a constant rate', t => {
  const c = resolveOpenModel({ model: 'open', rate: 100, durationMs: 1000 })
  const a = planArrivals(c, 1)
  t.is(a.length, 100)
  t.true(Math.abs(a[0] - 5) < 1e-9) // midpoints: 5, 15, 25 … ms
  for (let i = 1; i < a.length; i++) t.true(Math.abs(a[i] - a[i - 1] - 10) < 1e-9)
  t.is(expectedArrivals(c), 100)
})

test('open plan: Poisson arrivals have the right count and exponential gaps; seeded', t => {
  const c = resolveOpenModel({ model: 'open', rate: 1000, durationMs: 20_000, arrivals: 'poisson' })
  const a = planArrivals(c, 77)
  t.deepEqual(a.slice(0, 50), planArrivals(c, 77, 50))
  t.notDeepEqual(a.slice(0, 50), planArrivals(c, 78, 50))
  // count ~ Poisson(20000): sd ≈ 141
  t.true(Math.abs(a.length - 20_000) < 5 * 141, `count ${a.length}`)
  const gaps = a.slice(1).map((x, i) => x - a[i])
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length
  t.true(Math.abs(mean - 1) < 0.03, `mean gap ${mean}`)
  // exponential: P(gap > mean) = e^-1
  const over = gaps.filter(g => g > 1).length / gaps.length
  t.true(Math.abs(over - Math.exp(-1)) < 0.02, `P(gap>1ms) ${over}`)
  t.true(a.every((x, i) => x >= 0 && x < 20_000 && (i === 0 || x >= a[i - 1])))
})

test('open plan: ramping stages (ramp, hold, spike) follow the rate curve', t => {
  const c = resolveOpenModel({
    model: 'open',
    startRate: 0,
    stages: [
      { durationMs: 1000, targetRate: 100 }, // ramp 0 → 100/s: 50 arrivals
      { durationMs: 1000, targetRate: 100 }, // hold: 100
      { durationMs: 0, targetRate: 1000 }, // jump
      { durationMs: 500, targetRate: 1000 }, // spike: 500
      { durationMs: 500, targetRate: 0 }, // ramp down: 250
    ],
  })
  t.is(c.durationMs, 3000)
  t.is(rateAt(c, 500), 50)
  t.is(rateAt(c, 1500), 100)
  t.is(rateAt(c, 2250), 1000)
  t.is(rateAt(c, 2750), 500)
  t.is(expectedArrivals(c), 50 + 100 + 500 + 250)
  const a = planArrivals(c, 1)
  t.is(a.length, 900)
  const inRange = (lo: number, hi: number): number => a.filter(x => x >= lo && x < hi).length
  t.true(Math.abs(inRange(0, 1000) - 50) <= 1)
  t.true(Math.abs(inRange(1000, 2000) - 100) <= 1)
  t.true(Math.abs(inRange(2000, 2500) - 500) <= 1)
  t.true(Math.abs(inRange(2500, 3000) - 250) <= 1)
  // during the linear ramp, arrival k sits at t = sqrt(2(k+½)/slope)
  const slope = 100 / 1000 / 1000 // per ms²
  t.true(Math.abs(a[0] - Math.sqrt((2 * 0.5) / slope)) < 1e-6)
  t.true(Math.abs(a[9] - Math.sqrt((2 * 9.5) / slope)) < 1e-6)
})

test('open plan: the schedule object is exhausted with -1 and the plan reports its window', t => {
  const c = resolveOpenModel({ model: 'open', rate: 10, durationMs: 1000, warmUpMs: 200 })
  const s = new ArrivalSchedule(c, 1)
  let n = 0
  while (s.next() >= 0) n++
  t.is(n, 10)
  t.is(s.next(), -1)
  const plan = planOpenModel(c)
  t.deepEqual(plan.window, { startMs: 200, endMs: 1000 })
  t.is(plan.expectedArrivalsInWindow, 8)
  t.is(plan.peakRate, 10)
})

test('open-model validation collects every problem in plain words', t => {
  t.true(validateOpenModel({ model: 'open' }).some(p => p.includes('an arrival rate is needed')))
  t.true(validateOpenModel({ model: 'open', rate: 10 }).some(p => p.includes('durationMs is needed with rate')))
  const both = validateOpenModel({
    model: 'open',
    rate: 10,
    durationMs: 10,
    stages: [{ durationMs: 10, targetRate: 1 }],
  })
  t.true(both.some(p => p.includes('not both')))
  t.true(
    validateOpenModel({ model: 'open', stages: [{ durationMs: 10, targetRate: 0 }] }).some(p =>
      p.includes('no request would ever arrive'),
    ),
  )
  t.true(validateOpenModel({ model: 'open', rate: -1, durationMs: 10, maxInFlight: 0 }).length >= 2)
  t.true(
    validateOpenModel({ model: 'open', arrivals: 'bursty', rate: 1, durationMs: 10 }).some(p =>
      p.includes('must be one of "constant", "poisson"'),
    ),
  )
  t.deepEqual(validateOpenModel({ model: 'open', rate: 10, durationMs: 1000, arrivals: 'poisson' }), [])
})

const measured = (over: Partial<WindowMeasures> = {}): WindowMeasures => ({
  requests: 1000,
  throughputPerSec: 400,
  meanResidenceMs: 15,
  meanIdleMs: 5,
  meanActiveUsers: 1,
  meanInSystem: 6,
  droppedStarts: 0,
  lateStarts: 0,
  maxStartLagMs: 0,
  ...over,
})

test('the open model summarises a run: L = λ·W over the number in flight, dropped and late starts', t => {
  const law = openModel.littlesLaw(measured())
  t.is(law.law, 'L = λ·W')
  t.is(law.observed, 6)
  t.true(Math.abs(law.predicted - 6) < 1e-9) // 400/s · 15 ms: idle time plays no part
  t.deepEqual(openModel.startWarnings(measured()), [])
  const warnings = openModel.startWarnings(measured({ droppedStarts: 3, lateStarts: 20, maxStartLagMs: 4 }))
  t.deepEqual(warnings, [
    '3 scheduled start(s) were dropped because maxInFlight requests were in flight: the offered load was not delivered',
    '20 start(s) were issued late (max lag 4.0 ms): the load generator could not keep the schedule',
  ])
  t.false(openModel.hasUsers)
})

test('the open model builds a sweep level: rate = level, concurrency measured (Little L), else the bound', t => {
  const settings = { durationMs: 6000, warmUpMs: 1000, rampUpMs: 500, arrivals: 'poisson' as const, maxInFlight: 64 }
  const config = openModel.levelConfig(250.5, settings)
  t.deepEqual(config, {
    model: 'open',
    rate: 250.5,
    durationMs: 6000,
    warmUpMs: 1000,
    arrivals: 'poisson',
    maxInFlight: 64,
  })
  t.deepEqual(validateOpenModel(config), [])
  t.is(openModel.levelConcurrency(250.5, settings), 64)
  t.is(openModel.analysisConcurrency(64, openModel.littlesLaw(measured())), 6)
  t.is(openModel.analysisConcurrency(64, null), 64)
})
