import test from 'ava'
import fc from 'fast-check'

import {
  ArrivalSchedule,
  Rng,
  deriveSeed,
  expectedArrivals,
  planArrivals,
  planClosedModel,
  planOpenModel,
  querySequence,
  rateAt,
  resolveClosedModel,
  resolveOpenModel,
  sampleThinkMs,
  searchCdf,
  userStartOffsets,
  validateClosedModel,
  validateConcurrentTestOptions,
  validateOpenModel,
  zipfCdf,
  zipfProbabilities,
} from '../../harness/index.ts'

// ---------- PRNG ----------

test('Rng: same seed, same sequence; different seeds, different sequences', (t) => {
  const a = new Rng(123)
  const b = new Rng(123)
  const c = new Rng(124)
  const sa = Array.from({ length: 100 }, () => a.nextUint32())
  const sb = Array.from({ length: 100 }, () => b.nextUint32())
  const sc = Array.from({ length: 100 }, () => c.nextUint32())
  t.deepEqual(sa, sb)
  t.notDeepEqual(sa, sc)
  t.true(sa.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32))
})

test('Rng: uniform floats in [0, 1) with the right mean and spread', (t) => {
  const r = new Rng(7)
  const n = 100_000
  let sum = 0
  let sumSq = 0
  const buckets = new Array(10).fill(0)
  for (let i = 0; i < n; i++) {
    const x = r.next()
    t.true(x >= 0 && x < 1)
    sum += x
    sumSq += x * x
    buckets[Math.floor(x * 10)]++
  }
  t.true(Math.abs(sum / n - 0.5) < 0.01)
  t.true(Math.abs(sumSq / n - sum ** 2 / n ** 2 - 1 / 12) < 0.005)
  for (const b of buckets) t.true(Math.abs(b - n / 10) < 0.05 * (n / 10), `bucket ${b}`)
})

test('Rng: exponential draws have the requested mean', (t) => {
  const r = new Rng(11)
  let sum = 0
  const n = 50_000
  for (let i = 0; i < n; i++) sum += r.nextExponential(20)
  t.true(Math.abs(sum / n - 20) < 0.5)
})

test('deriveSeed: deterministic and sensitive to every part', (t) => {
  t.is(deriveSeed(1, 2, 3), deriveSeed(1, 2, 3))
  const seeds = new Set<number>()
  for (let u = 0; u < 1000; u++) seeds.add(deriveSeed(42, 1, u))
  t.is(seeds.size, 1000)
  t.not(deriveSeed(1, 2, 3), deriveSeed(1, 3, 2))
})

// ---------- query selection ----------

test('same seed → same query sequence per user; other users and seeds differ', (t) => {
  const sel = { kind: 'uniform' } as const
  const a = querySequence(sel, 50, 99, 3, 200)
  t.deepEqual(a, querySequence(sel, 50, 99, 3, 200))
  t.notDeepEqual(a, querySequence(sel, 50, 99, 4, 200))
  t.notDeepEqual(a, querySequence(sel, 50, 100, 3, 200))
  t.true(a.every((i) => i >= 0 && i < 50))
  // every query gets picked: not one query per user forever (sketch defect 3)
  t.true(new Set(querySequence(sel, 10, 1, 0, 500)).size === 10)
})

test('write mix: the fraction of writes in the sequence matches', (t) => {
  const seq = querySequence({ kind: 'uniform' }, 10, 5, 0, 20_000, 0.2)
  const writes = seq.filter((x) => x === -1).length / seq.length
  t.true(Math.abs(writes - 0.2) < 0.015, `writes ${writes}`)
})

test('sequential selection steps through the list from a per-user offset', (t) => {
  t.deepEqual(querySequence({ kind: 'sequential' }, 4, 1, 0, 6), [0, 1, 2, 3, 0, 1])
  t.deepEqual(querySequence({ kind: 'sequential' }, 4, 1, 1, 6), [1, 2, 3, 0, 1, 2])
  t.deepEqual(querySequence({ kind: 'sequential' }, 4, 1, 5, 3), [1, 2, 3])
})

test('Zipf probabilities and CDF follow 1/k^s', (t) => {
  const p = zipfProbabilities(4, 1)
  const h = 1 + 1 / 2 + 1 / 3 + 1 / 4
  t.true(Math.abs(p[0] - 1 / h) < 1e-12)
  t.true(Math.abs(p[3] - 1 / 4 / h) < 1e-12)
  const cdf = zipfCdf(4, 1)
  t.is(cdf[3], 1)
  t.is(searchCdf(cdf, 0), 0)
  t.is(searchCdf(cdf, p[0] - 1e-9), 0)
  t.is(searchCdf(cdf, p[0] + 1e-9), 1)
  t.is(searchCdf(cdf, 0.999999), 3)
})

test('Zipf-skewed selection: observed frequencies match theory', (t) => {
  for (const s of [0.8, 1.2]) {
    const n = 20
    const draws = 100_000
    const seq = querySequence({ kind: 'zipf', exponent: s }, n, 2024, 0, draws)
    const counts = new Array(n).fill(0)
    for (const q of seq) counts[q]++
    const p = zipfProbabilities(n, s)
    for (let k = 0; k < n; k++) {
      const expected = p[k] * draws
      const sd = Math.sqrt(draws * p[k] * (1 - p[k]))
      t.true(Math.abs(counts[k] - expected) < 5 * sd + 1, `s=${s} rank ${k + 1}: ${counts[k]} vs ${expected.toFixed(0)}`)
    }
    t.true(counts[0] > counts[1] && counts[1] > counts[5] && counts[5] > counts[19])
  }
})

// ---------- think time ----------

test('think time samples', (t) => {
  const r = new Rng(3)
  t.is(sampleThinkMs({ kind: 'none' }, r), 0)
  t.is(sampleThinkMs({ kind: 'constant', ms: 12 }, r), 12)
  t.is(sampleThinkMs({ kind: 'pacing', intervalMs: 10 }, r), 0)
  for (let i = 0; i < 1000; i++) {
    const u = sampleThinkMs({ kind: 'uniform', minMs: 5, maxMs: 7 }, r)
    t.true(u >= 5 && u <= 7)
  }
})

// ---------- closed model plan ----------

test('closed plan: no ramp-up starts every user at 0', (t) => {
  const c = resolveClosedModel({ model: 'closed', users: 5, durationMs: 1000 })
  t.deepEqual(userStartOffsets(c), [0, 0, 0, 0, 0])
  const plan = planClosedModel(c)
  t.deepEqual(plan.window, { startMs: 0, endMs: 1000 })
  t.is(plan.meanActiveUsers, 5)
  t.false(plan.windowOverlapsRampUp)
})

test('closed plan: linear ramp-up spreads starts evenly (user i at i·D/N)', (t) => {
  const c = resolveClosedModel({ model: 'closed', users: 4, durationMs: 10_000, warmUpMs: 1000, rampUp: { durationMs: 1000 } })
  t.deepEqual(userStartOffsets(c), [0, 250, 500, 750])
  const plan = planClosedModel(c)
  t.is(plan.meanActiveUsers, 4)
  t.false(plan.windowOverlapsRampUp)
})

test('closed plan: stepped ramp-up starts groups at step boundaries', (t) => {
  const c = resolveClosedModel({
    model: 'closed',
    users: 10,
    durationMs: 10_000,
    rampUp: { durationMs: 3000, shape: 'stepped', steps: 3 },
  })
  // groups floor(i·3/10): users 0-3 → step 0, 4-6 → step 1, 7-9 → step 2
  t.deepEqual(userStartOffsets(c), [0, 0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000])
  const plan = planClosedModel(c)
  t.true(plan.windowOverlapsRampUp) // warm-up 0 < last start
  // time-averaged active users over [0, 10 s): (4·10 + 3·9 + 3·8) / 10
  t.true(Math.abs(plan.meanActiveUsers - (40 + 27 + 24) / 10) < 1e-9)
})

test('closed plan property: starts are non-decreasing, within the ramp, and the first is 0', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 300 }),
      (users, ramp, stepped, stepsRaw) => {
        const steps = Math.min(stepsRaw, users)
        const c = resolveClosedModel({
          model: 'closed',
          users,
          durationMs: ramp + 1000,
          rampUp: stepped ? { durationMs: ramp, shape: 'stepped', steps } : { durationMs: ramp },
        })
        const s = userStartOffsets(c)
        if (s.length !== users || s[0] !== 0) return false
        for (let i = 1; i < s.length; i++) if (s[i] < s[i - 1]) return false
        if (s[s.length - 1] > ramp) return false
        if (stepped && new Set(s).size > steps) return false
        return true
      },
    ),
  )
  t.pass()
})

// ---------- open model plan ----------

test('open plan: constant spacing at a constant rate', (t) => {
  const c = resolveOpenModel({ model: 'open', rate: 100, durationMs: 1000 })
  const a = planArrivals(c, 1)
  t.is(a.length, 100)
  t.true(Math.abs(a[0] - 5) < 1e-9) // midpoints: 5, 15, 25 … ms
  for (let i = 1; i < a.length; i++) t.true(Math.abs(a[i] - a[i - 1] - 10) < 1e-9)
  t.is(expectedArrivals(c), 100)
})

test('open plan: Poisson arrivals have the right count and exponential gaps; seeded', (t) => {
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
  const over = gaps.filter((g) => g > 1).length / gaps.length
  t.true(Math.abs(over - Math.exp(-1)) < 0.02, `P(gap>1ms) ${over}`)
  t.true(a.every((x, i) => x >= 0 && x < 20_000 && (i === 0 || x >= a[i - 1])))
})

test('open plan: ramping stages (ramp, hold, spike) follow the rate curve', (t) => {
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
  const inRange = (lo: number, hi: number): number => a.filter((x) => x >= lo && x < hi).length
  t.true(Math.abs(inRange(0, 1000) - 50) <= 1)
  t.true(Math.abs(inRange(1000, 2000) - 100) <= 1)
  t.true(Math.abs(inRange(2000, 2500) - 500) <= 1)
  t.true(Math.abs(inRange(2500, 3000) - 250) <= 1)
  // during the linear ramp, arrival k sits at t = sqrt(2(k+½)/slope)
  const slope = 100 / 1000 / 1000 // per ms²
  t.true(Math.abs(a[0] - Math.sqrt((2 * 0.5) / slope)) < 1e-6)
  t.true(Math.abs(a[9] - Math.sqrt((2 * 9.5) / slope)) < 1e-6)
})

test('open plan: the schedule object is exhausted with -1 and the plan reports its window', (t) => {
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

// ---------- validation ----------

test('closed-model validation collects every problem in plain words', (t) => {
  const problems = validateClosedModel(
    { model: 'closed', users: 0, durationMs: 1000, warmUpMs: 2000, rampUp: { durationMs: 5000, steps: 3 }, thinkTime: { kind: 'uniform', minMs: 5, maxMs: 1 } },
    'load',
  )
  t.true(problems.some((p) => p.includes('load.users must be at least 1 (got 0)')), problems.join('\n'))
  t.true(problems.some((p) => p.includes('warmUpMs (2000) must be less than durationMs (1000)')))
  t.true(problems.some((p) => p.includes('rampUp.durationMs (5000) must be less than durationMs')))
  t.true(problems.some((p) => p.includes("steps is only used with shape 'stepped'")))
  t.true(problems.some((p) => p.includes('maxMs must be at least minMs')))
  t.deepEqual(validateClosedModel({ model: 'closed', users: 3, durationMs: 100 }), [])
  t.true(validateClosedModel({ model: 'closed', users: 1.5, durationMs: 100, extra: 1 }).some((p) => p.includes('unknown setting(s): extra')))
  t.throws(() => resolveClosedModel({ model: 'closed', users: -1, durationMs: 1 }), { message: /users must be at least 1/ })
})

test('open-model validation collects every problem in plain words', (t) => {
  t.true(validateOpenModel({ model: 'open' }).some((p) => p.includes('an arrival rate is needed')))
  t.true(validateOpenModel({ model: 'open', rate: 10 }).some((p) => p.includes('durationMs is needed with rate')))
  const both = validateOpenModel({ model: 'open', rate: 10, durationMs: 10, stages: [{ durationMs: 10, targetRate: 1 }] })
  t.true(both.some((p) => p.includes('not both')))
  t.true(validateOpenModel({ model: 'open', stages: [{ durationMs: 10, targetRate: 0 }] }).some((p) => p.includes('no request would ever arrive')))
  t.true(validateOpenModel({ model: 'open', rate: -1, durationMs: 10, maxInFlight: 0 }).length >= 2)
  t.true(validateOpenModel({ model: 'open', arrivals: 'bursty', rate: 1, durationMs: 10 }).some((p) => p.includes('must be one of "constant", "poisson"')))
  t.deepEqual(validateOpenModel({ model: 'open', rate: 10, durationMs: 1000, arrivals: 'poisson' }), [])
})

test('benchmark options validation reports problems in the options and in the load model together', (t) => {
  const target = { name: 'x', search: async () => null }
  const problems = validateConcurrentTestOptions(
    { load: { model: 'closed', users: 0, durationMs: 100 }, queries: [], writes: { fraction: 0.5, makeInsert: () => ({}) }, seed: -3 },
    target,
  )
  t.true(problems.some((p) => p.includes('queries must have at least 1 item')), problems.join('\n'))
  t.true(problems.some((p) => p.includes('load.users must be at least 1')))
  t.true(problems.some((p) => p.includes('has no insert()')))
  t.true(problems.some((p) => p.startsWith('seed')))
  t.true(validateConcurrentTestOptions({ load: { model: 'nope' }, queries: [1] }).some((p) => p.includes('load.model must be one of')))
})
