import test from 'ava'

import {
  ThresholdError,
  compareReports,
  evaluateThresholds,
  parseThreshold,
  renderComparison,
} from '../../../harness/report/index.ts'
import type { LevelSpec } from '../../helpers/report-fixture.ts'
import { makeReport, standardLevels, standardReport } from '../../helpers/report-fixture.ts'

function scaled(change: (l: LevelSpec) => LevelSpec): ReturnType<typeof makeReport> {
  return makeReport({ levels: standardLevels().map(change) })
}

test('a 20 % throughput drop is a regression, a 5 % drop is not', t => {
  const base = standardReport()
  const ok = compareReports(
    base,
    scaled(l => ({ ...l, throughput: l.throughput * 0.95 })),
  )
  t.deepEqual(
    ok.rows.flatMap(r => r.regressions),
    [],
  )
  t.is(ok.rows.length, base.levels.length)
  t.true(Math.abs(ok.rows[0].throughputChange! + 0.05) < 1e-9)

  const slow = compareReports(
    base,
    scaled(l => (l.level === 8 ? { ...l, throughput: l.throughput * 0.8 } : l)),
  )
  t.false(slow.passed)
  const row8 = slow.rows.find(r => r.level === 8)!
  t.deepEqual(row8.regressions, ['throughput at 8 users fell 20 % (4,210 → 3,368 req/s)'])
  t.true(slow.failures.includes(row8.regressions[0]))
  t.deepEqual(
    slow.rows.filter(r => r.regressions.length > 0).map(r => r.level),
    [8],
  )
})

test('p99 rises, error-rate rises, an earlier breaking point and fewer optimal users are regressions', t => {
  const base = standardReport()
  const p99 = compareReports(
    base,
    scaled(l => (l.level === 4 ? { ...l, p99Ms: l.p99Ms * 1.25 } : l)),
  )
  t.deepEqual(p99.rows.find(r => r.level === 4)!.regressions, ['p99 at 4 users rose 25 % (2.25 → 2.81 ms)'])
  t.true(
    compareReports(
      base,
      scaled(l => (l.level === 4 ? { ...l, p99Ms: l.p99Ms * 1.05 } : l)),
    ).passed,
    '5 % is noise',
  )

  const errors = compareReports(
    base,
    scaled(l => (l.level === 2 ? { ...l, errorRate: 0.005 } : l)),
  )
  t.deepEqual(errors.rows.find(r => r.level === 2)!.regressions, ['error rate at 2 users rose from 0 % to 0.50 %'])

  // Breaking at 8 (p99 over the SLO) instead of 16, and the optimum drops to 4.
  const worse = compareReports(
    base,
    scaled(l => (l.level === 8 || l.level === 12 ? { ...l, p99Ms: 80 } : l)),
  )
  t.true(worse.breakingPoint.regressed)
  t.deepEqual([worse.breakingPoint.baseline, worse.breakingPoint.current], [16, 8])
  t.true(
    worse.failures.some(f =>
      f.startsWith('the breaking point came earlier: 16 users → 8 users (p99 80.00 ms exceeds the objective of 50 ms)'),
    ),
  )
  t.true(worse.optimal.regressed)
  t.true(worse.failures.includes('optimal load fell from 8 users to 4 users'))
  t.false(worse.passed)

  const same = compareReports(base, base)
  t.true(same.passed)
  t.deepEqual(same.failures, [])
  t.deepEqual(same.warnings, [])
})

test('levels only in one report are listed; no common level or another load model fails', t => {
  const base = standardReport()
  const fewer = makeReport({
    levels: standardLevels()
      .filter(l => l.level !== 12)
      .concat([{ level: 32, throughput: 3000, p50Ms: 9, p99Ms: 120 }]),
  })
  const r = compareReports(base, fewer)
  t.deepEqual(r.onlyInBaseline, [12])
  t.deepEqual(r.onlyInCurrent, [32])
  const disjoint = compareReports(base, makeReport({ levels: [{ level: 3, throughput: 100, p50Ms: 1, p99Ms: 2 }] }))
  t.true(disjoint.failures.includes('no level was measured in both reports: nothing to compare'))
  const open = compareReports(base, makeReport({ model: 'open', levels: standardLevels() }))
  t.false(open.passed)
  t.regex(open.failures[0], /load models differ/)
})

test('every threshold form parses to base units', t => {
  const p = (e: string) => {
    const { metric, op, value, level } = parseThreshold(e)
    return { metric, op, value, level }
  }
  t.deepEqual(p('p99 < 50ms'), { metric: 'p99', op: '<', value: 50, level: null })
  t.deepEqual(p('p50<=2ms'), { metric: 'p50', op: '<=', value: 2, level: null })
  t.deepEqual(p('p99 < 0.5s'), { metric: 'p99', op: '<', value: 500, level: null })
  t.deepEqual(p('p90 < 250us'), { metric: 'p90', op: '<', value: 0.25, level: null })
  t.deepEqual(p('p99 < 7'), { metric: 'p99', op: '<', value: 7, level: null }, 'ms by default')
  t.deepEqual(p('errors < 1%'), { metric: 'errors', op: '<', value: 0.01, level: null })
  t.deepEqual(p('error_rate <= 0.02'), { metric: 'errors', op: '<=', value: 0.02, level: null })
  t.deepEqual(p('throughput > 1000/s'), { metric: 'throughput', op: '>', value: 1000, level: null })
  t.deepEqual(p('rps>1000'), { metric: 'throughput', op: '>', value: 1000, level: null })
  t.deepEqual(p('rps >= 1_500 req/s'), { metric: 'throughput', op: '>=', value: 1500, level: null })
  t.deepEqual(p('optimal >= 8'), { metric: 'optimal', op: '>=', value: 8, level: null })
  t.deepEqual(p('breaking > 12'), { metric: 'breaking', op: '>', value: 12, level: null })
  t.deepEqual(p('p99@16 < 50ms'), { metric: 'p99', op: '<', value: 50, level: 16 })
  t.deepEqual(p('P99 @ 16 < 50 ms'), { metric: 'p99', op: '<', value: 50, level: 16 })
  t.deepEqual(p('efficiency@4 >= 90%'), { metric: 'efficiency', op: '>=', value: 0.9, level: 4 })
  t.deepEqual(p('p99.9 < 100ms'), { metric: 'p99.9', op: '<', value: 100, level: null })
  t.deepEqual(p('cpu < 80%'), { metric: 'cpu', op: '<', value: 0.8, level: null })
  t.deepEqual(p('nstar == 8'), { metric: 'nstar', op: '==', value: 8, level: null })
})

test('malformed thresholds are refused with a message that says what is wrong', t => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['p99', /expected a comparison/],
    ['p99 50ms', /expected a comparison/],
    ['p99 <', /expected a value/],
    ['p99 << 5', /"< 5" is not a number/],
    ['latency < 5ms', /unknown metric "latency"; known: p50, p90/],
    ['p99 < 5%', /unit "%" does not fit p99; use ms \(default\), s, us or µs/],
    ['errors < 5', /did you mean 5%\?/],
    ['throughput > 10ms', /unit "ms" does not fit throughput/],
    ['optimal@4 > 2', /takes no @level/],
    ['p99@x < 5', /"@x" is not a level/],
    ['p99 != 5', /unsupported operator "!="/],
    ['p99 < abc', /is not a number/],
  ]
  for (const [expr, message] of bad) {
    const e = t.throws(() => parseThreshold(expr), { instanceOf: ThresholdError }, expr)
    t.is(e!.code, 'ERR_INVALID_THRESHOLD')
    t.regex(e!.message, message, expr)
    t.true(e!.message.startsWith(`invalid threshold ${JSON.stringify(expr)}`))
  }
  t.throws(() => compareReports(standardReport(), standardReport(), { thresholds: ['p99 < 50ms', 'nonsense'] }), {
    instanceOf: ThresholdError,
  })
})

test('thresholds hold at every measured level unless scoped, and report-wide ones once', t => {
  const r = standardReport() // p99: 1.23 … 62.5 ms (16 users); errors 2 % at 16; optimal 8; breaking 16
  const ev = (e: string) => evaluateThresholds(r, [e])[0]
  const p99 = ev('p99 < 50ms')
  t.false(p99.passed)
  t.deepEqual(p99.violations, [{ level: 16, value: 62.5 }])
  t.is(p99.detail, '62.5 ms at 16 users; required < 50 ms')
  t.true(ev('p99 < 70ms').passed)
  t.is(ev('p99 < 70ms').detail, 'worst 62.5 ms at 16 users, required < 70 ms')
  t.true(ev('p99@12 < 50ms').passed)
  t.false(ev('p99@16 < 50ms').passed)
  const missing = ev('p99@10 < 50ms')
  t.false(missing.passed)
  t.regex(missing.detail, /level 10 was not measured \(measured: 1, 2, 4, 8, 12, 16\)/)
  t.false(ev('errors < 1%').passed)
  t.deepEqual(ev('errors < 1%').violations, [{ level: 16, value: 0.02 }])
  t.true(ev('errors@8 < 1%').passed)
  t.false(ev('throughput > 1000/s').passed, '1,000 at 1 user is not above 1,000')
  t.true(ev('throughput >= 1000/s').passed)
  t.true(ev('rps@8 > 4000').passed)
  t.true(ev('optimal >= 8').passed)
  t.false(ev('optimal > 8').passed)
  t.is(ev('optimal >= 8').detail, 'optimal users (or rate) 8, required >= 8')
  t.true(ev('breaking >= 16').passed)
  t.true(ev('p95 < 100ms').passed, 'p95 comes from the full results')
  t.true(ev('efficiency@4 >= 90%').passed)
  t.false(ev('efficiency >= 90%').passed)

  // Never broke: beyond the last level.
  const fine = makeReport({ levels: standardLevels().slice(0, 4) })
  t.is(fine.scalabilityBreakingPoint, null)
  t.true(evaluateThresholds(fine, ['breaking >= 8'])[0].passed)
  t.false(evaluateThresholds(fine, ['breaking >= 16'])[0].passed)
  // No level meets the SLO: no optimum.
  const none = makeReport({ slo: { p99Ms: 0.1 }, levels: standardLevels() })
  t.is(none.optimalConcurrentUsers, null)
  t.regex(evaluateThresholds(none, ['optimal >= 1'])[0].detail, /none \(no level met the SLO\)/)
})

test('compareReports evaluates thresholds on the current report; renderComparison shows it all', t => {
  const base = standardReport()
  const cur = scaled(l => (l.level === 8 ? { ...l, throughput: l.throughput * 0.8 } : l))
  const result = compareReports(base, cur, { thresholds: ['p99 < 100ms', 'errors < 1%'] })
  t.deepEqual(
    result.thresholds.map(x => x.passed),
    [true, false],
  )
  t.true(result.failures.includes('threshold errors < 1% failed: 2.00 % at 16 users; required < 1 %'))
  const text = renderComparison(result)
  t.false(/\u001b\[/.test(text))
  t.regex(text, /^\s+users\s+throughput \(req\/s\)\s+change\s+p99 \(ms\)\s+change\s+errors \(%\)/)
  t.regex(text, /^\s+8\s+4,210 → 3,368\s+−20 %\s+12\.5 → 12\.5\s+\+0 %\s+0\.25 → 0\.25\s+✗$/m)
  t.regex(text, /^\s+4\s+3,800 → 3,800 .*✓$/m)
  t.regex(text, /✓ p99 < 100ms\s+worst 62\.5 ms at 16 users/)
  t.regex(text, /✗ errors < 1%\s+2\.00 % at 16 users/)
  t.regex(text, /✗ FAILED \(3 failures\)/)
  t.regex(
    text,
    /• the breaking point came earlier: 16 users → 8 users \(throughput fell to 3368\/s from a best of 3800\/s\)/,
  )
  t.regex(text, /• throughput at 8 users fell 20 %/)
  t.true(/\u001b\[/.test(renderComparison(result, { color: true })))
  const ascii = renderComparison(result, { ascii: true })
  t.false(/[^\x00-\x7f]/.test(ascii))
  t.regex(ascii, /FAIL FAILED/)
  const passed = renderComparison(compareReports(base, base, { thresholds: ['p99 < 100ms'] }))
  t.regex(passed, /✓ PASSED \(no regression beyond 10 %, 1 threshold met\)/)
})

test('differences in machine or settings are reported as warnings', t => {
  const base = standardReport()
  const other = standardReport()
  other.environment = { ...other.environment, cores: 4, nodeVersion: 'v24.0.0' }
  const r = compareReports(base, other)
  t.true(r.passed, 'warnings do not fail')
  t.deepEqual(r.warnings, ['cores differs: 8 → 4', 'Node.js differs: v22.18.0 → v24.0.0'])
  t.regex(renderComparison(r), /Not like for like\n\s+! cores differs: 8 → 4/)
})
