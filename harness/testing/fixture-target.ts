/**
 * A server-like fixture target with known behaviour, for testing the harness against ground
 * truth: `slots` parallel service slots (a FIFO semaphore), each request holding a slot for
 * `serviceTimeMs` (a timer), optional stalls during which nothing completes, optional failures.
 *
 * Queueing theory gives its numbers: with N closed users and no think time, throughput is
 * min(N, slots) / S and, for N ≤ slots, every response takes S.
 *
 * The fixture measures itself (`stats()`): actual mean busy time per request (timers fire a
 * little late, so it is slightly above S), the most requests in service at once, and so on.
 */
import type { SearchTarget, TargetCallOptions } from '../types.ts'

export interface FixtureOptions {
  name?: string
  /** Parallel service slots. @default 1 */
  slots?: number
  /** Service time per request (ms), or a function of the query. @default 5 */
  serviceTimeMs?: number | ((query: unknown) => number)
  /**
   * Freezes: a request that would be in service during `[atMs, atMs + durationMs)` (offsets from
   * `start()`, or from creation) cannot complete inside it: its completion moves past the end.
   */
  stalls?: Array<{ atMs: number; durationMs: number }>
  /** Reject every n-th request (1-based count) with an error whose code is `failCode`. */
  failEvery?: number
  failCode?: string
  /** Stop work and reject when the request's signal aborts. @default false */
  honorAbort?: boolean
  /** Also accept `insert` with this service time. @default same as search */
  insertTimeMs?: number
}

export interface FixtureStats {
  /** Requests that finished service (success or failure). */
  served: number
  failed: number
  aborted: number
  /** Most requests in service at once (never above `slots`). */
  maxInService: number
  /** Mean time a request held a slot (ms): the real service time. */
  meanBusyMs: number
  /** Requests waiting for a slot now. */
  queued: number
  inService: number
}

export interface FixtureTarget extends SearchTarget<unknown, unknown> {
  /** Resets the clock used by `stalls`. */
  start(): void
  stats(): FixtureStats
  /** Effective capacity `slots / meanBusy` (requests per second), from the measured busy time. */
  measuredCapacity(): number
}

/** Makes a fixture target. */
export function createFixtureTarget(options: FixtureOptions = {}): FixtureTarget {
  const slots = options.slots ?? 1
  const service = options.serviceTimeMs ?? 5
  const stalls = (options.stalls ?? []).map(s => ({ from: s.atMs, to: s.atMs + s.durationMs }))
  let origin = performance.now()
  let inService = 0
  let maxInService = 0
  let served = 0
  let failed = 0
  let aborted = 0
  let busySum = 0
  let count = 0
  const queue: Array<() => void> = []

  const acquire = (): Promise<void> => {
    if (inService < slots) {
      inService++
      if (inService > maxInService) maxInService = inService
      return Promise.resolve()
    }
    return new Promise<void>(resolve => queue.push(resolve))
  }
  const release = (): void => {
    const next = queue.shift()
    if (next)
      next() // hand the slot over directly (FIFO)
    else inService--
  }
  const completionAt = (begin: number, ms: number): number => {
    let end = begin + ms
    for (const s of stalls) {
      const from = origin + s.from
      const to = origin + s.to
      if (begin < to && end > from) end = Math.max(end, to) + Math.max(0, Math.min(end, to) - Math.max(begin, from))
    }
    return end
  }

  const run = async (ms: number, opts: TargetCallOptions): Promise<unknown> => {
    const n = ++count
    await acquire()
    const begin = performance.now()
    try {
      const end = completionAt(begin, ms)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Math.max(0, end - performance.now()))
        if (options.honorAbort) {
          const onAbort = (): void => {
            clearTimeout(timer)
            aborted++
            reject(opts.signal.reason)
          }
          if (opts.signal.aborted) onAbort()
          else opts.signal.addEventListener('abort', onAbort, { once: true })
        }
      })
      if (options.failEvery && n % options.failEvery === 0) {
        failed++
        const err = new Error(`fixture failure #${n}`) as Error & { code: string }
        err.code = options.failCode ?? 'E_FIXTURE'
        throw err
      }
      return { n }
    } finally {
      busySum += performance.now() - begin
      served++
      release()
    }
  }

  return {
    name: options.name ?? 'fixture',
    search(query: unknown, opts: TargetCallOptions) {
      return run(typeof service === 'function' ? service(query) : service, opts)
    },
    insert(_doc: unknown, opts: TargetCallOptions) {
      return run(options.insertTimeMs ?? (typeof service === 'function' ? 0 : service), opts)
    },
    start() {
      origin = performance.now()
    },
    stats() {
      return {
        served,
        failed,
        aborted,
        maxInService,
        meanBusyMs: served > 0 ? busySum / served : 0,
        queued: queue.length,
        inService,
      }
    },
    measuredCapacity() {
      return served > 0 ? (slots * 1000 * served) / busySum : 0
    },
  }
}
