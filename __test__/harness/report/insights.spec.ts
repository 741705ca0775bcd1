import test from 'ava'

import { mergeNumbers } from '../../../harness/report/insights.ts'

test('warnings that differ only in their numbers read as one, with ranges', t => {
  t.is(
    mergeNumbers([
      'other processes took 77 % of the machine during the window',
      'other processes took 61 % of the machine during the window',
      'other processes took 70 % of the machine during the window',
    ]),
    'other processes took 61–77 % of the machine during the window',
  )
  t.is(mergeNumbers(['lag 1.25 ms over 2 s', 'lag 3.5 ms over 2 s']), 'lag 1.25–3.50 ms over 2 s')
  t.is(mergeNumbers(['event loop lagged']), 'event loop lagged')
})
