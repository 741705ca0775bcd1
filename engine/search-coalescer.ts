/**
 * Group commit for searches: concurrent `search()` calls on one index that arrive while native
 * searches are running wait here and then go to the engine together, as one native task
 * (`searchMany`), instead of one round trip to a worker thread each.
 *
 * - A call that finds a free slot (fewer than `maxInFlight` native tasks running, nobody
 *   waiting) is sent at once, alone: a lone caller is never delayed, and up to 4 concurrent
 *   calls behave exactly as before.
 * - Otherwise it waits; when a native task completes, everything waiting (up to `maxBatch`)
 *   leaves as the next task, before the finished task's callers are resumed.
 * - Each caller gets its own result or its own error (the engine answers every query of a
 *   batch separately); an AbortSignal rejects only its own call, at once, whether it is still
 *   waiting (it is then never sent) or already running (its result is dropped).
 * - A flat index answers a batch with one blocked scan of its rows; an HNSW index runs the
 *   queries back to back on one warm worker (several tasks in flight keep the cores busy).
 *
 * A call with a timing listener is timed wherever it runs: alone, like any `search`, or in a
 * batch, where the binding times each query of the batch on its own. A batched call's
 * `queuedAt` is when it joined this queue (its wait here replaces a wait in the native queue),
 * its `startedAt` / `finishedAt` are its own query's, so the queries run before it in the same
 * batch count as queueing; its `cpuMs` is its own query's (a blocked flat scan's CPU time is
 * split evenly). Calls with a filter bypass the queue (they go to the engine alone).
 */
import { performance } from 'node:perf_hooks'

import { ErrorCodes, abortError, codedError, withSignal } from '../errors.ts'
import type { ErrorCode } from '../errors.ts'
import type { ManySearchResult, NativeVectorIndex } from './native.ts'
import { callTiming, timed } from './timing.ts'
import type { CallTiming, CallTimingListener, NativeStamps } from './timing.ts'

/** One search result: smaller distance is closer. */
export interface SearchHit {
  id: number
  distance: number
}

/** Unpacks the binding's `[ids…, distances…]` (one Float64Array of length 2n) into hits. */
export function toHits(packed: Float64Array): SearchHit[] {
  const n = packed.length >>> 1
  const hits: SearchHit[] = new Array(n)
  for (let i = 0; i < n; i++) hits[i] = { id: packed[i], distance: packed[n + i] }
  return hits
}

/**
 * Native tasks one index keeps running before later calls wait to be coalesced: libuv's default
 * pool size, the most threads the engine's search pool starts by default (fewer on fewer
 * cores), so that up to 4 concurrent calls run exactly as if sent alone, and coalescing starts
 * where calls would queue for a worker anyway.
 */
export const COALESCE_MAX_IN_FLIGHT = 4
/** Most calls one coalesced native task answers. */
export const COALESCE_MAX_BATCH = 256

interface Waiting {
  query: Float32Array
  k: number
  /** 0: the index's default. */
  ef: number
  resolve: (hits: SearchHit[]) => void
  reject: (error: unknown) => void
  signal: AbortSignal | undefined
  /** Receives the call's timing; undefined when untimed. */
  listener: CallTimingListener | undefined
  /** performance.now() when the call joined the queue (only read when timed). */
  enqueuedAt: number
  onAbort: (() => void) | undefined
  /** Resolved, rejected or aborted: later outcomes are ignored. */
  settled: boolean
}

/** Counts what the queue did (for benchmarks and tests). */
export interface CoalescerStats {
  /** Calls sent alone (a slot was free). */
  direct: number
  /** Calls that waited and went in a batch. */
  coalesced: number
  /** Native batch tasks sent. */
  batches: number
  /** Largest batch sent. */
  largestBatch: number
}

export class SearchCoalescer {
  private readonly native: NativeVectorIndex
  private readonly dimensions: number
  private readonly maxInFlight: number
  private readonly maxBatch: number
  private inFlight = 0
  /** Calls in the native tasks now running. */
  private runningCalls = 0
  private waiting: Waiting[] = []
  readonly stats: CoalescerStats = { direct: 0, coalesced: 0, batches: 0, largestBatch: 0 }

  constructor(
    native: NativeVectorIndex,
    dimensions: number,
    maxInFlight = COALESCE_MAX_IN_FLIGHT,
    maxBatch = COALESCE_MAX_BATCH,
  ) {
    this.native = native
    this.dimensions = dimensions
    this.maxInFlight = maxInFlight
    this.maxBatch = maxBatch
  }

  /** Native tasks running now (for tests). */
  get running(): number {
    return this.inFlight
  }

  /** Calls waiting for a slot (for tests). */
  get queued(): number {
    return this.waiting.length
  }

  /**
   * A checked query (right length, finite), k and ef (0: default); `signal` not yet aborted;
   * `listener` receives the call's timing.
   */
  search(
    query: Float32Array,
    k: number,
    ef: number,
    signal: AbortSignal | undefined,
    listener?: CallTimingListener,
  ): Promise<SearchHit[]> {
    if (this.inFlight < this.maxInFlight && this.waiting.length === 0) {
      this.stats.direct++
      this.inFlight++
      this.runningCalls++
      const options = ef > 0 ? { ef } : undefined
      return timed(listener, stamps => withSignal(signal, s => this.native.search(query, k, options, s, stamps))).then(
        packed => {
          this.release(1)
          return toHits(packed)
        },
        (error: unknown) => {
          this.release(1)
          throw error
        },
      )
    }
    return new Promise<SearchHit[]>((resolve, reject) => {
      const entry: Waiting = {
        // Copied now, as the binding copies a direct call's query: the caller may reuse it.
        query: query.slice(),
        k,
        ef,
        resolve,
        reject,
        signal,
        listener,
        enqueuedAt: listener === undefined ? 0 : performance.now(),
        onAbort: undefined,
        settled: false,
      }
      if (signal !== undefined) {
        entry.onAbort = () => {
          if (entry.settled) return
          entry.settled = true
          const at = this.waiting.indexOf(entry)
          if (at >= 0) this.waiting.splice(at, 1)
          reject(abortError(signal))
        }
        signal.addEventListener('abort', entry.onAbort, { once: true })
      }
      this.waiting.push(entry)
    })
  }

  /**
   * A native task of `calls` calls finished: start the next batch first, then let its callers
   * resume. A batch takes its share of all outstanding calls (waiting + running) per slot, not
   * everything waiting: otherwise one slot ends up carrying every caller while the other
   * ping-pongs batches of one (each a full round trip). What is held back goes with the next
   * completion, which comes no later than the smaller batch running in the other slot.
   */
  private release(calls: number): void {
    this.inFlight--
    this.runningCalls -= calls
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      const share = Math.ceil((this.waiting.length + this.runningCalls) / this.maxInFlight)
      this.send(this.waiting.splice(0, Math.max(1, Math.min(share, this.maxBatch))))
    }
  }

  private send(batch: Waiting[]): void {
    this.inFlight++
    this.runningCalls += batch.length
    this.stats.batches++
    this.stats.coalesced += batch.length
    if (batch.length > this.stats.largestBatch) this.stats.largestBatch = batch.length
    const d = this.dimensions
    const queries = new Float32Array(batch.length * d)
    const ks = new Uint32Array(batch.length)
    let efs: Uint32Array | undefined
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]
      queries.set(entry.query, i * d)
      ks[i] = entry.k
      if (entry.ef > 0) {
        efs ??= new Uint32Array(batch.length)
        efs[i] = entry.ef
      }
    }
    // Stamped only when someone listens: an untimed batch costs nothing extra.
    const stamps: NativeStamps | undefined = batch.some(entry => entry.listener !== undefined) ? {} : undefined
    let call: Promise<ManySearchResult>
    try {
      call =
        batch.length === 1
          ? // One call: the plain search (one packed array back), cheaper than a batch result.
            this.native
              .search(queries, ks[0], efs === undefined ? undefined : { ef: efs[0] }, undefined, stamps)
              .then(packed => ({
                offsets: Uint32Array.of(0, packed.length >>> 1),
                ids: packed.subarray(0, packed.length >>> 1),
                distances: Float32Array.from(packed.subarray(packed.length >>> 1)),
                failures: [],
                timings:
                  stamps?.startedNs === undefined
                    ? undefined
                    : Float64Array.of(stamps.startedNs, stamps.finishedNs ?? stamps.startedNs, stamps.cpuNs ?? 0),
              }))
          : this.native.searchMany(queries, ks, efs, stamps)
    } catch (error) {
      call = Promise.reject(error)
    }
    call.then(
      result => {
        this.release(batch.length)
        settleAll(batch, result, stamps === undefined ? undefined : performance.now())
      },
      (error: unknown) => {
        this.release(batch.length)
        for (const entry of batch) finish(entry, undefined, error)
      },
    )
  }
}

function finish(entry: Waiting, hits: SearchHit[] | undefined, error: unknown, timing?: CallTiming | null): void {
  if (entry.settled) return
  entry.settled = true
  if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort)
  if (hits === undefined) {
    entry.reject(error)
    return
  }
  if (timing && entry.listener !== undefined) {
    try {
      entry.listener(timing)
    } catch (listenerError) {
      // As for a call sent alone: a throwing listener rejects its own call, nobody else's.
      entry.reject(listenerError)
      return
    }
  }
  entry.resolve(hits)
}

/** Query `q`'s timing within a batch: its own run, its wait counted from joining the queue. */
export function batchedCallTiming(
  timings: Float64Array | undefined | null,
  q: number,
  enqueuedAt: number,
  resumedAt: number,
): CallTiming | null {
  if (timings === undefined || timings === null || timings.length < 3 * q + 3) return null
  const own = callTiming(
    { queuedNs: timings[3 * q], startedNs: timings[3 * q], finishedNs: timings[3 * q + 1], cpuNs: timings[3 * q + 2] },
    resumedAt,
  )
  return own === null ? null : { ...own, queuedAt: Math.min(enqueuedAt, own.startedAt) }
}

function settleAll(batch: Waiting[], result: ManySearchResult, resumedAt: number | undefined): void {
  const { offsets, ids, distances, failures, timings } = result
  const failed = new Map<number, Error>()
  for (const f of failures) failed.set(f.index, codedError((f.code as ErrorCode) ?? ErrorCodes.INTERNAL, f.message))
  for (let q = 0; q < batch.length; q++) {
    const error = failed.get(q)
    if (error !== undefined) {
      finish(batch[q], undefined, error)
      continue
    }
    const from = offsets[q]
    const hits: SearchHit[] = new Array(offsets[q + 1] - from)
    for (let i = from, j = 0; i < offsets[q + 1]; i++, j++) hits[j] = { id: ids[i], distance: distances[i] }
    const entry = batch[q]
    const timing =
      entry.listener === undefined || resumedAt === undefined
        ? null
        : batchedCallTiming(timings, q, entry.enqueuedAt, resumedAt)
    finish(entry, hits, undefined, timing)
  }
}
