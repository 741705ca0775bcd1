import test from 'ava'

import { expandLevels, refineBetween } from '../../../harness/sweep/levels.ts'

test('lists are sorted and deduplicated', t => {
  t.deepEqual(expandLevels([8, 1, 4, 4, 2]), [1, 2, 4, 8])
})

test('start/max/step and geometric ranges', t => {
  t.deepEqual(expandLevels({ start: 2, max: 10, step: 4 }), [2, 6, 10])
  t.deepEqual(expandLevels({ start: 1, max: 16, factor: 2 }), [1, 2, 4, 8, 16])
  t.deepEqual(expandLevels({ start: 1, max: 20, factor: 2 }), [1, 2, 4, 8, 16, 20])
  t.deepEqual(expandLevels({ start: 1, max: 10, factor: 1.5 }), [1, 2, 3, 5, 8, 10])
  t.deepEqual(expandLevels({ start: 100, max: 400, factor: 2 }, false), [100, 200, 400])
})

test('bad specs are refused', t => {
  t.throws(() => expandLevels([]))
  t.throws(() => expandLevels([0, 1]))
  t.throws(() => expandLevels({ start: 8, max: 2, step: 1 }), { instanceOf: RangeError })
  t.throws(() => expandLevels({ start: 1, max: 1000, step: 1 }), { message: /at most 200/ })
})

test('refineBetween bisects until the levels are adjacent', t => {
  t.is(refineBetween(8, 16), 12)
  t.is(refineBetween(8, 9), null)
  t.is(refineBetween(8, 10), 9)
  t.is(refineBetween(100, 200, false), 150)
  t.is(refineBetween(100, 104, false), null)
  t.is(refineBetween(10, 5), null)
})
