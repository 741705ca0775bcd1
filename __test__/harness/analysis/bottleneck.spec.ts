import test from 'ava'
import type { BottleneckEvidence } from '../../../harness/analysis/bottleneck.ts'
import { classifyBottleneck, leverFor } from '../../../harness/analysis/bottleneck.ts'
import { EVENT_LOOP_BUSY, MACHINE_BUSY_PERCENT } from '../../../harness/analysis/constants.ts'
import { attribute } from '../../../harness/metrics/cpu.ts'

const idleCpu = attribute({
  cores: 2,
  machineBusy: 40,
  processCpu: 38,
  mainThread: 10,
  engineThreads: 25,
  eventLoopUtilization: 0.2,
  mainThreadSource: 'procfs',
})

type LevelOverrides = Partial<Omit<BottleneckEvidence, 'parts'>> & { parts?: Partial<BottleneckEvidence['parts']> }

function level(over: LevelOverrides): BottleneckEvidence {
  const parts = {
    scheduleDelay: 0.01,
    poolWait: 0,
    nativeQueue: 0.02,
    nativeRun: 0.4,
    delivery: 0.03,
    other: 0.05,
    ...over.parts,
  }
  const response = Object.values(parts).reduce((a, b) => a + b, 0)
  return {
    concurrency: 8,
    responseMeanMs: response,
    coverage: 'engine',
    nativeCpuMeanMs: 0.38,
    baselineTargetMs: 0.45,
    cpu: idleCpu,
    poolSize: null,
    threadPoolSize: 4,
    ...over,
    parts,
  }
}

test('a quiet level has no bottleneck', t => {
  const b = classifyBottleneck(level({}))
  t.is(b.resource, 'none')
  t.true(b.share < 0.25)
})

test('a busy JS thread is the event loop, whatever else waits', t => {
  // 47.5 % of 2 cores = 95 % of one.
  const cpu = { ...idleCpu, mainThread: ((EVENT_LOOP_BUSY + 0.05) * 100) / 2 }
  const b = classifyBottleneck(level({ cpu, parts: { poolWait: 5 } }))
  t.is(b.resource, 'event-loop')
  t.true(Math.abs(b.share - (EVENT_LOOP_BUSY + 0.05)) < 1e-9)
  t.regex(b.evidence, /JS thread was busy 95 %/)
  // Without a thread clock, the event-loop utilisation stands in; with one, a starved thread
  // (high utilisation, little CPU) is not called busy.
  t.is(
    classifyBottleneck(level({ cpu: { ...idleCpu, mainThread: null, eventLoopUtilization: 0.95 } })).resource,
    'event-loop',
  )
  t.is(classifyBottleneck(level({ cpu: { ...idleCpu, mainThread: 5, eventLoopUtilization: 1 } })).resource, 'none')
})

test('full cores are the CPU, and the evidence says who used them', t => {
  const cpu = { ...idleCpu, machineBusy: MACHINE_BUSY_PERCENT + 8, engineThreads: 80, otherProcesses: 2 }
  const b = classifyBottleneck(level({ cpu, parts: { nativeQueue: 3, nativeRun: 0.8 } }))
  t.is(b.resource, 'cpu')
  t.is(b.share, 0.98)
  t.regex(b.evidence, /2 cores were 98 % busy/)
  t.regex(b.evidence, /2\.1× its CPU time/)
})

test('the largest waiting part names pool, native pool or loop', t => {
  t.is(classifyBottleneck(level({ parts: { poolWait: 2 } })).resource, 'connection-pool')
  t.is(classifyBottleneck(level({ parts: { nativeQueue: 2 } })).resource, 'native-pool')
  t.is(classifyBottleneck(level({ parts: { scheduleDelay: 1, delivery: 1 } })).resource, 'event-loop')
  const b = classifyBottleneck(level({ parts: { nativeQueue: 1.5 } }))
  t.is(b.share, 1.5 / (0.01 + 1.5 + 0.4 + 0.03 + 0.05))
})

test('a target whose own time grows while nothing visible queues is the target', t => {
  const b = classifyBottleneck(
    level({ coverage: 'harness', baselineTargetMs: 2, parts: { nativeQueue: 0, nativeRun: 0, delivery: 0, other: 8 } }),
  )
  t.is(b.resource, 'target')
  t.regex(b.evidence, /grew from 2\.00 ms at the lightest level to 8\.00 ms/)
})

test('levers name the setting each resource implies', t => {
  const ctx = { cores: 2, threadPoolSize: 1, poolSize: 2, saturatedAt: 4 }
  t.regex(leverFor('native-pool', ctx), /raise --threads/)
  t.regex(leverFor('connection-pool', ctx), /raise --pool above 2/)
  t.regex(leverFor('cpu', ctx), /add cores \(2 now\).*at most 4/)
  t.regex(leverFor('event-loop', ctx), /another machine or process/)
})
