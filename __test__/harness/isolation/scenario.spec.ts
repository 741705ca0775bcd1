import test from 'ava'

import { HnswIndex, vectorIndexTarget } from '../../../main.ts'
import { IsolationReportSchema, runIsolationScenario } from '../../../harness/isolation/index.ts'
import { clusteredVectors, row } from '../../helpers/engine.ts'

test('a heavy class slows a light class on a shared pool, and less with capacity reserved for the light class', async t => {
  const d = 32
  const n = 6000
  const index = new HnswIndex({ dimensions: d, metric: 'l2', efConstruction: 64 })
  await index.add(
    Array.from({ length: n }, (_, i) => i),
    clusteredVectors(n, d, 16, 31),
  )
  const qd = clusteredVectors(64, d, 16, 32)
  const queries = Array.from({ length: 64 }, (_, i) => row(qd, i, d).slice())
  const report = await runIsolationScenario<Float32Array>({
    light: { target: vectorIndexTarget(index, { k: 10, ef: 16, name: 'light' }), queries, users: 3 },
    heavy: { target: vectorIndexTarget(index, { k: 1000, ef: 3000, name: 'heavy' }), queries, users: 4 },
    poolSize: 4,
    heavyLimit: 1,
    durationMs: 1500,
    warmUpMs: 300,
    seed: 7,
  })
  t.notThrows(() => IsolationReportSchema.parse(report))
  const s = report.interference.shared.light
  const r = report.interference.reserved.light
  t.log(report.summary)
  t.log(
    `light mean ms: alone ${report.alone.light.meanMs.toFixed(3)}, shared ${report.shared.light.meanMs.toFixed(3)}, reserved ${report.reserved.light.meanMs.toFixed(3)}; heavy alone ${report.alone.heavy.meanMs.toFixed(2)}`,
  )
  for (const p of [report.alone, report.shared, report.reserved]) t.is(p.light.errors + p.heavy.errors, 0)
  // Wide bounds: the heavy class measurably slows the light one without reservation ...
  t.true(s.mean > 1.5, `shared/alone light mean ratio ${s.mean}`)
  // ... and less with it: the light class's 3 users have 3 reserved leases, so they never queue
  // behind heavy searches for one (the part of the slowdown the pool controls); the cores and
  // libuv's threads stay shared, so some slowdown remains.
  t.true(report.shared.light.poolWaitMeanMs > 0.1, `shared pool wait ${report.shared.light.poolWaitMeanMs}`)
  t.true(
    report.reserved.light.poolWaitMeanMs < 0.2 * report.shared.light.poolWaitMeanMs,
    `pool wait reserved ${report.reserved.light.poolWaitMeanMs} vs shared ${report.shared.light.poolWaitMeanMs}`,
  )
  t.true(r.mean < s.mean, `reserved ${r.mean} vs shared ${s.mean}`)
})
