import test from 'ava'

import { threadsFlag } from '../../cli/launch.ts'

test('threadsFlag reads --threads N and --threads=N, and null without it', t => {
  t.is(threadsFlag(['--quick', '--threads', '8']), '8')
  t.is(threadsFlag(['--threads=16', '--quick']), '16')
  t.is(threadsFlag(['--threads']), null)
  t.is(threadsFlag(['--quick', '--levels', '1,2']), null)
})
