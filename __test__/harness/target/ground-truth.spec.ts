import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

import test from 'ava'
import type { ExecutionContext } from 'ava'

import { ConcurrentBenchmark, UnifiedSearchSystem, sessionFactory, unifiedSearchTarget } from '../../../main.ts'
import type { UnifiedDocument } from '../../../main.ts'
import { UnifiedGroundTruth, unifiedRecallProbe } from '../../../harness/target/index.ts'
import { generateCorpus } from '../../../corpus/index.ts'
import { tempDir } from '../../helpers/engine.ts'

/** A committed flat store of a generated corpus (64 dimensions) and its exact ground truth, closed and removed after the test. */
async function flatStoreWithGroundTruth(t: ExecutionContext, documents: number, queries: number, seed: number) {
  const { dir, cleanup } = tempDir('vn-gt-')
  t.teardown(cleanup)
  const corpus = generateCorpus({ documents, queries, seed })
  const docs = corpus.documents.map(d => ({ id: d.id, text: d.text }))
  const system = await UnifiedSearchSystem.open({
    textIndexPath: join(dir, 't'),
    vectorDbPath: join(dir, 'v'),
    dimensions: 64,
    vectorIndex: 'flat',
  })
  t.teardown(() => system.close().catch(() => undefined))
  await system.add(docs)
  await system.commit()
  const gt = await UnifiedGroundTruth.build(system, docs)
  return { dir, corpus, docs, system, gt }
}

test('a flat unified store under load with group-committed writes scores recall ~1.0 under load and 1.0 idle: the ground truth follows each commit', async t => {
  const { dir, corpus, docs, system, gt } = await flatStoreWithGroundTruth(t, 1500, 200, 3)
  const target = unifiedSearchTarget(system, {
    mode: 'vector',
    k: 10,
    refresh: { intervalMs: 150 },
    groundTruth: gt,
    textIndexPath: join(dir, 't'),
  })
  let n = 0
  const result = await new ConcurrentBenchmark<string | { text: string }, UnifiedDocument>(target).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1500, warmUpMs: 200 },
    queries: corpus.queries.map(q => q.text),
    writes: { fraction: 0.2, makeInsert: () => ({ id: `w-${n++}`, text: docs[(n * 7) % docs.length].text }) },
    pool: { factory: sessionFactory(system), name: 'sessions' },
    recall: { sampleRate: 0.1 },
    seed: 8,
  })
  // The probe settled the target before the idle pass: no write waits for a commit.
  t.is(gt.takeAdded().length, 0)
  await target.close()
  const recall = result.enhancedMetrics?.recall
  t.true((result.writeVisibility?.commits ?? 0) > 2, 'several group commits in the window')
  t.true((recall?.sampled ?? 0) > 10, `sampled ${recall?.sampled}`)
  t.log(JSON.stringify(recall))
  // An exact index scores exactly 1 under load too: each sample's truth is its own snapshot, and
  // a search that overlaps a commit still answers k hits of it (docs/metrics.md, "what it found").
  t.is(recall?.recall?.mean, 1, JSON.stringify(recall))
  t.is(recall?.idle?.recall?.mean, 1)
  t.true((result.enhancedMetrics?.resources?.engine?.segments ?? 0) >= 1)
})

test('a write the store shows before this side saw its commit resolve is in the exact index: returned, it is a hit', async t => {
  const { docs, system, gt } = await flatStoreWithGroundTruth(t, 300, 1, 5)
  const probe = unifiedRecallProbe(system, gt, { k: 5, mode: 'vector', search: {} })
  // The race the target's refresher can meet: the add lands natively, a commit whose batch was
  // taken before the add's continuation ran publishes it, and only then does `added` run.
  const query = docs[0].text
  const late = { id: 'late', text: query }
  gt.writing(late)
  await system.add([late])
  const batch = gt.takeAdded()
  await system.commit()
  gt.committed(batch)
  gt.added(late)
  const sentAt = performance.now()
  const hits = await system.search(query, { mode: 'vector', k: 5 })
  t.true(
    hits.some(h => h.id === 'late'),
    'the store returns the write (its text is the query)',
  )
  const [scored] = await probe.evaluate([probe.capture(query, hits, sentAt)])
  t.is(scored?.recall, 1)
})
