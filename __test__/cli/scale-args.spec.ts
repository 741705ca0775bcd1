import test from 'ava'

import { parseDuration, parseFraction, parseLevels, parseThinkTime } from '../../cli/durations.ts'
import { parseScaleArgs, parseSlo } from '../../cli/scale-args.ts'

test('durations, fractions, levels and think times', t => {
  t.is(parseDuration('250ms'), 250)
  t.is(parseDuration('5s'), 5000)
  t.is(parseDuration('1.5m'), 90_000)
  t.is(parseDuration('800us'), 0.8)
  t.is(parseDuration('40'), 40)
  t.throws(() => parseDuration('fast'), { message: /not a duration/ })
  t.is(parseFraction('1%'), 0.01)
  t.is(parseFraction('0.05'), 0.05)
  t.throws(() => parseFraction('120%'))
  t.deepEqual(parseLevels('1,2,4'), [1, 2, 4])
  t.deepEqual(parseLevels('1..64'), { start: 1, max: 64, factor: 2 })
  t.deepEqual(parseLevels('1..64x4'), { start: 1, max: 64, factor: 4 })
  t.deepEqual(parseLevels('2:20:2'), { start: 2, max: 20, step: 2 })
  t.throws(() => parseLevels('a,b'))
  t.deepEqual(parseThinkTime('none'), { kind: 'none' })
  t.deepEqual(parseThinkTime('10ms'), { kind: 'constant', ms: 10 })
  t.deepEqual(parseThinkTime('exp:20ms'), { kind: 'exponential', meanMs: 20 })
  t.deepEqual(parseThinkTime('uniform:5ms-20ms'), { kind: 'uniform', minMs: 5, maxMs: 20 })
  t.deepEqual(parseThinkTime('pace:100ms'), { kind: 'pacing', intervalMs: 100 })
  t.throws(() => parseThinkTime('uniform:5ms'))
  t.is(parseSlo('p99<50ms'), 50)
  t.is(parseSlo('p99 <= 2s'), 2000)
  t.throws(() => parseSlo('p50<3ms'))
})

test('no flags: the default job', t => {
  const o = parseScaleArgs([])
  if (o.command !== 'run') return t.fail(o.command)
  t.is(o.corpus, null)
  t.is(o.documents, 20_000)
  t.is(o.mode, 'hybrid')
  t.deepEqual(o.levels, { start: 1, max: 32, factor: 2 })
  t.is(o.durationMs, 5000)
  t.is(o.seed, 42)
})

test('--quick shrinks the run; explicit flags still win', t => {
  const o = parseScaleArgs([
    '--quick',
    '--levels',
    '1,3',
    '--mode',
    'text',
    '--slo',
    'p99<20ms',
    '--threshold',
    'p99<50ms',
    '--threshold',
    'errors<1%',
  ])
  if (o.command !== 'run') return t.fail(o.command)
  t.is(o.documents, 3000)
  t.deepEqual(o.levels, [1, 3])
  t.is(o.durationMs, 1000)
  t.is(o.mode, 'text')
  t.is(o.sloP99Ms, 20)
  t.deepEqual(o.thresholds, ['p99<50ms', 'errors<1%'])
})

test('bad flags give every problem at once', t => {
  const o = parseScaleArgs(['--mode', 'fuzzy', '--docs', '5x', '--levels', 'x', '--think', 'uniform:1ms', 'extra'])
  if (o.command !== 'error') return t.fail(o.command)
  const text = o.problems.join('\n')
  t.regex(text, /--mode must be text, vector or hybrid/)
  t.regex(text, /--docs must be a whole number/)
  t.regex(text, /--levels/)
  t.regex(text, /--think/)
  t.regex(text, /unexpected argument "extra"/)
  const unknown = parseScaleArgs(['--bogus'])
  t.is(unknown.command, 'error')
  t.is(parseScaleArgs(['--corpus', 'a.jsonl', '--docs', '100']).command, 'error')
})

test('compare and help', t => {
  const c = parseScaleArgs(['compare', 'a.json', 'b.json', '--threshold', 'p99<5ms', '--regression', '5%'])
  t.deepEqual(c, {
    command: 'compare',
    baseline: 'a.json',
    current: 'b.json',
    thresholds: ['p99<5ms'],
    regression: 0.05,
  })
  t.is(parseScaleArgs(['compare', 'a.json']).command, 'error')
  const h = parseScaleArgs(['--help'])
  t.is(h.command, 'help')
})
