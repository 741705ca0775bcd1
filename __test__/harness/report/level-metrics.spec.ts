import test from 'ava'

import { ConcurrentBenchmark, FlatIndex, HnswIndex } from '../../../main.ts'
import { parseScalabilityReport } from '../../../harness/index.ts'
import { renderHtmlReport } from '../../../harness/report/html.ts'
import { renderLevelMetrics } from '../../../harness/report/terminal/index.ts'
import { degradingTarget } from '../../fixtures/degrading-target.ts'
import { clusteredVectors, row } from '../../helpers/engine.ts'

test('a sweep over a target that narrows its beam under load: the recall drop is in the JSON, the terminal and the HTML', async t => {
  const d = 32
  const n = 3000
  const data = clusteredVectors(n, d, 20, 41)
  const ids = Array.from({ length: n }, (_, i) => i)
  const index = new HnswIndex({ dimensions: d, metric: 'l2', m: 6, efConstruction: 100 })
  const exact = new FlatIndex({ dimensions: d, metric: 'l2' })
  await index.add(ids, data)
  await exact.add(ids, data)
  const qd = clusteredVectors(80, d, 20, 42)
  const queries = Array.from({ length: 80 }, (_, i) => row(qd, i, d).slice())
  const bench = new ConcurrentBenchmark<Float32Array, never>(
    degradingTarget(index, exact, { k: 10, idleEf: 400, loadedEf: 10 }),
  )
  const report = await bench.runScalabilityTest({
    levels: [2, 4],
    durationMs: 700,
    warmUpMs: 150,
    queries,
    recall: { sampleRate: 0.05 },
    stopOnBreach: false,
    refineSteps: 0,
    seed: 5,
  })
  // JSON: validated by the report schema, the finding on every level.
  const parsed = parseScalabilityReport(JSON.parse(JSON.stringify(report)))
  for (const r of parsed.testResults) {
    t.truthy(
      r.enhancedMetrics?.findings.find(f => f.kind === 'recall-drop'),
      JSON.stringify(r.enhancedMetrics?.recall),
    )
    // The idle figure: the same sampled queries searched again one at a time after the level.
    const idle = r.enhancedMetrics?.recall?.idle?.recall
    t.true((idle?.samples ?? 0) > 0 && (idle?.mean ?? 0) > 0.9, JSON.stringify(idle))
  }
  const text = renderLevelMetrics(report) ?? ''
  t.regex(text, /recall-drop: recall@10 fell by/)
  t.regex(text, /RSS MB/)
  const html = renderHtmlReport(report)
  t.regex(html, /id="metric-findings"/)
  t.regex(html, /recall-drop/)
})
