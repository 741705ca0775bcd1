import test from 'ava'

import { Rng } from '../../../harness/load/rng.ts'
import { fitUsl, uslPeakConcurrency, uslThroughput } from '../../../harness/analysis/usl.ts'

const truth = { lambda: 1000, sigma: 0.05, kappa: 0.002 }
const levels = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64]

test('recovers λ, σ, κ exactly from noise-free data', t => {
  const fit = fitUsl(levels.map(n => ({ n, x: uslThroughput(truth, n) })))
  t.true(Math.abs(fit.lambda - 1000) / 1000 < 1e-4, `λ ${fit.lambda}`)
  t.true(Math.abs(fit.sigma - 0.05) < 1e-5, `σ ${fit.sigma}`)
  t.true(Math.abs(fit.kappa - 0.002) < 1e-6, `κ ${fit.kappa}`)
  t.true(fit.rSquared > 0.999999)
  t.true(Math.abs(fit.peakConcurrency! - Math.sqrt(0.95 / 0.002)) < 0.01)
  t.true(Math.abs(fit.throughputCeiling! - uslThroughput(truth, Math.sqrt(0.95 / 0.002))) < 0.5)
})

test('recovers the parameters within their standard errors from noisy data without N = 1', t => {
  const rng = new Rng(11)
  const points = levels
    .filter(n => n > 1)
    .flatMap(n => [0, 1, 2].map(() => ({ n, x: uslThroughput(truth, n) * (1 + 0.02 * (rng.next() * 2 - 1)) })))
  const fit = fitUsl(points)
  t.true(
    Math.abs(fit.lambda - 1000) < Math.max(4 * fit.standardErrors.lambda!, 30),
    `λ ${fit.lambda} ± ${fit.standardErrors.lambda}`,
  )
  t.true(
    Math.abs(fit.sigma - 0.05) < Math.max(4 * fit.standardErrors.sigma!, 0.01),
    `σ ${fit.sigma} ± ${fit.standardErrors.sigma}`,
  )
  t.true(
    Math.abs(fit.kappa - 0.002) < Math.max(4 * fit.standardErrors.kappa!, 0.0005),
    `κ ${fit.kappa} ± ${fit.standardErrors.kappa}`,
  )
  t.is(fit.residuals.length, points.length)
  t.true(fit.rSquared > 0.95)
})

test('linear scaling fits σ = κ = 0 and warns that no limit was reached', t => {
  const fit = fitUsl([1, 2, 4, 8].map(n => ({ n, x: 250 * n })))
  t.true(Math.abs(fit.lambda - 250) < 1e-6)
  t.is(fit.sigma, 0)
  t.is(fit.kappa, 0)
  t.is(fit.peakConcurrency, null)
  t.is(fit.throughputCeiling, null)
  t.true(fit.warnings.some(w => /linearly/.test(w)))
})

test('flat throughput is pure contention: σ near 1, ceiling near the plateau', t => {
  const fit = fitUsl([1, 2, 4, 8, 16].map(n => ({ n, x: 500 })))
  t.true(fit.sigma > 0.95, `σ ${fit.sigma}`)
  t.true(Math.abs((fit.throughputCeiling ?? fit.lambda / fit.sigma) - 500) < 25)
})

test('throughput falling from the start gives a peak at or below the first level', t => {
  const fit = fitUsl([2, 4, 8, 16].map(n => ({ n, x: 1000 / n })))
  t.true(fit.kappa > 0)
  t.true((fit.peakConcurrency ?? 0) <= 2.5, `N* ${fit.peakConcurrency}`)
})

test('a sweep below the knee warns that the peak is extrapolated; few levels warn', t => {
  const fit = fitUsl([1, 2, 4].map(n => ({ n, x: uslThroughput(truth, n) })))
  t.true(fit.warnings.some(w => /only 3 concurrency levels/.test(w)))
  t.true(fit.warnings.some(w => /knee was not reached/.test(w)))
})

test('refuses data it cannot fit', t => {
  t.throws(() => fitUsl([{ n: 4, x: 10 }]), { instanceOf: RangeError })
  t.throws(
    () =>
      fitUsl([
        { n: 1, x: 0 },
        { n: 2, x: 0 },
      ]),
    { instanceOf: RangeError },
  )
  const fit = fitUsl([
    { n: 1, x: 100 },
    { n: 2, x: Number.NaN },
    { n: 2, x: 190 },
    { n: 4, x: 350 },
  ])
  t.true(fit.warnings.some(w => /ignored/.test(w)))
})

test('uslPeakConcurrency has no peak without coherency cost', t => {
  t.is(uslPeakConcurrency({ sigma: 0.1, kappa: 0 }), null)
  t.is(uslPeakConcurrency({ sigma: 0.5, kappa: 0.5 }), 1)
})
