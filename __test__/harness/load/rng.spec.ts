import test from 'ava'

import { Rng, deriveSeed } from '../../../harness/load/rng.ts'

test('Rng: same seed, same sequence; different seeds, different sequences', t => {
  const a = new Rng(123)
  const b = new Rng(123)
  const c = new Rng(124)
  const sa = Array.from({ length: 100 }, () => a.nextUint32())
  const sb = Array.from({ length: 100 }, () => b.nextUint32())
  const sc = Array.from({ length: 100 }, () => c.nextUint32())
  t.deepEqual(sa, sb)
  t.notDeepEqual(sa, sc)
  t.true(sa.every(x => Number.isInteger(x) && x >= 0 && x < 2 ** 32))
})

test('Rng: uniform floats in [0, 1) with the right mean and spread', t => {
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

test('Rng: exponential draws have the requested mean', t => {
  const r = new Rng(11)
  let sum = 0
  const n = 50_000
  for (let i = 0; i < n; i++) sum += r.nextExponential(20)
  t.true(Math.abs(sum / n - 20) < 0.5)
})

test('deriveSeed: deterministic and sensitive to every part', t => {
  t.is(deriveSeed(1, 2, 3), deriveSeed(1, 2, 3))
  const seeds = new Set<number>()
  for (let u = 0; u < 1000; u++) seeds.add(deriveSeed(42, 1, u))
  t.is(seeds.size, 1000)
  t.not(deriveSeed(1, 2, 3), deriveSeed(1, 3, 2))
})
