/**
 * `ConcurrentBenchmark`: runs a load model against a {@link SearchTarget} and measures it.
 *
 * Per request (see `RunState.execute`):
 * `pick operation → acquire pool lease → send (with timeout) → record`. Three clocks:
 * - *response time*: from the intended start (the schedule, or the moment the user was ready)
 *   to the outcome: queueing anywhere, including in the harness, shows up here (coordinated
 *   omission corrected);
 * - *service time*: from the actual send (after the lease) to the response;
 * - *pool wait*: from the start of the acquire to the lease.
 * Recording is per user into HDR histograms (no locks, no per-request arrays), merged at the end.
 */
import { z } from 'zod'
import { DeadlockDetector, type TrackedOp } from './detector/detector.ts'
import type { DeadlockDetectorOptions, DetectorReport } from './detector/detector.ts'
import { collectEnvironment } from './environment.ts'
import { ConfigError, ErrorCodes, HarnessError, errorCodeOf } from './errors.ts'
import { Outcome } from './load/driver.ts'
import type { LoadDriver, LoadModel } from './load/driver.ts'
import { getLoadModel, loadModelNames } from './load/models.ts'
import type { ResolvedLoadModelConfig } from './load/models.ts'
import { Rng, Streams, deriveSeed } from './load/rng.ts'
import { QuerySelectionSchema, selectionRng, selectorFactory } from './load/selection.ts'
import type { QuerySelection, QuerySelector } from './load/selection.ts'
import { now } from './load/time.ts'
import { describeIssues, field, isNum } from './load/validation.ts'
import { LatencyHistogram, mergeHistograms } from './metrics/histogram.ts'
import { TimeWeightedGauge, jainFairness, littlesLawClosed, littlesLawOpen } from './metrics/stats.ts'
import type { LittlesLawCheck } from './metrics/stats.ts'
import { ConnectionPool } from './pool.ts'
import { DeadlineEntry, DeadlineQueue } from './deadlines.ts'
import { runScalabilityTest } from './sweep/sweep.ts'
import type { ScalabilityReport, ScalabilityTestOptions } from './sweep/types.ts'
import type { ConnectionPoolStats, Lease } from './pool.ts'
import { setTimeout as sleep } from 'node:timers/promises'

import type {
  ClassStats,
  ConcurrentTestOptions,
  LiveProgress,
  ConcurrentTestResult,
  SearchTarget,
  TargetCallOptions,
  ThreadPerformance,
  WorkerThreadStats,
  WriteMix,
} from './types.ts'

const isFn = (v: unknown): boolean => typeof v === 'function'
const fnSchema = z.custom<(...args: never[]) => unknown>(isFn, { message: 'must be a function' })

/** Structural schema of {@link ConcurrentTestOptions} (the load model is checked by its own validator). */
export const ConcurrentTestOptionsSchema = z.strictObject({
  load: z.looseObject({ model: z.enum(loadModelNames) }),
  queries: z.array(z.unknown()).min(1),
  classify: fnSchema.optional(),
  selection: QuerySelectionSchema.optional(),
  writes: z
    .strictObject({
      fraction: z.number().min(0).max(1),
      makeInsert: fnSchema,
      className: z.string().min(1).optional(),
    })
    .optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  requestTimeoutMs: z.number().positive().max(86_400_000).optional(),
  pool: z
    .union([
      z.custom<ConnectionPool<unknown>>(v => v instanceof ConnectionPool, { message: 'must be a ConnectionPool' }),
      z.strictObject({
        size: z.number().int().min(1).optional(),
        acquireTimeoutMs: z.number().nonnegative().optional(),
        factory: z
          .custom<object>(
            v => v !== null && typeof v === 'object' && isFn(field(v, 'create')) && isFn(field(v, 'destroy')),
            {
              message: 'must have create() and destroy()',
            },
          )
          .optional(),
        name: z.string().min(1).optional(),
      }),
    ])
    .optional(),
  errorBackoffMs: z.number().nonnegative().max(60_000).optional(),
  detector: z
    .union([
      z.literal(false),
      z.custom<DeadlockDetector>(v => v instanceof DeadlockDetector, { message: 'must be a DeadlockDetector' }),
      z.strictObject({
        heartbeatIntervalMs: z.number().positive().optional(),
        blockedAfterMs: z.number().positive().optional(),
        stallAfterMs: z.number().positive().optional(),
        poolExhaustionAfterMs: z.number().positive().optional(),
        checkIntervalMs: z.number().positive().optional(),
        tickMs: z.number().positive().optional(),
        maxFindingsPerKind: z.number().int().positive().optional(),
      }),
    ])
    .optional(),
  baselineThroughput: z.number().positive().optional(),
  packageVersion: z.string().optional(),
  signal: z.custom<AbortSignal>(v => v instanceof AbortSignal, { message: 'must be an AbortSignal' }).optional(),
  onProgress: fnSchema.optional(),
  progressIntervalMs: z.number().int().min(10).max(60_000).optional(),
})

/**
 * Every problem with the options (and with the target, for writes), in plain words; empty when
 * valid.
 */
export function validateConcurrentTestOptions(input: unknown, target?: SearchTarget<unknown, unknown>): string[] {
  const problems: string[] = []
  if (input === null || typeof input !== 'object') return ['options must be an object']
  const parsed = ConcurrentTestOptionsSchema.safeParse(input)
  if (!parsed.success) {
    // The load model's own validator reports its problems in more detail.
    const known = getLoadModel(field(field(input, 'load'), 'model')) !== undefined
    const issues = parsed.error.issues.filter(i => !(known && i.path[0] === 'load' && i.path.length > 1))
    problems.push(...describeIssues(new z.ZodError(issues), input))
  }
  const load = field(input, 'load')
  const model = getLoadModel(field(load, 'model'))
  if (model) problems.push(...model.validate(load, 'load'))
  const writes = field(input, 'writes')
  const fraction = field(writes, 'fraction')
  if (isNum(fraction) && fraction > 0 && target && typeof target.insert !== 'function')
    problems.push(`writes.fraction is ${fraction} but target "${target.name}" has no insert()`)
  if (target) {
    if (typeof target.search !== 'function') problems.push('the target must have a search() method')
    if (typeof target.name !== 'string') problems.push('the target must have a name')
  }
  const pool = field(input, 'pool')
  const acquireTimeout = field(pool, 'acquireTimeoutMs')
  if (isNum(acquireTimeout) && acquireTimeout === 0)
    problems.push('pool.acquireTimeoutMs of 0 would time out every request that has to wait; use a positive value')
  return [...new Set(problems)]
}

interface Lane {
  readonly userId: number
  readonly rng: Rng
  readonly insertRng: Rng
  readonly selector: QuerySelector
  readonly response: LatencyHistogram
  readonly service: LatencyHistogram
  total: number
  ok: number
  failed: number
  timedOut: number
  startedAt: number
  finishedAt: number
  crashed: string | null
  lastEndAt: number
  idleSumMs: number
  idleCount: number
  systemSumMs: number
}

interface ClassAcc {
  name: string
  count: number
  ok: number
  failed: number
  timedOut: number
  hist: LatencyHistogram
}

/** `query #3 "red shoes"` (strings and numbers shown, shortened), else `query #3`. */
function describeQuery(q: unknown, i: number): string {
  if (typeof q === 'string') return `query #${i} ${JSON.stringify(q.length > 40 ? `${q.slice(0, 40)}…` : q)}`
  if (typeof q === 'number' || typeof q === 'bigint') return `query #${i} ${String(q)}`
  return `query #${i}`
}

const threadCpuUsage = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage

/** Where a {@link Call} is. */
const CallState = {
  /** Sent (or about to be), no outcome yet. */
  pending: 0,
  /** The target settled first: the outcome is the target's. */
  settled: 1,
  /** The deadline passed first: timed out, the target still holds the lease. */
  timedOut: 2,
  /** Timed out, and the target has settled since (lease returned). */
  timedOutSettled: 3,
} as const
type CallState = (typeof CallState)[keyof typeof CallState]

/**
 * One request, from the start of its pool acquire to its outcome: everything `RunState` needs to
 * record it, in one object (no closures per request). It waits in the run's
 * {@link DeadlineQueue} while the target works, so a per-request timeout costs no Node timer.
 */
class Call extends DeadlineEntry {
  readonly lane: Lane
  readonly measured: boolean
  readonly intendedAt: number
  readonly tBegin: number
  readonly classId: number
  readonly op: TrackedOp | null
  tSend: number
  lease: Lease<unknown> | null = null
  state: CallState = CallState.pending
  /** Resolves the promise the load model awaits (set when sent). */
  resolve: ((outcome: Outcome) => void) | null = null
  /** Created on the first read of `signal` only (see {@link CallOptions}). */
  controller: AbortController | null = null
  /** Why the call was aborted (the timeout error), once it was. */
  abortReason: unknown = undefined

  constructor(
    lane: Lane,
    measured: boolean,
    intendedAt: number,
    tBegin: number,
    classId: number,
    op: TrackedOp | null,
  ) {
    super()
    this.lane = lane
    this.measured = measured
    this.intendedAt = intendedAt
    this.tBegin = tBegin
    this.tSend = tBegin
    this.classId = classId
    this.op = op
  }

  /** The call's signal: made now if it was not yet, already aborted if the call timed out. */
  signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController()
      if (this.state === CallState.timedOut || this.state === CallState.timedOutSettled)
        this.controller.abort(this.abortReason)
    }
    return this.controller.signal
  }

  /** Aborts the signal with `reason` (now if it exists, else when it is first read). */
  abort(reason: unknown): void {
    this.abortReason = reason
    this.controller?.abort(reason)
  }
}

/**
 * The options a target gets with each call ({@link TargetCallOptions}). `signal` is an accessor
 * that makes the call's `AbortController` on first read: on Node 20 creating an `AbortSignal`
 * costs about 3 µs, three times the harness's whole budget per request, and most targets that
 * answer quickly never look at it. A target that reads `signal` gets a real signal, aborted when
 * the request times out (already aborted if it reads it after that), exactly as before.
 * Being an accessor on the prototype, it is not copied by `{ ...options }`: pass it on by
 * reading it (`options.signal`, or `const { signal } = options`).
 */
class CallOptions implements TargetCallOptions {
  readonly connection: unknown
  readonly #call: Call

  constructor(call: Call, connection: unknown) {
    this.#call = call
    this.connection = connection
  }

  get signal(): AbortSignal {
    return this.#call.signal()
  }
}

/**
 * Hands a promise's resolve function out of its executor without making a closure per promise
 * (the executor is shared; it runs synchronously inside `new Promise`).
 */
let capturedResolve: ((outcome: Outcome) => void) | null = null
const captureResolve = (resolve: (outcome: Outcome) => void): void => {
  capturedResolve = resolve
}

/** State of one run; implements the driver the load models call. */
class RunState implements LoadDriver {
  readonly t0: number
  readonly seed: number
  readonly signal: AbortSignal
  readonly errorBackoffMs: number
  readonly lanes: Lane[] = []
  readonly classes: ClassAcc[] = []
  readonly poolWait = LatencyHistogram.create()
  readonly failedResponse = LatencyHistogram.create()
  readonly errorsByCode = new Map<string, number>()
  readonly inSystem: TimeWeightedGauge
  readonly activeUsers: TimeWeightedGauge
  readonly winStartAt: number
  readonly winEndAt: number
  droppedStarts = 0
  lateStarts = 0
  maxStartLagMs = 0
  sumResponseAllMs = 0
  sumWaitMs = 0
  inFlightAfterTimeout = 0
  peakInFlightAfterTimeout = 0
  /** Live view for progress reports: every completed request (warm-up included) since the last tick. */
  liveCompleted = 0
  liveFailed = 0
  liveResponse: LatencyHistogram | null = null
  insertSeq = 0
  warnings: string[] = []
  // window snapshots
  windowOpen = false
  windowClosed = false
  cpuStart: NodeJS.CpuUsage | null = null
  threadCpuStart: NodeJS.CpuUsage | null = null
  processCpuMs = 0
  threadCpuMs: number | null = null
  poolStats: ConnectionPoolStats | null = null
  meanInSystem = 0
  meanActiveUsers = 0
  workerThreads: WorkerThreadStats[] = []

  readonly #target: SearchTarget<unknown, unknown>
  readonly #queries: readonly unknown[]
  readonly #queryClass: Int32Array
  readonly #queryLabels: string[]
  readonly #writeFraction: number
  readonly #writeClass: number
  readonly #makeInsert: WriteMix<unknown>['makeInsert'] | null
  readonly #pool: ConnectionPool<unknown>
  readonly #acquireTimeoutMs: number
  readonly #requestTimeoutMs: number
  readonly #detector: DeadlockDetector | null
  readonly #makeSelector: (rng: Rng, userId: number) => QuerySelector
  /** Per-request timeouts: one shared timer (see deadlines.ts). */
  readonly #deadlines = new DeadlineQueue<Call>((call, t) => this.#expire(call, t))
  /** The timeout error's message (the same for every request of the run). */
  readonly #timeoutMessage: string
  /**
   * With a single class, its histogram would hold exactly the merged per-user response
   * histograms (both record every successful response), so it is taken from those at the end
   * instead of being recorded per request.
   */
  #recordClassHist = true

  constructor(init: {
    t0: number
    seed: number
    signal: AbortSignal
    errorBackoffMs: number
    target: SearchTarget<unknown, unknown>
    queries: readonly unknown[]
    classify: (q: unknown, i: number) => string
    selection: QuerySelection
    writes: WriteMix<unknown> | undefined
    pool: ConnectionPool<unknown>
    acquireTimeoutMs: number
    requestTimeoutMs: number
    detector: DeadlockDetector | null
    users: number
    window: { startMs: number; endMs: number }
  }) {
    this.t0 = init.t0
    this.seed = init.seed
    this.signal = init.signal
    this.errorBackoffMs = init.errorBackoffMs
    this.#target = init.target
    this.#queries = init.queries
    this.#pool = init.pool
    this.#acquireTimeoutMs = init.acquireTimeoutMs
    this.#requestTimeoutMs = init.requestTimeoutMs
    this.#timeoutMessage = `request timed out after ${init.requestTimeoutMs} ms`
    this.#detector = init.detector
    this.winStartAt = init.t0 + init.window.startMs
    this.winEndAt = init.t0 + init.window.endMs
    this.inSystem = new TimeWeightedGauge(init.t0)
    this.activeUsers = new TimeWeightedGauge(init.t0)
    const classIds = new Map<string, number>()
    const classId = (name: string): number => {
      let id = classIds.get(name)
      if (id === undefined) {
        id = this.classes.length
        classIds.set(name, id)
        this.classes.push({ name, count: 0, ok: 0, failed: 0, timedOut: 0, hist: LatencyHistogram.create() })
      }
      return id
    }
    this.#queryLabels = init.queries.map((q, i) => describeQuery(q, i))
    this.#queryClass = new Int32Array(init.queries.length)
    for (let i = 0; i < init.queries.length; i++) {
      const name = init.classify(init.queries[i], i)
      if (typeof name !== 'string' || name === '')
        throw new ConfigError('options', [
          `classify() must return a non-empty string (got ${String(name)} for query ${i})`,
        ])
      this.#queryClass[i] = classId(name)
    }
    const w = init.writes
    this.#writeFraction = w?.fraction ?? 0
    this.#makeInsert = w ? w.makeInsert : null
    this.#writeClass = this.#writeFraction > 0 ? classId(w?.className ?? 'write') : -1
    this.#makeSelector = selectorFactory(init.selection, init.queries.length)
    this.#recordClassHist = this.classes.length > 1
    for (let u = 0; u < init.users; u++) {
      const rng = selectionRng(init.seed, u)
      this.lanes.push({
        userId: u,
        rng,
        insertRng: new Rng(deriveSeed(init.seed, Streams.insert, u)),
        selector: this.#makeSelector(rng, u),
        response: LatencyHistogram.create(),
        service: LatencyHistogram.create(),
        total: 0,
        ok: 0,
        failed: 0,
        timedOut: 0,
        startedAt: -1,
        finishedAt: -1,
        crashed: null,
        lastEndAt: -1,
        idleSumMs: 0,
        idleCount: 0,
        systemSumMs: 0,
      })
    }
  }

  // ---- window ----

  openWindow(): void {
    if (this.windowOpen) return
    this.windowOpen = true
    const t = now()
    this.#pool.resetStats()
    this.inSystem.reset(t)
    this.activeUsers.reset(t)
    this.cpuStart = process.cpuUsage()
    this.threadCpuStart = threadCpuUsage ? threadCpuUsage.call(process) : null
    this.#drainThreads()
  }

  closeWindow(): void {
    if (this.windowClosed) return
    if (!this.windowOpen) this.openWindow()
    this.windowClosed = true
    const t = now()
    const cpu = process.cpuUsage(this.cpuStart ?? undefined)
    this.processCpuMs = (cpu.user + cpu.system) / 1000
    if (threadCpuUsage && this.threadCpuStart) {
      const c = threadCpuUsage.call(process)
      this.threadCpuMs = (c.user - this.threadCpuStart.user + c.system - this.threadCpuStart.system) / 1000
    }
    this.poolStats = this.#pool.stats()
    this.meanInSystem = this.inSystem.average(t)
    this.meanActiveUsers = this.activeUsers.average(t)
    const stats = this.#drainThreads()
    const byThread = new Map<string | number, WorkerThreadStats>()
    for (const s of stats) {
      const cur = byThread.get(s.threadId)
      if (cur) {
        cur.tasks += s.tasks
        cur.cpuTimeMs += s.cpuTimeNs / 1e6
      } else byThread.set(s.threadId, { threadId: s.threadId, tasks: s.tasks, cpuTimeMs: s.cpuTimeNs / 1e6 })
    }
    this.workerThreads = [...byThread.values()].sort((a, b) =>
      String(a.threadId).localeCompare(String(b.threadId), undefined, { numeric: true }),
    )
  }

  #drainThreads(): Array<{ threadId: string | number; tasks: number; cpuTimeNs: number }> {
    const drain = this.#target.drainThreadStats
    if (typeof drain !== 'function') return []
    try {
      const out = drain.call(this.#target)
      return Array.isArray(out) ? out : []
    } catch (err) {
      this.warnings.push(
        `target.drainThreadStats() threw (${errorCodeOf(err)}): worker-thread statistics are incomplete`,
      )
      return []
    }
  }

  // ---- LoadDriver ----

  userStarted(userId: number, at: number): void {
    const lane = this.lanes[userId]
    if (lane) lane.startedAt = at
    this.activeUsers.add(1, at)
  }

  userFinished(userId: number, at: number, error?: unknown): void {
    const lane = this.lanes[userId]
    if (lane) {
      lane.finishedAt = at
      if (error !== undefined) {
        lane.crashed = error instanceof Error ? error.message : String(error)
        this.warnings.push(`user ${userId} crashed (${errorCodeOf(error)}: ${lane.crashed}); its numbers stop there`)
      }
    }
    this.activeUsers.add(-1, at)
  }

  lateStart(intendedAt: number, issuedAt: number): void {
    if (intendedAt < this.winStartAt || intendedAt >= this.winEndAt) return
    this.lateStarts++
    if (issuedAt - intendedAt > this.maxStartLagMs) this.maxStartLagMs = issuedAt - intendedAt
  }

  droppedStart(intendedAt: number): void {
    if (intendedAt >= this.winStartAt && intendedAt < this.winEndAt) this.droppedStarts++
  }

  #countError(code: string): void {
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1)
  }

  /** When `userId`'s last request got its outcome (the closed model's "ready" time). */
  endedAt(userId: number): number {
    return this.lanes[userId].lastEndAt
  }

  /**
   * One request: pick the operation, lease, send with a deadline, record. The common path (a
   * lease free at once) runs synchronously up to the target call, reads the clock once before
   * and once after it, and makes no closures: a few small objects (the call, its options, the
   * lease, the outcome promise, the watcher's promise, the detector's operation). Waiting for a
   * lease takes the asynchronous path.
   */
  execute(userId: number, intendedAt: number): Promise<Outcome> {
    const lane = this.lanes[userId]
    const measured = intendedAt >= this.winStartAt && intendedAt < this.winEndAt
    // Operation choice (from the user's own stream: same seed, same sequence).
    let isWrite = false
    let qi = -1
    let classId: number
    if (this.#writeFraction > 0 && lane.rng.next() < this.#writeFraction) {
      isWrite = true
      classId = this.#writeClass
    } else {
      qi = lane.selector.next()
      classId = this.#queryClass[qi]
    }
    let payload: unknown
    let tBegin = now()
    if (isWrite) {
      try {
        payload = (this.#makeInsert as WriteMix<unknown>['makeInsert'])(lane.insertRng, this.insertSeq++, userId)
      } catch (err) {
        const failed = new Call(lane, measured, intendedAt, tBegin, classId, null)
        this.#finish(failed, Outcome.failed, errorCodeOf(err), now(), false)
        return Promise.resolve(Outcome.failed)
      }
      tBegin = now()
    }
    if (measured && lane.lastEndAt >= 0) {
      lane.idleSumMs += tBegin - lane.lastEndAt
      lane.idleCount++
    }
    this.inSystem.add(1, tBegin)
    const detector = this.#detector
    const op = detector
      ? detector.beginOp({
          userId,
          query: isWrite ? 'insert' : this.#queryLabels[qi],
          className: this.classes[classId].name,
          deadlineAt: tBegin + this.#acquireTimeoutMs + this.#requestTimeoutMs,
          startedAt: tBegin,
        })
      : null
    const call = new Call(lane, measured, intendedAt, tBegin, classId, op)
    // A free lease is granted synchronously (no promise, no microtask turn); otherwise wait.
    const lease = this.#pool.tryAcquire(op ?? undefined, tBegin)
    if (lease === undefined) return this.#acquireThenSend(call, isWrite, qi, payload)
    call.lease = lease
    // Granted at tBegin without waiting: the send starts there too (pool wait exactly 0). What
    // lies between that clock read and the target call is the harness's own bookkeeping
    // (registering the operation, taking the lease: well under 0.1 µs, below the histograms'
    // 1 µs resolution); another clock read per request would cost about as much again.
    return this.#send(call, isWrite, qi, payload, tBegin)
  }

  /** The slow path: wait for a lease (with the acquire timeout), then send. */
  async #acquireThenSend(call: Call, isWrite: boolean, qi: number, payload: unknown): Promise<Outcome> {
    try {
      call.lease = await this.#pool.acquire({ timeoutMs: this.#acquireTimeoutMs, owner: call.op ?? undefined })
    } catch (err) {
      const tEnd = now()
      if (call.op) this.#detector?.endOp(call.op, false)
      const code = errorCodeOf(err)
      const outcome = code === ErrorCodes.POOL_TIMEOUT ? Outcome.timedOut : Outcome.failed
      call.tSend = tEnd
      this.#finish(call, outcome, code, tEnd, true)
      return outcome
    }
    return this.#send(call, isWrite, qi, payload, now())
  }

  /** Calls the target with the lease held, puts the call on the deadline queue, returns its outcome. */
  #send(call: Call, isWrite: boolean, qi: number, payload: unknown, tSend: number): Promise<Outcome> {
    call.tSend = tSend
    if (call.measured) this.poolWait.recordMs(tSend - call.tBegin)
    const op = call.op
    if (op) op.deadlineAt = tSend + this.#requestTimeoutMs
    const target = this.#target
    const opts = new CallOptions(call, (call.lease as Lease<unknown>).resource)
    let pending: unknown
    try {
      if (op && this.#detector?.tracksContext) {
        // Harness locks need to know the current operation: run the call in its context.
        pending = this.#detector.runInOp(op, () =>
          isWrite
            ? (target.insert as NonNullable<typeof target.insert>).call(target, payload, opts)
            : target.search(this.#queries[qi], opts),
        )
      } else {
        pending = isWrite
          ? (target.insert as NonNullable<typeof target.insert>).call(target, payload, opts)
          : target.search(this.#queries[qi], opts)
      }
    } catch (err) {
      pending = Promise.reject(err)
    }
    this.#deadlines.add(call, tSend + this.#requestTimeoutMs)
    const outcome = new Promise<Outcome>(captureResolve)
    call.resolve = capturedResolve
    void this.#watch(call, pending)
    return outcome
  }

  /** Waits for the target (a promise, a thenable, or a plain value) and settles the call. */
  async #watch(call: Call, pending: unknown): Promise<void> {
    try {
      await pending
    } catch (err) {
      this.#settle(call, true, err)
      return
    }
    this.#settle(call, false, undefined)
  }

  /** The target settled: return the lease, and give the outcome unless the call already timed out. */
  #settle(call: Call, failed: boolean, err: unknown): void {
    const t = now()
    // The lease is held until the target settles, even after a timeout (a real connection or a
    // libuv thread stays busy too).
    ;(call.lease as Lease<unknown>).releaseAt(t)
    if (call.op) this.#detector?.endOp(call.op, true)
    if (call.state === CallState.timedOut) {
      call.state = CallState.timedOutSettled
      this.inFlightAfterTimeout--
      return
    }
    call.state = CallState.settled
    this.#deadlines.delete(call)
    const outcome = failed ? Outcome.failed : Outcome.ok
    this.#finish(call, outcome, failed ? errorCodeOf(err) : '', t, true)
    ;(call.resolve as (o: Outcome) => void)(outcome)
  }

  /**
   * The call's deadline passed before the target settled: it times out now (its response time
   * ends here), its signal aborts, and it keeps its lease until the target settles.
   */
  #expire(call: Call, t: number): void {
    if (call.state !== CallState.pending) return
    call.state = CallState.timedOut
    this.inFlightAfterTimeout++
    if (this.inFlightAfterTimeout > this.peakInFlightAfterTimeout)
      this.peakInFlightAfterTimeout = this.inFlightAfterTimeout
    if (call.op) this.#detector?.markTimedOut(call.op)
    this.#finish(call, Outcome.timedOut, ErrorCodes.REQUEST_TIMEOUT, t, true)
    ;(call.resolve as (o: Outcome) => void)(Outcome.timedOut)
    // Last: abort listeners are the target's code and run synchronously.
    call.abort(new HarnessError(ErrorCodes.REQUEST_TIMEOUT, this.#timeoutMessage))
  }

  #finish(call: Call, outcome: Outcome, code: string, tEnd: number, inSystem: boolean): void {
    const lane = call.lane
    if (inSystem) this.inSystem.add(-1, tEnd)
    lane.lastEndAt = tEnd
    const intendedAt = call.intendedAt
    if (this.liveResponse !== null) {
      if (outcome === Outcome.ok) {
        this.liveCompleted++
        this.liveResponse.recordMs(tEnd - intendedAt)
      } else this.liveFailed++
    }
    if (!call.measured) return
    const response = tEnd - intendedAt
    const tBegin = call.tBegin
    lane.total++
    lane.systemSumMs += tEnd - tBegin
    this.sumResponseAllMs += response
    this.sumWaitMs += call.tSend - tBegin + (call.op ? call.op.lockWaitMs : 0)
    const cls = this.classes[call.classId]
    cls.count++
    if (outcome === Outcome.ok) {
      lane.ok++
      cls.ok++
      lane.response.recordMs(response)
      lane.service.recordMs(tEnd - call.tSend)
      if (this.#recordClassHist) cls.hist.recordMs(response)
    } else {
      if (outcome === Outcome.timedOut) {
        lane.timedOut++
        cls.timedOut++
      } else {
        lane.failed++
        cls.failed++
      }
      this.failedResponse.recordMs(response)
      this.#countError(code)
    }
  }

  /** The per-class latency histogram of class `i` (the merged response histogram when it is the only class). */
  classLatency(i: number, mergedResponse: LatencyHistogram): LatencyHistogram {
    return this.#recordClassHist ? this.classes[i].hist : mergedResponse
  }

  destroy(): void {
    // Every call has an outcome by now; stop the shared timer so it keeps nothing alive.
    this.#deadlines.close()
    for (const l of this.lanes) {
      l.response.destroy()
      l.service.destroy()
    }
    for (const c of this.classes) c.hist.destroy()
    this.poolWait.destroy()
    this.failedResponse.destroy()
    this.liveResponse?.destroy()
    this.liveResponse = null
  }
}

/** Runs concurrent load tests against one target. */
export class ConcurrentBenchmark<Q = unknown, D = unknown> {
  readonly target: SearchTarget<Q, D>
  /** Runs that ended with timed-out target calls still running. */
  #lingering: RunState[] = []

  constructor(target: SearchTarget<Q, D>) {
    if (target === null || typeof target !== 'object' || typeof target.search !== 'function')
      throw new ConfigError('target', ['the target must be an object with a search() method'])
    this.target = target
  }

  /**
   * Measures the target at increasing load (users or arrival rates), fits the Universal
   * Scalability Law, and says how many users it serves, where it breaks, why, and what to do.
   * @throws {ConfigError} listing every problem with the options.
   */
  runScalabilityTest(options: ScalabilityTestOptions<Q, D>): Promise<ScalabilityReport> {
    return runScalabilityTest(this, options)
  }

  /**
   * Target calls that timed out and have not settled yet: they still hold their pool lease and,
   * for a native target, a thread-pool thread.
   */
  get unsettledCalls(): number {
    this.#lingering = this.#lingering.filter(r => r.inFlightAfterTimeout > 0)
    return this.#lingering.reduce((sum, r) => sum + r.inFlightAfterTimeout, 0)
  }

  /**
   * Waits until every timed-out call has settled (the cool-down between sweep levels), polling
   * every `pollMs`, for at most `timeoutMs`. Resolves to the number still running (0 = drained).
   */
  async drain(options: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<number> {
    const deadline = now() + (options.timeoutMs ?? 30_000)
    const pollMs = options.pollMs ?? 10
    while (this.unsettledCalls > 0 && now() < deadline && !options.signal?.aborted) {
      await sleep(pollMs)
    }
    return this.unsettledCalls
  }

  /**
   * Runs one test and returns its result.
   * @throws {ConfigError} listing every problem with the options.
   */
  async runConcurrentTest(options: ConcurrentTestOptions<Q, D>): Promise<ConcurrentTestResult> {
    const target = this.target as SearchTarget<unknown, unknown>
    const problems = validateConcurrentTestOptions(options, target)
    if (problems.length > 0) throw new ConfigError('concurrent test options', problems)
    const startedAt = new Date().toISOString()
    const model = getLoadModel(options.load.model) as LoadModel<ResolvedLoadModelConfig>
    const load = model.resolve(options.load, 'load')
    const window = model.window(load)
    const concurrency = model.concurrency(load)
    const seed = options.seed ?? (Math.random() * 0x100000000) >>> 0
    const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    const errorBackoffMs = options.errorBackoffMs ?? 10

    // Pool.
    const poolOpt = options.pool
    const ownPool = !(poolOpt instanceof ConnectionPool)
    const pool: ConnectionPool<unknown> =
      poolOpt instanceof ConnectionPool
        ? poolOpt
        : new ConnectionPool<unknown>({
            size: poolOpt?.size ?? concurrency,
            factory: poolOpt?.factory,
            name: poolOpt?.name ?? 'connections',
          })
    const acquireTimeoutMs =
      (poolOpt instanceof ConnectionPool ? undefined : poolOpt?.acquireTimeoutMs) ?? requestTimeoutMs

    // Detector.
    let detector: DeadlockDetector | null = null
    let ownDetector = false
    if (options.detector instanceof DeadlockDetector) detector = options.detector
    else if (options.detector !== false) {
      const d: DeadlockDetectorOptions = { ...(options.detector ?? {}) }
      d.stallAfterMs ??= Math.max(2000, 2 * (requestTimeoutMs + acquireTimeoutMs))
      detector = new DeadlockDetector(d)
    }

    const controller = new AbortController()
    const onAbort = (): void => controller.abort(options.signal?.reason)
    let state: RunState | null = null
    let openTimer: ReturnType<typeof setTimeout> | undefined
    let closeTimer: ReturnType<typeof setTimeout> | undefined
    let progressTimer: ReturnType<typeof setInterval> | undefined
    let finished = false
    try {
      if (detector) {
        detector.watchPool(pool)
        if (!detector.started) {
          await detector.start()
          ownDetector = true
        }
      }
      if (options.signal) {
        if (options.signal.aborted) controller.abort(options.signal.reason)
        else options.signal.addEventListener('abort', onAbort, { once: true })
      }
      const t0 = now()
      const run = new RunState({
        t0,
        seed,
        signal: controller.signal,
        errorBackoffMs,
        target,
        queries: options.queries,
        classify: (options.classify as ((q: unknown, i: number) => string) | undefined) ?? (() => 'read'),
        selection: options.selection ?? { kind: 'uniform' },
        writes: options.writes as WriteMix<unknown> | undefined,
        pool,
        acquireTimeoutMs,
        requestTimeoutMs,
        detector,
        users: model.users(load),
        window,
      })
      state = run
      if (options.onProgress) {
        const onProgress = options.onProgress
        const intervalMs = options.progressIntervalMs ?? 250
        run.liveResponse = LatencyHistogram.create()
        let last = now()
        progressTimer = setInterval(() => {
          const t = now()
          const live = run.liveResponse
          if (live === null) return
          const summary = live.summary()
          const progress: LiveProgress = {
            elapsedMs: t - t0,
            totalMs: window.endMs,
            phase: t - t0 < window.startMs ? 'warm-up' : 'measuring',
            throughput: (run.liveCompleted * 1000) / Math.max(t - last, 1),
            p99Ms: summary.count > 0 ? summary.p99 : null,
            errors: run.liveFailed,
          }
          run.liveCompleted = 0
          run.liveFailed = 0
          live.reset()
          last = t
          try {
            onProgress(progress)
          } catch {
            // A failing progress printer must not break the measurement.
          }
        }, intervalMs)
      }
      if (window.startMs <= 0) run.openWindow()
      else openTimer = setTimeout(() => run.openWindow(), window.startMs)
      closeTimer = setTimeout(() => run.closeWindow(), window.endMs)

      await model.run(load, run)
      clearTimeout(openTimer)
      clearTimeout(closeTimer)
      clearInterval(progressTimer)
      run.closeWindow()
      if (run.inFlightAfterTimeout > 0) this.#lingering.push(run)

      let poolStats = run.poolStats as ConnectionPoolStats
      if (ownPool) {
        const closed = await pool.close({ timeoutMs: 0 })
        poolStats = { ...poolStats, leaked: closed.leaked, created: closed.created, destroyed: closed.destroyed }
      } else {
        poolStats = { ...poolStats, leaked: pool.inUse }
      }
      let detectorReport: DetectorReport | null = null
      if (detector) {
        detector.check()
        detectorReport = ownDetector ? await detector.stop() : detector.report()
      }
      finished = true
      return buildResult({
        state: run,
        load,
        target,
        seed,
        startedAt,
        window,
        concurrency,
        poolStats,
        detectorReport,
        planWarnings: model.planWarnings(load),
        baselineThroughput: options.baselineThroughput,
        packageVersion: options.packageVersion,
        aborted: controller.signal.aborted,
      })
    } finally {
      clearTimeout(openTimer)
      clearTimeout(closeTimer)
      clearInterval(progressTimer)
      options.signal?.removeEventListener('abort', onAbort)
      state?.destroy()
      if (!finished) {
        // Something threw: do not leave a worker or a pool behind.
        controller.abort()
        if (detector && ownDetector) await detector.stop().catch(() => undefined)
        if (ownPool) await pool.close().catch(() => undefined)
      }
    }
  }
}

function buildResult(a: {
  state: RunState
  load: ResolvedLoadModelConfig
  target: SearchTarget<unknown, unknown>
  seed: number
  startedAt: string
  window: { startMs: number; endMs: number }
  concurrency: number
  poolStats: ConnectionPoolStats
  detectorReport: DetectorReport | null
  planWarnings: string[]
  baselineThroughput: number | undefined
  packageVersion: string | undefined
  aborted: boolean
}): ConcurrentTestResult {
  const { state, load } = a
  const warnings = [...state.warnings]
  const windowMs = a.window.endMs - a.window.startMs
  const windowSec = windowMs / 1000
  let total = 0
  let ok = 0
  let failed = 0
  let timedOut = 0
  let systemSum = 0
  let idleSum = 0
  let idleCount = 0
  for (const l of state.lanes) {
    total += l.total
    ok += l.ok
    failed += l.failed
    timedOut += l.timedOut
    systemSum += l.systemSumMs
    idleSum += l.idleSumMs
    idleCount += l.idleCount
  }
  const response = mergeHistograms(state.lanes.map(l => l.response))
  const service = mergeHistograms(state.lanes.map(l => l.service))
  try {
    const responseTime = response.summary()
    const serviceTime = service.summary()
    const rps = total / windowSec
    const okRps = ok / windowSec

    // Per user (closed model only: the open model has no users).
    const winStart = state.winStartAt
    const winEnd = state.winEndAt
    const threadPerformance: ThreadPerformance[] =
      load.model === 'closed'
        ? state.lanes.map(l => {
            const s = l.response.summary()
            const from = Math.max(l.startedAt < 0 ? winEnd : l.startedAt, winStart)
            const to = l.crashed !== null && l.finishedAt >= 0 ? Math.min(l.finishedAt, winEnd) : winEnd
            const activeSec = Math.max(0, to - from) / 1000
            return {
              threadId: l.userId,
              requestsCompleted: l.ok,
              requests: l.total,
              averageLatencyMs: s.mean,
              maxLatencyMs: s.max,
              p99LatencyMs: s.p99,
              errorsEncountered: l.failed + l.timedOut,
              cpuTimeMs: null,
              throughput: activeSec > 0 ? l.ok / activeSec : 0,
              crashed: l.crashed,
            }
          })
        : []
    const fairness = load.model === 'closed' ? jainFairness(threadPerformance.map(t => t.throughput)) : null

    // Little's law.
    let littlesLaw: LittlesLawCheck | null = null
    if (total > 0) {
      if (load.model === 'closed') {
        littlesLaw = littlesLawClosed({
          users: state.meanActiveUsers,
          throughputPerSec: rps,
          meanResponseMs: systemSum / total,
          meanThinkMs: idleCount > 0 ? idleSum / idleCount : 0,
        })
      } else {
        littlesLaw = littlesLawOpen({
          meanInSystem: state.meanInSystem,
          arrivalRatePerSec: rps,
          meanSojournMs: systemSum / total,
        })
      }
      if (!littlesLaw.consistent) {
        warnings.push(
          `Little's law (${littlesLaw.law}) is off by ${littlesLaw.relativeError === null ? 'an unbounded amount' : `${(littlesLaw.relativeError * 100).toFixed(1)} %`} ` +
            `(measured ${littlesLaw.observed.toFixed(2)}, predicted ${littlesLaw.predicted.toFixed(2)}): ` +
            'the run was not in a steady state over the window, users were stuck, or the harness lost time',
        )
      }
    } else {
      warnings.push('no request started inside the measurement window')
    }

    // Classes.
    const classes: Record<string, ClassStats> = {}
    state.classes.forEach((c, i) => {
      const latency = state.classLatency(i, response)
      classes[c.name] = {
        count: c.count,
        successful: c.ok,
        failed: c.failed,
        timedOut: c.timedOut,
        latency: latency === response ? responseTime : latency.summary(),
      }
    })

    // Warnings.
    warnings.push(...a.planWarnings)
    if (state.droppedStarts > 0)
      warnings.push(
        `${state.droppedStarts} scheduled start(s) were dropped because maxInFlight requests were in flight: the offered load was not delivered`,
      )
    const starts = total + state.droppedStarts
    if (state.lateStarts > 0 && state.lateStarts > 0.01 * starts)
      warnings.push(
        `${state.lateStarts} start(s) were issued late (max lag ${state.maxStartLagMs.toFixed(1)} ms): the load generator could not keep the schedule`,
      )
    if (state.inFlightAfterTimeout > 0)
      warnings.push(
        `${state.inFlightAfterTimeout} timed-out request(s) were still running at the end, holding their resources`,
      )
    if (a.poolStats.leaked > 0) warnings.push(`${a.poolStats.leaked} pool lease(s) were still held at the end`)
    if (a.detectorReport?.watchdog === 'unavailable')
      warnings.push('the watchdog worker could not start: blocked event loops and stalls go unnoticed')
    if (a.aborted) warnings.push('the run was cancelled before the end of its schedule')
    // Where process.threadCpuUsage is missing (Node < 23.9) mainThreadCpuScope says 'process':
    // a documented property of the field, not a problem with this run's numbers.
    const lockWaitNote = a.detectorReport ? '' : ' (no detector: harness-lock waits are not counted)'
    if (lockWaitNote && state.sumWaitMs > 0)
      warnings.push(`resourceContentionScore counts pool waits only${lockWaitNote}`)

    const histograms = {
      responseTime: response.encode(),
      serviceTime: service.encode(),
      poolWait: state.poolWait.encode(),
      failedResponseTime: state.failedResponse.encode(),
    }
    const errorsByCode: Record<string, number> = {}
    for (const [k, v] of [...state.errorsByCode].sort((x, y) => y[1] - x[1])) errorsByCode[k] = v

    const env = collectEnvironment(a.packageVersion)
    return {
      concurrentUsers: a.concurrency,
      totalRequests: total,
      successfulRequests: ok,
      failedRequests: failed,
      timeoutRequests: timedOut,
      deadlockDetected: a.detectorReport?.deadlockDetected ?? false,
      averageResponseTimeMs: responseTime.mean,
      maxResponseTimeMs: responseTime.max,
      minResponseTimeMs: responseTime.min,
      requestsPerSecond: rps,
      threadPerformance,
      resourceContentionScore:
        state.sumResponseAllMs > 0 ? Math.min(100, (100 * state.sumWaitMs) / state.sumResponseAllMs) : 0,
      // Only defined for a fixed user population (closed model) with a measured single-user baseline.
      scalabilityEfficiency:
        a.baselineThroughput && load.model === 'closed' ? (100 * okRps) / (a.concurrency * a.baselineThroughput) : null,
      connectionPoolUsage: a.poolStats,
      target: a.target.name,
      loadModel: load.model,
      loadConfig: load,
      seed: a.seed,
      window: { startMs: a.window.startMs, endMs: a.window.endMs, durationMs: windowMs },
      successfulRequestsPerSecond: okRps,
      responseTime,
      serviceTime,
      poolWait: state.poolWait.summary(),
      failedResponseTime: state.failedResponse.summary(),
      histograms,
      droppedStarts: state.droppedStarts,
      lateStarts: state.lateStarts,
      maxStartLagMs: state.maxStartLagMs,
      errorsByCode,
      inFlightAfterTimeout: { atEnd: state.inFlightAfterTimeout, peak: state.peakInFlightAfterTimeout },
      classes,
      fairness,
      littlesLaw,
      measurementWarnings: warnings,
      detector: a.detectorReport,
      workerThreads: state.workerThreads,
      mainThreadCpuMs: state.threadCpuMs ?? state.processCpuMs,
      mainThreadCpuScope: state.threadCpuMs === null ? 'process' : 'thread',
      processCpuMs: state.processCpuMs,
      environment: { ...env, loadModel: load.model, seed: a.seed },
      startedAt: a.startedAt,
    }
  } finally {
    response.destroy()
    service.destroy()
  }
}
