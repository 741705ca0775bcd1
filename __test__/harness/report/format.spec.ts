import test from 'ava'

import {
  formatLevel,
  formatMs,
  formatPercent,
  formatPlain,
  formatRate,
  groupDigits,
  jsonForHtml,
  logTicks,
  niceTicks,
  truncate,
  visibleWidth,
  wrap,
} from '../../../harness/report/format.ts'

test('durations keep about three significant digits and sub-ms precision', t => {
  t.deepEqual([0, 0.0004, 0.412, 3.123, 21.55, 435.4, 1234.5].map(formatMs), [
    '0',
    '0.000',
    '0.412',
    '3.12',
    '21.6',
    '435',
    '1,235',
  ])
  t.is(formatMs(Number.NaN), '–')
  t.is(formatMs(null), '–')
  t.deepEqual([0, 4.5, 98.54, 4210.4, 1234567].map(formatRate), ['0', '4.50', '98.5', '4,210', '1,234,567'])
  t.deepEqual(
    [0, 0.0025, 0.125, 1].map(x => formatPercent(x)),
    ['0', '0.25', '12.5', '100'],
  )
  t.is(formatPercent(0.5, 0), '50')
  t.deepEqual(
    [30, 0.5, 2.25, 1000].map(x => formatPlain(x)),
    ['30', '0.5', '2.25', '1,000'],
  )
  t.deepEqual([8, 250.5, 12.25].map(formatLevel), ['8', '250.5', '12.25'])
  t.is(groupDigits('-1234567.891'), '-1,234,567.891')
})

test('ticks step by 1, 2 or 5 times a power of ten and cover the data', t => {
  t.deepEqual(niceTicks(0, 487, 6).ticks, [0, 100, 200, 300, 400, 500])
  t.deepEqual(niceTicks(0, 4210, 6).ticks, [0, 1000, 2000, 3000, 4000, 5000])
  t.deepEqual(niceTicks(0, 0.9, 5).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1])
  t.deepEqual(niceTicks(0, 16, 7).ticks, [0, 2, 4, 6, 8, 10, 12, 14, 16])
  t.deepEqual(niceTicks(5, 5).ticks, [0, 1, 2, 3, 4, 5])
  for (const [lo, hi] of [
    [0, 1],
    [0, 7.3],
    [0, 123456],
    [2, 3],
  ]) {
    const r = niceTicks(lo, hi, 6)
    t.true(r.min <= lo && r.max >= hi)
    const mant = r.step / 10 ** Math.floor(Math.log10(r.step))
    t.true(
      [1, 2, 5].some(m => Math.abs(m - mant) < 1e-9),
      `step ${r.step}`,
    )
  }
  t.deepEqual(logTicks(0.41, 75).ticks, [0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
  t.deepEqual(logTicks(1, 256).ticks, [1, 2, 5, 10, 20, 50, 100, 200, 500])
})

test('JSON for HTML cannot end its script element and parses back', t => {
  const value = { a: '</script><!-- & \u2028', b: Number.POSITIVE_INFINITY, c: [1, Number.NaN] }
  const text = jsonForHtml(value)
  t.false(/<|>|&|\u2028/.test(text))
  t.deepEqual(JSON.parse(text), { a: '</script><!-- & \u2028', b: null, c: [1, null] })
})

test('terminal widths: ANSI codes take none, CJK two; truncation and wrapping respect them', t => {
  t.is(visibleWidth('\u001b[31mred\u001b[0m'), 3)
  t.is(visibleWidth('検索'), 4)
  t.is(visibleWidth('✓ █ ⣿'), 5)
  t.is(truncate('abcdefgh', 5), 'abcd…')
  t.is(truncate('abc', 5), 'abc')
  t.deepEqual(wrap('the quick brown fox jumps', 10), ['the quick', 'brown fox', 'jumps'])
})
