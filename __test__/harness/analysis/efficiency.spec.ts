import test from 'ava'

import { linearScalingRange, scalingEfficiency } from '../../../harness/analysis/efficiency.ts'

test('efficiency is X(N) / (N·X(1)) with a level at 1', t => {
  t.deepEqual(
    scalingEfficiency([
      { n: 1, x: 100 },
      { n: 2, x: 200 },
      { n: 4, x: 300 },
    ]),
    [1, 1, 0.75],
  )
})

test('efficiency is relative to the smallest level when N = 1 was not measured', t => {
  t.deepEqual(
    scalingEfficiency([
      { n: 8, x: 400 },
      { n: 2, x: 100 },
      { n: 4, x: 200 },
    ]),
    [1, 1, 1],
  )
})

test('linear range runs from the smallest level while efficiency stays >= 0.9', t => {
  const points = [
    { n: 1, x: 100 },
    { n: 2, x: 195 },
    { n: 4, x: 370 },
    { n: 8, x: 500 },
    { n: 16, x: 1500 },
  ]
  t.deepEqual(linearScalingRange(points), [1, 4])
  t.is(
    linearScalingRange([
      { n: 1, x: 100 },
      { n: 2, x: 120 },
    ]),
    null,
  )
  t.is(linearScalingRange([{ n: 1, x: 100 }]), null)
})
