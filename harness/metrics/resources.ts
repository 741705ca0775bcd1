/**
 * Resource use over a measurement window: memory (RSS and its growth, V8 heap, external and
 * array buffers), garbage collection (pause time and count by kind), the event loop
 * (utilisation and delay), open file handles, and the engine's own memory as its target reports
 * it. Sampled on a timer (default every 100 ms, `unref`ed), so the cost is a few reads per tick,
 * not per request.
 */
import { readdirSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { IntervalHistogram, PerformanceEntry } from 'node:perf_hooks'

import { linearFit } from './trend.ts'

/** The engine's own memory, as a target reports it (each figure null when the engine does not say). */
export interface EngineMemory {
  /** Live vectors. */
  vectors: number | null
  /** Bytes of the vector index in memory (vectors, ids, the HNSW graph). */
  indexBytes: number | null
  /** Bytes of the HNSW graph's links alone. */
  graphBytes: number | null
  /** Text-index segments and their bytes on disk (mmapped). */
  segments: number | null
  segmentBytes: number | null
  /** Where the figures come from, in words (e.g. 'vectorIndex.memoryStats()'). */
  source: string
}

/** RSS and heap figures over the window (MB = 2^20 bytes). */
export interface MemoryStats {
  /** Resident set size at the start and end of the window, and its peak (MB). */
  rssStartMb: number
  rssEndMb: number
  rssPeakMb: number
  /** Least-squares slope of RSS over the window (MB/s) and how well a line fits (R², 0..1). */
  rssSlopeMbPerSec: number
  rssFitR2: number
  /** V8 heap used at the end, and its peak (MB). */
  heapUsedMb: number
  heapUsedPeakMb: number
  heapTotalMb: number
  /** Memory of C++ objects bound to JS objects (includes array buffers), and array buffers alone (MB). */
  externalMb: number
  arrayBuffersMb: number
  /** Samples the figures come from. */
  samples: number
  /**
   * Live memory the level kept: V8 heap used + external after a full GC at the end, minus the
   * same after a full GC before the level (MB; both GCs outside the window). Null where a full
   * GC cannot be requested.
   */
  retainedMb: number | null
}

/** GC pauses over the window, from `perf_hooks` 'gc' entries. */
export interface GcStats {
  count: number
  /** Total pause time (ms) and its share of the window's wall time (0..1). */
  pauseMs: number
  shareOfWall: number
  /** Longest single pause (ms). */
  maxPauseMs: number
  /** Per kind ('minor' scavenges, 'major' mark-sweep-compact, 'incremental' marking, 'weakcb'). */
  byKind: Record<string, { count: number; pauseMs: number }>
}

/** The event loop over the window. */
export interface EventLoopStats {
  /** Busy share of the loop's time, 0..1 (`performance.eventLoopUtilization`). */
  utilization: number
  /** Loop delay (ms) from `monitorEventLoopDelay`, its own timer period removed. */
  delayMeanMs: number
  delayP99Ms: number
  delayMaxMs: number
}

/** Resource use of a level. */
export interface ResourceStats {
  memory: MemoryStats
  gc: GcStats
  eventLoop: EventLoopStats
  /** Open file handles at the end of the window (null where the OS gives no count: see `fileHandlesSource`). */
  openFileHandles: number | null
  fileHandlesSource: 'procfs' | 'unavailable'
  /** The engine's own memory at the end of the window (null: the target does not report it). */
  engine: EngineMemory | null
}

const MB = 1024 * 1024
/** Resolution of the loop-delay monitor (ms): its own period is subtracted from the samples. */
const LOOP_DELAY_RESOLUTION_MS = 10

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}

/**
 * Open file handles of this process: the entries of /proc/self/fd on Linux, /dev/fd on macOS.
 * Windows has no cheap per-process handle count from Node: null ('unavailable').
 */
export function openFileHandles(): { count: number | null; source: 'procfs' | 'unavailable' } {
  if (process.platform === 'win32') return { count: null, source: 'unavailable' }
  const dir = process.platform === 'linux' ? '/proc/self/fd' : '/dev/fd'
  try {
    // One entry is the directory handle readdir itself holds open.
    return { count: Math.max(0, readdirSync(dir).length - 1), source: 'procfs' }
  } catch {
    return { count: null, source: 'unavailable' }
  }
}

let fullGc: (() => void) | null | undefined

/**
 * A full, synchronous garbage collection, or false where it cannot be requested. Node exposes
 * V8's `gc()` only with --expose-gc; the flag is set at run time and `gc` taken from a fresh
 * context (the flag applies to contexts made after it).
 */
export function collectGarbage(): boolean {
  if (fullGc === undefined) {
    try {
      const existing = (globalThis as { gc?: () => void }).gc
      if (typeof existing === 'function') fullGc = existing
      else {
        setFlagsFromString('--expose-gc')
        const gc = runInNewContext('gc') as unknown
        fullGc = typeof gc === 'function' ? (gc as () => void) : null
      }
    } catch {
      fullGc = null
    }
  }
  if (fullGc === null) return false
  fullGc()
  return true
}

/** Heap used + external after a full GC (MB), or null where no full GC can be requested. */
export function liveMemoryMb(): number | null {
  if (!collectGarbage()) return null
  const m = process.memoryUsage()
  return (m.heapUsed + m.external) / MB
}

/** Samples memory on a timer and records GC and loop delay, from `start()` to `stop()`. */
export class ResourceSampler {
  readonly #intervalMs: number
  #timer: ReturnType<typeof setInterval> | null = null
  #observer: PerformanceObserver | null = null
  #loopDelay: IntervalHistogram | null = null
  #elu: ReturnType<typeof performance.eventLoopUtilization> | null = null
  #t0 = 0
  readonly #times: number[] = []
  readonly #rss: number[] = []
  #heapPeak = 0
  #gcCount = 0
  #gcMs = 0
  #gcMax = 0
  readonly #gcKinds: Record<string, { count: number; pauseMs: number }> = {}

  constructor(options: { intervalMs?: number } = {}) {
    this.#intervalMs = options.intervalMs ?? 100
  }

  start(): void {
    this.#t0 = performance.now()
    this.#elu = performance.eventLoopUtilization()
    this.#sample()
    this.#timer = setInterval(() => this.#sample(), this.#intervalMs)
    this.#timer.unref()
    this.#loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
    this.#loopDelay.enable()
    try {
      this.#observer = new PerformanceObserver(list => {
        for (const e of list.getEntries()) this.#gc(e)
      })
      this.#observer.observe({ entryTypes: ['gc'] })
    } catch {
      this.#observer = null
    }
  }

  #gc(e: PerformanceEntry): void {
    // Only pauses that started in the window (entries are delivered a little later).
    if (e.startTime < this.#t0) return
    const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail
    const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other'
    this.#gcCount++
    this.#gcMs += e.duration
    if (e.duration > this.#gcMax) this.#gcMax = e.duration
    const k = this.#gcKinds[kind] ?? { count: 0, pauseMs: 0 }
    k.count++
    k.pauseMs += e.duration
    this.#gcKinds[kind] = k
  }

  #sample(): void {
    const m = process.memoryUsage()
    this.#times.push(performance.now())
    this.#rss.push(m.rss)
    if (m.heapUsed > this.#heapPeak) this.#heapPeak = m.heapUsed
  }

  #liveBefore: number | null = null

  /** Before the run (outside the window): a full GC and the live memory left. */
  baseline(): void {
    this.#liveBefore = liveMemoryMb()
  }

  /** After the window: a full GC, and the live memory the level kept (see `retainedMb`). */
  retained(stats: ResourceStats): void {
    const after = this.#liveBefore === null ? null : liveMemoryMb()
    stats.memory.retainedMb = after === null || this.#liveBefore === null ? null : after - this.#liveBefore
  }

  /** Ends the window and returns its figures (the sampler cannot be restarted). */
  stop(): ResourceStats {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#sample()
    const mem = process.memoryUsage()
    this.#heapPeak = Math.max(this.#heapPeak, mem.heapUsed)
    // Deliver GC entries still buffered before disconnecting.
    const pending = this.#observer?.takeRecords?.() ?? []
    for (const e of pending) this.#gc(e)
    this.#observer?.disconnect()
    this.#observer = null
    const wallMs = Math.max(1e-9, performance.now() - this.#t0)
    const ld = this.#loopDelay
    ld?.disable()
    const delay = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS)
    const eventLoop: EventLoopStats = {
      utilization: this.#elu ? performance.eventLoopUtilization(this.#elu).utilization : 0,
      delayMeanMs: ld && ld.count > 0 ? delay(ld.mean) : 0,
      delayP99Ms: ld && ld.count > 0 ? delay(ld.percentile(99)) : 0,
      delayMaxMs: ld && ld.count > 0 ? delay(ld.max) : 0,
    }
    const xs = this.#times.map(t => (t - this.#t0) / 1000)
    const ys = this.#rss.map(b => b / MB)
    const fit = linearFit(xs, ys)
    const fh = openFileHandles()
    return {
      memory: {
        rssStartMb: ys[0],
        rssEndMb: ys[ys.length - 1],
        rssPeakMb: Math.max(...ys),
        rssSlopeMbPerSec: fit.slope,
        rssFitR2: fit.r2,
        heapUsedMb: mem.heapUsed / MB,
        heapUsedPeakMb: this.#heapPeak / MB,
        heapTotalMb: mem.heapTotal / MB,
        externalMb: mem.external / MB,
        arrayBuffersMb: mem.arrayBuffers / MB,
        samples: ys.length,
        retainedMb: null,
      },
      gc: {
        count: this.#gcCount,
        pauseMs: this.#gcMs,
        shareOfWall: this.#gcMs / wallMs,
        maxPauseMs: this.#gcMax,
        byKind: { ...this.#gcKinds },
      },
      eventLoop,
      openFileHandles: fh.count,
      fileHandlesSource: fh.source,
      // Filled in by the run from the target (an async read, after the window).
      engine: null,
    }
  }
}
