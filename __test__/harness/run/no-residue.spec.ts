import { setImmediate as tick } from 'node:timers/promises'

import test from 'ava'

import { ConcurrentBenchmark, DeadlockDetector } from '../../../harness/index.ts'
import type { SearchTarget } from '../../../harness/index.ts'

// On Node 20 an enabled AsyncLocalStorage runs promise hooks on every promise in the process,
// and every one of them loops over all enabled storages. The harness once left one enabled per
// detector, so each run made every later promise (the target's included) slower: after a
// dozen runs a bare `await` loop ran 10× slower. The hooks leave their marks on each new promise
// (symbol-keyed properties), which makes the check deterministic.
const hooked = (): boolean => Object.getOwnPropertySymbols(Promise.resolve()).length > 0

const noop: SearchTarget<string> = { name: 'no-op', search: async () => {} }

test.serial('a run leaves no promise hooks behind, with or without harness locks', async t => {
  if (hooked()) {
    t.log('promise hooks are already on in this process (test runner): nothing to check')
    t.pass()
    return
  }
  // Default detector (no locks): its operations never enter an AsyncLocalStorage.
  await new ConcurrentBenchmark(noop).runConcurrentTest({
    load: { model: 'closed', users: 4, durationMs: 100 },
    queries: ['q'],
    seed: 1,
  })
  await tick()
  t.false(hooked(), 'after a run with the default detector')

  // A detector with a lock: operations run in its AsyncLocalStorage while the run lasts, and
  // stopping the detector (the harness started it, so the harness stops it) switches it off.
  const detector = new DeadlockDetector()
  const lock = detector.createLock('L')
  let sawHooks = false
  const locking: SearchTarget<string> = {
    name: 'locking',
    async search() {
      sawHooks ||= hooked()
      const release = await lock.acquire()
      release()
    },
  }
  await new ConcurrentBenchmark(locking).runConcurrentTest({
    load: { model: 'closed', users: 2, durationMs: 100 },
    queries: ['q'],
    detector,
    seed: 2,
  })
  t.true(sawHooks, 'operations ran in the context while the run lasted')
  await tick()
  t.false(hooked(), 'after the detector with locks was stopped')
})
