import test from 'ava'

import { Rng } from '../../../harness/load/rng.ts'
import { sampleThinkMs } from '../../../harness/load/think-time.ts'

test('think time samples', t => {
  const r = new Rng(3)
  t.is(sampleThinkMs({ kind: 'none' }, r), 0)
  t.is(sampleThinkMs({ kind: 'constant', ms: 12 }, r), 12)
  t.is(sampleThinkMs({ kind: 'pacing', intervalMs: 10 }, r), 0)
  for (let i = 0; i < 1000; i++) {
    const u = sampleThinkMs({ kind: 'uniform', minMs: 5, maxMs: 7 }, r)
    t.true(u >= 5 && u <= 7)
  }
})
