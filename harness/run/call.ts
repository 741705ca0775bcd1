/**
 * One request as the run sees it: a {@link Call} (from the start of its pool acquire to its
 * outcome, waiting in the run's deadline queue while the target works) and the
 * {@link CallOptions} the target gets with it.
 */
import type { TrackedOp } from '../detector/detector.ts'
import type { Outcome } from '../load/driver.ts'
import type { Lease } from '../pool.ts'
import { addNativeCall, emptyNativeParts } from '../metrics/time-breakdown.ts'
import type { NativeCallTiming, NativeParts } from '../metrics/time-breakdown.ts'
import type { TargetCallOptions } from '../types.ts'
import { DeadlineEntry } from './deadlines.ts'
import type { UserTally } from './tallies.ts'

/** Where a {@link Call} is. */
export const CallState = {
  /** Sent (or about to be), no outcome yet. */
  pending: 0,
  /** The target settled first: the outcome is the target's. */
  settled: 1,
  /** The deadline passed first: timed out, the target still holds the lease. */
  timedOut: 2,
  /** Timed out, and the target has settled since (lease returned). */
  timedOutSettled: 3,
} as const
export type CallState = (typeof CallState)[keyof typeof CallState]

/**
 * Hands a promise's resolve function out of its executor without making a closure per promise
 * (the executor is shared; it runs synchronously inside `new Promise`).
 */
let capturedResolve: ((outcome: Outcome) => void) | null = null
const captureResolve = (resolve: (outcome: Outcome) => void): void => {
  capturedResolve = resolve
}

/**
 * One request, from the start of its pool acquire to its outcome: everything `RunState` needs to
 * record it, in one object (no closures per request). It waits in the run's
 * {@link DeadlineQueue} while the target works, so a per-request timeout costs no Node timer.
 */
export class Call extends DeadlineEntry {
  readonly user: UserTally
  readonly measured: boolean
  readonly intendedAt: number
  readonly tBegin: number
  readonly classId: number
  readonly op: TrackedOp | null
  tSend: number
  /** Index of the query searched (-1: a write). */
  qi = -1
  lease: Lease<unknown> | null = null
  state: CallState = CallState.pending
  /** Resolves the promise the load model awaits (set when sent). */
  resolve: ((outcome: Outcome) => void) | null = null
  /** Created on the first read of `signal` only (see {@link CallOptions}). */
  controller: AbortController | null = null
  /** Why the call was aborted (the timeout error), once it was. */
  abortReason: unknown = undefined
  /** The native calls' parts, summed (made on the first report only). */
  native: NativeParts | null = null
  /** Bound {@link recordNative}, made on the first read of `onNativeCall` only. */
  nativeListener: ((timing: NativeCallTiming) => void) | null = null

  constructor(
    user: UserTally,
    measured: boolean,
    intendedAt: number,
    tBegin: number,
    classId: number,
    op: TrackedOp | null,
  ) {
    super()
    this.user = user
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

  /** A native call of this request reported its timing. */
  recordNative(timing: NativeCallTiming): void {
    this.native ??= emptyNativeParts()
    addNativeCall(this.native, timing)
  }

  /** The promise of the call's outcome; {@link resolve} settles it. */
  outcome(): Promise<Outcome> {
    const promise = new Promise<Outcome>(captureResolve)
    this.resolve = capturedResolve
    return promise
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
export class CallOptions implements TargetCallOptions {
  readonly connection: unknown
  readonly #call: Call

  constructor(call: Call, connection: unknown) {
    this.#call = call
    this.connection = connection
  }

  get signal(): AbortSignal {
    return this.#call.signal()
  }

  /** Made on first read, like `signal`: most targets never time native calls. */
  get onNativeCall(): (timing: NativeCallTiming) => void {
    const call = this.#call
    call.nativeListener ??= timing => call.recordNative(timing)
    return call.nativeListener
  }
}
