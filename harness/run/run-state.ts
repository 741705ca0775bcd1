/**
 * `RunState`: the state of one run, and the {@link LoadDriver} the load models call.
 *
 * Per request (see `RunState.execute`):
 * `pick operation → acquire pool lease → send (with timeout) → record`. Three clocks:
 * - *response time*: from the intended start (the schedule, or the moment the user was ready)
 *   to the outcome: queueing anywhere, including in the harness, shows up here (coordinated
 *   omission corrected);
 * - *service time*: from the actual send (after the lease) to the response;
 * - *pool wait*: from the start of the acquire to the lease.
 * Recording is per user into HDR histograms (no locks, no per-request arrays), merged at the end
 * (`result.ts`). The measurement window opens and closes here, with its snapshots of CPU time,
 * pool statistics, time-weighted gauges and native worker threads.
 */
import type { DeadlockDetector } from '../detector/detector.ts'
import { ConfigError, ErrorCodes, HarnessError, errorCodeOf } from '../../errors.ts'
import { Outcome } from '../load/driver.ts'
import type { LoadDriver } from '../load/driver.ts'
import { Rng, Streams, deriveSeed } from '../load/rng.ts'
import { selectionRng, selectorFactory } from '../load/selection.ts'
import type { QuerySelection, QuerySelector } from '../load/selection.ts'
import { now } from '../load/time.ts'
import { cpuAttribution, cpuSnapshot } from '../metrics/cpu.ts'
import type { CpuAttribution, CpuSnapshot } from '../metrics/cpu.ts'
import { LatencyHistogram } from '../metrics/histogram.ts'
import type { RecallProbe, RecallSampler } from '../metrics/recall.ts'
import { TimeBreakdownRecorder } from '../metrics/time-breakdown.ts'
import { TimeWeightedGauge } from '../metrics/stats.ts'
import type { ConnectionPool, ConnectionPoolStats, Lease } from '../pool.ts'
import type { SearchTarget, TargetConnectionStats, WorkerThreadStats, WriteMix, WriteVisibility } from '../types.ts'
import { Call, CallOptions, CallState } from './call.ts'
import { DeadlineQueue } from './deadlines.ts'
import type { ClassTally, UserTally } from './tallies.ts'

/** `query #3 "red shoes"` (strings and numbers shown, shortened), else `query #3`. */
function describeQuery(q: unknown, i: number): string {
  if (typeof q === 'string') return `query #${i} ${JSON.stringify(q.length > 40 ? `${q.slice(0, 40)}…` : q)}`
  if (typeof q === 'number' || typeof q === 'bigint') return `query #${i} ${String(q)}`
  return `query #${i}`
}

const threadCpuUsage = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage

/** State of one run; implements the driver the load models call. */
export class RunState implements LoadDriver {
  readonly t0: number
  readonly seed: number
  readonly signal: AbortSignal
  readonly errorBackoffMs: number
  readonly users: UserTally[] = []
  readonly classes: ClassTally[] = []
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
  /** Pool + lock + native-queue waits of every measured request (the contention score's numerator). */
  sumWaitMs = 0
  /** Where successful measured requests' time went. */
  readonly breakdown = new TimeBreakdownRecorder()
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
  cpuStartSnapshot: CpuSnapshot | null = null
  cpu: CpuAttribution | null = null
  writeVisibility: WriteVisibility | null = null
  /** Recall sampling (null: off, or the target has no probe). */
  readonly recall: { probe: RecallProbe; sampler: RecallSampler } | null
  targetConnections: TargetConnectionStats | null = null

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
  /** The recall probe threw once (warned once, not per sample). */
  #probeFailed = false

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
    recall?: { probe: RecallProbe; sampler: RecallSampler } | null
  }) {
    this.recall = init.recall ?? null
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
      this.users.push({
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
    this.#drainWriteVisibility()
    this.#drainConnections()
    this.cpuStartSnapshot = cpuSnapshot()
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
    const engineCpuMs = this.workerThreads.reduce((sum, w) => sum + w.cpuTimeMs, 0)
    this.cpu = cpuAttribution(this.cpuStartSnapshot ?? cpuSnapshot(), engineCpuMs)
    this.writeVisibility = this.#drainWriteVisibility()
    this.targetConnections = this.#drainConnections()
  }

  #drainConnections(): TargetConnectionStats | null {
    const drain = this.#target.drainConnectionStats
    if (typeof drain !== 'function') return null
    try {
      return drain.call(this.#target) ?? null
    } catch (err) {
      this.warnings.push(`target.drainConnectionStats() threw (${errorCodeOf(err)}): connection figures are unknown`)
      return null
    }
  }

  #drainWriteVisibility(): WriteVisibility | null {
    const drain = this.#target.drainWriteVisibility
    if (typeof drain !== 'function') return null
    try {
      return drain.call(this.#target) ?? null
    } catch (err) {
      this.warnings.push(`target.drainWriteVisibility() threw (${errorCodeOf(err)}): write visibility is unknown`)
      return null
    }
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
    const user = this.users[userId]
    if (user) user.startedAt = at
    this.activeUsers.add(1, at)
  }

  userFinished(userId: number, at: number, error?: unknown): void {
    const user = this.users[userId]
    if (user) {
      user.finishedAt = at
      if (error !== undefined) {
        user.crashed = error instanceof Error ? error.message : String(error)
        this.warnings.push(`user ${userId} crashed (${errorCodeOf(error)}: ${user.crashed}); its numbers stop there`)
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
    return this.users[userId].lastEndAt
  }

  /**
   * One request: pick the operation, lease, send with a deadline, record. The common path (a
   * lease free at once) runs synchronously up to the target call, reads the clock once before
   * and once after it, and makes no closures: a few small objects (the call, its options, the
   * lease, the outcome promise, the watcher's promise, the detector's operation). Waiting for a
   * lease takes the asynchronous path.
   */
  execute(userId: number, intendedAt: number): Promise<Outcome> {
    const user = this.users[userId]
    const measured = intendedAt >= this.winStartAt && intendedAt < this.winEndAt
    // Operation choice (from the user's own stream: same seed, same sequence).
    let isWrite = false
    let qi = -1
    let classId: number
    if (this.#writeFraction > 0 && user.rng.next() < this.#writeFraction) {
      isWrite = true
      classId = this.#writeClass
    } else {
      qi = user.selector.next()
      classId = this.#queryClass[qi]
    }
    let payload: unknown
    let tBegin = now()
    if (isWrite) {
      try {
        payload = (this.#makeInsert as WriteMix<unknown>['makeInsert'])(user.insertRng, this.insertSeq++, userId)
      } catch (err) {
        const failed = new Call(user, measured, intendedAt, tBegin, classId, null)
        this.#finish(failed, Outcome.failed, errorCodeOf(err), now(), false)
        return Promise.resolve(Outcome.failed)
      }
      tBegin = now()
    }
    if (measured && user.lastEndAt >= 0) {
      user.idleSumMs += tBegin - user.lastEndAt
      user.idleCount++
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
    const call = new Call(user, measured, intendedAt, tBegin, classId, op)
    call.qi = qi
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
    const outcome = call.outcome()
    void this.#watch(call, pending)
    return outcome
  }

  /** Waits for the target (a promise, a thenable, or a plain value) and settles the call. */
  async #watch(call: Call, pending: unknown): Promise<void> {
    let value: unknown
    try {
      value = await pending
    } catch (err) {
      this.#settle(call, true, err)
      return
    }
    this.#settle(call, false, undefined)
    // After the outcome is recorded and handed on: a sampled search's ids are copied for the
    // exact check that runs after the level (off the measured path).
    const recall = this.recall
    if (recall !== null && call.measured && call.qi >= 0 && call.state === CallState.settled && recall.sampler.take()) {
      try {
        recall.sampler.add(recall.probe.capture(this.#queries[call.qi], value, call.tSend), call.qi)
      } catch (err) {
        if (!this.#probeFailed)
          this.warnings.push(`the target's recall probe threw (${errorCodeOf(err)}): recall is incomplete`)
        this.#probeFailed = true
      }
    }
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
    const user = call.user
    if (inSystem) this.inSystem.add(-1, tEnd)
    user.lastEndAt = tEnd
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
    user.total++
    user.systemSumMs += tEnd - tBegin
    this.sumResponseAllMs += response
    this.sumWaitMs += call.tSend - tBegin + (call.op ? call.op.lockWaitMs : 0) + (call.native ? call.native.queueMs : 0)
    const cls = this.classes[call.classId]
    cls.count++
    if (outcome === Outcome.ok) {
      user.ok++
      cls.ok++
      user.response.recordMs(response)
      user.service.recordMs(tEnd - call.tSend)
      if (this.#recordClassHist) cls.hist.recordMs(response)
      this.breakdown.record(
        { intendedAt, startedAt: tBegin, acquireStartedAt: tBegin, leasedAt: call.tSend, respondedAt: tEnd },
        call.native,
      )
    } else {
      if (outcome === Outcome.timedOut) {
        user.timedOut++
        cls.timedOut++
      } else {
        user.failed++
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
    for (const l of this.users) {
      l.response.destroy()
      l.service.destroy()
    }
    for (const c of this.classes) c.hist.destroy()
    this.poolWait.destroy()
    this.failedResponse.destroy()
    this.breakdown.destroy()
    this.liveResponse?.destroy()
    this.liveResponse = null
  }
}
