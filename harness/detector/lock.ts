/**
 * `HarnessLock`: an async FIFO mutex whose holder and waiters are visible to the
 * {@link DeadlockDetector}. Create one with `detector.createLock(name)`; the holder is the
 * operation in whose context `acquire` runs (tracked with `AsyncLocalStorage`), or an explicit
 * `owner`. A wait with a timeout is marked as timed: it ends by itself, so it can never be part
 * of a deadlock.
 */
import { ErrorCodes, HarnessError } from '../../errors.ts'

export interface LockAcquireOptions {
  /** Give up after this long with `ERR_LOCK_TIMEOUT` (the wait is then a timed wait). */
  timeoutMs?: number
  /** Give up when aborted, with `ERR_ABORTED`. */
  signal?: AbortSignal
  /** Holder to record; defaults to the current operation (or none outside operations). */
  owner?: unknown
}

/** Counters of a lock's use. */
export interface LockStats {
  name: string
  acquisitions: number
  /** Acquisitions that had to wait. */
  contended: number
  timeouts: number
  aborted: number
  totalWaitMs: number
  maxWaitMs: number
}

/** Hooks the detector gives its locks. */
export interface LockHost {
  /** The current operation (or undefined). */
  currentOwner(): unknown
  /** Adds a wait of `ms` to `owner`'s lock-wait total. */
  addLockWait(owner: unknown, ms: number): void
}

interface LockWaiter {
  owner: unknown
  since: number
  timed: boolean
  resolve: (release: () => void) => void
  done: boolean
}

/** Async mutex recorded by the deadlock detector. */
export class HarnessLock {
  readonly name: string
  readonly #host: LockHost
  #holder: { owner: unknown; since: number } | null = null
  #queue: LockWaiter[] = []
  readonly #stats: LockStats

  constructor(name: string, host: LockHost) {
    this.name = name
    this.#host = host
    this.#stats = { name, acquisitions: 0, contended: 0, timeouts: 0, aborted: 0, totalWaitMs: 0, maxWaitMs: 0 }
  }

  /** Whether someone holds the lock. */
  get locked(): boolean {
    return this.#holder !== null
  }

  /** Holder and waiters right now. */
  inspect(): {
    holder: unknown
    held: boolean
    heldSince: number
    waiters: Array<{ owner: unknown; since: number; timed: boolean }>
  } {
    return {
      holder: this.#holder?.owner,
      held: this.#holder !== null,
      heldSince: this.#holder?.since ?? 0,
      waiters: this.#queue.filter(w => !w.done).map(w => ({ owner: w.owner, since: w.since, timed: w.timed })),
    }
  }

  stats(): LockStats {
    return { ...this.#stats }
  }

  /** Waits for the lock; resolves with a release function (calling it twice does nothing). */
  acquire(options: LockAcquireOptions = {}): Promise<() => void> {
    const owner = options.owner !== undefined ? options.owner : this.#host.currentOwner()
    const since = performance.now()
    if (options.signal?.aborted) {
      this.#stats.aborted++
      return Promise.reject(new HarnessError(ErrorCodes.ABORTED, `waiting for lock ${this.name} aborted`))
    }
    if (this.#holder === null && this.#queue.length === 0) {
      return Promise.resolve(this.#take(owner, since, since))
    }
    this.#stats.contended++
    const timeoutMs = options.timeoutMs
    return new Promise<() => void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      let onAbort: (() => void) | undefined
      const w: LockWaiter = {
        owner,
        since,
        timed: timeoutMs !== undefined && Number.isFinite(timeoutMs),
        done: false,
        resolve: release => {
          if (timer !== undefined) clearTimeout(timer)
          if (onAbort) options.signal?.removeEventListener('abort', onAbort)
          resolve(release)
        },
      }
      const giveUp = (err: HarnessError): void => {
        if (w.done) return
        w.done = true
        this.#queue = this.#queue.filter(x => x !== w)
        if (timer !== undefined) clearTimeout(timer)
        if (onAbort) options.signal?.removeEventListener('abort', onAbort)
        this.#host.addLockWait(owner, performance.now() - since)
        reject(err)
      }
      if (w.timed) {
        timer = setTimeout(() => {
          this.#stats.timeouts++
          giveUp(new HarnessError(ErrorCodes.LOCK_TIMEOUT, `lock ${this.name} not acquired within ${timeoutMs} ms`))
        }, timeoutMs)
      }
      if (options.signal) {
        onAbort = () => {
          this.#stats.aborted++
          giveUp(new HarnessError(ErrorCodes.ABORTED, `waiting for lock ${this.name} aborted`))
        }
        options.signal.addEventListener('abort', onAbort, { once: true })
      }
      this.#queue.push(w)
    })
  }

  /** Runs `fn` holding the lock; releases on every path. */
  async runExclusive<R>(fn: () => Promise<R> | R, options: LockAcquireOptions = {}): Promise<R> {
    const release = await this.acquire(options)
    try {
      return await fn()
    } finally {
      release()
    }
  }

  #take(owner: unknown, since: number, t: number): () => void {
    this.#holder = { owner, since: t }
    const wait = t - since
    this.#stats.acquisitions++
    this.#stats.totalWaitMs += wait
    if (wait > this.#stats.maxWaitMs) this.#stats.maxWaitMs = wait
    if (wait > 0) this.#host.addLockWait(owner, wait)
    let released = false
    return () => {
      if (released) return
      released = true
      this.#release()
    }
  }

  #release(): void {
    this.#holder = null
    while (this.#queue.length > 0) {
      const w = this.#queue.shift() as LockWaiter
      if (w.done) continue
      w.done = true
      w.resolve(this.#take(w.owner, w.since, performance.now()))
      return
    }
  }
}
