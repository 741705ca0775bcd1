import test from 'ava'

import { ConcurrentBenchmark, LatencyHistogram } from '../../../harness/index.ts'
import { createFixtureTarget } from '../../fixtures/fixture-target.ts'
import { assertConsistent } from '../../helpers/harness.ts'

// Gil Tene's scenario: users pace requests on a fixed schedule; the system freezes for 1 s.
// Measuring from the actual send (service time) hides the freeze: only the few requests caught
// in it are slow. Measuring from the intended (scheduled) start shows every request that was
// *supposed* to go out during the freeze and after it, while the backlog drained.
test.serial('coordinated omission: a 1 s stall shows in the corrected p99, not in service time', async t => {
  const target = createFixtureTarget({ slots: 10, serviceTimeMs: 5, stalls: [{ atMs: 5000, durationMs: 1000 }] })
  target.start()
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 10, durationMs: 10_000, thinkTime: { kind: 'pacing', intervalMs: 10 } },
    queries: ['q'],
    seed: 1,
  })
  assertConsistent(t, r)
  // 10 users × 100/s × 10 s: the schedule, not the responses, sets the request count
  t.true(Math.abs(r.totalRequests - 10_000) <= 20, `requests ${r.totalRequests}`)
  t.is(r.successfulRequests, r.totalRequests)
  t.true(r.responseTime.p99 > 500, `corrected p99 ${r.responseTime.p99} ms`)
  t.true(r.responseTime.max > 900, `corrected max ${r.responseTime.max} ms`)
  t.true(r.serviceTime.p99 < 100, `uncorrected p99 ${r.serviceTime.p99} ms`)
  t.true(r.serviceTime.max > 900, 'the few requests caught in the stall did see it')
  // requests that had to catch up with the schedule are counted as late
  t.true(r.lateStarts > 100, `late ${r.lateStarts}`)
  t.true(r.maxStartLagMs > 900)
  // the serialised histogram restores to the same numbers
  const h = LatencyHistogram.decode(r.histograms.responseTime)
  t.deepEqual(h.summary(), r.responseTime)
  h.destroy()
  t.false(r.deadlockDetected)
})
