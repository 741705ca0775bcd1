/**
 * `DeadlockDetector`: tells a slow system from a stuck one, with evidence.
 *
 * Two halves:
 * - **Main thread** (knows the graph): a registry of every in-flight operation (user, query,
 *   start, deadline), the harness locks it created and the pools it watches. Every
 *   `checkIntervalMs`, and on {@link DeadlockDetector.check}, it classifies:
 *   - *deadlock*: a set of operations that can never progress in the wait-for graph of pool
 *     leases and harness locks (timed waits excluded), reported with a cycle naming the
 *     operations and resources;
 *   - *slow operation*: past its deadline while other operations complete;
 *   - *pool exhaustion*: every lease held, waiters queued, no release for a while.
 * - **Watchdog worker** (liveness; works while the main loop is blocked): reads heartbeat and
 *   progress counters through a `SharedArrayBuffer` (see `watchdog.ts`) and reports
 *   - *blocked event loop*: the heartbeat stopped for longer than `blockedAfterMs`
 *     (evidence: duration, missed heartbeats, plus `monitorEventLoopDelay` percentiles);
 *   - *stall*: operations in flight, the loop alive, and none settled for `stallAfterMs`.
 *
 * `deadlockDetected` is true only for a wait-for deadlock or a total stall: a system that is
 * merely slow (operations finish late, timeouts happen) is reported as slow, never deadlocked.
 *
 * Also reported: operations that timed out but are still running (a timed-out request keeps
 * its resources, e.g. a libuv thread-pool thread, until the target settles).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import type { PoolInspection } from '../pool.ts'
import { HarnessLock } from './lock.ts'
import type { LockStats } from './lock.ts'
import { analyzeWaitFor } from './wait-for-graph.ts'
import type { WaitForResource } from './wait-for-graph.ts'
import { SLOT_COUNT, Slot, WATCHDOG_SOURCE } from './watchdog.ts'
import type { WatchdogMessage } from './watchdog.ts'

export interface DeadlockDetectorOptions {
  /** Main-thread heartbeat period. @default 50 */
  heartbeatIntervalMs?: number
  /** Missing heartbeats for this long = blocked event loop. @default 300 */
  blockedAfterMs?: number
  /** In-flight operations with no completion for this long = stall. @default 5000 */
  stallAfterMs?: number
  /** Pool fully leased with waiters and no release for this long = exhaustion. @default 1000 */
  poolExhaustionAfterMs?: number
  /** Main-thread analysis period. @default 100 */
  checkIntervalMs?: number
  /** Watchdog wake-up period. @default 20 */
  tickMs?: number
  /** Findings kept per kind (all are counted). @default 20 */
  maxFindingsPerKind?: number
}

/** A tracked operation. */
export class TrackedOp {
  readonly id: number
  readonly userId: number
  /** What it does, e.g. `search #3` or `insert`. */
  readonly query: string
  readonly className: string
  /** `performance.now()` ms. */
  readonly startedAt: number
  /** When the caller gives up on it (`performance.now()` ms); may be moved once known. */
  deadlineAt: number
  timedOut = false
  /** Time spent waiting for harness locks. */
  lockWaitMs = 0
  /** @internal settled count when first seen overdue (-1: not yet). */
  overdueMark = -1
  /** @internal */
  reportedSlow = false
  /**
   * @internal The registry of in-flight operations is a doubly-linked list threaded through the
   * operations themselves (in start order, like the Map it replaces), so registering and ending
   * an operation allocate and hash nothing. `_detector` is the detector it is registered with
   * (null once ended).
   */
  _prev: TrackedOp | null = null
  /** @internal */
  _next: TrackedOp | null = null
  /** @internal */
  _detector: unknown = null

  constructor(id: number, userId: number, query: string, className: string, startedAt: number, deadlineAt: number) {
    this.id = id
    this.userId = userId
    this.query = query
    this.className = className
    this.startedAt = startedAt
    this.deadlineAt = deadlineAt
  }
}

/** An operation as named in findings. Times are ms since the detector's origin. */
export interface OperationRef {
  opId: number
  userId: number
  query: string
  className: string
  startedAtMs: number
  ageMs: number
  timedOut: boolean
  /** Resources held: `lock:<name>`, `pool:<name>`. */
  holds: string[]
  /** Resource waited for, or null. */
  waitingFor: string | null
  waitIsTimed: boolean
}

export type FindingKind =
  | 'deadlock'
  | 'stall'
  | 'blocked-event-loop'
  | 'pool-exhaustion'
  | 'slow-operation'
  | 'timed-out-still-running'

interface FindingBase {
  /** When it was found, ms since the detector's origin. */
  atMs: number
  message: string
}

export interface DeadlockFinding extends FindingBase {
  kind: 'deadlock'
  /** Each operation waits for a resource held by the next; the last waits for the first. */
  cycle: Array<{ op: OperationRef; waitsFor: string; heldBy: OperationRef }>
  /** Resources on the cycle. */
  resources: string[]
  /** Operations stuck behind the cycle. */
  blockedBehind: OperationRef[]
}

export interface StallFinding extends FindingBase {
  kind: 'stall'
  startedAtMs: number
  /** Null while ongoing. */
  durationMs: number | null
  ongoing: boolean
  inFlight: number
  operations: OperationRef[]
}

export interface BlockedEventLoopFinding extends FindingBase {
  kind: 'blocked-event-loop'
  /** Detected by the watchdog worker from missing heartbeats. */
  source: 'watchdog'
  startedAtMs: number
  durationMs: number
  ongoing: boolean
  missedHeartbeats: number
}

export interface PoolExhaustionFinding extends FindingBase {
  kind: 'pool-exhaustion'
  pool: string
  size: number
  waiters: number
  msSinceLastRelease: number
  holders: OperationRef[]
}

export interface SlowOperationFinding extends FindingBase {
  kind: 'slow-operation'
  op: OperationRef
  overdueMs: number
  completionsSinceOverdue: number
}

export interface TimedOutStillRunningFinding extends FindingBase {
  kind: 'timed-out-still-running'
  count: number
  operations: OperationRef[]
}

export type DetectorFinding =
  | DeadlockFinding
  | StallFinding
  | BlockedEventLoopFinding
  | PoolExhaustionFinding
  | SlowOperationFinding
  | TimedOutStillRunningFinding

/** Everything the detector found. */
export interface DetectorReport {
  deadlockDetected: boolean
  findings: DetectorFinding[]
  /** All findings by kind, including those beyond `maxFindingsPerKind`. */
  findingCounts: Record<FindingKind, number>
  eventLoop: {
    /** From `monitorEventLoopDelay` (ms). */
    maxDelayMs: number
    p99DelayMs: number
    meanDelayMs: number
    /** Seen by the watchdog. */
    blockedEpisodes: number
    longestBlockMs: number
  }
  /** Operations that timed out but had not settled (still holding resources). */
  threadPool: { timedOutStillRunning: number; peakTimedOutStillRunning: number }
  locks: LockStats[]
  /** `'worker'`, or `'unavailable'` if the watchdog worker could not start. */
  watchdog: 'worker' | 'unavailable'
}

interface Inspectable {
  inspect(): PoolInspection
}

const ELD_RESOLUTION_MS = 10

interface Snapshot {
  resources: WaitForResource[]
  holds: Map<number, string[]>
  waits: Map<number, { resource: string; timed: boolean }>
}

const emptyCounts = (): Record<FindingKind, number> => ({
  deadlock: 0,
  stall: 0,
  'blocked-event-loop': 0,
  'pool-exhaustion': 0,
  'slow-operation': 0,
  'timed-out-still-running': 0,
})

/** Watchdog + wait-for-graph deadlock detector. */
export class DeadlockDetector {
  readonly options: Required<DeadlockDetectorOptions>
  readonly #als = new AsyncLocalStorage<TrackedOp>()
  /** In-flight operations, oldest first (see {@link TrackedOp}); `#opCount` of them. */
  #opHead: TrackedOp | null = null
  #opTail: TrackedOp | null = null
  #opCount = 0
  /** Whether `runInOp` has entered the AsyncLocalStorage (so `stop` disables it again). */
  #alsUsed = false
  readonly #locks: HarnessLock[] = []
  readonly #pools: Inspectable[] = []
  readonly #sab = new SharedArrayBuffer(SLOT_COUNT * 4)
  readonly #shared = new Int32Array(this.#sab)
  #nextOpId = 0
  #settled = 0
  #timedOutRunning = 0
  #peakTimedOutRunning = 0
  #origin = performance.now()
  #started = false
  #stopped = false
  #worker: Worker | null = null
  #workerExited: Promise<void> = Promise.resolve()
  #watchdog: 'worker' | 'unavailable' = 'unavailable'
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #checker: ReturnType<typeof setInterval> | undefined
  #eld: IntervalHistogram | null = null
  #findings: DetectorFinding[] = []
  #counts = emptyCounts()
  #deadlockKeys = new Set<string>()
  #poolReported = new Map<Inspectable, number>()
  #openBlocked: BlockedEventLoopFinding | null = null
  #openStall: StallFinding | null = null
  #stopMessage: Promise<void> = Promise.resolve()
  #final: DetectorReport | null = null

  constructor(options: DeadlockDetectorOptions = {}) {
    this.options = {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 50,
      blockedAfterMs: options.blockedAfterMs ?? 300,
      stallAfterMs: options.stallAfterMs ?? 5000,
      poolExhaustionAfterMs: options.poolExhaustionAfterMs ?? 1000,
      checkIntervalMs: options.checkIntervalMs ?? 100,
      tickMs: options.tickMs ?? 20,
      maxFindingsPerKind: options.maxFindingsPerKind ?? 20,
    }
    for (const [k, v] of Object.entries(this.options)) {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v)))
        throw new RangeError(`DeadlockDetector option ${k} must be a positive number (got ${String(v)})`)
    }
  }

  get started(): boolean {
    return this.#started
  }

  /** Operations in flight (including timed-out ones still running). */
  get inFlight(): number {
    return this.#opCount
  }

  /**
   * Whether operations run inside an AsyncLocalStorage context (see {@link runInOp}): only when
   * the detector has harness locks, the one thing that needs to know the current operation.
   */
  get tracksContext(): boolean {
    return this.#locks.length > 0
  }

  /** Operations that timed out and have not settled yet. */
  get timedOutStillRunning(): number {
    return this.#timedOutRunning
  }

  /**
   * Starts the heartbeat, the watchdog worker and the periodic analysis. `origin`
   * (`performance.now()` ms) is time 0 for the findings' timestamps.
   */
  async start(options: { origin?: number } = {}): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#origin = options.origin ?? performance.now()
    const { heartbeatIntervalMs, checkIntervalMs } = this.options
    this.#publish()
    this.#heartbeat = setInterval(() => {
      Atomics.add(this.#shared, Slot.HEARTBEAT, 1)
      this.#publish()
    }, heartbeatIntervalMs)
    this.#heartbeat.unref()
    this.#checker = setInterval(() => this.check(), checkIntervalMs)
    this.#checker.unref()
    this.#eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS })
    this.#eld.enable()
    try {
      const worker = new Worker(WATCHDOG_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: {
          sab: this.#sab,
          tickMs: this.options.tickMs,
          blockedAfterMs: this.options.blockedAfterMs,
          stallAfterMs: this.options.stallAfterMs,
          heartbeatMs: heartbeatIntervalMs,
        },
      })
      this.#worker = worker
      let onStopped: () => void = () => {}
      this.#stopMessage = new Promise<void>(r => {
        onStopped = r
      })
      const ready = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: WatchdogMessage) => {
          if (m.kind === 'ready') resolve()
          this.#onWatchdog(m)
          if (m.kind === 'stopped') onStopped()
        })
        worker.once('error', reject)
      })
      this.#workerExited = new Promise<void>(r =>
        worker.once('exit', () => {
          onStopped()
          r()
        }),
      )
      worker.on('error', () => {})
      await ready
      worker.unref()
      this.#watchdog = 'worker'
    } catch {
      this.#worker = null
      this.#watchdog = 'unavailable'
    }
  }

  /** Stops everything, runs a last analysis, and returns the report. */
  async stop(): Promise<DetectorReport> {
    if (this.#final) return this.#final
    if (this.#stopped) return this.report()
    this.#stopped = true
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    if (this.#checker) clearInterval(this.#checker)
    if (this.#worker) {
      Atomics.store(this.#shared, Slot.STOP, 1)
      Atomics.notify(this.#shared, Slot.STOP)
      await Promise.race([this.#stopMessage, new Promise(r => setTimeout(r, 1000))])
      await Promise.race([this.#workerExited, new Promise(r => setTimeout(r, 1000))])
      void this.#worker.terminate()
    }
    this.check()
    const report = this.report()
    this.#eld?.disable()
    // While any AsyncLocalStorage is enabled, Node 20 runs promise hooks on every promise in the
    // process: switch ours off once the detector is done.
    if (this.#alsUsed) this.#als.disable()
    this.#final = report
    return report
  }

  /**
   * Copies the in-flight and settled counts to the watchdog's shared memory. Done from the
   * heartbeat (every `heartbeatIntervalMs`) rather than with an atomic operation per begin and
   * end: the watchdog only acts on quiet periods of `stallAfterMs` (seconds), so counts at most
   * one heartbeat old change nothing, and while the event loop is blocked nothing settles anyway.
   */
  #publish(): void {
    Atomics.store(this.#shared, Slot.IN_FLIGHT, this.#opCount)
    Atomics.store(this.#shared, Slot.SETTLED, this.#settled | 0)
  }

  /**
   * A lock whose holder and waiters take part in deadlock analysis. Create locks before the
   * operations that take them start: operations are only run in a context that tells a lock its
   * holder once the detector has a lock (see {@link tracksContext}).
   */
  createLock(name: string): HarnessLock {
    const lock = new HarnessLock(name, {
      currentOwner: () => this.#als.getStore(),
      addLockWait: (owner, ms) => {
        if (owner instanceof TrackedOp) owner.lockWaitMs += ms
      },
    })
    this.#locks.push(lock)
    return lock
  }

  /** Includes a pool's leases and waiters in the analysis. */
  watchPool(pool: Inspectable): void {
    if (!this.#pools.includes(pool)) this.#pools.push(pool)
  }

  /**
   * Registers an operation about to start. `startedAt` (`performance.now()` ms) defaults to now.
   */
  beginOp(info: {
    userId: number
    query: string
    className: string
    deadlineAt: number
    startedAt?: number
  }): TrackedOp {
    const op = new TrackedOp(
      ++this.#nextOpId,
      info.userId,
      info.query,
      info.className,
      info.startedAt ?? performance.now(),
      info.deadlineAt,
    )
    op._detector = this
    op._prev = this.#opTail
    if (this.#opTail !== null) this.#opTail._next = op
    else this.#opHead = op
    this.#opTail = op
    this.#opCount++
    return op
  }

  /**
   * Runs `fn` as `op`, so harness locks taken inside know their holder. The context is an
   * AsyncLocalStorage, and on Node 20 an enabled AsyncLocalStorage runs promise hooks on every
   * promise in the process (about doubling the cost of each), so it is only entered when the
   * detector has locks ({@link tracksContext}); otherwise `fn` is just called.
   */
  runInOp<R>(op: TrackedOp, fn: () => R): R {
    if (this.#locks.length === 0) return fn()
    this.#alsUsed = true
    return this.#als.run(op, fn)
  }

  /** The operation whose context is current, if any (tracked once the detector has a lock: {@link tracksContext}). */
  currentOp(): TrackedOp | undefined {
    return this.#als.getStore()
  }

  /** The caller stopped waiting for `op` (timeout) but it has not settled. */
  markTimedOut(op: TrackedOp): void {
    if (op.timedOut || op._detector !== this) return
    op.timedOut = true
    if (op.overdueMark < 0) op.overdueMark = this.#settled
    this.#timedOutRunning++
    if (this.#timedOutRunning > this.#peakTimedOutRunning) this.#peakTimedOutRunning = this.#timedOutRunning
  }

  /** `op` finished; `reachedTarget` = it settled at the target (progress), not e.g. a pool timeout. */
  endOp(op: TrackedOp, reachedTarget: boolean): void {
    if (op._detector !== this) return
    op._detector = null
    const prev = op._prev
    const next = op._next
    if (prev !== null) prev._next = next
    else this.#opHead = next
    if (next !== null) next._prev = prev
    else this.#opTail = prev
    op._prev = null
    op._next = null
    this.#opCount--
    if (op.timedOut) this.#timedOutRunning--
    // Finished after its deadline while others completed meanwhile: slow, not stuck.
    if (op.overdueMark >= 0 && !op.reportedSlow && this.#settled > op.overdueMark)
      this.#reportSlow(op, null, performance.now())
    if (reachedTarget) this.#settled++
  }

  #rel(t: number): number {
    return t - this.#origin
  }

  #fromEpoch(epochMs: number): number {
    return epochMs - performance.timeOrigin - this.#origin
  }

  #add(f: DetectorFinding): boolean {
    this.#counts[f.kind]++
    if (this.#counts[f.kind] > this.options.maxFindingsPerKind) return false
    this.#findings.push(f)
    return true
  }

  /** Builds the wait-for resources and each operation's holds/waits. */
  #snapshot(): Snapshot {
    const resources: WaitForResource[] = []
    const holds = new Map<number, string[]>()
    const waits = new Map<number, { resource: string; timed: boolean }>()
    const idOf = (owner: unknown): number => (owner instanceof TrackedOp ? owner.id : -1)
    const addHold = (id: number, r: string): void => {
      if (id < 0) return
      const l = holds.get(id)
      if (l) l.push(r)
      else holds.set(id, [r])
    }
    for (const lock of this.#locks) {
      const i = lock.inspect()
      const name = `lock:${lock.name}`
      const holders = i.held ? [idOf(i.holder)] : []
      for (const h of holders) addHold(h, name)
      const waiters = i.waiters.map(w => ({ actor: idOf(w.owner), timed: w.timed }))
      for (const w of waiters) if (w.actor >= 0) waits.set(w.actor, { resource: name, timed: w.timed })
      resources.push({ name, capacity: 1, holders, waiters })
    }
    for (const pool of this.#pools) {
      const i = pool.inspect()
      const name = `pool:${i.name}`
      const holders = i.holders.map(h => idOf(h.owner))
      for (const h of holders) addHold(h, name)
      const waiters = i.waiters.map(w => ({ actor: idOf(w.owner), timed: w.timed }))
      for (const w of waiters) if (w.actor >= 0) waits.set(w.actor, { resource: name, timed: w.timed })
      resources.push({ name, capacity: i.size, holders, waiters })
    }
    return { resources, holds, waits }
  }

  #ref(op: TrackedOp, snap: Snapshot | null, t: number): OperationRef {
    const w = snap?.waits.get(op.id)
    return {
      opId: op.id,
      userId: op.userId,
      query: op.query,
      className: op.className,
      startedAtMs: this.#rel(op.startedAt),
      ageMs: t - op.startedAt,
      timedOut: op.timedOut,
      holds: snap?.holds.get(op.id) ?? [],
      waitingFor: w?.resource ?? null,
      waitIsTimed: w?.timed ?? false,
    }
  }

  #refs(limit: number, snap: Snapshot | null, t: number, filter?: (op: TrackedOp) => boolean): OperationRef[] {
    const out: OperationRef[] = []
    for (let op = this.#opHead; op !== null; op = op._next) {
      if (filter && !filter(op)) continue
      if (out.length >= limit) break
      out.push(this.#ref(op, snap, t))
    }
    return out
  }

  /** Runs the main-thread analysis now; returns the new findings. */
  check(): DetectorFinding[] {
    const before = this.#findings.length
    const t = performance.now()
    const snap = this.#snapshot()
    // Deadlock: wait-for graph.
    if (snap.waits.size > 0) {
      const byId = new Map<number, TrackedOp>()
      for (let op = this.#opHead; op !== null; op = op._next) byId.set(op.id, op)
      const analysis = analyzeWaitFor([...byId.keys()], snap.resources)
      for (const cycle of analysis.cycles) {
        const key = cycle
          .map(e => e.actor)
          .sort((a, b) => a - b)
          .join(',')
        if (this.#deadlockKeys.has(key)) continue
        this.#deadlockKeys.add(key)
        const ref = (id: number): OperationRef => {
          const op = byId.get(id)
          return op ? this.#ref(op, snap, t) : ({ opId: id } as OperationRef)
        }
        const edges = cycle.map(e => ({ op: ref(e.actor), waitsFor: e.waitsFor, heldBy: ref(e.heldBy) }))
        const resources = [...new Set(cycle.map(e => e.waitsFor))]
        const text = edges
          .map(
            e =>
              `op ${e.op.opId} (user ${e.op.userId}, ${e.op.query}) waits for ${e.waitsFor} held by op ${e.heldBy.opId}`,
          )
          .join('; ')
        this.#add({
          kind: 'deadlock',
          atMs: this.#rel(t),
          message: `deadlock: ${text}`,
          cycle: edges,
          resources,
          blockedBehind: analysis.blockedBehind.slice(0, 20).map(ref),
        })
      }
    }
    // Slow operations: over deadline while others complete.
    for (let op = this.#opHead; op !== null; op = op._next) {
      if (op.reportedSlow || t <= op.deadlineAt) continue
      if (op.overdueMark < 0) {
        op.overdueMark = this.#settled
        continue
      }
      if (this.#settled > op.overdueMark) this.#reportSlow(op, snap, t)
    }
    // Pool exhaustion.
    for (const pool of this.#pools) {
      const i = pool.inspect()
      if (i.inUse < i.size || i.waiters.length === 0) continue
      const quiet = t - i.lastReleaseAt
      if (quiet < this.options.poolExhaustionAfterMs || this.#poolReported.get(pool) === i.lastReleaseAt) continue
      this.#poolReported.set(pool, i.lastReleaseAt)
      const holderIds = new Set(i.holders.map(h => (h.owner instanceof TrackedOp ? h.owner.id : -1)))
      this.#add({
        kind: 'pool-exhaustion',
        atMs: this.#rel(t),
        message: `pool ${i.name}: all ${i.size} leases held, ${i.waiters.length} waiting, no release for ${Math.round(quiet)} ms`,
        pool: i.name,
        size: i.size,
        waiters: i.waiters.length,
        msSinceLastRelease: quiet,
        holders: this.#refs(20, snap, t, op => holderIds.has(op.id)),
      })
    }
    return this.#findings.slice(before)
  }

  #reportSlow(op: TrackedOp, snap: Snapshot | null, t: number): void {
    op.reportedSlow = true
    if (this.#counts['slow-operation'] >= this.options.maxFindingsPerKind) {
      this.#counts['slow-operation']++ // counted, not detailed
      return
    }
    const since = this.#settled - op.overdueMark
    const running = op._detector === this
    this.#add({
      kind: 'slow-operation',
      atMs: this.#rel(t),
      message: `op ${op.id} (user ${op.userId}, ${op.query}) ${running ? 'is' : 'finished'} ${Math.round(t - op.deadlineAt)} ms past its deadline while ${since} other operation(s) completed`,
      op: this.#ref(op, snap ?? this.#snapshot(), t),
      overdueMs: t - op.deadlineAt,
      completionsSinceOverdue: since,
    })
  }

  #onWatchdog(m: WatchdogMessage): void {
    const t = performance.now()
    switch (m.kind) {
      case 'blocked-begin': {
        const f: BlockedEventLoopFinding = {
          kind: 'blocked-event-loop',
          source: 'watchdog',
          atMs: this.#fromEpoch(m.at),
          startedAtMs: this.#fromEpoch(m.startedAt),
          durationMs: m.at - m.startedAt,
          ongoing: true,
          missedHeartbeats: 0,
          message: '',
        }
        f.message = `event loop blocked since ${Math.round(f.startedAtMs)} ms (no heartbeat seen by the watchdog)`
        this.#openBlocked = f
        this.#add(f)
        break
      }
      case 'blocked-end': {
        const f = this.#openBlocked
        if (f) {
          f.durationMs = m.durationMs
          f.ongoing = false
          f.missedHeartbeats = m.missedBeats
          f.message = `event loop blocked for ${Math.round(m.durationMs)} ms from ${Math.round(f.startedAtMs)} ms (${m.missedBeats} heartbeats missed, seen by the watchdog)`
          this.#openBlocked = null
        }
        break
      }
      case 'stall-begin': {
        const snap = this.#snapshot()
        const f: StallFinding = {
          kind: 'stall',
          atMs: this.#fromEpoch(m.at),
          startedAtMs: this.#fromEpoch(m.startedAt),
          durationMs: null,
          ongoing: true,
          inFlight: m.inFlight,
          operations: this.#refs(20, snap, t),
          message: `stall: ${m.inFlight} operation(s) in flight and none completed for ${Math.round(m.at - m.startedAt)} ms while the event loop was running`,
        }
        this.#openStall = f
        this.#add(f)
        break
      }
      case 'stall-end': {
        const f = this.#openStall
        if (f) {
          f.durationMs = m.durationMs
          f.ongoing = false
          f.message = `${f.message}; progress resumed after ${Math.round(m.durationMs)} ms`
          this.#openStall = null
        }
        break
      }
      case 'stopped': {
        if (this.#openBlocked && m.openBlockedSince !== null) this.#openBlocked.durationMs = m.at - m.openBlockedSince
        if (this.#openStall && m.openStallSince !== null) this.#openStall.durationMs = m.at - m.openStallSince
        break
      }
      case 'ready':
        break
    }
  }

  /** The report so far (final after {@link DeadlockDetector.stop}). */
  report(): DetectorReport {
    if (this.#final) return this.#final
    const t = performance.now()
    const findings = [...this.#findings]
    const counts = { ...this.#counts }
    if (this.#timedOutRunning > 0) {
      const snap = this.#snapshot()
      counts['timed-out-still-running']++
      findings.push({
        kind: 'timed-out-still-running',
        atMs: this.#rel(t),
        count: this.#timedOutRunning,
        operations: this.#refs(20, snap, t, op => op.timedOut),
        message: `${this.#timedOutRunning} timed-out operation(s) still running and holding their resources (peak ${this.#peakTimedOutRunning})`,
      })
    }
    const eld = this.#eld
    // monitorEventLoopDelay samples include its own timer period: subtract it to get the lag.
    const ns = (v: number): number => (Number.isFinite(v) ? Math.max(0, v / 1e6 - ELD_RESOLUTION_MS) : 0)
    return {
      deadlockDetected: findings.some(f => f.kind === 'deadlock' || f.kind === 'stall'),
      findings,
      findingCounts: counts,
      eventLoop: {
        maxDelayMs: eld && eld.count > 0 ? ns(eld.max) : 0,
        p99DelayMs: eld && eld.count > 0 ? ns(eld.percentile(99)) : 0,
        meanDelayMs: eld && eld.count > 0 ? ns(eld.mean) : 0,
        blockedEpisodes: Atomics.load(this.#shared, Slot.BLOCKED_EPISODES),
        longestBlockMs: Atomics.load(this.#shared, Slot.LONGEST_BLOCK_MS),
      },
      threadPool: { timedOutStillRunning: this.#timedOutRunning, peakTimedOutStillRunning: this.#peakTimedOutRunning },
      locks: this.#locks.map(l => l.stats()),
      watchdog: this.#watchdog,
    }
  }
}
