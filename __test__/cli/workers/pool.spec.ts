import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { splitLoad, splitWhole } from '../../../cli/workers/pool.ts'
import { LatencyHistogram } from '../../../harness/metrics/histogram.ts'
import { parseScalabilityReport } from '../../../harness/sweep/schema.ts'
import { tempDir } from '../../helpers/engine.ts'
import { startServe, vectorNative } from '../../helpers/serve.ts'

test('a level is split into whole shares; workers with no user sit it out', t => {
  t.deepEqual(splitWhole(5, 2), [3, 2])
  t.deepEqual(splitWhole(1, 3), [1, 0, 0])
  t.deepEqual(
    splitLoad({ model: 'closed', users: 1, durationMs: 1000 }, 2).map(s => (s as { users: number } | null)?.users ?? 0),
    [1, 0],
  )
  const open = splitLoad({ model: 'open', rate: 300, durationMs: 1000, maxInFlight: 5 }, 2) as {
    rate: number
    maxInFlight: number
  }[]
  t.deepEqual(
    open.map(s => [s.rate, s.maxInFlight]),
    [
      [150, 3],
      [150, 2],
    ],
  )
})

test('--workers 2 against the served engine: one merged report, each generator with its own CPU', async t => {
  const served = await startServe(['--docs', '1000'])
  const { dir: out, cleanup } = tempDir('vn-workers-')
  try {
    const r = await vectorNative([
      'scale',
      '--target',
      served.url,
      '--docs',
      '1000',
      '--workers',
      '2',
      '--levels',
      '1,2,4',
      '--duration',
      '700ms',
      '--warmup',
      '200ms',
      // A wide objective: on a busy machine a derived one (5 × the lightest p99) can stop the sweep early.
      '--slo',
      'p99<10s',
      '--out',
      out,
    ])
    t.is(r.code, 0, r.stderr)
    t.regex(r.stderr, /load from 2 generator processes/)
    t.regex(r.stdout, /Load generators/)
    const report = parseScalabilityReport(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')))
    t.deepEqual(report.sweep.levelsMeasured.slice(0, 3), [1, 2, 4])
    for (const level of report.testResults) {
      const gens = level.generators ?? []
      // Level 1 has one user: one generator runs it.
      t.is(gens.length, level.concurrentUsers === 1 ? 1 : 2)
      t.is(
        gens.reduce((s, g) => s + g.concurrency, 0),
        level.concurrentUsers,
      )
      t.is(
        gens.reduce((s, g) => s + g.successfulRequests, 0),
        level.successfulRequests,
      )
      for (const g of gens) t.true(g.processCpuMs > 0, JSON.stringify(g))
      t.is(level.failedRequests, 0)
      // The merged histogram holds every generator's samples.
      const h = LatencyHistogram.decode(level.histograms.responseTime)
      t.is(h.count, level.successfulRequests)
      h.destroy()
      t.is(level.threadPerformance.length, level.concurrentUsers)
      t.is(level.targetConnections?.kind, 'undici keep-alive pool')
    }
  } finally {
    await served.stop('SIGTERM')
    cleanup()
  }
})
