import test from 'ava'

import { ConnectionPool } from '../../harness/pool.ts'

test('partition: one pool per class of its share; a class at its limit waits while another class still gets leases', async t => {
  const pools = ConnectionPool.partition({ light: 3, heavy: 1 }, { name: 'sessions' })
  t.deepEqual(Object.keys(pools), ['light', 'heavy'])
  t.is(pools.light.size, 3)
  t.is(pools.heavy.size, 1)
  t.is(pools.heavy.name, 'sessions:heavy')
  const h = await pools.heavy.acquire()
  // The heavy class is at its limit: its next acquire times out ...
  await t.throwsAsync(pools.heavy.acquire({ timeoutMs: 20 }), { code: 'ERR_POOL_TIMEOUT' })
  // ... while the light class's reserved leases are all free.
  const light = [await pools.light.acquire(), await pools.light.acquire(), await pools.light.acquire()]
  t.is(pools.light.inUse, 3)
  for (const l of light) l.release()
  h.release()
  await Promise.all(Object.values(pools).map(p => p.close()))
})
