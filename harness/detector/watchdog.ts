/**
 * The watchdog: liveness monitoring in a `worker_thread`, so it keeps working while the main
 * event loop is blocked.
 *
 * The main thread and the worker share an `Int32Array` over a `SharedArrayBuffer`:
 * - the main thread bumps `HEARTBEAT` from a timer and, on the same timer, stores the number of
 *   operations in flight (`IN_FLIGHT`) and settled at the target so far (`SETTLED`) (all with
 *   `Atomics`, no locks, no messages; publishing on the heartbeat rather than per operation
 *   keeps atomics off the per-request path, and the counts are at most one heartbeat old);
 * - the worker wakes every `tickMs` (`Atomics.wait` with a timeout, interrupted by `STOP`) and
 *   notices when the heartbeat stops changing (blocked event loop) or when operations are in
 *   flight but none settles (stall). It timestamps each episode, keeps counts in the shared
 *   array, and posts episodes to the main thread, where they are read when the loop is free.
 *
 * The worker code is plain JavaScript kept in a string and started with `eval: true` and an
 * empty `execArgv`: no file to resolve or copy into `dist`, no TypeScript loader needed in the
 * worker, identical under tsx on Node 20 and native type stripping on Node ≥ 22.18.
 */

/** Slots of the shared `Int32Array`. */
export const Slot = {
  HEARTBEAT: 0,
  SETTLED: 1,
  IN_FLIGHT: 2,
  STOP: 3,
  BLOCKED_EPISODES: 4,
  LONGEST_BLOCK_MS: 5,
  STALL_EPISODES: 6,
  TICKS: 7,
} as const

export const SLOT_COUNT = 8

/** Settings passed to the worker. */
export interface WatchdogSettings {
  sab: SharedArrayBuffer
  tickMs: number
  blockedAfterMs: number
  stallAfterMs: number
}

/** Messages posted by the worker. `at`/`startedAt`/`endedAt` are epoch ms (timeOrigin + now). */
export type WatchdogMessage =
  | { kind: 'ready'; at: number }
  | { kind: 'blocked-begin'; startedAt: number; at: number }
  | { kind: 'blocked-end'; startedAt: number; endedAt: number; durationMs: number; missedBeats: number }
  | { kind: 'stall-begin'; startedAt: number; at: number; inFlight: number; settled: number }
  | { kind: 'stall-end'; startedAt: number; endedAt: number; durationMs: number }
  | { kind: 'stopped'; at: number; openBlockedSince: number | null; openStallSince: number | null }

/** Source of the worker (plain JavaScript, CommonJS, run with `eval: true`). */
export const WATCHDOG_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const S = ${JSON.stringify(Slot)};
const a = new Int32Array(workerData.sab);
const tickMs = workerData.tickMs;
const blockedAfterMs = workerData.blockedAfterMs;
const stallAfterMs = workerData.stallAfterMs;
const heartbeatMs = workerData.heartbeatMs;
const now = () => performance.timeOrigin + performance.now();
let lastBeat = Atomics.load(a, S.HEARTBEAT);
let lastBeatAt = now();
let lastSettled = Atomics.load(a, S.SETTLED);
let lastSettleAt = now();
let inFlightSince = null;
let blockedSince = null;
let stallSince = null;
parentPort.postMessage({ kind: 'ready', at: now() });
while (Atomics.load(a, S.STOP) === 0) {
  Atomics.wait(a, S.STOP, 0, tickMs);
  const t = now();
  Atomics.add(a, S.TICKS, 1);
  const beat = Atomics.load(a, S.HEARTBEAT);
  if (beat !== lastBeat) {
    if (blockedSince !== null) {
      const d = t - blockedSince;
      parentPort.postMessage({ kind: 'blocked-end', startedAt: blockedSince, endedAt: t, durationMs: d,
        missedBeats: Math.max(0, Math.floor(d / heartbeatMs) - 1) });
      blockedSince = null;
    }
    lastBeat = beat;
    lastBeatAt = t;
  } else if (blockedSince === null && t - lastBeatAt > blockedAfterMs) {
    blockedSince = lastBeatAt;
    Atomics.add(a, S.BLOCKED_EPISODES, 1);
    parentPort.postMessage({ kind: 'blocked-begin', startedAt: blockedSince, at: t });
  }
  if (blockedSince !== null) {
    const d = Math.round(t - blockedSince);
    if (d > Atomics.load(a, S.LONGEST_BLOCK_MS)) Atomics.store(a, S.LONGEST_BLOCK_MS, d);
  }
  const settled = Atomics.load(a, S.SETTLED);
  const inFlight = Atomics.load(a, S.IN_FLIGHT);
  if (settled !== lastSettled) { lastSettled = settled; lastSettleAt = t; }
  if (inFlight <= 0) inFlightSince = null; else if (inFlightSince === null) inFlightSince = t;
  if (stallSince !== null && (inFlight <= 0 || lastSettleAt > stallSince)) {
    parentPort.postMessage({ kind: 'stall-end', startedAt: stallSince, endedAt: t, durationMs: t - stallSince });
    stallSince = null;
  }
  if (stallSince === null && blockedSince === null && inFlightSince !== null) {
    const quietSince = Math.max(lastSettleAt, inFlightSince);
    if (t - quietSince > stallAfterMs) {
      stallSince = quietSince;
      Atomics.add(a, S.STALL_EPISODES, 1);
      parentPort.postMessage({ kind: 'stall-begin', startedAt: quietSince, at: t, inFlight, settled });
    }
  }
}
parentPort.postMessage({ kind: 'stopped', at: now(), openBlockedSince: blockedSince, openStallSince: stallSince });
`
