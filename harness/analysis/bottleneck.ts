/**
 * Names the resource that limits a level: from where its requests' time goes (the time
 * breakdown) and how busy the machine and the JS thread were (CPU attribution). Pure.
 *
 * The rules, in order (the first that holds names the level):
 * 1. `event-loop`: the JS thread computed for at least {@link EVENT_LOOP_BUSY} of the window (its
 *    own CPU clock where there is one: event-loop utilisation also counts time the thread
 *    waited for a core, so on a crowded machine it reads busy while the thread is starved):
 *    every request queues for it (schedule delay, delivery), whatever else is free.
 * 2. `cpu`: the machine's cores were at least {@link MACHINE_BUSY_PERCENT} % busy: more threads
 *    or leases only add queueing; native runs take longer in wall time than in CPU time.
 * 3. The waiting part that holds the largest share of response time, if at least
 *    {@link WAIT_SHARE}: `connection-pool` (pool wait), `native-pool` (queued for a native
 *    worker), `event-loop` (schedule delay + delivery).
 * 4. `target`: the target's own time grew at least {@link TARGET_GROWTH}× over the lightest
 *    level while none of the above holds: it queues or waits inside (slots, locks, a server).
 * 5. `none`: nothing limits this level yet.
 */
import type { CpuAttribution } from '../metrics/cpu.ts'
import { EVENT_LOOP_BUSY, MACHINE_BUSY_PERCENT, TARGET_GROWTH, WAIT_SHARE } from './constants.ts'
import type { TimePart } from '../metrics/time-breakdown.ts'

export const BOTTLENECK_RESOURCES = ['cpu', 'native-pool', 'connection-pool', 'event-loop', 'target', 'none'] as const
export type BottleneckResource = (typeof BOTTLENECK_RESOURCES)[number]

/** The resource limiting a level (or a run), how strongly, and the numbers that say so. */
export interface Bottleneck {
  resource: BottleneckResource
  /** The fraction (0..1) of response time, or of CPU, that supports the verdict. */
  share: number
  /** One sentence with the numbers. */
  evidence: string
}

/** What the classifier reads from one level. Times are means over successful requests, in ms. */
export interface BottleneckEvidence {
  concurrency: number
  responseMeanMs: number
  /** Mean of each part; native parts are 0 where the target gives no stamps. */
  parts: Record<TimePart, number>
  /** Whether the native parts were measured (`'harness'`: the target gave no stamps). */
  coverage: 'engine' | 'harness' | 'mixed'
  /** Mean CPU time of a request's native calls, ms (0 without stamps). */
  nativeCpuMeanMs: number
  /** The target's own time at the lightest level (its `nativeRun + other`), ms; null at the lightest level itself. */
  baselineTargetMs: number | null
  cpu: CpuAttribution | null
  /** Connection-pool size (null: the pool did not limit). */
  poolSize: number | null
  /** Native worker threads: libuv's pool, and the engine's search pool sized alike. */
  threadPoolSize: number
}

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`
const ms = (x: number): string => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`

/** The target's own time: what it spends working or waiting inside, outside every harness-visible queue. */
export function targetTimeMs(parts: Record<TimePart, number>): number {
  return parts.nativeRun + parts.other
}

/**
 * How busy the JS thread was, 0..1 of one core: its CPU clock where there is one, else the
 * event-loop utilisation.
 */
export function jsThreadBusy(cpu: CpuAttribution | null): number | null {
  if (cpu === null) return null
  if (cpu.mainThread !== null) return Math.min(1, (cpu.mainThread * cpu.cores) / 100)
  return cpu.eventLoopUtilization
}

export function classifyBottleneck(e: BottleneckEvidence): Bottleneck {
  const response = Math.max(e.responseMeanMs, 1e-9)
  const share = (x: number): number => Math.max(0, x) / response
  const loopWait = e.parts.scheduleDelay + e.parts.delivery
  const jsBusy = jsThreadBusy(e.cpu)

  if (jsBusy !== null && jsBusy >= EVENT_LOOP_BUSY) {
    return {
      resource: 'event-loop',
      share: jsBusy,
      evidence: `the JS thread was busy ${pct(jsBusy)} of the time; requests waited ${ms(loopWait)} (${pct(share(loopWait))} of response time) to start or resume on it`,
    }
  }

  if (e.cpu && e.cpu.machineBusy >= MACHINE_BUSY_PERCENT) {
    const c = e.cpu
    const split = [
      c.mainThread !== null ? `JS thread ${c.mainThread.toFixed(0)} %` : null,
      `engine threads ${c.engineThreads.toFixed(0)} %`,
      `other processes ${c.otherProcesses.toFixed(0)} %`,
    ]
      .filter(Boolean)
      .join(', ')
    const stretch =
      e.coverage !== 'harness' && e.nativeCpuMeanMs > 0
        ? `; a native call ran ${(e.parts.nativeRun / e.nativeCpuMeanMs).toFixed(1)}× its CPU time in wall time (waiting for a core)`
        : ''
    return {
      resource: 'cpu',
      share: c.machineBusy / 100,
      evidence: `the ${c.cores} cores were ${c.machineBusy.toFixed(0)} % busy (${split})${stretch}`,
    }
  }

  const waits: { resource: BottleneckResource; ms: number; what: string }[] = [
    {
      resource: 'connection-pool',
      ms: e.parts.poolWait,
      what: `waiting for one of ${e.poolSize ?? 'the'} pool leases`,
    },
    {
      resource: 'native-pool',
      ms: e.parts.nativeQueue,
      what: `queued for one of ${e.threadPoolSize} native worker threads`,
    },
    { resource: 'event-loop', ms: loopWait, what: 'waiting to start or resume on the JS thread' },
  ]
  const top = waits.reduce((a, b) => (b.ms > a.ms ? b : a))
  if (share(top.ms) >= WAIT_SHARE) {
    return {
      resource: top.resource,
      share: share(top.ms),
      evidence: `${pct(share(top.ms))} of response time (${ms(top.ms)} of ${ms(response)}) was spent ${top.what}`,
    }
  }

  const own = targetTimeMs(e.parts)
  if (e.baselineTargetMs !== null && e.baselineTargetMs > 0 && own >= TARGET_GROWTH * e.baselineTargetMs) {
    const grown = own - e.baselineTargetMs
    return {
      resource: 'target',
      share: share(grown),
      evidence: `the target's own time grew from ${ms(e.baselineTargetMs)} at the lightest level to ${ms(own)} (${pct(share(grown))} of response time is that growth) while no harness-visible queue held requests`,
    }
  }

  const waiting = share(e.parts.scheduleDelay + e.parts.poolWait + e.parts.nativeQueue + e.parts.delivery)
  const busy = e.cpu ? `, cores ${e.cpu.machineBusy.toFixed(0)} % busy` : ''
  return {
    resource: 'none',
    share: waiting,
    evidence: `no resource limits this level: waiting is ${pct(waiting)} of response time${busy}`,
  }
}

/** The lever each resource implies, for the advice. */
export function leverFor(
  resource: BottleneckResource,
  ctx: { cores: number; threadPoolSize: number; poolSize: number | null; saturatedAt: number | null },
): string {
  switch (resource) {
    case 'cpu':
      return `add cores (${ctx.cores} now) or machines, or make each request cheaper (a smaller ef or k, fewer hybrid candidates)${ctx.saturatedAt !== null ? `; until then admit at most ${ctx.saturatedAt} concurrent requests` : ''}`
    case 'native-pool':
      return ctx.threadPoolSize < ctx.cores
        ? `raise --threads (UV_THREADPOOL_SIZE, now ${ctx.threadPoolSize}) to the ${ctx.cores} cores: native calls queue for a worker while cores are free`
        : `native calls queue for the ${ctx.threadPoolSize} native workers: raise --threads only with more cores, else make each call cheaper (a smaller ef)`
    case 'connection-pool':
      return `raise --pool above ${ctx.poolSize ?? 'its current size'}: requests wait for a lease while the engine has capacity`
    case 'event-loop':
      return 'the JS thread is the limit: move the load generator to another machine or process, and move JS work out of the request path'
    case 'target':
      return "the target's own capacity is the limit (its slots, locks or servers): add capacity there; harness settings will not help"
    case 'none':
      return 'nothing saturates yet'
  }
}
