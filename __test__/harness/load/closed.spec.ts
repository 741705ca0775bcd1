import test from 'ava'
import fc from 'fast-check'

import {
  planClosedModel,
  resolveClosedModel,
  userStartOffsets,
  validateClosedModel,
} from '../../../harness/load/closed.ts'

test('closed plan: no ramp-up starts every user at 0', t => {
  const c = resolveClosedModel({ model: 'closed', users: 5, durationMs: 1000 })
  t.deepEqual(userStartOffsets(c), [0, 0, 0, 0, 0])
  const plan = planClosedModel(c)
  t.deepEqual(plan.window, { startMs: 0, endMs: 1000 })
  t.is(plan.meanActiveUsers, 5)
  t.false(plan.windowOverlapsRampUp)
})

test('closed plan: linear ramp-up spreads starts evenly (user i at i·D/N)', t => {
  const c = resolveClosedModel({
    model: 'closed',
    users: 4,
    durationMs: 10_000,
    warmUpMs: 1000,
    rampUp: { durationMs: 1000 },
  })
  t.deepEqual(userStartOffsets(c), [0, 250, 500, 750])
  const plan = planClosedModel(c)
  t.is(plan.meanActiveUsers, 4)
  t.false(plan.windowOverlapsRampUp)
})

test('closed plan: stepped ramp-up starts groups at step boundaries', t => {
  const c = resolveClosedModel({
    model: 'closed',
    users: 10,
    durationMs: 10_000,
    rampUp: { durationMs: 3000, shape: 'stepped', steps: 3 },
  })
  // groups floor(i·3/10): users 0-3 → step 0, 4-6 → step 1, 7-9 → step 2
  t.deepEqual(userStartOffsets(c), [0, 0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000])
  const plan = planClosedModel(c)
  t.true(plan.windowOverlapsRampUp) // warm-up 0 < last start
  // time-averaged active users over [0, 10 s): (4·10 + 3·9 + 3·8) / 10
  t.true(Math.abs(plan.meanActiveUsers - (40 + 27 + 24) / 10) < 1e-9)
})

test('closed plan property: starts are non-decreasing, within the ramp, and the first is 0', t => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 300 }),
      (users, ramp, stepped, stepsRaw) => {
        const steps = Math.min(stepsRaw, users)
        const c = resolveClosedModel({
          model: 'closed',
          users,
          durationMs: ramp + 1000,
          rampUp: stepped ? { durationMs: ramp, shape: 'stepped', steps } : { durationMs: ramp },
        })
        const s = userStartOffsets(c)
        if (s.length !== users || s[0] !== 0) return false
        for (let i = 1; i < s.length; i++) if (s[i] < s[i - 1]) return false
        if (s[s.length - 1] > ramp) return false
        if (stepped && new Set(s).size > steps) return false
        return true
      },
    ),
  )
  t.pass()
})

test('closed-model validation collects every problem in plain words', t => {
  const problems = validateClosedModel(
    {
      model: 'closed',
      users: 0,
      durationMs: 1000,
      warmUpMs: 2000,
      rampUp: { durationMs: 5000, steps: 3 },
      thinkTime: { kind: 'uniform', minMs: 5, maxMs: 1 },
    },
    'load',
  )
  t.true(
    problems.some(p => p.includes('load.users must be at least 1 (got 0)')),
    problems.join('\n'),
  )
  t.true(problems.some(p => p.includes('warmUpMs (2000) must be less than durationMs (1000)')))
  t.true(problems.some(p => p.includes('rampUp.durationMs (5000) must be less than durationMs')))
  t.true(problems.some(p => p.includes("steps is only used with shape 'stepped'")))
  t.true(problems.some(p => p.includes('maxMs must be at least minMs')))
  t.deepEqual(validateClosedModel({ model: 'closed', users: 3, durationMs: 100 }), [])
  t.true(
    validateClosedModel({ model: 'closed', users: 1.5, durationMs: 100, extra: 1 }).some(p =>
      p.includes('unknown setting(s): extra'),
    ),
  )
  t.throws(() => resolveClosedModel({ model: 'closed', users: -1, durationMs: 1 }), {
    message: /users must be at least 1/,
  })
})
