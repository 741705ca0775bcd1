import { join } from 'node:path'

import test from 'ava'

import {
  ConcurrentBenchmark,
  HnswIndex,
  UnifiedSearchSystem,
  functionTarget,
  sessionFactory,
  unifiedSearchTarget,
  vectorIndexTarget,
} from '../../../main.ts'
import type { VectorInsert } from '../../../main.ts'
import { generateCorpus } from '../../../corpus/index.ts'
import { randomVectors, row, tempDir } from '../../helpers/engine.ts'

test('the real engine as target: counters add up, native worker CPU is reported, writes land', async t => {
  const d = 32
  const n = 5000
  const index = new HnswIndex({ dimensions: d, metric: 'l2', efConstruction: 64 })
  await index.add(
    Array.from({ length: n }, (_, i) => i),
    randomVectors(n, d, 1),
  )
  const queryData = randomVectors(100, d, 2)
  const queries = Array.from({ length: 100 }, (_, i) => row(queryData, i, d).slice())
  const extra = randomVectors(1, d, 3)

  const bench = new ConcurrentBenchmark<Float32Array, VectorInsert>(vectorIndexTarget(index, { k: 10 }))
  const result = await bench.runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1500, warmUpMs: 300 },
    queries,
    selection: { kind: 'zipf', exponent: 1 },
    writes: { fraction: 0.05, makeInsert: (_rng, i) => ({ id: 1_000_000 + i, vector: extra }) },
    seed: 9,
  })
  t.is(result.target, 'hnsw-index')
  t.is(result.loadModel, 'closed')
  t.is(result.totalRequests, result.successfulRequests + result.failedRequests + result.timeoutRequests)
  t.is(result.failedRequests + result.timeoutRequests, 0, JSON.stringify(result.errorsByCode))
  t.true(result.successfulRequests > 100, `only ${result.successfulRequests} requests`)
  t.true(result.classes.write.count > 0, 'some writes were measured')
  t.true(result.classes.read.count > 0)
  // Every insert the harness made (warm-up included) is in the index now.
  t.true(index.size > n)
  t.true(index.has(1_000_000))
  // The engine's per-thread record: tasks ran on libuv workers and used CPU.
  const tasks = result.workerThreads.reduce((s, w) => s + w.tasks, 0)
  t.true(tasks > 0)
  t.true(result.workerThreads.every(w => w.cpuTimeMs >= 0))
  t.true(result.workerThreads.reduce((s, w) => s + w.cpuTimeMs, 0) > 0)
  t.true(result.mainThreadCpuMs > 0)
})

test('functionTarget load-tests any async function', async t => {
  let calls = 0
  const target = functionTarget<number>('echo', async q => {
    calls++
    await new Promise(resolve => setTimeout(resolve, 2))
    return q
  })
  const result = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 400, warmUpMs: 100 },
    queries: [1, 2, 3],
    seed: 1,
  })
  t.is(result.target, 'echo')
  t.true(result.successfulRequests > 0)
  t.true(calls >= result.totalRequests)
  t.throws(() => functionTarget('bad', 42 as never), { instanceOf: TypeError })
})

test('the UnifiedSearchSystem as target, searching through pooled sessions', async t => {
  const { dir, cleanup } = tempDir('vn-unified-target-')
  t.teardown(cleanup)
  const corpus = generateCorpus({ documents: 800, queries: 60, seed: 2 })
  const system = await UnifiedSearchSystem.open({
    textIndexPath: join(dir, 't'),
    vectorDbPath: join(dir, 'v'),
    dimensions: 64,
  })
  t.teardown(() => system.close().catch(() => undefined))
  await system.add(corpus.documents.map(d => ({ id: d.id, text: d.text })))
  await system.commit()
  let created = 0
  const factory = sessionFactory(system)
  const counting = {
    ...factory,
    create: () => {
      created++
      return factory.create()
    },
  }
  const target = unifiedSearchTarget(system, { mode: 'hybrid', k: 5 })
  const result = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 3, durationMs: 800, warmUpMs: 200 },
    queries: corpus.queries.map(q => ({
      text: q.text,
      mode: q.class === 'keyword' ? ('text' as const) : ('hybrid' as const),
    })),
    classify: q => (typeof q === 'string' ? 'hybrid' : (q.mode ?? 'hybrid')),
    pool: { size: 2, factory: counting, name: 'sessions' },
    writes: { fraction: 0.02, makeInsert: (_rng, i) => ({ id: `new-${i}`, text: `fresh document number ${i}` }) },
    seed: 3,
  })
  t.is(result.failedRequests + result.timeoutRequests, 0, JSON.stringify(result.errorsByCode))
  t.true(result.successfulRequests > 20)
  t.true(created >= 1 && created <= 2, `${created} sessions for a pool of 2`)
  t.true(result.connectionPoolUsage.peakUsage <= 2)
  t.is(result.connectionPoolUsage.leaked, 0)
  t.truthy(result.classes.text && result.classes.hybrid)
  // Writes are acknowledged before they are visible; closing the target commits what waits.
  await target.close()
  const visibility = target.drainWriteVisibility?.()
  t.truthy(visibility)
  t.is(visibility?.waiting, 0)
  t.true((await system.stats()).docCount > 800, 'inserts were committed')
})
