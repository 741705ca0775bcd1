import { monitorEventLoopDelay, performance } from 'node:perf_hooks'

import test from 'ava'

import { ErrorCodes } from '../../errors.ts'
import { FlatIndex, HnswIndex } from '../../main.ts'
import type { SearchHit } from '../../main.ts'
import { batchedCallTiming } from '../../engine/search-coalescer.ts'
import type { SearchCoalescer } from '../../engine/search-coalescer.ts'
import { nativeToPerformanceMs } from '../../engine/timing.ts'
import type { CallTiming } from '../../engine/timing.ts'
import { clusteredVectors, row } from '../helpers/engine.ts'

const D = 32
const N = 3000

/** The index's coalescer (created by its first `search`). */
function coalescerOf(index: FlatIndex | HnswIndex): SearchCoalescer {
  const c = (index as unknown as { coalescer?: SearchCoalescer }).coalescer
  if (c === undefined) throw new Error('no coalescer yet')
  return c
}

async function makeIndexes(metric: 'l2' | 'cosine' = 'l2'): Promise<(FlatIndex | HnswIndex)[]> {
  const data = clusteredVectors(N, D, 20, 7)
  const ids = Array.from({ length: N }, (_, i) => i)
  const flat = new FlatIndex({ dimensions: D, metric })
  const hnsw = new HnswIndex({ dimensions: D, metric, m: 8, efConstruction: 64, efSearch: 32 })
  await flat.add(ids, data)
  await hnsw.add(ids, data)
  return [flat, hnsw]
}

const queries = clusteredVectors(200, D, 20, 99)

test('coalesced searches return exactly what one-at-a-time searches return', async t => {
  for (const index of await makeIndexes()) {
    const calls = Array.from({ length: 200 }, (_, i) => ({
      q: row(queries, i, D),
      k: 1 + (i % 17),
      ef: i % 3 === 0 ? undefined : 16 + (i % 5) * 8,
    }))
    const got = await Promise.all(calls.map(c => index.search(c.q, c.k, c.ef === undefined ? undefined : { ef: c.ef })))
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]
      const want = index.searchSync(c.q, c.k, c.ef === undefined ? undefined : { ef: c.ef })
      t.deepEqual(got[i], want, `${index.kind} call ${i}`)
    }
    const stats = coalescerOf(index).stats
    t.true(stats.batches > 0 && stats.coalesced > 0, `${index.kind}: ${JSON.stringify(stats)}`)
    t.is(stats.direct + stats.coalesced, calls.length)
    t.is(coalescerOf(index).running, 0)
  }
})

test('a lone caller runs at once, alone', async t => {
  for (const index of await makeIndexes()) {
    const q = row(queries, 0, D)
    await index.search(q, 5) // creates the coalescer
    const c = coalescerOf(index)
    const before = { ...c.stats }
    const pending = index.search(q, 5)
    // Sent to the thread pool synchronously: running, nothing queued.
    t.is(c.running, 1)
    t.is(c.queued, 0)
    t.deepEqual(await pending, index.searchSync(q, 5))
    t.is(c.stats.direct, before.direct + 1)
    t.is(c.stats.batches, before.batches)
    t.is(c.running, 0)
  }
})

test('an engine error reaches only the caller whose query caused it', async t => {
  // Under cosine a zero vector has no direction: the engine rejects that query alone.
  for (const index of await makeIndexes('cosine')) {
    const zero = new Float32Array(D)
    const calls: Promise<SearchHit[]>[] = []
    for (let i = 0; i < 40; i++) calls.push(index.search(i === 25 ? zero : row(queries, i, D), 7))
    const settled = await Promise.allSettled(calls)
    for (let i = 0; i < settled.length; i++) {
      const s = settled[i]
      if (i === 25) {
        t.is(s.status, 'rejected', index.kind)
        if (s.status === 'rejected') t.is((s.reason as { code?: string }).code, ErrorCodes.INVALID_ARGUMENT)
      } else {
        t.is(s.status, 'fulfilled', `${index.kind} call ${i}`)
        if (s.status === 'fulfilled') t.deepEqual(s.value, index.searchSync(row(queries, i, D), 7))
      }
    }
    t.true(coalescerOf(index).stats.batches > 0, index.kind)
  }
})

test('an abort rejects only its own call, waiting or already sent', async t => {
  for (const index of await makeIndexes()) {
    const controllers = Array.from({ length: 30 }, () => new AbortController())
    const calls = controllers.map((ac, i) => index.search(row(queries, i, D), 5, { signal: ac.signal }))
    // Call 20 is still waiting (four native tasks at most are running); call 0 was sent at once.
    t.true(coalescerOf(index).queued > 0)
    controllers[20].abort()
    controllers[0].abort()
    const settled = await Promise.allSettled(calls)
    for (let i = 0; i < settled.length; i++) {
      const s = settled[i]
      if (i === 20) {
        t.is(s.status, 'rejected')
        if (s.status === 'rejected') t.is((s.reason as { code?: string }).code, ErrorCodes.ABORTED)
      } else if (i !== 0) {
        // Call 0 may have started already (then it completes) or not (then it is cancelled).
        t.is(s.status, 'fulfilled', `${index.kind} call ${i}`)
        if (s.status === 'fulfilled') t.deepEqual(s.value, index.searchSync(row(queries, i, D), 5))
      }
    }
    // An abort after the batch was sent: the caller is rejected, the others still get results.
    const ac = new AbortController()
    const many = Array.from({ length: 12 }, (_, i) =>
      index.search(row(queries, i, D), 5, i === 8 ? { signal: ac.signal } : undefined),
    )
    await new Promise(resolve => setImmediate(resolve))
    ac.abort()
    const out = await Promise.allSettled(many)
    for (let i = 0; i < out.length; i++) {
      const s = out[i]
      if (i === 8) {
        // Aborted while waiting or while its batch ran: rejected either way, unless it had
        // already resolved.
        if (s.status === 'rejected') t.is((s.reason as { code?: string }).code, ErrorCodes.ABORTED)
      } else {
        t.is(s.status, 'fulfilled')
      }
    }
    t.is(coalescerOf(index).running, 0)
    t.is(coalescerOf(index).queued, 0)
  }
})

test('calls with coalesce: false or a filter run alone and agree with a timed call', async t => {
  const [flat] = await makeIndexes()
  const q = row(queries, 3, D)
  const want = flat.searchSync(q, 10)
  const results = await Promise.all([
    flat.search(q, 10),
    flat.search(q, 10, { coalesce: false }),
    flat.search(q, 10, { timing: () => {} }),
    flat.search(q, 10, { filter: Array.from({ length: N }, (_, i) => i) }),
  ])
  for (const r of results) t.deepEqual(r, want)
})

test('timed calls are coalesced too, and each gets its own timing in order', async t => {
  for (const index of await makeIndexes()) {
    const timings: (CallTiming | undefined)[] = new Array(120)
    const startedAt: number[] = []
    const calls = Array.from({ length: 120 }, (_, i) => {
      startedAt[i] = performance.now()
      return index.search(row(queries, i, D), 10, { timing: timing => (timings[i] = timing) })
    })
    const got = await Promise.all(calls)
    const stats = coalescerOf(index).stats
    t.true(stats.coalesced > 0 && stats.largestBatch > 1, `${index.kind}: ${JSON.stringify(stats)}`)
    for (let i = 0; i < calls.length; i++) {
      t.deepEqual(got[i], index.searchSync(row(queries, i, D), 10), `${index.kind} call ${i}`)
      const timing = timings[i]
      if (timing === undefined) {
        t.fail(`${index.kind} call ${i}: no timing`)
        continue
      }
      // Clock mapping errs by well under a microsecond; allow a few.
      const slack = 0.005
      t.true(timing.queuedAt >= startedAt[i] - slack, `${index.kind} ${i}: queued before the call`)
      t.true(timing.startedAt >= timing.queuedAt - slack, `${index.kind} ${i}: started before queued`)
      t.true(timing.finishedAt >= timing.startedAt, `${index.kind} ${i}: finished before started`)
      t.true(timing.resumedAt >= timing.finishedAt - slack, `${index.kind} ${i}: resumed before finished`)
      t.true(timing.cpuMs >= 0 && timing.cpuMs <= timing.finishedAt - timing.startedAt + 1, `${index.kind} ${i}: cpu`)
    }
    // In an HNSW batch the queries run one after another: later queries of a batch start
    // after earlier ones finish, so their wait shows as queueing, not as run time.
    if (index.kind === 'hnsw') {
      const runs = timings.map(x => (x === undefined ? 0 : x.finishedAt - x.startedAt))
      const spans = timings.map(x => (x === undefined ? 0 : x.resumedAt - x.queuedAt))
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
      t.true(sum(runs) < sum(spans), 'run time is each query’s own, not its whole batch’s')
    }
  }
})

test('a throwing timing listener rejects only its own coalesced call', async t => {
  const [, hnsw] = await makeIndexes()
  const calls = Array.from({ length: 40 }, (_, i) =>
    hnsw.search(row(queries, i, D), 5, {
      timing: () => {
        if (i === 30) throw new Error('listener 30')
      },
    }),
  )
  const settled = await Promise.allSettled(calls)
  t.true(coalescerOf(hnsw).stats.coalesced > 0)
  for (let i = 0; i < settled.length; i++) {
    const s = settled[i]
    if (i === 30) t.is(s.status === 'rejected' ? (s.reason as Error).message : 'resolved', 'listener 30')
    else t.is(s.status, 'fulfilled', `call ${i}`)
  }
})

test('batchedCallTiming: the query’s own run, its wait from joining the queue', t => {
  const ns = (ms: number) => ms * 1e6
  const base = nativeToPerformanceMs(0)
  const timings = Float64Array.of(ns(10), ns(12), 1.5e6, ns(12), ns(15), 2.5e6)
  const second = batchedCallTiming(timings, 1, base + 4, base + 16)
  if (second === null) return t.fail('no timing')
  t.is(second.queuedAt, base + 4)
  t.true(Math.abs(second.startedAt - (base + 12)) < 1e-6)
  t.true(Math.abs(second.finishedAt - (base + 15)) < 1e-6)
  t.is(second.resumedAt, base + 16)
  t.is(second.cpuMs, 2.5)
  // A queue entry stamped after the native start (clock mapping error) never runs backwards.
  const late = batchedCallTiming(timings, 0, base + 11, base + 16)
  t.true(late !== null && late.queuedAt <= late.startedAt)
  t.is(batchedCallTiming(undefined, 0, base, base), null)
  t.is(batchedCallTiming(timings, 2, base, base), null)
})

test('the event loop stays free while many coalesced searches run', async t => {
  const [, hnsw] = await makeIndexes()
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  let done = 0
  const worker = async (w: number) => {
    for (let i = w; i < 4000; i += 32) {
      await hnsw.search(row(queries, i % 200, D), 10)
      done++
    }
  }
  await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)))
  h.disable()
  t.is(done, 4000)
  // Wide bound (a busy machine): no single turn of the loop blocked for long.
  const maxMs = h.max / 1e6
  t.log(`event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(2)} ms, max ${maxMs.toFixed(2)} ms`)
  t.true(maxMs < 500, `max loop delay ${maxMs} ms`)
  t.true(coalescerOf(hnsw).stats.largestBatch > 1)
})
