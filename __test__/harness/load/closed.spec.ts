import test from 'ava'
import fc from 'fast-check'

import {
  closedModel,
  planClosedModel,
  resolveClosedModel,
  userStartOffsets,
  validateClosedModel,
} from '../../../harness/load/closed.ts'
import type { WindowMeasures } from '../../../harness/load/driver.ts'

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

const measured = (over: Partial<WindowMeasures> = {}): WindowMeasures => ({
  requests: 1000,
  throughputPerSec: 400,
  meanResidenceMs: 15,
  meanIdleMs: 5,
  meanActiveUsers: 8,
  meanInSystem: 6,
  droppedStarts: 0,
  lateStarts: 0,
  maxStartLagMs: 0,
  ...over,
})

test('the closed model summarises a run: N = X·(R+Z) over users, late starts beyond 1 % of starts', t => {
  const law = closedModel.littlesLaw(measured())
  t.is(law.law, 'N = X·(R+Z)')
  t.is(law.observed, 8) // the time-averaged active users, not the number in the system
  t.true(Math.abs(law.predicted - 8) < 1e-9) // 400/s · (15 + 5) ms
  t.true(law.consistent)
  t.deepEqual(closedModel.startWarnings(measured({ lateStarts: 10 })), []) // 1 %: the timer's granularity
  const [late] = closedModel.startWarnings(measured({ lateStarts: 11, maxStartLagMs: 7.25 }))
  t.is(late, '11 start(s) were issued late (max lag 7.3 ms): the load generator could not keep the schedule')
  t.true(closedModel.hasUsers)
})

test('the closed model builds a sweep level: users = level, ramp-up within the warm-up, concurrency = users', t => {
  const settings = { durationMs: 6000, warmUpMs: 1000, arrivals: 'poisson' as const, maxInFlight: 256 }
  t.deepEqual(closedModel.levelConfig(8, settings), { model: 'closed', users: 8, durationMs: 6000, warmUpMs: 1000 })
  const ramped = closedModel.levelConfig(8, { ...settings, rampUpMs: 5000, thinkTime: { kind: 'constant', ms: 3 } })
  t.deepEqual(ramped.rampUp, { durationMs: 1000 })
  t.deepEqual(ramped.thinkTime, { kind: 'constant', ms: 3 })
  t.deepEqual(validateClosedModel(ramped), [])
  t.is(closedModel.levelConcurrency(8, settings), 8)
  t.is(closedModel.analysisConcurrency(8, closedModel.littlesLaw(measured())), 8)
})
