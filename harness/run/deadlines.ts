/**
 * `DeadlineQueue`: many deadlines served by one Node timer.
 *
 * Why: the harness gives every request a timeout. A `setTimeout` + `clearTimeout` per request
 * costs a `Timeout` object, an async-hooks id and two list operations inside Node's timer code
 * (about 0.3 µs together on Node 20), which is a third of the whole per-request budget when the
 * harness has to drive a million requests a second. Almost every request settles long before
 * its deadline, so the timer is nearly always cleared unused.
 *
 * How: entries sit in a doubly-linked list sorted by deadline (intrusive: the entry object
 * carries its own links, so adding and removing allocate nothing). All requests of a run share
 * one timeout, so deadlines arrive in increasing order and an insert is an append at the tail;
 * an out-of-order deadline is still placed correctly by walking back from the tail. One timer
 * is armed for the earliest deadline. Removing an entry never touches the timer: when the timer
 * fires it expires whatever is due, skips nothing (removed entries are no longer linked) and
 * re-arms for the new head, so a settled request costs two pointer updates.
 *
 * Guarantees:
 * - an entry never expires before its deadline (`performance.now() >= deadlineAt` when its
 *   callback runs: a timer that fires early, as Node's can by up to ~1 ms, just re-arms);
 * - it expires as soon as the event loop runs the timer after the deadline (Node timers have
 *   1 ms granularity, so usually within 1–2 ms on an idle loop);
 * - a removed entry never expires;
 * - while entries are queued the timer keeps the process alive, as a per-request timer did;
 *   when the queue is empty it does not.
 */

/** Something with a deadline. Subclass it (the links live in the entry: no allocation per add). */
export class DeadlineEntry {
  /** When it expires (`performance.now()` ms). Set by {@link DeadlineQueue.add}. */
  deadlineAt = Number.POSITIVE_INFINITY
  /** @internal */
  _prev: DeadlineEntry | null = null
  /** @internal */
  _next: DeadlineEntry | null = null
  /** @internal the queue it is in, or null */
  _queue: DeadlineQueue<DeadlineEntry> | null = null

  /** Whether it is waiting in a queue (added, not yet removed or expired). */
  get queued(): boolean {
    return this._queue !== null
  }
}

/** Entries sorted by deadline, expired by one shared timer. */
export class DeadlineQueue<E extends DeadlineEntry> {
  readonly #onExpire: (entry: E, now: number) => void
  readonly #fire = (): void => this.#expire()
  #head: E | null = null
  #tail: E | null = null
  #size = 0
  #timer: ReturnType<typeof setTimeout> | null = null
  /** The deadline the timer is armed for (Infinity when none). */
  #armedFor = Number.POSITIVE_INFINITY
  #timerRefed = false
  #expiring = false
  #closed = false

  /**
   * `onExpire(entry, now)` runs when an entry's deadline has passed; the entry is already out
   * of the queue. It may add or remove entries.
   */
  constructor(onExpire: (entry: E, now: number) => void) {
    this.#onExpire = onExpire
  }

  /** Entries waiting. */
  get size(): number {
    return this.#size
  }

  /** Adds `entry` to expire at `deadlineAt` (`performance.now()` ms). An entry can be in one queue at a time. */
  add(entry: E, deadlineAt: number): void {
    if (this.#closed) throw new Error('DeadlineQueue is closed')
    if (entry._queue !== null) throw new Error('entry is already queued')
    entry.deadlineAt = deadlineAt
    entry._queue = this as unknown as DeadlineQueue<DeadlineEntry>
    this.#size++
    // Walk back from the tail to the last entry due no later (O(1) when deadlines increase).
    let before = this.#tail
    while (before !== null && before.deadlineAt > deadlineAt) before = before._prev as E | null
    if (before === null) {
      entry._prev = null
      entry._next = this.#head
      if (this.#head !== null) this.#head._prev = entry
      else this.#tail = entry
      this.#head = entry
    } else {
      entry._prev = before
      entry._next = before._next
      if (before._next !== null) before._next._prev = entry
      else this.#tail = entry
      before._next = entry
    }
    if (this.#size === 1) this.#keepAlive(true)
    // A timer armed for a later deadline than the head's (or none) must be moved earlier; one
    // armed earlier fires first and re-arms for the head then. (While expiring, the re-arm
    // happens once at the end.)
    if (!this.#expiring && (this.#head as E).deadlineAt < this.#armedFor)
      this.#arm((this.#head as E).deadlineAt, performance.now())
  }

  /** Removes `entry` if it is queued here (it will not expire). Returns whether it was. */
  delete(entry: E): boolean {
    if (entry._queue !== (this as unknown as DeadlineQueue<DeadlineEntry>)) return false
    this.#unlink(entry)
    if (this.#size === 0) this.#keepAlive(false)
    return true
  }

  /** Removes every entry (none expires) and stops the timer. Further `add`s throw. */
  close(): void {
    this.#closed = true
    while (this.#head !== null) this.#unlink(this.#head)
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#armedFor = Number.POSITIVE_INFINITY
  }

  #unlink(entry: E): void {
    const prev = entry._prev as E | null
    const next = entry._next as E | null
    if (prev !== null) prev._next = next
    else this.#head = next
    if (next !== null) next._prev = prev
    else this.#tail = prev
    entry._prev = null
    entry._next = null
    entry._queue = null
    this.#size--
  }

  /** Ref the timer while entries wait (a pending request keeps the process alive), unref it when idle. */
  #keepAlive(on: boolean): void {
    if (this.#timer === null || this.#timerRefed === on) return
    this.#timerRefed = on
    if (on) this.#timer.ref()
    else this.#timer.unref()
  }

  #arm(deadlineAt: number, now: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    // Node timers have whole-millisecond granularity; round up so the timer is not early by design.
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(deadlineAt - now)))
    this.#armedFor = deadlineAt
    this.#timerRefed = this.#size > 0
    if (!this.#timerRefed) this.#timer.unref()
  }

  #expire(): void {
    this.#timer = null
    this.#armedFor = Number.POSITIVE_INFINITY
    const now = performance.now()
    this.#expiring = true
    try {
      for (let e = this.#head; e !== null && e.deadlineAt <= now; e = this.#head) {
        this.#unlink(e)
        try {
          this.#onExpire(e, now)
        } catch (err) {
          // One failing callback must not strand the others: rethrow it outside the loop.
          queueMicrotask(() => {
            throw err
          })
        }
      }
    } finally {
      this.#expiring = false
    }
    // Not due yet (the timer fired early, or the head was added meanwhile): wait for it.
    if (!this.#closed && this.#head !== null) this.#arm(this.#head.deadlineAt, now)
  }
}
