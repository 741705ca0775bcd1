import { setTimeout as sleep } from 'node:timers/promises'

import test from 'ava'

import { DeadlineEntry, DeadlineQueue } from '../../../harness/run/deadlines.ts'

class Entry extends DeadlineEntry {
  readonly name: string
  firedAt = -1
  constructor(name: string) {
    super()
    this.name = name
  }
}

/** Ref'd Node timers alive now (an unref'd timer is not listed). */
const liveTimeouts = (): number => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length

// Timing tests share the 2 cores with other work: a plain setTimeout is the control for how
// late the event loop runs timers right now.
test.serial('entries expire in deadline order, never before their deadline, within a few ms after it', async t => {
  const fired: Entry[] = []
  const q = new DeadlineQueue<Entry>((e, now) => {
    e.firedAt = now
    fired.push(e)
  })
  const t0 = performance.now()
  const entries = [30, 10, 50, 20, 40, 10].map((ms, i) => {
    const e = new Entry(`e${i}`)
    q.add(e, t0 + ms)
    return e
  })
  t.is(q.size, 6)
  let controlLate = 0
  const control = new Promise<void>(resolve => {
    const c0 = performance.now()
    setTimeout(() => {
      controlLate = performance.now() - c0 - 50
      resolve()
    }, 50)
  })
  await control
  await sleep(30)
  t.is(q.size, 0)
  t.deepEqual(
    fired.map(e => e.name),
    ['e1', 'e5', 'e3', 'e0', 'e4', 'e2'],
  )
  for (const e of entries) {
    const late = e.firedAt - e.deadlineAt
    t.true(late >= 0, `${e.name} fired ${-late} ms early`)
    // Node timers have 1 ms granularity; allow for a busy machine (the control shows how busy).
    t.true(
      late < 6 + Math.max(0, controlLate),
      `${e.name} fired ${late} ms late (control timer ${controlLate} ms late)`,
    )
  }
})

test.serial('removed entries never expire; removing is idempotent and only from its own queue', async t => {
  const fired: string[] = []
  const q = new DeadlineQueue<Entry>(e => fired.push(e.name))
  const other = new DeadlineQueue<Entry>(() => {})
  const t0 = performance.now()
  const a = new Entry('a')
  const b = new Entry('b')
  const c = new Entry('c')
  q.add(a, t0 + 5)
  q.add(b, t0 + 10)
  q.add(c, t0 + 15)
  t.true(a.queued)
  t.false(other.delete(a), 'another queue cannot remove it')
  t.true(q.delete(a))
  t.false(q.delete(a))
  t.false(a.queued)
  t.true(q.delete(c))
  await sleep(40)
  t.deepEqual(fired, ['b'])
  t.throws(
    () => {
      q.add(b, t0)
      q.add(b, t0)
    },
    { message: /already queued/ },
  )
  q.close()
  other.close()
})

test.serial('thousands of deadlines use one Node timer, and an empty queue keeps nothing alive', async t => {
  const before = liveTimeouts()
  let fired = 0
  const q = new DeadlineQueue<Entry>(() => fired++)
  const t0 = performance.now()
  const entries = Array.from({ length: 10_000 }, (_, i) => new Entry(String(i)))
  for (const e of entries) q.add(e, t0 + 20)
  t.is(liveTimeouts(), before + 1, 'one timer for all the deadlines')
  for (const e of entries) q.delete(e)
  t.is(q.size, 0)
  t.is(liveTimeouts(), before, 'an empty queue does not keep the process alive')
  // A new entry makes it keep the process alive again.
  const late = new Entry('late')
  q.add(late, performance.now() + 10)
  t.is(liveTimeouts(), before + 1)
  await sleep(40)
  t.is(fired, 1)
  t.is(liveTimeouts(), before)
  q.close()
})

test.serial('an earlier deadline added later re-arms the timer; callbacks may add entries', async t => {
  const fired: Array<{ name: string; late: number }> = []
  const q = new DeadlineQueue<Entry>((e, now) => {
    fired.push({ name: e.name, late: now - e.deadlineAt })
    if (e.name === 'first') q.add(new Entry('from-callback'), now + 15)
  })
  const t0 = performance.now()
  q.add(new Entry('far'), t0 + 200)
  q.add(new Entry('first'), t0 + 10) // before the armed deadline: the timer must move earlier
  await sleep(60)
  t.deepEqual(
    fired.map(f => f.name),
    ['first', 'from-callback'],
  )
  for (const f of fired) t.true(f.late >= 0 && f.late < 20, `${f.name} late by ${f.late} ms`)
  q.close()
  await sleep(200)
  t.is(fired.length, 2, 'nothing expires after close()')
  t.throws(() => q.add(new Entry('x'), 0), { message: /closed/ })
})
