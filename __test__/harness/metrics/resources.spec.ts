import test from 'ava'

import { ConcurrentBenchmark, FlatIndex, vectorIndexTarget } from '../../../main.ts'
import { RSS_GROWTH_MIN_MB } from '../../../harness/analysis/constants.ts'
import { metricFindings } from '../../../harness/metrics/enhanced.ts'
import { ResourceSampler, openFileHandles } from '../../../harness/metrics/resources.ts'
import type { ResourceStats } from '../../../harness/metrics/resources.ts'
import { linearFit } from '../../../harness/metrics/trend.ts'
import { leakingTarget } from '../../fixtures/leaking-target.ts'
import { randomVectors, row } from '../../helpers/engine.ts'

test('linearFit: slope and R² of a line, and of nothing', t => {
  const f = linearFit([0, 1, 2, 3], [1, 3, 5, 7])
  t.is(f.slope, 2)
  t.is(f.r2, 1)
  t.is(linearFit([0, 1], [1, 2]).r2, 0)
})

test('open file handles are counted on Linux and macOS, unavailable on Windows', t => {
  const fh = openFileHandles()
  if (process.platform === 'win32') t.is(fh.count, null)
  else {
    t.is(fh.source, 'procfs')
    t.true((fh.count ?? 0) >= 3, `${fh.count}`)
  }
})

test('the sampler sees garbage collection, memory and the event loop', async t => {
  const s = new ResourceSampler({ intervalMs: 20 })
  s.start()
  let junk: number[][] = []
  const until = performance.now() + 300
  while (performance.now() < until) {
    junk.push(Array.from({ length: 1000 }, (_, i) => i))
    if (junk.length > 200) junk = []
    await new Promise(r => setImmediate(r))
  }
  const r = s.stop()
  t.true(r.gc.count > 0, 'GC entries observed')
  t.true(r.gc.pauseMs > 0)
  t.is(
    Object.values(r.gc.byKind).reduce((n, k) => n + k.count, 0),
    r.gc.count,
  )
  t.true(r.memory.samples >= 5)
  t.true(r.memory.rssEndMb > 10)
  t.true(r.memory.heapUsedPeakMb >= r.memory.heapUsedMb * 0.5)
  t.true(r.eventLoop.utilization > 0.2, `ELU ${r.eventLoop.utilization}`)
})

const quiet: ResourceStats = {
  memory: {
    rssStartMb: 100,
    rssEndMb: 101,
    rssPeakMb: 101,
    rssSlopeMbPerSec: 0.5,
    rssFitR2: 0.3,
    heapUsedMb: 10,
    heapUsedPeakMb: 12,
    heapTotalMb: 20,
    externalMb: 1,
    arrayBuffersMb: 0.5,
    samples: 20,
    retainedMb: 1,
  },
  gc: { count: 3, pauseMs: 5, shareOfWall: 0.0025, maxPauseMs: 2, byKind: { minor: { count: 3, pauseMs: 5 } } },
  eventLoop: { utilization: 0.5, delayMeanMs: 0.1, delayP99Ms: 1, delayMaxMs: 2 },
  openFileHandles: 20,
  fileHandlesSource: 'procfs',
  engine: null,
}

test('findings: steady RSS growth and GC over 5 % of the window, not noise', t => {
  t.deepEqual(metricFindings(null, quiet, 2000), [])
  const leak = { ...quiet, memory: { ...quiet.memory, rssSlopeMbPerSec: 20, rssFitR2: 0.97, retainedMb: 40 } }
  t.deepEqual(
    metricFindings(null, leak, 2000).map(f => f.kind),
    ['rss-growth'],
  )
  // Growth that a full GC gives back is garbage, not a leak.
  const garbage = { ...quiet, memory: { ...quiet.memory, rssSlopeMbPerSec: 20, rssFitR2: 0.97, retainedMb: 2 } }
  t.deepEqual(metricFindings(null, garbage, 2000), [])
  // A jump (poor fit) is not "keeps growing".
  const jump = { ...quiet, memory: { ...quiet.memory, rssSlopeMbPerSec: 20, rssFitR2: 0.4 } }
  t.deepEqual(metricFindings(null, jump, 2000), [])
  const gc = { ...quiet, gc: { ...quiet.gc, shareOfWall: 0.08 } }
  t.deepEqual(
    metricFindings(null, gc, 2000).map(f => f.kind),
    ['gc-time'],
  )
})

async function flatIndex(): Promise<{ index: FlatIndex; queries: Float32Array[] }> {
  const d = 8
  const n = 2000
  const index = new FlatIndex({ dimensions: d, metric: 'l2' })
  await index.add(
    Array.from({ length: n }, (_, i) => i),
    randomVectors(n, d, 5),
  )
  const qd = randomVectors(64, d, 6)
  return { index, queries: Array.from({ length: 64 }, (_, i) => row(qd, i, d).slice()) }
}

test('a target that holds every result is flagged by the RSS-growth finding; the same engine without the leak (and little garbage) is not', async t => {
  const { index, queries } = await flatIndex()
  // The clean run first, while the heap is small and holds no one else's garbage.
  const clean = await new ConcurrentBenchmark<Float32Array, never>(
    vectorIndexTarget(index, { k: 10 }),
  ).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 2500, warmUpMs: 300 },
    queries,
    seed: 1,
  })
  const c = clean.enhancedMetrics?.resources?.memory
  t.log(
    `clean: RSS ${c?.rssStartMb.toFixed(0)} → ${c?.rssEndMb.toFixed(0)} MB, slope ${c?.rssSlopeMbPerSec.toFixed(1)} MB/s, R² ${c?.rssFitR2.toFixed(2)}`,
  )
  t.false(
    clean.enhancedMetrics?.findings.some(f => f.kind === 'rss-growth'),
    JSON.stringify(c),
  )

  const leaky = leakingTarget(index, 500)
  const r = await new ConcurrentBenchmark<Float32Array, never>(leaky).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 2500, warmUpMs: 300 },
    queries,
    seed: 1,
  })
  const m = r.enhancedMetrics?.resources?.memory
  t.log(
    `leaky: ${leaky.held.length} results held, RSS ${m?.rssStartMb.toFixed(0)} → ${m?.rssEndMb.toFixed(0)} MB, slope ${m?.rssSlopeMbPerSec.toFixed(1)} MB/s, R² ${m?.rssFitR2.toFixed(2)}`,
  )
  const finding = r.enhancedMetrics?.findings.find(f => f.kind === 'rss-growth')
  t.truthy(finding, JSON.stringify(m))
  t.true((m?.retainedMb ?? 0) >= RSS_GROWTH_MIN_MB, `retained ${m?.retainedMb} MB`)
  t.true((finding?.value ?? 0) >= RSS_GROWTH_MIN_MB)
  leaky.held.length = 0
  t.is(clean.enhancedMetrics?.resources?.engine?.vectors, 2000)
})
