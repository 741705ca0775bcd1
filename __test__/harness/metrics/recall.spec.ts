import test from 'ava'

import { ConcurrentBenchmark, FlatIndex, HnswIndex, vectorIndexTarget } from '../../../main.ts'
import type { VectorInsert } from '../../../main.ts'
import { RECALL_DROP_THRESHOLD } from '../../../harness/analysis/constants.ts'
import { RecallSampler, recallAt, recallDistribution } from '../../../harness/metrics/recall.ts'
import { degradingTarget } from '../../fixtures/degrading-target.ts'
import { clusteredVectors, randomVectors, row } from '../../helpers/engine.ts'

test('recallAt counts ids in the truth, and ties at the k-th distance', t => {
  t.is(recallAt([1, 2, 3], [1, 2, 3]), 1)
  t.is(recallAt([1, 2, 9], [1, 2, 3]), 2 / 3)
  t.is(recallAt([1, 2, 9], [1, 2, 3], { returnedDistances: [0.1, 0.2, 0.3], kthTruthDistance: 0.3 }), 1)
  t.is(recallAt([], []), 1)
})

test('recallDistribution: mean, worst 1 % and minimum', t => {
  const values = Array.from({ length: 200 }, (_, i) => (i < 2 ? 0.5 : 1))
  const d = recallDistribution(values)
  t.is(d?.samples, 200)
  t.is(d?.worst1Percent, 0.5)
  t.is(d?.min, 0.5)
  t.true(Math.abs((d?.mean ?? 0) - 0.995) < 1e-12)
  t.is(recallDistribution([]), null)
})

test('RecallSampler takes one search in 1/rate, up to its cap', t => {
  const s = new RecallSampler(0.01, 3)
  let taken = 0
  for (let i = 0; i < 1000; i++) {
    if (s.take()) {
      taken++
      s.add({ i })
    }
  }
  t.is(taken, 3)
  const all = new RecallSampler(1, 1000)
  let n = 0
  for (let i = 0; i < 10; i++) if (all.take()) n++
  t.is(n, 10)
})

test('a flat index under load, with writes, has recall 1.0 against its exact ground truth', async t => {
  const d = 16
  const n = 3000
  const data = randomVectors(n, d, 11)
  const ids = Array.from({ length: n }, (_, i) => i)
  const index = new FlatIndex({ dimensions: d, metric: 'l2' })
  const exact = new FlatIndex({ dimensions: d, metric: 'l2' })
  await index.add(ids, data)
  await exact.add(ids, data)
  const qd = randomVectors(200, d, 12)
  const queries = Array.from({ length: 200 }, (_, i) => row(qd, i, d).slice())
  const extra = randomVectors(2000, d, 13)
  const bench = new ConcurrentBenchmark<Float32Array, VectorInsert>(
    vectorIndexTarget(index, { k: 10, groundTruth: exact }),
  )
  const result = await bench.runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1500, warmUpMs: 300 },
    queries,
    writes: { fraction: 0.1, makeInsert: (_rng, i) => ({ id: 1_000_000 + i, vector: row(extra, i % 2000, d) }) },
    recall: { sampleRate: 0.05, maxSamples: 200 },
    seed: 3,
  })
  const recall = result.enhancedMetrics?.recall
  t.truthy(recall, 'recall measured')
  t.true((recall?.sampled ?? 0) > 10, `sampled ${recall?.sampled}`)
  t.is(recall?.recall?.mean, 1)
  t.is(recall?.recall?.worst1Percent, 1)
  t.is(recall?.idle?.recall?.mean, 1)
  t.is(recall?.drop, 0)
  t.false(result.enhancedMetrics?.findings.some(f => f.kind === 'recall-drop'))
  t.true(index.size > n, 'writes landed')
})

test('an HNSW searched with a narrow beam under load shows a recall drop, and it is a finding', async t => {
  const d = 32
  const n = 4000
  const data = clusteredVectors(n, d, 20, 21)
  const ids = Array.from({ length: n }, (_, i) => i)
  const index = new HnswIndex({ dimensions: d, metric: 'l2', m: 6, efConstruction: 100 })
  const exact = new FlatIndex({ dimensions: d, metric: 'l2' })
  await index.add(ids, data)
  await exact.add(ids, data)
  const qd = clusteredVectors(100, d, 20, 22)
  const queries = Array.from({ length: 100 }, (_, i) => row(qd, i, d).slice())
  const target = degradingTarget(index, exact, { k: 10, idleEf: 400, loadedEf: 10 })
  const bench = new ConcurrentBenchmark<Float32Array, never>(target)
  const result = await bench.runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1200, warmUpMs: 200 },
    queries,
    recall: { sampleRate: 0.05, maxSamples: 200 },
    seed: 4,
  })
  const recall = result.enhancedMetrics?.recall
  t.truthy(recall?.recall)
  t.truthy(recall?.idle?.recall)
  t.true((recall?.idle?.recall?.mean ?? 0) > 0.9, `idle ${recall?.idle?.recall?.mean}`)
  t.log(`idle ${recall?.idle?.recall?.mean} loaded ${recall?.recall?.mean}`)
  t.true((recall?.drop ?? 0) > RECALL_DROP_THRESHOLD, `drop ${recall?.drop}, loaded ${recall?.recall?.mean}`)
  const finding = result.enhancedMetrics?.findings.find(f => f.kind === 'recall-drop')
  t.truthy(finding)
  t.regex(finding?.message ?? '', /recall@10 fell/)
})
