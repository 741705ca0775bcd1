import test from 'ava'
import { attribute } from '../../../harness/metrics/cpu.ts'
import {
  TIME_PARTS,
  TimeBreakdownRecorder,
  addNativeCall,
  emptyNativeParts,
  splitResponseTime,
} from '../../../harness/metrics/time-breakdown.ts'

const stamps = { intendedAt: 100, startedAt: 100.5, acquireStartedAt: 100.5, leasedAt: 101.5, respondedAt: 110 }

test('the parts of one request add up to its response time', t => {
  const native = emptyNativeParts()
  addNativeCall(native, { queuedAt: 102, startedAt: 104, finishedAt: 108, resumedAt: 108.25, cpuMs: 3.5 })
  const parts = splitResponseTime(stamps, native)
  t.deepEqual(parts, { scheduleDelay: 0.5, poolWait: 1, nativeQueue: 2, nativeRun: 4, delivery: 0.25, other: 2.25 })
  t.is(
    TIME_PARTS.reduce((sum, p) => sum + parts[p], 0),
    stamps.respondedAt - stamps.intendedAt,
  )
})

test('several native calls of one request add their parts', t => {
  const native = emptyNativeParts()
  addNativeCall(native, { queuedAt: 0, startedAt: 1, finishedAt: 3, resumedAt: 3.5, cpuMs: 2 })
  addNativeCall(native, { queuedAt: 4, startedAt: 4.5, finishedAt: 9, resumedAt: 9.5, cpuMs: 4 })
  t.deepEqual(native, { calls: 2, queueMs: 1.5, runMs: 6.5, deliveryMs: 1, cpuMs: 6 })
})

test('without native stamps the target’s whole time is other, and coverage says so', t => {
  const r = new TimeBreakdownRecorder()
  r.record(stamps, null)
  const s = r.summary()
  t.is(s.coverage, 'harness')
  t.is(s.nativeRun.mean, 0)
  t.is(s.other.mean, 8.5)
  r.destroy()
})

test('means add up to the mean response time; merged recorders equal one recorder', t => {
  const a = new TimeBreakdownRecorder()
  const b = new TimeBreakdownRecorder()
  const all = new TimeBreakdownRecorder()
  let responseSum = 0
  for (let i = 0; i < 200; i++) {
    const native = emptyNativeParts()
    const q = 1 + (i % 7) * 0.1
    addNativeCall(native, {
      queuedAt: q,
      startedAt: q + 0.2 * (i % 3),
      finishedAt: q + 1 + (i % 5),
      resumedAt: q + 1.1 + (i % 5),
      cpuMs: 0.9,
    })
    const s = {
      intendedAt: 0,
      startedAt: 0.01 * i,
      acquireStartedAt: 0.01 * i,
      leasedAt: 0.02 * i,
      respondedAt: q + 2 + (i % 5),
    }
    responseSum += s.respondedAt - s.intendedAt
    ;(i % 2 ? a : b).record(s, native)
    all.record(s, native)
  }
  a.add(b)
  const merged = a.summary()
  const whole = all.summary()
  const meanSum = TIME_PARTS.reduce((sum, p) => sum + merged[p].mean, 0)
  t.true(Math.abs(meanSum - responseSum / 200) < 1e-9)
  t.is(merged.coverage, 'engine')
  t.is(merged.requests, 200)
  for (const p of TIME_PARTS) t.deepEqual(merged[p].p99, whole[p].p99)
  t.true(Math.abs(merged.nativeRunCpu.mean - 0.9) < 1e-9)
  for (const r of [a, b, all]) r.destroy()
})

test('CPU attribution clamps derived shares and never lets the process exceed the machine', t => {
  const c = attribute({
    cores: 2,
    machineBusy: 50,
    processCpu: 55,
    mainThread: 30,
    engineThreads: 30,
    eventLoopUtilization: 1.2,
    mainThreadSource: 'procfs',
  })
  t.is(c.machineBusy, 55)
  t.is(c.otherProcesses, 0)
  t.is(c.otherThreads, 0)
  t.is(c.eventLoopUtilization, 1)
})
