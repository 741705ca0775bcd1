import test from 'ava'

import { querySequence, searchCdf, zipfCdf, zipfProbabilities } from '../../../harness/load/selection.ts'

test('same seed → same query sequence per user; other users and seeds differ', t => {
  const sel = { kind: 'uniform' } as const
  const a = querySequence(sel, 50, 99, 3, 200)
  t.deepEqual(a, querySequence(sel, 50, 99, 3, 200))
  t.notDeepEqual(a, querySequence(sel, 50, 99, 4, 200))
  t.notDeepEqual(a, querySequence(sel, 50, 100, 3, 200))
  t.true(a.every(i => i >= 0 && i < 50))
  // every query gets picked: not one query per user forever (sketch defect 3)
  t.true(new Set(querySequence(sel, 10, 1, 0, 500)).size === 10)
})

test('write mix: the fraction of writes in the sequence matches', t => {
  const seq = querySequence({ kind: 'uniform' }, 10, 5, 0, 20_000, 0.2)
  const writes = seq.filter(x => x === -1).length / seq.length
  t.true(Math.abs(writes - 0.2) < 0.015, `writes ${writes}`)
})

test('sequential selection steps through the list from a per-user offset', t => {
  t.deepEqual(querySequence({ kind: 'sequential' }, 4, 1, 0, 6), [0, 1, 2, 3, 0, 1])
  t.deepEqual(querySequence({ kind: 'sequential' }, 4, 1, 1, 6), [1, 2, 3, 0, 1, 2])
  t.deepEqual(querySequence({ kind: 'sequential' }, 4, 1, 5, 3), [1, 2, 3])
})

test('Zipf probabilities and CDF follow 1/k^s', t => {
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

test('Zipf-skewed selection: observed frequencies match theory', t => {
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
      t.true(
        Math.abs(counts[k] - expected) < 5 * sd + 1,
        `s=${s} rank ${k + 1}: ${counts[k]} vs ${expected.toFixed(0)}`,
      )
    }
    t.true(counts[0] > counts[1] && counts[1] > counts[5] && counts[5] > counts[19])
  }
})
