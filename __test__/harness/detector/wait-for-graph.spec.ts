import test from 'ava'

import { analyzeWaitFor } from '../../../harness/detector/wait-for-graph.ts'

test('wait-for graph: two locks taken in opposite order form a cycle', t => {
  const a = analyzeWaitFor(
    [1, 2],
    [
      { name: 'lock:A', capacity: 1, holders: [1], waiters: [{ actor: 2, timed: false }] },
      { name: 'lock:B', capacity: 1, holders: [2], waiters: [{ actor: 1, timed: false }] },
    ],
  )
  t.deepEqual(a.deadlocked, [1, 2])
  t.is(a.cycles.length, 1)
  t.deepEqual(
    a.cycles[0].map(e => [e.actor, e.waitsFor, e.heldBy]),
    [
      [1, 'lock:B', 2],
      [2, 'lock:A', 1],
    ],
  )
  t.deepEqual(a.blockedBehind, [])
})

test('wait-for graph: timed waits are excluded', t => {
  const a = analyzeWaitFor(
    [1, 2],
    [
      { name: 'lock:A', capacity: 1, holders: [1], waiters: [{ actor: 2, timed: true }] },
      { name: 'lock:B', capacity: 1, holders: [2], waiters: [{ actor: 1, timed: false }] },
    ],
  )
  t.deepEqual(a.deadlocked, [])
})

test('wait-for graph: a pool is an OR-wait: one progressing holder means no deadlock', t => {
  const resources = (cBlocked: boolean) => [
    { name: 'pool:p', capacity: 2, holders: [2, 3], waiters: [{ actor: 1, timed: false }] },
    {
      name: 'lock:L',
      capacity: 1,
      holders: [1],
      waiters: [{ actor: 2, timed: false }, ...(cBlocked ? [{ actor: 3, timed: false }] : [])],
    },
  ]
  t.deepEqual(analyzeWaitFor([1, 2, 3], resources(false)).deadlocked, [])
  const dead = analyzeWaitFor([1, 2, 3], resources(true))
  t.deepEqual(dead.deadlocked, [1, 2, 3])
  t.is(dead.cycles.length, 1)
  // a pool with a free unit never blocks
  t.deepEqual(
    analyzeWaitFor([1], [{ name: 'pool:p', capacity: 2, holders: [1], waiters: [{ actor: 1, timed: false }] }])
      .deadlocked,
    [],
  )
})

test('wait-for graph: self-deadlock, blocked-behind, and unknown holders', t => {
  const self = analyzeWaitFor(
    [1],
    [{ name: 'lock:A', capacity: 1, holders: [1], waiters: [{ actor: 1, timed: false }] }],
  )
  t.deepEqual(self.deadlocked, [1])
  t.deepEqual(self.cycles[0], [{ actor: 1, waitsFor: 'lock:A', heldBy: 1 }])
  const behind = analyzeWaitFor(
    [1, 2, 3],
    [
      {
        name: 'lock:A',
        capacity: 1,
        holders: [1],
        waiters: [
          { actor: 2, timed: false },
          { actor: 3, timed: false },
        ],
      },
      { name: 'lock:B', capacity: 1, holders: [2], waiters: [{ actor: 1, timed: false }] },
    ],
  )
  t.deepEqual(behind.deadlocked, [1, 2, 3])
  t.deepEqual(behind.blockedBehind, [3])
  // a holder outside any tracked operation is assumed to progress
  t.deepEqual(
    analyzeWaitFor([1], [{ name: 'lock:A', capacity: 1, holders: [-1], waiters: [{ actor: 1, timed: false }] }])
      .deadlocked,
    [],
  )
})
