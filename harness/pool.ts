/**
 * `ConnectionPool<T>`: a bounded pool of real resources made by a factory, with FIFO-fair
 * waiters, timeouts and cancellation, and exact usage statistics.
 *
 * - Never more than `size` resources exist (idle + leased + being created), so never more than
 *   `size` are leased.
 * - Waiters are served strictly in arrival order: a released resource goes straight to the
 *   oldest waiter, so a newcomer can never barge past a queue.
 * - `acquire` rejects with a coded {@link HarnessError}: `ERR_POOL_TIMEOUT`, `ERR_ABORTED`,
 *   `ERR_POOL_CLOSED` (or the factory's own error if creating a resource fails).
 * - Statistics: peak usage is updated at the moment a lease is granted; average usage is the
 *   time-weighted mean of the leased count over the stats window (since construction or
 *   {@link ConnectionPool.resetStats}); wait times are kept in an HDR histogram.
 */
import { ErrorCodes, HarnessError } from '../errors.ts'
import { LatencyHistogram, emptySummary } from './metrics/histogram.ts'
import type { LatencySummary } from './metrics/histogram.ts'
import { TimeWeightedGauge } from './metrics/stats.ts'

/** Makes, checks and disposes of pooled resources. */
export interface ResourceFactory<T> {
  create(): Promise<T> | T
  destroy(resource: T): Promise<void> | void
  /** Checked before an idle resource is lent again; `false` destroys it and makes another. */
  validate?(resource: T): boolean
}

export interface ConnectionPoolOptions<T> {
  /** Most resources in existence (and so leased) at once. */
  size: number
  /** @default a factory of numbered tokens `{ id }` (the pool then only limits concurrency) */
  factory?: ResourceFactory<T>
  /** Used in messages and detector findings. @default 'pool' */
  name?: string
}

export interface AcquireOptions {
  /** Give up after this long with `ERR_POOL_TIMEOUT`. @default Infinity */
  timeoutMs?: number
  /** Give up when aborted, with `ERR_ABORTED`. */
  signal?: AbortSignal
  /** Who holds the lease (shown by {@link ConnectionPool.inspect}, used by the deadlock detector). */
  owner?: unknown
}

/** A granted resource. Release it exactly once (later calls do nothing). */
export interface Lease<T> {
  readonly resource: T
  /** Sequence number of the grant. */
  readonly id: number
  readonly owner: unknown
  /** When the lease was granted (`performance.now()` ms). */
  readonly grantedAt: number
  /** Returns the resource; with `{ destroy: true }` (e.g. it broke) it is destroyed instead. */
  release(options?: { destroy?: boolean }): void
  /**
   * `release()` at time `t` (`performance.now()` ms) that the caller has just read: the release
   * is recorded at `t` (usage statistics, last release), and the pool reads no clock.
   */
  releaseAt(t: number): void
}

/** Pool statistics over the stats window (sketch field names, plus the new ones). */
export interface ConnectionPoolStats {
  poolSize: number
  /** Most leases held at once, updated at grant time (exact). */
  peakUsage: number
  /** Time-weighted mean number of leases held. */
  averageUsage: number
  /** Mean wait of granted acquires, in ms. */
  waitTimeMs: number
  /** Wait-time distribution of granted acquires, in ms. */
  waitTime: LatencySummary
  /** Acquires that timed out. */
  connectionTimeouts: number
  /** Acquires abandoned through their `AbortSignal`. */
  abortedAcquires: number
  /** Acquires granted. */
  acquired: number
  /** Longest waiter queue. */
  peakQueueLength: number
  /** Leases still held when the pool was closed (0 while open). */
  leaked: number
  /** Resources created / destroyed since the pool was made (not reset with the window). */
  created: number
  destroyed: number
  /** Length of the stats window in ms. */
  windowMs: number
}

/** A snapshot of who holds and who waits, for the deadlock detector. */
export interface PoolInspection {
  name: string
  size: number
  inUse: number
  holders: Array<{ owner: unknown; leaseId: number; grantedAt: number }>
  waiters: Array<{ owner: unknown; since: number; timed: boolean }>
  /** Last time a lease was released (`performance.now()` ms; creation time if none yet). */
  lastReleaseAt: number
}

interface Waiter<T> {
  resolve: (lease: Lease<T>) => void
  reject: (err: Error) => void
  owner: unknown
  since: number
  timed: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
  done: boolean
}

class PoolLease<T> implements Lease<T> {
  readonly resource: T
  readonly id: number
  readonly owner: unknown
  readonly grantedAt: number
  readonly #pool: ConnectionPool<T>
  released = false
  /** @internal position in the pool's array of held leases (swap-remove: O(1), no hashing) */
  slot = -1

  constructor(pool: ConnectionPool<T>, resource: T, id: number, owner: unknown, grantedAt: number) {
    this.#pool = pool
    this.resource = resource
    this.id = id
    this.owner = owner
    this.grantedAt = grantedAt
  }

  release(options?: { destroy?: boolean }): void {
    if (this.released) return
    this.released = true
    this.#pool._release(this, options?.destroy === true, performance.now())
  }

  releaseAt(t: number): void {
    if (this.released) return
    this.released = true
    this.#pool._release(this, false, t)
  }
}

let tokenIds = 0
function tokenFactory(): ResourceFactory<{ id: number }> {
  return { create: () => ({ id: ++tokenIds }), destroy: () => {} }
}

/** Bounded, FIFO-fair resource pool. */
export class ConnectionPool<T = { id: number }> {
  readonly name: string
  readonly size: number
  readonly #factory: ResourceFactory<T>
  readonly #idle: T[] = []
  /** Held leases. An array with each lease knowing its slot: add and remove are O(1) and hash nothing. */
  readonly #leases: Array<PoolLease<T>> = []
  #queue: Array<Waiter<T>> = []
  #head = 0
  #waiting = 0
  #creating = 0
  #nextLeaseId = 0
  #closed = false
  #closeWaiters: Array<() => void> = []
  #lastReleaseAt: number
  #finalStats: ConnectionPoolStats | null = null

  // stats
  readonly #usage: TimeWeightedGauge
  #waitHist: LatencyHistogram | null = LatencyHistogram.create()
  #waitSumMs = 0
  #acquired = 0
  #timeouts = 0
  #aborted = 0
  #peakQueue = 0
  #created = 0
  #destroyed = 0
  #windowStart: number

  constructor(options: ConnectionPoolOptions<T>) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError(`pool size must be a whole number of at least 1 (got ${options.size})`)
    this.size = options.size
    this.name = options.name ?? 'pool'
    this.#factory = options.factory ?? (tokenFactory() as unknown as ResourceFactory<T>)
    const t = performance.now()
    this.#usage = new TimeWeightedGauge(t)
    this.#windowStart = t
    this.#lastReleaseAt = t
  }

  /**
   * Capacity reserved per class: one pool per class, of the given sizes, so a class can never
   * hold more than its share (a per-class limit) and never waits for another class's leases (a
   * reservation). Pool names are `${name}:${class}`. The performance-isolation scenario uses it.
   */
  static partition<T = { id: number }>(
    shares: Readonly<Record<string, number>>,
    options: Omit<ConnectionPoolOptions<T>, 'size'> = {},
  ): Record<string, ConnectionPool<T>> {
    const out: Record<string, ConnectionPool<T>> = {}
    for (const [cls, size] of Object.entries(shares))
      out[cls] = new ConnectionPool<T>({ ...options, size, name: `${options.name ?? 'pool'}:${cls}` })
    return out
  }

  /** Leases held now. */
  get inUse(): number {
    return this.#leases.length
  }

  /** Acquires waiting now. */
  get waiting(): number {
    return this.#waiting
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Waits for a resource. Rejects with `ERR_POOL_TIMEOUT`, `ERR_ABORTED`, `ERR_POOL_CLOSED`,
   * or the factory's error.
   */
  acquire(options: AcquireOptions = {}): Promise<Lease<T>> {
    if (this.#closed) return Promise.reject(this.#closedError())
    const { signal, owner } = options
    if (signal?.aborted) {
      this.#aborted++
      return Promise.reject(
        new HarnessError(ErrorCodes.ABORTED, `acquire from ${this.name} aborted`, { cause: signal.reason }),
      )
    }
    const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY
    const t = performance.now()
    // Fast path: nobody queued and an idle resource is at hand.
    const lease = this.tryAcquire(owner, t)
    if (lease !== undefined) return Promise.resolve(lease)
    if (timeoutMs <= 0 && this.#idle.length === 0 && this.#total() >= this.size) {
      this.#timeouts++
      return Promise.reject(this.#timeoutError(0))
    }
    return new Promise<Lease<T>>((resolve, reject) => {
      const w: Waiter<T> = {
        resolve,
        reject,
        owner,
        since: t,
        timed: Number.isFinite(timeoutMs),
        timer: undefined,
        signal,
        onAbort: undefined,
        done: false,
      }
      if (Number.isFinite(timeoutMs)) {
        w.timer = setTimeout(() => {
          if (w.done) return
          this.#removeWaiter(w)
          this.#timeouts++
          reject(this.#timeoutError(timeoutMs))
        }, timeoutMs)
      }
      if (signal) {
        w.onAbort = () => {
          if (w.done) return
          this.#removeWaiter(w)
          this.#aborted++
          reject(new HarnessError(ErrorCodes.ABORTED, `acquire from ${this.name} aborted`, { cause: signal.reason }))
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.#queue.push(w)
      this.#waiting++
      if (this.#waiting > this.#peakQueue) this.#peakQueue = this.#waiting
      this.#dispatch()
    })
  }

  /**
   * The synchronous fast path of {@link ConnectionPool.acquire}: a lease at once if the pool is
   * open, nobody is queued and an idle resource is at hand (FIFO fairness: a newcomer never
   * barges past a waiter); otherwise `undefined`, and nothing changes (call `acquire` to wait).
   * Saves the promise and the microtask turn of `acquire` when no wait is needed. `at` is the
   * grant time (`performance.now()` ms) if the caller has just read the clock.
   */
  tryAcquire(owner?: unknown, at?: number): Lease<T> | undefined {
    if (this.#closed || this.#waiting !== 0) return undefined
    const r = this.#takeIdle()
    if (r === undefined) return undefined
    const t = at ?? performance.now()
    return this.#grant(r, owner, t, t)
  }

  /**
   * Runs `fn` with a leased resource and releases the lease on every path: when `fn` returns,
   * throws, or rejects. (The lease is held until `fn` settles: a caller that stops waiting for
   * a hung `fn` does not get the resource back, just as a real connection stays busy.)
   */
  async use<R>(fn: (resource: T, lease: Lease<T>) => Promise<R> | R, options: AcquireOptions = {}): Promise<R> {
    const lease = await this.acquire(options)
    try {
      return await fn(lease.resource, lease)
    } finally {
      lease.release()
    }
  }

  /** Who holds and who waits right now. */
  inspect(): PoolInspection {
    const holders: PoolInspection['holders'] = []
    // In grant order (removals reorder the array).
    const held = [...this.#leases].sort((a, b) => a.id - b.id)
    for (const l of held) holders.push({ owner: l.owner, leaseId: l.id, grantedAt: l.grantedAt })
    const waiters: PoolInspection['waiters'] = []
    for (let i = this.#head; i < this.#queue.length; i++) {
      const w = this.#queue[i]
      if (!w.done) waiters.push({ owner: w.owner, since: w.since, timed: w.timed })
    }
    return {
      name: this.name,
      size: this.size,
      inUse: this.#leases.length,
      holders,
      waiters,
      lastReleaseAt: this.#lastReleaseAt,
    }
  }

  /** Starts a new stats window now (e.g. at the end of warm-up). Created/destroyed are not reset. */
  resetStats(): void {
    const t = performance.now()
    this.#usage.reset(t)
    this.#waitHist?.reset()
    this.#waitSumMs = 0
    this.#acquired = 0
    this.#timeouts = 0
    this.#aborted = 0
    this.#peakQueue = this.#waiting
    this.#windowStart = t
  }

  /** Statistics from the start of the stats window until now (frozen once closed). */
  stats(): ConnectionPoolStats {
    if (this.#finalStats) return { ...this.#finalStats }
    return this.#statsNow(0)
  }

  #statsNow(leaked: number): ConnectionPoolStats {
    const t = performance.now()
    return {
      poolSize: this.size,
      peakUsage: this.#usage.peak,
      averageUsage: this.#usage.average(t),
      waitTimeMs: this.#acquired > 0 ? this.#waitSumMs / this.#acquired : 0,
      waitTime: this.#waitHist ? this.#waitHist.summary() : emptySummary(),
      connectionTimeouts: this.#timeouts,
      abortedAcquires: this.#aborted,
      acquired: this.#acquired,
      peakQueueLength: this.#peakQueue,
      leaked,
      created: this.#created,
      destroyed: this.#destroyed,
      windowMs: t - this.#windowStart,
    }
  }

  /**
   * Closes the pool: rejects waiters with `ERR_POOL_CLOSED`, destroys idle resources, waits up
   * to `timeoutMs` for leases to come back, and reports those still out as `leaked`. Leases
   * returned later are destroyed. Statistics are frozen at this point.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<ConnectionPoolStats> {
    if (this.#finalStats) return { ...this.#finalStats }
    if (!this.#closed) {
      this.#closed = true
      for (let i = this.#head; i < this.#queue.length; i++) {
        const w = this.#queue[i]
        if (w.done) continue
        this.#removeWaiter(w)
        w.reject(this.#closedError())
      }
      const idle = this.#idle.splice(0)
      await Promise.all(idle.map(r => this.#destroy(r)))
    }
    const timeoutMs = options.timeoutMs ?? 0
    if (this.#leases.length > 0 && timeoutMs > 0) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, timeoutMs)
        this.#closeWaiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    if (!this.#finalStats) {
      this.#finalStats = this.#statsNow(this.#leases.length)
      this.#waitHist?.destroy()
      this.#waitHist = null
    }
    return { ...this.#finalStats }
  }

  /** @internal called by leases */
  _release(lease: PoolLease<T>, destroy: boolean, t: number): void {
    const i = lease.slot
    if (i < 0 || this.#leases[i] !== lease) return
    const last = this.#leases.pop() as PoolLease<T>
    if (last !== lease) {
      this.#leases[i] = last
      last.slot = i
    }
    lease.slot = -1
    this.#lastReleaseAt = t
    this.#usage.set(this.#leases.length, t)
    const r = lease.resource
    if (destroy || this.#closed || (this.#factory.validate !== undefined && !this.#safeValidate(r))) {
      void this.#destroy(r)
    } else {
      this.#idle.push(r)
    }
    if (this.#closed) {
      if (this.#leases.length === 0) for (const f of this.#closeWaiters.splice(0)) f()
      return
    }
    this.#dispatch()
  }

  #total(): number {
    return this.#idle.length + this.#leases.length + this.#creating
  }

  #safeValidate(r: T): boolean {
    try {
      return this.#factory.validate ? this.#factory.validate(r) !== false : true
    } catch {
      return false
    }
  }

  #takeIdle(): T | undefined {
    while (this.#idle.length > 0) {
      const r = this.#idle.pop() as T
      if (this.#factory.validate === undefined || this.#safeValidate(r)) return r
      void this.#destroy(r)
    }
    return undefined
  }

  async #destroy(r: T): Promise<void> {
    this.#destroyed++
    try {
      await this.#factory.destroy(r)
    } catch {
      // a failing destroy must not break the pool
    }
  }

  #grant(r: T, owner: unknown, since: number, t: number): Lease<T> {
    const lease = new PoolLease<T>(this, r, ++this.#nextLeaseId, owner, t)
    lease.slot = this.#leases.length
    this.#leases.push(lease)
    this.#usage.set(this.#leases.length, t)
    const wait = t - since
    this.#acquired++
    this.#waitSumMs += wait
    this.#waitHist?.recordMs(wait)
    return lease
  }

  #peekWaiter(): Waiter<T> | undefined {
    while (this.#head < this.#queue.length && this.#queue[this.#head].done) this.#head++
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    return this.#head < this.#queue.length ? this.#queue[this.#head] : undefined
  }

  #removeWaiter(w: Waiter<T>): void {
    w.done = true
    this.#waiting--
    if (w.timer !== undefined) clearTimeout(w.timer)
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort)
  }

  #dispatch(): void {
    for (;;) {
      const w = this.#peekWaiter()
      if (w === undefined) return
      const r = this.#takeIdle()
      if (r !== undefined) {
        this.#removeWaiter(w)
        w.resolve(this.#grant(r, w.owner, w.since, performance.now()))
        continue
      }
      // Start as many creations as there are waiters not already covered, within capacity.
      if (this.#creating < this.#waiting && this.#total() < this.size) {
        this.#create()
        continue
      }
      return
    }
  }

  #create(): void {
    this.#creating++
    let p: Promise<T>
    try {
      p = Promise.resolve(this.#factory.create())
    } catch (err) {
      p = Promise.reject(err)
    }
    p.then(
      r => {
        this.#creating--
        this.#created++
        if (this.#closed) {
          void this.#destroy(r)
          return
        }
        this.#idle.push(r)
        this.#dispatch()
      },
      (err: unknown) => {
        this.#creating--
        const w = this.#peekWaiter()
        if (w !== undefined) {
          this.#removeWaiter(w)
          w.reject(
            err instanceof Error
              ? err
              : new HarnessError(ErrorCodes.POOL_CREATE, `creating a resource for ${this.name} failed: ${String(err)}`),
          )
        }
        this.#dispatch()
      },
    )
  }

  #timeoutError(ms: number): HarnessError {
    return new HarnessError(ErrorCodes.POOL_TIMEOUT, `no ${this.name} resource became free within ${ms} ms`)
  }

  #closedError(): HarnessError {
    return new HarnessError(ErrorCodes.POOL_CLOSED, `${this.name} is closed`)
  }
}
