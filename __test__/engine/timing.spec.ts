import { join } from 'node:path'

import test from 'ava'

import { HnswIndex, UnifiedSearchSystem } from '../../main.ts'
import type { CallTiming } from '../../engine/index.ts'
import { nativeToPerformanceMs } from '../../engine/index.ts'
import { nativeClockNs } from '../../engine/native.ts'
import { randomVectors, tempDir } from '../helpers/engine.ts'

/** A timing is ordered, inside the call's own window, and its CPU never exceeds its run. */
function assertSane(t: import('ava').ExecutionContext, timing: CallTiming, before: number, after: number): void {
  const slack = 0.05 // ms: the clock mapping errs by well under a microsecond
  t.true(timing.queuedAt >= before - slack, `queued ${timing.queuedAt} before the call ${before}`)
  t.true(timing.startedAt >= timing.queuedAt - slack)
  t.true(timing.finishedAt >= timing.startedAt)
  t.true(timing.resumedAt >= timing.finishedAt - slack)
  t.true(timing.resumedAt <= after + slack, `resumed ${timing.resumedAt} after the await ${after}`)
  t.true(timing.cpuMs >= 0)
  t.true(timing.cpuMs <= timing.finishedAt - timing.startedAt + 1, 'CPU within the run (+ a clock tick)')
}

test('the native clock maps onto performance.now() within a microsecond', t => {
  const before = performance.now()
  const mapped = nativeToPerformanceMs(nativeClockNs())
  const after = performance.now()
  t.true(mapped >= before - 0.001 && mapped <= after + 0.001, `${before} ≤ ${mapped} ≤ ${after}`)
})

test('search and add on an index report their timing once they resume', async t => {
  const d = 16
  const index = new HnswIndex({ dimensions: d })
  const timings: CallTiming[] = []
  let before = performance.now()
  await index.add([1, 2, 3], randomVectors(3, d, 1), { timing: x => timings.push(x) })
  let after = performance.now()
  t.is(timings.length, 1)
  assertSane(t, timings[0], before, after)

  before = performance.now()
  const hits = await index.search(randomVectors(1, d, 2), 2, { timing: x => timings.push(x) })
  after = performance.now()
  t.is(hits.length, 2)
  t.is(timings.length, 2)
  assertSane(t, timings[1], before, after)
  // Untimed calls report nothing and return the same results.
  t.deepEqual(await index.search(randomVectors(1, d, 2), 2), hits)
})

test('unified search, add and commit report their timing; a bad option is a coded error', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const system = await UnifiedSearchSystem.open({
    textIndexPath: join(dir, 't'),
    vectorDbPath: join(dir, 'v'),
    dimensions: 32,
  })
  t.teardown(() => system.close().catch(() => undefined))
  const timings: CallTiming[] = []
  const timing = (x: CallTiming) => timings.push(x)
  await system.add([{ id: 'a', text: 'red apples and green pears' }], { timing })
  await system.commit({ timing })
  const before = performance.now()
  const hits = await system.search('apples', { timing })
  const after = performance.now()
  t.is(hits[0]?.id, 'a')
  t.is(timings.length, 3)
  assertSane(t, timings[2], before, after)
  const session = system.openSession()
  await session.search('pears', { timing })
  t.is(timings.length, 4)
  session.close()
  await t.throwsAsync(system.search('apples', { timing: 42 as never }), { code: 'ERR_INVALID_ARGUMENT' })
})
