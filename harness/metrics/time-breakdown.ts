/**
 * Where each request's time goes: its response time (from the intended start, as everywhere
 * in the harness) split into additive named parts, recorded per part into HDR histograms.
 *
 * ```
 * intended ─ scheduleDelay ─▶ started ─ poolWait ─▶ leased ─ … ─▶ native call queued
 *   ─ nativeQueue ─▶ a worker starts it ─ nativeRun ─▶ worker done ─ delivery ─▶ awaiting JS resumes
 *   … ─▶ response     (other = response − every part above)
 * ```
 *
 * Every stamp is on `performance.now()`'s clock; the engine stamps its side on the same
 * monotonic clock (calibrated once, see engine/timing.ts). A request that makes several native
 * calls (an insert and its commit) adds their parts. Means come from exact sums, so the parts'
 * means add up to the mean response time; percentiles come from the histograms.
 */
import { LatencyHistogram } from './histogram.ts'

/** The additive parts of a response time, in the order a request meets them. */
export const TIME_PARTS = ['scheduleDelay', 'poolWait', 'nativeQueue', 'nativeRun', 'delivery', 'other'] as const
export type TimePart = (typeof TIME_PARTS)[number]

/** The parts only the engine's own stamps can tell apart (null for targets that give none). */
export const NATIVE_TIME_PARTS = ['nativeQueue', 'nativeRun', 'delivery'] as const satisfies readonly TimePart[]

/** One part's distribution over a level's successful requests, in ms. */
export interface TimePartSummary {
  mean: number
  p50: number
  p99: number
}

/** What a native call reports about itself, on `performance.now()`'s clock (ms). */
export interface NativeCallTiming {
  /** The call was handed to the thread pool. */
  queuedAt: number
  /** A worker thread started it. */
  startedAt: number
  /** The worker finished it. */
  finishedAt: number
  /** The JS code awaiting it resumed. */
  resumedAt: number
  /** CPU time the worker thread spent on it, ms. */
  cpuMs: number
}

/** The harness's stamps of one request (ms, `performance.now()`). */
export interface RequestStamps {
  intendedAt: number
  startedAt: number
  acquireStartedAt: number
  leasedAt: number
  respondedAt: number
}

/** Native parts of one request, summed over its native calls. */
export interface NativeParts {
  calls: number
  queueMs: number
  runMs: number
  deliveryMs: number
  cpuMs: number
}

export function emptyNativeParts(): NativeParts {
  return { calls: 0, queueMs: 0, runMs: 0, deliveryMs: 0, cpuMs: 0 }
}

/** Adds one native call's parts into `into` (mutates it: one object per request, no garbage). */
export function addNativeCall(into: NativeParts, t: NativeCallTiming): void {
  into.calls++
  into.queueMs += t.startedAt - t.queuedAt
  into.runMs += t.finishedAt - t.startedAt
  into.deliveryMs += t.resumedAt - t.finishedAt
  into.cpuMs += t.cpuMs
}

/**
 * Splits one request's response time into the parts. `other` is what remains (JS work of the
 * target and the harness, validation, result conversion) and may come out a few µs negative
 * when clock calibration error exceeds it; it is kept signed so the parts add up exactly.
 */
export function splitResponseTime(s: RequestStamps, native: NativeParts | null): Record<TimePart, number> {
  const response = s.respondedAt - s.intendedAt
  const scheduleDelay = Math.max(0, s.startedAt - s.intendedAt)
  const poolWait = Math.max(0, s.leasedAt - s.acquireStartedAt)
  const nativeQueue = native ? native.queueMs : 0
  const nativeRun = native ? native.runMs : 0
  const delivery = native ? native.deliveryMs : 0
  const other = response - scheduleDelay - poolWait - nativeQueue - nativeRun - delivery
  return { scheduleDelay, poolWait, nativeQueue, nativeRun, delivery, other }
}

/** Per level: each part's mean, p50 and p99 (ms), plus the native CPU beside `nativeRun`. */
export interface TimeBreakdown extends Record<TimePart, TimePartSummary> {
  /** CPU time of the native calls' worker threads, per request (beside `nativeRun`'s wall time). */
  nativeRunCpu: TimePartSummary
  /** Successful requests recorded. */
  requests: number
  /** Of them, requests whose target reported native stamps. */
  requestsWithNativeStamps: number
  /**
   * `'engine'`: every part measured; `'harness'`: the target gave no native stamps, so
   * `nativeQueue`, `nativeRun` and `delivery` are 0 and `other` holds the target's whole time.
   */
  coverage: 'engine' | 'harness' | 'mixed'
}

/** A recorder's content, serialisable: per part an HDR histogram (base64) and the exact sum (ms). */
export interface TimeBreakdownExport {
  histograms: Record<TimePart | 'nativeRunCpu', string>
  sumsMs: Record<TimePart | 'nativeRunCpu', number>
  requests: number
  requestsWithNativeStamps: number
}

/** Records the parts of many requests (one recorder per user, merged at the end). */
export class TimeBreakdownRecorder {
  readonly #histograms = new Map<TimePart | 'nativeRunCpu', LatencyHistogram>()
  readonly #sums = new Map<TimePart | 'nativeRunCpu', number>()
  #requests = 0
  #withNative = 0

  constructor() {
    for (const part of [...TIME_PARTS, 'nativeRunCpu'] as const) {
      this.#histograms.set(part, LatencyHistogram.create())
      this.#sums.set(part, 0)
    }
  }

  record(stamps: RequestStamps, native: NativeParts | null): void {
    const parts = splitResponseTime(stamps, native)
    this.#requests++
    for (const part of TIME_PARTS) this.#recordPart(part, parts[part])
    if (native && native.calls > 0) {
      this.#withNative++
      this.#recordPart('nativeRunCpu', native.cpuMs)
    }
  }

  #recordPart(part: TimePart | 'nativeRunCpu', ms: number): void {
    this.#sums.set(part, (this.#sums.get(part) as number) + ms)
    ;(this.#histograms.get(part) as LatencyHistogram).recordMs(ms)
  }

  /** Adds another recorder's requests into this one. */
  add(other: TimeBreakdownRecorder): void {
    this.#requests += other.#requests
    this.#withNative += other.#withNative
    for (const [part, h] of other.#histograms) {
      ;(this.#histograms.get(part) as LatencyHistogram).add(h)
      this.#sums.set(part, (this.#sums.get(part) as number) + (other.#sums.get(part) as number))
    }
  }

  summary(): TimeBreakdown {
    const summarise = (part: TimePart | 'nativeRunCpu', n: number): TimePartSummary => {
      const h = this.#histograms.get(part) as LatencyHistogram
      return {
        mean: n > 0 ? (this.#sums.get(part) as number) / n : 0,
        p50: h.percentileMs(50),
        p99: h.percentileMs(99),
      }
    }
    const out = {} as Record<TimePart, TimePartSummary>
    for (const part of TIME_PARTS) out[part] = summarise(part, this.#requests)
    const coverage =
      this.#withNative === 0 ? 'harness' : this.#withNative === this.#requests ? 'engine' : ('mixed' as const)
    return {
      ...out,
      nativeRunCpu: summarise('nativeRunCpu', this.#withNative),
      requests: this.#requests,
      requestsWithNativeStamps: this.#withNative,
      coverage,
    }
  }

  /** Everything recorded, serialisable (for merging results of several processes). */
  export(): TimeBreakdownExport {
    const histograms = {} as Record<TimePart | 'nativeRunCpu', string>
    const sumsMs = {} as Record<TimePart | 'nativeRunCpu', number>
    for (const [part, h] of this.#histograms) {
      histograms[part] = h.encode()
      sumsMs[part] = this.#sums.get(part) as number
    }
    return { histograms, sumsMs, requests: this.#requests, requestsWithNativeStamps: this.#withNative }
  }

  /** A recorder holding an export's requests (add several to merge them). */
  static fromExport(e: TimeBreakdownExport): TimeBreakdownRecorder {
    const r = new TimeBreakdownRecorder()
    r.#requests = e.requests
    r.#withNative = e.requestsWithNativeStamps
    for (const part of [...TIME_PARTS, 'nativeRunCpu'] as const) {
      const decoded = LatencyHistogram.decode(e.histograms[part])
      ;(r.#histograms.get(part) as LatencyHistogram).add(decoded)
      decoded.destroy()
      r.#sums.set(part, e.sumsMs[part])
    }
    return r
  }

  destroy(): void {
    for (const h of this.#histograms.values()) h.destroy()
  }
}
