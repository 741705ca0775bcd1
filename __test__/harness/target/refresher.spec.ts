import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import { Refresher, describeRefresh } from '../../../harness/target/refresher.ts'

/** A commit that takes `ms` and counts itself: the refresher only needs something awaitable. */
function slowCommit(ms: number) {
  const state = { commits: 0, running: 0, maxRunning: 0 }
  const commit = async () => {
    state.running++
    state.maxRunning = Math.max(state.maxRunning, state.running)
    await sleep(ms)
    state.running--
    state.commits++
  }
  return { state, commit }
}

test('every N writes: one commit per N acknowledged writes, lag recorded for each', async t => {
  const { state, commit } = slowCommit(5)
  const r = new Refresher(commit, { everyWrites: 3 })
  for (let i = 0; i < 7; i++) r.acknowledged(performance.now())
  await r.refresh() // the last write waits alone: commit it
  const v = r.drain()
  t.is(state.commits, 3)
  t.is(v.commits, 3)
  t.is(v.lag.count, 7)
  t.true(v.lag.min >= 4, `lag ${v.lag.min} ms includes the 5 ms commit`)
  t.is(state.maxRunning, 1, 'commits never overlap')
  await r.close()
})

test('interval: writes wait for the timer, not for each other', async t => {
  const { state, commit } = slowCommit(1)
  const r = new Refresher(commit, { intervalMs: 30 })
  r.acknowledged(performance.now())
  r.acknowledged(performance.now())
  t.is(state.commits, 0)
  await sleep(120)
  t.true(state.commits >= 1 && state.commits <= 2)
  const v = r.drain()
  t.is(v.lag.count, 2)
  t.true(v.lag.max >= 20, 'visible only after the interval')
  t.is(v.policy, 'a commit every 30 ms')
  await r.close()
})

test('a failed commit keeps its writes waiting for the next one', async t => {
  let fail = true
  const r = new Refresher(async () => {
    if (fail) throw new Error('disk full')
  }, 'manual')
  // 'manual' ignores acknowledgements: use a policy that records them
  const r2 = new Refresher(
    async () => {
      if (fail) throw new Error('disk full')
    },
    { everyWrites: 100 },
  )
  r2.acknowledged(performance.now())
  await r2.refresh()
  t.like(r2.drain(), { commits: 0, failedCommits: 1, waiting: 1 })
  fail = false
  await r2.refresh()
  t.like(r2.drain(), { commits: 1, failedCommits: 0, waiting: 0 })
  await r.close()
  await r2.close()
  t.is(describeRefresh('every-write'), 'a commit per write')
})
