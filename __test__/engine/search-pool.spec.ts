/**
 * Searches (vector and hybrid) run on the engine's own worker threads (src/pool.rs), settled through a threadsafe
 * function (src/pool_task.rs) rather than libuv's async work: results, coded errors, aborts,
 * the process's life cycle and worker threads are checked here against the real engine.
 */
import { execFile } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { FlatIndex, nativeThreadStats, searchThreads } from '../../main.ts'
import { NativeVectorIndex } from '../../engine/native.ts'
import { bruteForce, openTempSystem, randomVectors, row } from '../helpers/engine.ts'

const FIXTURE = fileURLToPath(new URL('../fixtures/search-pool-run.ts', import.meta.url))

function runFixture(mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      ['--import=tsx', FIXTURE, mode],
      { timeout: 60_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; killed?: boolean }) | null
        resolve({ code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null, stdout, stderr })
      },
    )
  })
}

/** A 60k × 128 flat index, big enough that one scan takes milliseconds, so searches sent
 * together queue behind one another; and a query for it. */
async function slowFlatIndex(seed: number): Promise<{ native: NativeVectorIndex; query: Float32Array }> {
  const d = 128
  const n = 60_000
  const native = NativeVectorIndex.createFlat(d, 'l2')
  await native.add(
    Float64Array.from({ length: n }, (_, i) => i),
    randomVectors(n, d, seed),
  )
  return { native, query: randomVectors(1, d, seed + 1) }
}

function tasksSoFar(): number {
  return nativeThreadStats().reduce((sum, s) => sum + s.tasks, 0)
}

test('searchThreads: UV_THREADPOOL_SIZE when set, else 4 or the cores if fewer', t => {
  const set = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10)
  const expected = set > 0 ? Math.min(set, 1024) : Math.min(4, availableParallelism())
  t.is(searchThreads(), expected)
})

test.serial('searches give the brute-force answer, one at a time and many at once', async t => {
  const d = 24
  const n = 3000
  const data = randomVectors(n, d, 11)
  const index = new FlatIndex({ dimensions: d, metric: 'cosine' })
  const ids = Array.from({ length: n }, (_, i) => i)
  await index.add(ids, data)
  const queries = randomVectors(64, d, 12)
  const want = Array.from({ length: 64 }, (_, q) => bruteForce('cosine', data, ids, d, row(queries, q, d), 5))
  for (let q = 0; q < 8; q++) {
    const hits = await index.search(row(queries, q, d), 5, { coalesce: false })
    t.deepEqual(
      hits.map(h => h.id),
      want[q].map(h => h.id),
    )
  }
  const all = await Promise.all(
    Array.from({ length: 64 }, (_, q) => index.search(row(queries, q, d), 5, { coalesce: false })),
  )
  for (let q = 0; q < 64; q++) {
    t.deepEqual(
      all[q].map(h => h.id),
      want[q].map(h => h.id),
    )
  }
})

test.serial('engine errors from a search worker arrive as coded errors, to their own caller', async t => {
  const native = NativeVectorIndex.createFlat(3, 'l2')
  await native.add(new Float64Array([1, 2]), new Float32Array([1, 0, 0, 0, 1, 0]))
  const [bad, good, wrongDims] = await Promise.allSettled([
    native.search(new Float32Array([1, 2, 3]), 0),
    native.search(new Float32Array([1, 0, 0]), 1),
    native.search(new Float32Array([1, 0]), 1),
  ])
  t.like(bad, { status: 'rejected', reason: { code: 'ERR_INVALID_ARGUMENT' } })
  t.like(wrongDims, { status: 'rejected', reason: { code: 'ERR_DIMENSION_MISMATCH' } })
  t.is(good.status, 'fulfilled')
  t.deepEqual(Array.from((good as PromiseFulfilledResult<Float64Array>).value), [1, 0])
})

test.serial('an abort rejects a queued search at once, and its worker skips it', async t => {
  const { native, query } = await slowFlatIndex(3)
  const before = tasksSoFar()
  let heavyDone = 0
  const heavy = Array.from({ length: 12 }, () => native.search(query, 10).then(() => heavyDone++))
  const controller = new AbortController()
  const aborted = native.search(query, 10, undefined, controller.signal)
  const last = native.search(query, 10)
  controller.abort()
  const error = await t.throwsAsync(aborted, { name: 'AbortError' })
  t.truthy(error)
  // Rejected on the JS thread at once, not when a worker reached it.
  t.is(heavyDone, 0)
  await Promise.all([...heavy, last])
  // Twelve heavy searches and the last one ran; the aborted one never did.
  t.is(tasksSoFar() - before, 13)
})

test.serial(
  'hybrid searches share the pool: one queued behind vector searches aborts at once, then all answer',
  async t => {
    const { system } = await openTempSystem(t, 16)
    await system.add([
      { id: 'castle', text: 'A history of medieval castles and their sieges' },
      { id: 'wind', text: 'Offshore wind farms connect to the grid' },
    ])
    await system.commit()
    const session = system.openSession()
    const want = await system.search('castles sieges', { k: 1 })
    t.is(want[0].id, 'castle')

    const { native, query } = await slowFlatIndex(5)
    let heavyDone = 0
    const heavy = Array.from({ length: 12 }, () => native.search(query, 10).then(() => heavyDone++))
    const controller = new AbortController()
    const aborted = system.search('castles sieges', { k: 1, signal: controller.signal })
    const fromSystem = system.search('castles sieges', { k: 1 })
    const fromSession = session.search('castles sieges', { k: 1 })
    controller.abort()
    await t.throwsAsync(aborted, { code: 'ERR_ABORTED' })
    t.is(heavyDone, 0, 'rejected at once, while the vector searches ahead of it still ran')
    t.deepEqual(await fromSystem, want)
    t.deepEqual(await fromSession, want)
    await Promise.all(heavy)
    session.close()
    await t.throwsAsync(session.search('castles'), { code: 'ERR_CLOSED' })
  },
)

test.serial('an abort of a running search rejects that call only; the others resolve', async t => {
  const index = new FlatIndex({ dimensions: 4, metric: 'l2' })
  await index.add(
    [1, 2, 3],
    [
      [0, 0, 0, 1],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
    ],
  )
  const controllers = Array.from({ length: 20 }, () => new AbortController())
  const calls = controllers.map(c => index.search([0, 0, 1, 0], 1, { signal: c.signal, coalesce: false }))
  controllers[7].abort()
  const settled = await Promise.allSettled(calls)
  for (const [i, outcome] of settled.entries()) {
    if (i === 7) t.like(outcome, { status: 'rejected', reason: { code: 'ERR_ABORTED' } })
    else t.deepEqual(outcome, { status: 'fulfilled', value: [{ id: 2, distance: 0 }] })
  }
})

test('a pending search keeps the process alive; an idle pool lets it exit', async t => {
  const outcome = await runFixture('alone')
  t.is(outcome.code, 0, outcome.stderr.slice(-2000))
  t.deepEqual(JSON.parse(outcome.stdout), {
    hits: [
      { id: 0, distance: 0 },
      { id: 1, distance: 8 },
    ],
  })
})

test('worker threads search in parallel; terminating one mid-search harms nobody', async t => {
  const outcome = await runFixture('workers')
  t.is(outcome.code, 0, outcome.stderr.slice(-2000))
  t.deepEqual(JSON.parse(outcome.stdout), { mainBefore: 300, mainAfter: 300, fromWorkers: [300, 300], doomedExit: 1 })
})
