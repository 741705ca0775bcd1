import test from 'ava'

import { paretoFrontier, qpsAtRecall } from '../../../benchmark/lib/pareto.ts'

// An ef sweep: recall rises, QPS falls; ef 48 is dominated (a noisy pass) by ef 64.
const sweep = [
  { ef: 16, recall: 0.8, qps: 20_000 },
  { ef: 32, recall: 0.9, qps: 10_000 },
  { ef: 48, recall: 0.93, qps: 4_000 },
  { ef: 64, recall: 0.96, qps: 5_000 },
  { ef: 128, recall: 0.99, qps: 2_500 },
]

test('paretoFrontier drops dominated points and sorts by recall', t => {
  t.deepEqual(
    paretoFrontier(sweep).map(p => p.ef),
    [16, 32, 64, 128],
  )
  t.deepEqual(paretoFrontier([]), [])
  // equal recall: only the faster one stays
  t.deepEqual(
    paretoFrontier([
      { recall: 0.9, qps: 1 },
      { recall: 0.9, qps: 2 },
    ]),
    [{ recall: 0.9, qps: 2 }],
  )
})

test('qpsAtRecall interpolates linearly in recall and log QPS between frontier neighbours', t => {
  // 0.95 lies between ef 32 (0.9, 10k) and ef 64 (0.96, 5k), 5/6 of the way: 10k · 0.5^(5/6)
  const r = qpsAtRecall(sweep, 0.95)
  t.is(r.how, 'interpolated')
  t.true(Math.abs((r.qps ?? 0) - 10_000 * 0.5 ** (5 / 6)) < 1e-6)
  // the dominated ef 48 point plays no part
  t.deepEqual(qpsAtRecall(sweep, 0.99), { qps: 2_500, how: 'point' })
})

test('qpsAtRecall: unreachable target, and a target below every point', t => {
  t.deepEqual(qpsAtRecall(sweep, 0.995), { qps: null, how: 'unreached' })
  t.deepEqual(qpsAtRecall(sweep, 0.5), { qps: 20_000, how: 'floor' })
  t.deepEqual(qpsAtRecall([], 0.9), { qps: null, how: 'unreached' })
})
