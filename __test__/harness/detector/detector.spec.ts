import { setTimeout as sleep } from 'node:timers/promises'

import test from 'ava'

import { ConcurrentBenchmark, DeadlockDetector, ErrorCodes } from '../../../harness/index.ts'
import type { DeadlockFinding, SearchTarget } from '../../../harness/index.ts'
import { createFixtureTarget } from '../../fixtures/fixture-target.ts'
import { assertConsistent } from '../../helpers/harness.ts'

test.serial('two harness locks taken in opposite order by two users → deadlock with the cycle named', async t => {
  const detector = new DeadlockDetector()
  const A = detector.createLock('A')
  const B = detector.createLock('B')
  const target: SearchTarget<string> = {
    name: 'two-locks',
    async search(q) {
      const [first, second] = q === 'AB' ? [A, B] : [B, A]
      const r1 = await first.acquire()
      await sleep(20)
      const r2 = await second.acquire()
      r2()
      r1()
      return q
    },
  }
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 1000 },
    queries: ['AB', 'BA'],
    selection: { kind: 'sequential' }, // user 0 starts with AB, user 1 with BA
    requestTimeoutMs: 300,
    detector,
    seed: 1,
  })
  assertConsistent(t, r)
  t.true(r.deadlockDetected)
  const dl = r.detector?.findings.filter((f): f is DeadlockFinding => f.kind === 'deadlock') ?? []
  t.true(dl.length >= 1)
  const first = dl[0]
  t.is(first.cycle.length, 2)
  t.deepEqual(first.resources.sort(), ['lock:A', 'lock:B'])
  t.deepEqual(first.cycle.map(e => e.op.userId).sort(), [0, 1])
  t.deepEqual(first.cycle.map(e => e.op.query).sort(), ['query #0 "AB"', 'query #1 "BA"'])
  for (const e of first.cycle) {
    t.is(e.op.waitingFor, e.waitsFor)
    t.true(e.op.holds.includes(e.waitsFor === 'lock:A' ? 'lock:B' : 'lock:A'))
    t.is(e.heldBy.holds.includes(e.waitsFor), true)
  }
  t.regex(first.message, /waits for lock:[AB] held by op/)
  // the hung operations are reported as timed out but still running, holding their leases
  t.true(r.timeoutRequests >= 2)
  t.is(r.errorsByCode[ErrorCodes.REQUEST_TIMEOUT], 2)
  // the hung operations keep their pool leases, so later requests time out waiting for one
  t.is(r.errorsByCode[ErrorCodes.REQUEST_TIMEOUT] + (r.errorsByCode[ErrorCodes.POOL_TIMEOUT] ?? 0), r.timeoutRequests)
  t.true(r.inFlightAfterTimeout.atEnd >= 2)
  t.true((r.detector?.threadPool.timedOutStillRunning ?? 0) >= 2)
  t.true(r.detector?.findings.some(f => f.kind === 'timed-out-still-running'))
  t.true(r.connectionPoolUsage.leaked >= 2)
})

test.serial('a slow but progressing target is slow, not deadlocked', async t => {
  const target = createFixtureTarget({ slots: 4, serviceTimeMs: q => (q === 'slow' ? 400 : 20) })
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 1500 },
    queries: ['fast', 'fast', 'fast', 'slow'],
    requestTimeoutMs: 150,
    seed: 7,
  })
  assertConsistent(t, r)
  t.false(r.deadlockDetected)
  const kinds = new Set(r.detector?.findings.map(f => f.kind))
  t.false(kinds.has('deadlock'))
  t.false(kinds.has('stall'))
  t.true(kinds.has('slow-operation'), JSON.stringify([...kinds]))
  t.true(r.timeoutRequests > 0)
  t.true(r.successfulRequests > 0)
  // a timed-out slow request keeps its lease until it finishes, so some acquires time out too
  t.is(r.errorsByCode[ErrorCodes.REQUEST_TIMEOUT] + (r.errorsByCode[ErrorCodes.POOL_TIMEOUT] ?? 0), r.timeoutRequests)
})

test.serial('a blocked event loop is reported by the watchdog worker', async t => {
  let blocked = false
  const target: SearchTarget<string> = {
    name: 'blocker',
    async search() {
      await sleep(5)
      if (!blocked && performance.now() > start + 300) {
        blocked = true
        const until = performance.now() + 1500
        while (performance.now() < until) {
          // busy-wait: the main event loop is blocked
        }
      }
      return 1
    },
  }
  const start = performance.now()
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 2200 },
    queries: ['q'],
    requestTimeoutMs: 5000,
    seed: 1,
  })
  assertConsistent(t, r)
  const f = r.detector?.findings.find(x => x.kind === 'blocked-event-loop')
  t.truthy(f, JSON.stringify(r.detector?.findings))
  if (f?.kind === 'blocked-event-loop') {
    t.is(f.source, 'watchdog')
    t.false(f.ongoing)
    t.true(f.durationMs > 1200 && f.durationMs < 2500, `duration ${f.durationMs}`)
    t.true(f.missedHeartbeats > 10)
  }
  t.true((r.detector?.eventLoop.maxDelayMs ?? 0) > 1000)
  t.is(r.detector?.eventLoop.blockedEpisodes, 1)
  t.false(r.deadlockDetected)
})

test.serial('a lease held by a hung operation exhausts the pool: reported, not called a deadlock', async t => {
  let calls = 0
  const target: SearchTarget<string> = {
    name: 'hangs-once',
    search() {
      calls++
      return calls === 1 ? new Promise(() => {}) : sleep(5)
    },
  }
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 3, durationMs: 1200 },
    queries: ['q'],
    pool: { size: 1, acquireTimeoutMs: 300 },
    requestTimeoutMs: 100,
    detector: { poolExhaustionAfterMs: 250 },
    seed: 1,
  })
  assertConsistent(t, r)
  t.false(r.deadlockDetected)
  const f = r.detector?.findings.find(x => x.kind === 'pool-exhaustion')
  t.truthy(f)
  if (f?.kind === 'pool-exhaustion') {
    t.is(f.size, 1)
    t.true(f.waiters >= 1)
    t.is(f.holders.length, 1)
    t.true(f.holders[0].timedOut)
  }
  t.is(r.errorsByCode[ErrorCodes.REQUEST_TIMEOUT], 1)
  t.true(r.errorsByCode[ErrorCodes.POOL_TIMEOUT] >= 2) // pool timeouts are timed-out requests
  t.is(r.timeoutRequests, 1 + r.errorsByCode[ErrorCodes.POOL_TIMEOUT])
  t.is(r.inFlightAfterTimeout.atEnd, 1)
  t.is(r.connectionPoolUsage.leaked, 1)
  t.true(r.connectionPoolUsage.connectionTimeouts >= 2)
})

test.serial('a total stall (nothing ever completes) is reported as a stall and counts as deadlock', async t => {
  const target: SearchTarget<string> = { name: 'black-hole', search: () => new Promise(() => {}) }
  const r = await new ConcurrentBenchmark(target).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 900 },
    queries: ['q'],
    requestTimeoutMs: 100,
    errorBackoffMs: 50,
    detector: { stallAfterMs: 300 },
    seed: 1,
  })
  assertConsistent(t, r)
  t.is(r.successfulRequests, 0)
  t.true(r.deadlockDetected)
  const f = r.detector?.findings.find(x => x.kind === 'stall')
  t.truthy(f)
  if (f?.kind === 'stall') {
    t.true(f.inFlight >= 2)
    t.true(f.operations.length >= 2)
  }
  t.false(r.detector?.findings.some(x => x.kind === 'deadlock'))
})

test('the registry of operations: in start order, each ended once, counts and findings follow', async t => {
  const d = new DeadlockDetector()
  const other = new DeadlockDetector()
  const t0 = performance.now()
  const ops = [0, 1, 2, 3].map(u =>
    d.beginOp({ userId: u, query: `q${u}`, className: 'read', deadlineAt: t0 - 1, startedAt: t0 - 10 }),
  )
  t.is(d.inFlight, 4)
  t.is(ops[0].startedAt, t0 - 10)
  other.endOp(ops[1], true) // not registered there: no effect
  t.is(d.inFlight, 4)
  d.endOp(ops[1], true)
  d.endOp(ops[1], true) // twice: no effect
  t.is(d.inFlight, 3)
  d.markTimedOut(ops[2])
  d.markTimedOut(ops[1]) // already ended: no effect
  t.is(d.timedOutStillRunning, 1)
  const report = d.report()
  const f = report.findings.find(x => x.kind === 'timed-out-still-running')
  t.deepEqual(f?.kind === 'timed-out-still-running' ? f.operations.map(o => o.userId) : [], [2])
  d.check() // all past their deadline: marked overdue now, reported slow once others complete
  d.endOp(ops[0], true)
  d.endOp(ops[3], true)
  d.endOp(ops[2], true)
  t.is(d.inFlight, 0)
  t.is(d.timedOutStillRunning, 0)
  t.true(d.report().findingCounts['slow-operation'] >= 1)
  // A new operation after the list emptied is tracked again.
  const again = d.beginOp({ userId: 9, query: 'q', className: 'read', deadlineAt: Number.POSITIVE_INFINITY })
  t.is(d.inFlight, 1)
  d.endOp(again, false)
  t.is(d.inFlight, 0)
})

test('operation context (for harness locks) is tracked only once the detector has a lock', async t => {
  const d = new DeadlockDetector()
  const op = d.beginOp({ userId: 0, query: 'q', className: 'read', deadlineAt: Number.POSITIVE_INFINITY })
  t.false(d.tracksContext)
  t.is(await d.runInOp(op, async () => d.currentOp()), undefined, 'no context without locks')
  const lock = d.createLock('L')
  t.true(d.tracksContext)
  t.is(
    await d.runInOp(op, async () => {
      await sleep(1)
      return d.currentOp()
    }),
    op,
    'the context survives awaits',
  )
  const release = await d.runInOp(op, () => lock.acquire())
  t.is(lock.inspect().holder, op, 'the lock knows its holder')
  t.is(d.report().locks[0].acquisitions, 1)
  release()
  d.endOp(op, true)
  await d.stop()
})
