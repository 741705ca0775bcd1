import test from 'ava'

import { analyzeScalability, findBreakingPoint, meetsSlo } from '../../../harness/analysis/scalability.ts'
import type { AnalysisContext, LevelMeasurement } from '../../../harness/analysis/scalability.ts'
import { uslThroughput } from '../../../harness/analysis/usl.ts'
import type { Bottleneck } from '../../../harness/analysis/bottleneck.ts'

const bound = (resource: Bottleneck['resource'], evidence = 'the numbers'): Bottleneck => ({
  resource,
  share: 0.9,
  evidence,
})

const ctx: AnalysisContext = { cores: 2, threadPoolSize: 4, poolSize: 8, slo: { p99Ms: 50, errorRate: 0.01 } }

function level(concurrency: number, throughput: number, extra: Partial<LevelMeasurement> = {}): LevelMeasurement {
  return {
    concurrency,
    throughput,
    p50Ms: 1,
    p99Ms: 5,
    errorRate: 0,
    poolWaitMeanMs: 0,
    serviceMeanMs: 1,
    poolSaturated: false,
    cpuUtilization: 0.5,
    cpuMsPerRequest: 0.5,
    deadlockDetected: false,
    responseMeanMs: 1.5,
    startFailureRate: 0,
    hungCalls: 0,
    contention: 0,
    bottleneck: null,
    ...extra,
  }
}

test('meetsSlo checks p99 and the error budget (1 % by default)', t => {
  t.true(meetsSlo(level(1, 10), { p99Ms: 5 }))
  t.false(meetsSlo(level(1, 10, { p99Ms: 6 }), { p99Ms: 5 }))
  t.false(meetsSlo(level(1, 10, { errorRate: 0.02 }), undefined))
})

test('the breaking point is the first level where throughput falls, the SLO or the budget breaks', t => {
  t.deepEqual(findBreakingPoint([level(1, 100), level(2, 190), level(4, 170)], undefined)?.level, 4)
  t.is(findBreakingPoint([level(1, 100), level(2, 190), level(4, 175)], undefined), null) // within 10 %
  t.regex(
    findBreakingPoint([level(1, 100), level(2, 190, { p99Ms: 80 })], { p99Ms: 50 })!.reason,
    /p99 80.00 ms exceeds/,
  )
  t.regex(findBreakingPoint([level(1, 100, { errorRate: 0.5 })], undefined)!.reason, /error rate 50.00 %/)
})

test("a USL-shaped sweep: optimal users, peak, breaking point, contention score in the sketch's units", t => {
  const p = { lambda: 1000, sigma: 0.05, kappa: 0.01 }
  const levels = [1, 2, 4, 8, 16, 32].map(n =>
    level(n, uslThroughput(p, n), {
      cpuUtilization: Math.min(1, n / 10),
      cpuMsPerRequest: 0.5 * (1 + 0.1 * n),
      p99Ms: n * 2,
      contention: n,
      bottleneck: bound(n >= 8 ? 'cpu' : 'none'),
    }),
  )
  const a = analyzeScalability(levels, { ...ctx, slo: { p99Ms: 50 } })
  // X: 1000, 1869, 3150, 4188, 3855, 2566; p99 = 2n ms, so 32 users break the SLO.
  t.is(a.optimalConcurrentUsers, 8)
  t.true(Math.abs(a.peakConcurrency! - Math.sqrt(0.95 / 0.01)) < 0.01)
  t.is(a.scalabilityBreakingPoint, 32) // 16 is 8 % below the best (within noise); 32 breaks p99 ≤ 50 ms
  // Contention is the waiting share at the level the bottleneck is named at (the breaking point).
  t.is(a.resourceContentionScore, 32)
  t.is(a.bottleneck.resource, 'cpu')
  t.deepEqual(a.efficiencyCurve[0], [1, 100])
  t.deepEqual(a.linearScalingRange, [1, 2])
  // Busy CPU, but each request costs 3.8× more CPU at 32 users than at 1: overhead, not hardware.
  t.is(a.recommendation.kind, 'OptimizeCode')
  t.true(
    a.recommendation.reasons.some(x => /costs 3.8× the CPU at 32/.test(x)),
    a.recommendation.reasons.join(' | '),
  )
})

test('all levels within the SLO and still scaling: AcceptablePerformance', t => {
  const a = analyzeScalability(
    [1, 2, 4, 8].map(n => level(n, 100 * n)),
    ctx,
  )
  t.is(a.recommendation.kind, 'AcceptablePerformance')
  t.is(a.scalabilityBreakingPoint, null)
  t.is(a.optimalConcurrentUsers, 8)
  t.deepEqual(a.linearScalingRange, [1, 8])
})

test('a deadlock anywhere means OptimizeCode', t => {
  const a = analyzeScalability([level(1, 100), level(2, 0, { deadlockDetected: true })], ctx)
  t.is(a.recommendation.kind, 'OptimizeCode')
  t.is(a.scalabilityBreakingPoint, 2)
})

test('a saturated pool with idle CPU means IncreaseResources with pool and thread-pool advice', t => {
  const levels = [
    level(1, 100),
    level(2, 200),
    level(4, 210, {
      p99Ms: 60,
      poolSaturated: true,
      poolWaitMeanMs: 9,
      serviceMeanMs: 1,
      cpuUtilization: 0.3,
      bottleneck: bound(
        'connection-pool',
        '90 % of response time (9.00 ms of 10.0 ms) was spent waiting for one of 8 pool leases',
      ),
    }),
  ]
  const a = analyzeScalability(levels, ctx)
  t.is(a.recommendation.kind, 'IncreaseResources')
  t.is(a.bottleneck.resource, 'connection-pool')
  t.true(a.recommendation.advice.some(x => /raise --pool above 8/.test(x)))
  t.true(a.recommendation.reasons.some(x => /bound by connection-pool at 4: 90 % of response time/.test(x)))
})

test('a busy CPU with little contention means IncreaseResources (more cores)', t => {
  const levels = [1, 2, 4, 8].map(n =>
    level(n, Math.min(n, 2) * 500 * (n > 2 ? 0.85 : 1), {
      cpuUtilization: Math.min(1, n / 2),
      bottleneck: bound(n >= 2 ? 'cpu' : 'none'),
    }),
  )
  const a = analyzeScalability(levels, { ...ctx, slo: undefined })
  t.is(a.scalabilityBreakingPoint, 4)
  t.is(a.recommendation.kind, 'IncreaseResources')
  t.true(a.recommendation.advice.some(x => /add cores/.test(x)))
})

test('cores full at the knee (not at the overloaded level) with flat CPU per request: IncreaseResources', t => {
  const levels = [
    level(1, 1600, { cpuUtilization: 0.49, cpuMsPerRequest: 0.6 }),
    level(2, 2500, { cpuUtilization: 0.73, cpuMsPerRequest: 0.58 }),
    level(4, 3500, { cpuUtilization: 0.92, cpuMsPerRequest: 0.53 }),
    level(8, 2900, { cpuUtilization: 0.8, cpuMsPerRequest: 0.55, bottleneck: bound('cpu') }),
  ]
  const a = analyzeScalability(levels, { ...ctx, slo: undefined })
  t.is(a.scalabilityBreakingPoint, 8)
  t.is(a.recommendation.kind, 'IncreaseResources')
  t.true(
    a.recommendation.reasons.some(x => /CPU per request stays flat \(0.600 → 0.550 ms\)/.test(x)),
    a.recommendation.reasons.join(' | '),
  )
})

test('throughput that peaks and falls with idle CPU means OptimizeCode (coherency)', t => {
  const p = { lambda: 1000, sigma: 0.02, kappa: 0.05 }
  const levels = [1, 2, 4, 8, 16].map(n => level(n, uslThroughput(p, n), { cpuUtilization: 0.4 }))
  const a = analyzeScalability(levels, { ...ctx, slo: undefined })
  t.is(a.recommendation.kind, 'OptimizeCode')
  t.true(a.recommendation.reasons.some(x => /peaks at N\*/.test(x)))
})

test('edge cases: one level, every request failing', t => {
  const one = analyzeScalability([level(4, 100)], ctx)
  t.is(one.usl, null)
  t.truthy(one.uslError)
  t.is(one.optimalConcurrentUsers, 4)
  const failing = analyzeScalability([level(1, 0, { errorRate: 1 }), level(2, 0, { errorRate: 1 })], ctx)
  t.is(failing.optimalConcurrentUsers, null)
  t.is(failing.scalabilityBreakingPoint, 1)
  t.true(failing.warnings.some(w => /every request failed/.test(w)))
  t.throws(() => analyzeScalability([], ctx), { instanceOf: RangeError })
})

test('a plateau with growing latency is saturation, named with its bottleneck, never "measure beyond"', t => {
  // The default run on 2 cores: throughput flat from 8 users while p50 grows with the users.
  const shape: [number, number, number][] = [
    [1, 1600, 0.6],
    [2, 2500, 0.8],
    [4, 3600, 1.1],
    [8, 4100, 1.9],
    [16, 4200, 3.8],
    [32, 4150, 7.7],
  ]
  const levels = shape.map(([n, x, p50]) =>
    level(n, x, {
      p50Ms: p50,
      p99Ms: p50 * 2,
      bottleneck: bound(n >= 8 ? 'cpu' : 'none', 'the 2 cores were 98 % busy'),
    }),
  )
  const a = analyzeScalability(levels, { ...ctx, slo: undefined })
  t.deepEqual(a.saturation, {
    level: 8,
    peakThroughput: 4200,
    latencyGrowth: 7.7 / 1.9,
    lastPlateauLevel: 32,
    fell: null,
  })
  t.is(a.scalabilityBreakingPoint, null)
  t.is(a.bottleneck.resource, 'cpu')
  t.is(a.recommendation.kind, 'IncreaseResources')
  t.true(a.recommendation.reasons.some(x => /^saturated at 8: throughput stayed within 10 %/.test(x)))
  t.true(a.recommendation.reasons.some(x => /bound by cpu at 32: the 2 cores were 98 % busy/.test(x)))
  t.false(a.recommendation.advice.some(x => /measure beyond/.test(x)))
  t.true(a.recommendation.advice.some(x => /add cores \(2 now\).*at most 8/.test(x)))
})

test('a peak followed by falling throughput is saturation at the peak, not "still growing"', t => {
  // A default run on a busy 2-core machine: best at 8 users, lower at 10–16, p50 2.5× higher.
  const shape: [number, number, number][] = [
    [1, 884, 0.44],
    [2, 917, 0.88],
    [4, 1223, 1.33],
    [8, 1971, 1.86],
    [10, 1606, 3.9],
    [12, 1442, 4.31],
    [16, 1443, 4.71],
  ]
  const levels = shape.map(([n, x, p50]) => level(n, x, { p50Ms: p50, p99Ms: p50 * 8 }))
  const a = analyzeScalability(levels, { ...ctx, slo: undefined })
  t.deepEqual(a.saturation, {
    level: 8,
    peakThroughput: 1971,
    latencyGrowth: 4.71 / 1.86,
    lastPlateauLevel: 8,
    fell: { level: 16, throughput: 1443 },
  })
  t.true(
    a.recommendation.reasons.some(x =>
      /^saturated at 8: throughput peaked here \(1971\/s\) and fell to 1443\/s by 16 while p50 grew 2\.5×/.test(x),
    ),
  )
  t.false(a.recommendation.advice.some(x => /measure beyond/.test(x)))
})

test('a fall past the peak is saturation only when latency grew with it', t => {
  const fell = [level(1, 100, { p50Ms: 1 }), level(2, 150, { p50Ms: 2 }), level(4, 120, { p50Ms: 4 })]
  t.like(analyzeScalability(fell, ctx).saturation, {
    level: 2,
    lastPlateauLevel: 2,
    fell: { level: 4, throughput: 120 },
  })
  const noisy = [level(1, 100, { p50Ms: 1 }), level(2, 150, { p50Ms: 2 }), level(4, 120, { p50Ms: 2.2 })]
  t.is(analyzeScalability(noisy, ctx).saturation, null, 'p50 grew 1.1×: a noisy level, not saturation')
})

test('throughput still growing is not saturation', t => {
  const levels = [1, 2, 4, 8].map(n => level(n, 100 * n, { p50Ms: n }))
  t.is(analyzeScalability(levels, ctx).saturation, null)
})

test('dropped starts and hung calls break the objective', t => {
  t.false(meetsSlo(level(1, 10, { startFailureRate: 0.05 }), undefined))
  t.regex(
    findBreakingPoint([level(1, 100), level(2, 190, { startFailureRate: 0.2 })], undefined)!.reason,
    /20.0 % of scheduled starts were dropped/,
  )
  t.false(meetsSlo(level(1, 10, { hungCalls: 1 }), undefined))
  const hung = analyzeScalability([level(1, 100), level(2, 190, { hungCalls: 1 })], ctx)
  t.is(hung.scalabilityBreakingPoint, 2)
  t.regex(hung.breakingReason!, /1 call\(s\) hung/)
  t.is(hung.recommendation.kind, 'OptimizeCode')
})
