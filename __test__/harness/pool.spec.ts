import { setTimeout as sleep } from 'node:timers/promises'

import test from 'ava'
import fc from 'fast-check'

import { ConnectionPool, ErrorCodes } from '../../harness/index.ts'
import type { Lease } from '../../harness/index.ts'

type Cmd =
  | { op: 'acquire'; timeoutMs: number | null; abortAfterMs: number | null }
  | { op: 'try' }
  | { op: 'release'; pick: number; destroy: boolean; at: boolean }
  | { op: 'wait'; ms: number }

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    op: fc.constant('acquire' as const),
    timeoutMs: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
    abortAfterMs: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
  }),
  fc.record({ op: fc.constant('try' as const) }),
  fc.record({ op: fc.constant('release' as const), pick: fc.nat(), destroy: fc.boolean(), at: fc.boolean() }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 4 }) }),
)

test('pool property: never over size, FIFO grants, no leak, stats consistent', async t => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.array(cmdArb, { minLength: 1, maxLength: 25 }),
      async (size, cmds) => {
        let live = 0
        let created = 0
        let destroyed = 0
        const pool = new ConnectionPool<{ id: number; alive: boolean }>({
          size,
          factory: {
            create: async () => {
              created++
              live++
              return { id: created, alive: true }
            },
            destroy: r => {
              r.alive = false
              destroyed++
              live--
            },
          },
        })
        const held: Array<Lease<{ id: number; alive: boolean }>> = []
        const pending = new Set<number>()
        const settled: Promise<unknown>[] = []
        let seq = 0
        let granted = 0
        let timeouts = 0
        let aborts = 0
        let fifoViolation = ''
        let overSize = ''
        const check = (): void => {
          if (pool.inUse > size) overSize = `inUse ${pool.inUse} > ${size}`
          if (live > size) overSize = `${live} resources exist > ${size}`
          const holders = pool.inspect().holders
          if (holders.length !== pool.inUse)
            overSize = `inspect lists ${holders.length} holders, inUse is ${pool.inUse}`
          if (new Set(holders.map(h => h.leaseId)).size !== holders.length) overSize = 'a lease is listed twice'
        }
        for (const c of cmds) {
          if (c.op === 'acquire') {
            const me = ++seq
            pending.add(me)
            const ac = new AbortController()
            if (c.abortAfterMs !== null) setTimeout(() => ac.abort(), c.abortAfterMs)
            const p = pool.acquire({ timeoutMs: c.timeoutMs ?? undefined, signal: ac.signal }).then(
              lease => {
                for (const other of pending)
                  if (other < me) fifoViolation = `waiter ${me} granted before earlier waiter ${other}`
                pending.delete(me)
                if (!lease.resource.alive) fifoViolation = 'granted a destroyed resource'
                granted++
                held.push(lease)
                check()
              },
              (err: { code?: string }) => {
                pending.delete(me)
                if (err.code === ErrorCodes.POOL_TIMEOUT) timeouts++
                else if (err.code === ErrorCodes.ABORTED) aborts++
                else fifoViolation = `unexpected error ${String(err.code)}`
              },
            )
            settled.push(p)
          } else if (c.op === 'try') {
            // The synchronous fast path: a lease only if nobody waits (no barging) and one is idle.
            const waitingBefore = pool.waiting
            const lease = pool.tryAcquire()
            if (lease !== undefined) {
              if (waitingBefore > 0) fifoViolation = `tryAcquire granted past ${waitingBefore} waiter(s)`
              if (!lease.resource.alive) fifoViolation = 'tryAcquire granted a destroyed resource'
              seq++
              granted++
              held.push(lease)
            }
          } else if (c.op === 'release') {
            if (held.length > 0) {
              const [lease] = held.splice(c.pick % held.length, 1)
              if (c.at && !c.destroy) lease.releaseAt(performance.now())
              else lease.release({ destroy: c.destroy })
              lease.release() // twice: no effect
              lease.releaseAt(performance.now())
            }
          } else {
            await sleep(c.ms)
          }
          check()
        }
        // Drain: release everything until every acquire has settled.
        for (let i = 0; i < 200 && pending.size > 0; i++) {
          while (held.length > 0) (held.pop() as Lease<{ id: number; alive: boolean }>).release()
          await sleep(1)
        }
        await Promise.all(settled)
        while (held.length > 0) (held.pop() as Lease<{ id: number; alive: boolean }>).release()
        const before = pool.stats()
        const stats = await pool.close()
        const problems: string[] = []
        if (fifoViolation) problems.push(fifoViolation)
        if (overSize) problems.push(overSize)
        if (stats.leaked !== 0) problems.push(`leaked ${stats.leaked}`)
        if (live !== 0) problems.push(`${live} resources not destroyed after close`)
        if (stats.created !== created || stats.destroyed !== destroyed)
          problems.push('created/destroyed counts disagree')
        if (stats.acquired !== granted) problems.push(`acquired ${stats.acquired} vs granted ${granted}`)
        if (stats.connectionTimeouts !== timeouts) problems.push(`timeouts ${stats.connectionTimeouts} vs ${timeouts}`)
        if (stats.abortedAcquires !== aborts) problems.push(`aborts ${stats.abortedAcquires} vs ${aborts}`)
        if (granted + timeouts + aborts !== seq) problems.push('an acquire neither settled nor failed')
        if (stats.peakUsage > size) problems.push(`peak ${stats.peakUsage} > size`)
        if (stats.averageUsage > stats.peakUsage + 1e-9)
          problems.push(`average ${stats.averageUsage} > peak ${stats.peakUsage}`)
        if (stats.averageUsage < 0) problems.push('negative average')
        if (stats.peakQueueLength > seq) problems.push('queue longer than acquires')
        if (granted > 0 && !(stats.waitTime.count === granted)) problems.push('wait histogram count != granted')
        if (before.leaked !== 0) problems.push('leaked reported while open')
        if (problems.length > 0) throw new Error(problems.join('; '))
        return true
      },
    ),
    { numRuns: 60 },
  )
  t.pass()
})

test('acquire errors are coded: timeout, abort, closed', async t => {
  const pool = new ConnectionPool({ size: 1 })
  const lease = await pool.acquire()
  await t.throwsAsync(pool.acquire({ timeoutMs: 5 }), { code: ErrorCodes.POOL_TIMEOUT })
  const ac = new AbortController()
  const p = pool.acquire({ signal: ac.signal })
  ac.abort()
  await t.throwsAsync(p, { code: ErrorCodes.ABORTED })
  const pre = new AbortController()
  pre.abort()
  await t.throwsAsync(pool.acquire({ signal: pre.signal }), { code: ErrorCodes.ABORTED })
  const waiting = pool.acquire()
  const closing = pool.close()
  await t.throwsAsync(waiting, { code: ErrorCodes.POOL_CLOSED })
  const stats = await closing
  t.is(stats.leaked, 1)
  await t.throwsAsync(pool.acquire(), { code: ErrorCodes.POOL_CLOSED })
  lease.release()
  t.is(pool.inUse, 0)
})

test('tryAcquire: a lease at once when one is idle and nobody waits, else undefined and nothing changes', async t => {
  const pool = new ConnectionPool({ size: 2 })
  // Resources are made by acquire (tryAcquire never creates one: creating is asynchronous).
  t.is(pool.tryAcquire(), undefined)
  const a = await pool.acquire()
  const b = await pool.acquire()
  a.release()
  const t0 = performance.now()
  const c = pool.tryAcquire('me', t0)
  t.truthy(c)
  t.is(c?.owner, 'me')
  t.is(c?.grantedAt, t0)
  t.is(c?.resource, a.resource, 'the idle resource is reused')
  t.is(pool.tryAcquire(), undefined, 'none idle')
  // A waiter is queued: the resource that comes back goes to it, not to a newcomer.
  const waiter = pool.acquire()
  const releasedAt = performance.now()
  b.releaseAt(releasedAt)
  t.is(pool.inspect().lastReleaseAt, releasedAt)
  t.is(pool.tryAcquire(), undefined)
  const w = await waiter
  t.is(w.resource, b.resource)
  t.is(pool.stats().acquired, 4)
  w.release()
  c?.release()
  t.is(pool.inUse, 0)
  await pool.close()
  t.is(pool.tryAcquire(), undefined, 'closed')
})

test('use() releases the lease when fn returns, throws, or rejects', async t => {
  const pool = new ConnectionPool({ size: 1 })
  t.is(await pool.use(async r => r.id > 0), true)
  t.is(pool.inUse, 0)
  await t.throwsAsync(
    pool.use(() => {
      throw new Error('sync boom')
    }),
    { message: 'sync boom' },
  )
  t.is(pool.inUse, 0)
  await t.throwsAsync(
    pool.use(async () => Promise.reject(new Error('async boom'))),
    { message: 'async boom' },
  )
  t.is(pool.inUse, 0)
  // timeout while the only lease is held: nothing to release, nothing leaked
  const hold = await pool.acquire()
  await t.throwsAsync(
    pool.use(async () => 1, { timeoutMs: 2 }),
    { code: ErrorCodes.POOL_TIMEOUT },
  )
  hold.release()
  const stats = await pool.close()
  t.is(stats.leaked, 0)
  t.is(stats.connectionTimeouts, 1)
})

test('waiters are served strictly first-come first-served, and a newcomer cannot barge', async t => {
  const pool = new ConnectionPool({ size: 1 })
  const first = await pool.acquire()
  const order: number[] = []
  const waits = [1, 2, 3].map(i =>
    pool.acquire().then(l => {
      order.push(i)
      return l
    }),
  )
  first.release()
  const l1 = await waits[0]
  const late = pool.acquire().then(l => {
    order.push(4)
    return l
  })
  l1.release()
  ;(await waits[1]).release()
  ;(await waits[2]).release()
  ;(await late).release()
  t.deepEqual(order, [1, 2, 3, 4])
  await pool.close()
})

test('peak and time-weighted average usage are exact; stats reset at the window start', async t => {
  const pool = new ConnectionPool({ size: 4 })
  const a = await pool.acquire()
  const b = await pool.acquire()
  await sleep(30)
  pool.resetStats() // warm-up excluded: 2 leases held, peak restarts at 2
  let s = pool.stats()
  t.is(s.peakUsage, 2)
  t.is(s.acquired, 0)
  await sleep(40)
  a.release()
  await sleep(40)
  s = pool.stats()
  // 2 leases for ~40 ms then 1 for ~40 ms: ≈ 1.5
  t.true(s.averageUsage > 1.2 && s.averageUsage < 1.8, `average ${s.averageUsage}`)
  t.is(s.peakUsage, 2)
  b.release()
  await pool.close()
})

test('invalid resources are replaced; a failing factory rejects the waiter with its error', async t => {
  let n = 0
  const pool = new ConnectionPool({
    size: 1,
    factory: { create: () => ({ n: ++n, ok: true }), destroy: () => {}, validate: r => r.ok },
  })
  const l = await pool.acquire()
  l.resource.ok = false
  l.release()
  const l2 = await pool.acquire()
  t.is(l2.resource.n, 2)
  l2.release()
  const stats = await pool.close()
  t.is(stats.created, 2)
  t.is(stats.destroyed, 2)

  const failing = new ConnectionPool({
    size: 1,
    factory: {
      create: async () => {
        throw Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' })
      },
      destroy: () => {},
    },
  })
  await t.throwsAsync(failing.acquire({ timeoutMs: 100 }), { code: 'ECONNREFUSED' })
  await failing.close()
})
