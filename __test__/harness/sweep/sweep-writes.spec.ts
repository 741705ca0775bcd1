import { join } from 'node:path'

import test from 'ava'

import { prepareWorkload } from '../../../cli/workload.ts'
import { ConcurrentBenchmark, sessionFactory, unifiedSearchTarget } from '../../../main.ts'
import type { UnifiedDocument, UnifiedQuery } from '../../../main.ts'
import { tempDir } from '../../helpers/engine.ts'

test('a 6-level sweep with 20 % writes has no harness-made error, and its writes become visible', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const workload = await prepareWorkload(
    {
      corpus: null,
      documents: 1500,
      dimensions: 32,
      textIndexPath: join(dir, 't'),
      vectorDbPath: join(dir, 'v'),
      mode: 'hybrid',
      seed: 7,
    },
    () => undefined,
  )
  t.teardown(() => workload.cleanup())
  const before = (await workload.system.stats()).docCount
  const target = unifiedSearchTarget(workload.system, { mode: 'hybrid', refresh: { intervalMs: 100 } })
  const report = await new ConcurrentBenchmark<string | UnifiedQuery, UnifiedDocument>(target).runScalabilityTest({
    levels: [1, 2, 3, 4, 5, 6],
    durationMs: 400,
    warmUpMs: 100,
    queries: workload.queries,
    writes: { fraction: 0.2, makeInsert: rng => workload.makeDocument(rng) },
    poolFactory: sessionFactory(workload.system),
    slo: { p99Ms: 10_000 },
    stopOnBreach: false,
    refineSteps: 0,
    seed: 7,
  })
  await target.close()
  t.deepEqual(
    report.levels.map(l => l.level),
    [1, 2, 3, 4, 5, 6],
  )
  for (const r of report.testResults) t.deepEqual(r.errorsByCode, {}, `level ${r.concurrentUsers}`)
  const writes = report.testResults.reduce((sum, r) => sum + (r.classes.write?.successful ?? 0), 0)
  t.true(writes > 0)
  t.true(
    report.testResults.some(r => (r.writeVisibility?.commits ?? 0) > 0),
    'group commits ran during the levels',
  )
  // Every acknowledged write (warm-ups included) is visible once the target is closed.
  t.true((await workload.system.stats()).docCount >= before + writes)
})
