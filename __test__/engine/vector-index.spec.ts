import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { FlatIndex, HnswIndex, distance, kernelIsa, loadIndex, nativeThreadStats, noopAsync } from '../../main.ts'
import type { SearchHit } from '../../main.ts'
import { NativeVectorIndex } from '../../engine/native.ts'
import {
  bruteForce,
  clusteredVectors,
  distance as bruteDistance,
  randomVectors,
  row,
  tempDir,
} from '../helpers/engine.ts'

const METRICS = ['cosine', 'l2', 'dot'] as const

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function ids(n: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + offset)
}

function sameHits(
  t: { is: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void },
  got: SearchHit[],
  want: { id: number; distance: number }[],
) {
  t.is(got.length, want.length, 'hit count')
  for (let i = 0; i < want.length; i++) {
    // Ties may come back in either order only when distances are equal to float precision.
    t.true(
      Math.abs(got[i].distance - want[i].distance) <= 1e-4 * Math.max(1, Math.abs(want[i].distance)),
      `distance ${i}: ${got[i].distance} vs ${want[i].distance}`,
    )
    if (
      Math.abs((want[i + 1]?.distance ?? Infinity) - want[i].distance) > 1e-4 &&
      Math.abs((want[i - 1]?.distance ?? -Infinity) - want[i].distance) > 1e-4
    ) {
      t.is(got[i].id, want[i].id, `id at rank ${i}`)
    }
  }
}

test('kernelIsa names the dispatched instruction set', t => {
  t.true(['avx512f', 'avx2+fma', 'neon', 'scalar'].includes(kernelIsa()))
})

test('distance matches the brute-force definitions for every metric and dimension', t => {
  for (const d of [1, 3, 8, 15, 16, 17, 31, 64, 100, 768]) {
    const [a, b] = [randomVectors(1, d, d), randomVectors(1, d, d + 1)]
    for (const metric of METRICS) {
      const want = bruteDistance(metric, a, b)
      t.true(Math.abs(distance(metric, a, b) - want) <= 1e-4 * Math.max(1, Math.abs(want)), `${metric} d=${d}`)
    }
  }
  t.throws(() => distance('l2', new Float32Array(3), new Float32Array(4)), { code: 'ERR_DIMENSION_MISMATCH' })
  t.throws(() => distance('hamming', new Float32Array(3), new Float32Array(3)), { code: 'ERR_INVALID_ARGUMENT' })
})

for (const metric of METRICS) {
  test(`FlatIndex (${metric}) equals brute force, async and sync`, async t => {
    const d = 24
    const n = 500
    const data = randomVectors(n, d, 7)
    const index = new FlatIndex({ dimensions: d, metric })
    await index.add(ids(n), data)
    t.is(index.size, n)
    t.is(index.dimensions, d)
    t.is(index.metric, metric)
    t.is(index.kind, 'flat')
    const queries = randomVectors(20, d, 8)
    for (let q = 0; q < 20; q++) {
      const query = row(queries, q, d)
      const want = bruteForce(metric, data, ids(n), d, query, 10)
      sameHits(t, await index.search(query, 10), want)
      sameHits(t, index.searchSync(query, 10), want)
    }
    const batch = await index.searchBatch(queries, 5)
    t.is(batch.length, 20)
    for (let q = 0; q < 20; q++) sameHits(t, batch[q], bruteForce(metric, data, ids(n), d, row(queries, q, d), 5))
  })
}

test('HnswIndex recall@10 >= 0.95 against FlatIndex on 10k clustered vectors', async t => {
  const d = 32
  const n = 10_000
  const data = clusteredVectors(n, d, 50, 42)
  const flat = new FlatIndex({ dimensions: d, metric: 'l2' })
  const hnsw = new HnswIndex({ dimensions: d, metric: 'l2' })
  await Promise.all([flat.add(ids(n), data), hnsw.add(ids(n), data)])
  const queries = clusteredVectors(200, d, 50, 4242)
  const exact = await flat.searchBatch(queries, 10)
  const approx = await hnsw.searchBatch(queries, 10)
  let found = 0
  for (let q = 0; q < 200; q++) {
    const truth = new Set(exact[q].map(h => h.id))
    found += approx[q].filter(h => truth.has(h.id)).length
  }
  const recall = found / (200 * 10)
  t.log(`recall@10 = ${recall.toFixed(4)}`)
  t.true(recall >= 0.95, `recall ${recall}`)
})

test('HnswIndex.compact reclaims removed nodes; results, recall and saved files stay right', async t => {
  const d = 16
  const n = 2000
  const data = clusteredVectors(n, d, 20, 31)
  const all = ids(n)
  const index = new HnswIndex({ dimensions: d, metric: 'l2', seed: 4 })
  await index.add(all, data)
  t.is(await index.compact(), 0, 'nothing to reclaim')
  // 500 removed: below the automatic threshold (the live count, at least 1,024).
  const removed = new Set(all.filter(i => i % 4 === 0))
  t.is(await index.remove([...removed]), 500)
  const before = index.memoryUsage()
  t.is(await index.compact(), 500)
  t.is(await index.compact(), 0)
  t.is(index.size, 1500)
  const after = index.memoryUsage()
  t.true(after.graphBytes < before.graphBytes, `graph ${before.graphBytes} -> ${after.graphBytes}`)
  t.true(after.totalBytes < before.totalBytes, `total ${before.totalBytes} -> ${after.totalBytes}`)
  const queries = clusteredVectors(40, d, 20, 32)
  let found = 0
  for (let q = 0; q < 40; q++) {
    const query = row(queries, q, d)
    const hits = await index.search(query, 10)
    t.is(hits.length, 10)
    for (const h of hits) t.false(removed.has(h.id), `removed id ${h.id} returned`)
    const truth = new Set(bruteForce('l2', data, all, d, query, 10, id => !removed.has(id)).map(h => h.id))
    found += hits.filter(h => truth.has(h.id)).length
  }
  t.true(found / 400 >= 0.9, `recall@10 ${found / 400}`)
  // A removed id can come back; a save after compaction round-trips.
  await index.add([0], row(data, 0, d))
  t.is((await index.search(row(data, 0, d), 1))[0].id, 0)
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'compacted.vnidx')
  await index.save(path)
  const loaded = await HnswIndex.load(path)
  t.is(loaded.size, 1501)
  for (let q = 0; q < 5; q++) {
    t.deepEqual(await loaded.search(row(queries, q, d), 10), await index.search(row(queries, q, d), 10))
  }
  const controller = new AbortController()
  controller.abort()
  await t.throwsAsync(index.compact({ signal: controller.signal }), { code: 'ERR_ABORTED' })
  await t.throwsAsync(index.compact({ signal: 'no' } as never), { code: 'ERR_INVALID_ARGUMENT' })
})

test('HnswIndex exposes its parameters; efSearch and per-query ef are honoured', async t => {
  const index = new HnswIndex({ dimensions: 4, metric: 'cosine', m: 8, efConstruction: 50, efSearch: 20, seed: 3 })
  t.deepEqual(index.params, { m: 8, efConstruction: 50, efSearch: 20, seed: 3 })
  index.efSearch = 40
  t.is(index.efSearch, 40)
  await index.add(
    [1, 2, 3],
    [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ],
  )
  const hits = await index.search([1, 0.1, 0, 0], 2, { ef: 5 })
  t.is(hits[0].id, 1)
  t.is(hits.length, 2)
  t.throws(
    () => {
      index.efSearch = 0
    },
    { code: 'ERR_INVALID_ARGUMENT' },
  )
})

for (const Kind of [FlatIndex, HnswIndex]) {
  test(`${Kind.name}: delete, has, filter, and k items when enough live vectors remain`, async t => {
    const d = 8
    const n = 300
    const data = randomVectors(n, d, 11)
    const index = new Kind({ dimensions: d, metric: 'l2' })
    await index.add(ids(n), data)
    const removed = ids(150).map(i => i * 2)
    t.is(await index.remove(removed), 150)
    t.is(index.size, 150)
    t.false(index.has(0))
    t.true(index.has(1))
    t.is(index.removeSync([1]), 1)
    const queries = randomVectors(30, d, 12)
    for (let q = 0; q < 30; q++) {
      const hits = await index.search(row(queries, q, d), 10)
      t.is(hits.length, 10)
      for (const h of hits) t.true(h.id % 2 === 1 && h.id !== 1, `deleted id ${h.id} returned`)
    }
    const allowed = [3, 5, 7, 9, 11]
    const filtered = await index.search(row(queries, 0, d), 10, { filter: allowed })
    t.deepEqual(
      filtered.map(h => h.id).sort((a, b) => a - b),
      allowed,
    )
    // Re-adding a deleted id is allowed.
    index.addSync([0], row(data, 0, d))
    t.true(index.has(0))
    t.is((await index.search(row(data, 0, d), 1))[0].id, 0)
  })

  test(`${Kind.name}: save and load round trip gives identical results`, async t => {
    const { dir, cleanup } = tempDir()
    t.teardown(cleanup)
    const d = 16
    const data = randomVectors(400, d, 21)
    const index = new Kind({ dimensions: d, metric: 'cosine' })
    await index.add(ids(400, 1000), data)
    await index.remove([1000, 1001])
    const path = join(dir, 'nested-name.vnidx')
    await index.save(path)
    const loaded = await loadIndex(path)
    t.is(loaded.kind, index.kind)
    t.is(loaded.size, 398)
    t.is(loaded.dimensions, d)
    t.is(loaded.metric, 'cosine')
    const reopened = await Kind.load(path)
    const queries = randomVectors(10, d, 22)
    for (let q = 0; q < 10; q++) {
      const a = await index.search(row(queries, q, d), 10)
      t.deepEqual(await loaded.search(row(queries, q, d), 10), a)
      t.deepEqual(await reopened.search(row(queries, q, d), 10), a)
    }
    t.deepEqual(readdirSync(dir), ['nested-name.vnidx'], 'no temporary file left behind')
  })
}

test('the wrong class for a file, corrupt, truncated, foreign and missing files give coded errors', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const index = new FlatIndex({ dimensions: 4 })
  await index.add(
    [1, 2],
    [
      [1, 2, 3, 4],
      [4, 3, 2, 1],
    ],
  )
  const path = join(dir, 'a.vnidx')
  await index.save(path)
  await t.throwsAsync(HnswIndex.load(path), { code: 'ERR_INVALID_ARGUMENT' })

  const bytes = readFileSync(path)
  const flipped = Buffer.from(bytes)
  flipped[bytes.length - 9] ^= 0xff
  writeFileSync(join(dir, 'flipped'), flipped)
  await t.throwsAsync(loadIndex(join(dir, 'flipped')), { code: 'ERR_CORRUPT_INDEX' })

  writeFileSync(join(dir, 'truncated'), bytes.subarray(0, Math.floor(bytes.length / 2)))
  await t.throwsAsync(loadIndex(join(dir, 'truncated')), { code: 'ERR_CORRUPT_INDEX' })

  writeFileSync(join(dir, 'foreign.json'), '{"not": "an index"}')
  await t.throwsAsync(loadIndex(join(dir, 'foreign.json')), {
    code: 'ERR_CORRUPT_INDEX',
    message: /not a vector-native index/,
  })

  await t.throwsAsync(loadIndex(join(dir, 'missing')), { code: 'ERR_IO' })
  await t.throwsAsync(index.save(join(dir, 'no-such-dir', 'x.vnidx')), { code: 'ERR_IO' })
  t.false(existsSync(join(dir, 'no-such-dir')))
  // The failed save changed nothing: the good file still loads.
  t.is((await loadIndex(path)).size, 2)
})

test('I/O errors of save and load name the path', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const index = new FlatIndex({ dimensions: 2 })
  const missing = join(dir, 'missing.vnidx')
  await t.throwsAsync(loadIndex(missing), { code: 'ERR_IO', message: new RegExp(escapeRegExp(missing)) })
  const target = join(dir, 'no-such-dir', 'x.vnidx')
  await t.throwsAsync(index.save(target), { code: 'ERR_IO', message: new RegExp(escapeRegExp(target)) })
})

test('has() refuses a value that is not an id with ERR_INVALID_ARGUMENT', t => {
  const index = new FlatIndex({ dimensions: 2 })
  index.addSync([7], [[1, 2]])
  t.true(index.has(7))
  t.false(index.has(8))
  for (const bad of ['abc', undefined, null, '7', true, -1, 1.5, NaN, Infinity, 2 ** 53, 7n, {}]) {
    t.throws(() => index.has(bad as number), { code: 'ERR_INVALID_ARGUMENT' }, String(bad))
  }
})

test('ids and vector components are never coerced: strings, booleans and null are refused', async t => {
  const index = new FlatIndex({ dimensions: 2, metric: 'l2' })
  index.addSync([1], [[1, 1]])
  for (const bad of ['9', true, null, undefined, 9n, [9]] as unknown[]) {
    await t.throwsAsync(index.add([bad as number], [[1, 2]]), { code: 'ERR_INVALID_ARGUMENT' }, String(bad))
    t.throws(() => index.addSync([bad as number], [[1, 2]]), { code: 'ERR_INVALID_ARGUMENT' }, String(bad))
    await t.throwsAsync(index.remove([bad as number]), { code: 'ERR_INVALID_ARGUMENT' }, String(bad))
    await t.throwsAsync(index.search([1, 1], 1, { filter: [bad as number] }), { code: 'ERR_INVALID_ARGUMENT' })
  }
  for (const component of [null, '1', true, undefined]) {
    const row = [1, component] as number[]
    await t.throwsAsync(index.add([2], [row]), { code: 'ERR_INVALID_ARGUMENT' }, String(component))
    await t.throwsAsync(index.search(row, 1), { code: 'ERR_INVALID_ARGUMENT' }, String(component))
    await t.throwsAsync(index.searchBatch([row], 1), { code: 'ERR_INVALID_ARGUMENT' }, String(component))
  }
  t.is(index.size, 1)
  t.deepEqual(await index.search([1, 1], 5), [{ id: 1, distance: 0 }])
})

test('binding numbers are range-checked, not wrapped to 32 bits', async t => {
  const native = NativeVectorIndex.createFlat(2, 'l2')
  native.addSync(new Float64Array([1, 2]), new Float32Array([0, 0, 5, 5]))
  const query = new Float32Array([0, 0])
  t.is((await native.search(query, 1)).length, 2) // one hit: [id, distance]
  for (const k of [2 ** 32 + 1, -1, 1.5, NaN, Infinity]) {
    await t.throwsAsync(native.search(query, k), { code: 'ERR_INVALID_ARGUMENT' }, `k = ${k}`)
    t.throws(() => native.searchSync(query, k), { code: 'ERR_INVALID_ARGUMENT' }, `k = ${k}`)
  }
  await t.throwsAsync(native.search(query, 1, { ef: 2 ** 32 + 16 }), { code: 'ERR_INVALID_ARGUMENT' })
  t.throws(() => NativeVectorIndex.createFlat(2 ** 32 + 2, 'l2'), { code: 'ERR_INVALID_ARGUMENT' })
  t.throws(() => NativeVectorIndex.createHnsw(2, 'l2', { m: 2 ** 32 + 16 }), { code: 'ERR_INVALID_ARGUMENT' })
  t.throws(() => NativeVectorIndex.createHnsw(2, 'l2', { seed: 2 ** 32 }), { code: 'ERR_INVALID_ARGUMENT' })
  const hnsw = NativeVectorIndex.createHnsw(2, 'l2', { efSearch: 50 })
  t.throws(() => hnsw.setEfSearch(2 ** 32 + 7), { code: 'ERR_INVALID_ARGUMENT' })
  t.is(hnsw.hnswParams?.efSearch, 50)
})

test('loadIndex refuses a directory or a FIFO at once instead of hanging a pool thread', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  await t.throwsAsync(loadIndex(dir), { code: 'ERR_INVALID_ARGUMENT', message: /directory/ })
  if (process.platform === 'win32') return
  const fifo = join(dir, 'fifo.vnidx')
  execFileSync('mkfifo', [fifo])
  const hang = new Promise(resolve => setTimeout(resolve, 10_000, 'hung')).then(() => 'hung')
  const outcome = await Promise.race([
    loadIndex(fifo).then(
      () => 'loaded',
      (error: { code?: string }) => error.code,
    ),
    hang,
  ])
  t.is(outcome, 'ERR_INVALID_ARGUMENT')
})

test('a file from a newer format version is refused with ERR_UNSUPPORTED_VERSION', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const index = new FlatIndex({ dimensions: 2, metric: 'l2' })
  index.addSync([5], [[1, 1]])
  const path = join(dir, 'v.vnidx')
  await index.save(path)
  const bytes = Buffer.from(readFileSync(path))
  bytes.writeUInt32LE(99, 8) // the format version follows the 8 magic bytes
  writeFileSync(path, bytes)
  await t.throwsAsync(loadIndex(path), { code: 'ERR_UNSUPPORTED_VERSION' })
})

test('bad input is rejected with a coded error and changes nothing', async t => {
  const index = new HnswIndex({ dimensions: 3, metric: 'cosine' })
  await index.add(
    [1, 2],
    [
      [1, 0, 0],
      [0, 1, 0],
    ],
  )
  // wrong dimension
  await t.throwsAsync(index.search([1, 0], 1), { code: 'ERR_DIMENSION_MISMATCH' })
  await t.throwsAsync(index.add([3], new Float32Array(4)), { code: 'ERR_DIMENSION_MISMATCH' })
  t.throws(() => index.searchSync(new Float32Array(4), 1), { code: 'ERR_DIMENSION_MISMATCH' })
  await t.throwsAsync(index.searchBatch(new Float32Array(5), 1), { code: 'ERR_DIMENSION_MISMATCH' })
  // NaN and infinity
  await t.throwsAsync(index.search([NaN, 0, 0], 1), { code: 'ERR_INVALID_ARGUMENT', message: /non-finite/ })
  await t.throwsAsync(index.add([3], [[Infinity, 0, 0]]), { code: 'ERR_INVALID_ARGUMENT', message: /non-finite/ })
  // k out of range
  await t.throwsAsync(index.search([1, 0, 0], 0), { code: 'ERR_INVALID_ARGUMENT', message: /k must be/ })
  await t.throwsAsync(index.search([1, 0, 0], 1.5), { code: 'ERR_INVALID_ARGUMENT' })
  await t.throwsAsync(index.search([1, 0, 0], 100_001), { code: 'ERR_INVALID_ARGUMENT' })
  // zero vector has no direction under cosine
  await t.throwsAsync(index.add([3], [[0, 0, 0]]), { code: 'ERR_INVALID_ARGUMENT', message: /zero vector/ })
  // ids: duplicates (within the batch and against the index), unknown, not integers
  await t.throwsAsync(index.add([1], [[0, 0, 1]]), { code: 'ERR_DUPLICATE_ID' })
  await t.throwsAsync(
    index.add(
      [7, 7],
      [
        [0, 0, 1],
        [0, 1, 1],
      ],
    ),
    { code: 'ERR_DUPLICATE_ID' },
  )
  await t.throwsAsync(index.remove([1, 999]), { code: 'ERR_UNKNOWN_ID' })
  await t.throwsAsync(index.add([-1], [[0, 0, 1]]), { code: 'ERR_INVALID_ARGUMENT', message: /ids must be integers/ })
  await t.throwsAsync(index.add([0.5], [[0, 0, 1]]), { code: 'ERR_INVALID_ARGUMENT' })
  await t.throwsAsync(index.add([1, 2, 3], [[0, 0, 1]]), { code: 'ERR_DIMENSION_MISMATCH' })
  // options
  t.throws(() => new HnswIndex({ dimensions: 0 }), { code: 'ERR_INVALID_ARGUMENT', message: /dimensions/ })
  t.throws(() => new FlatIndex({ dimensions: 3, metric: 'manhattan' as 'l2' }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /metric/,
  })
  t.throws(() => new HnswIndex({ dimensions: 3, m: 1 }), { code: 'ERR_INVALID_ARGUMENT', message: /m/ })
  await t.throwsAsync(index.search([1, 0, 0], 1, { ef: 0 }), { code: 'ERR_INVALID_ARGUMENT' })
  await t.throwsAsync(index.search([1, 0, 0], 1, { bogus: true } as never), { code: 'ERR_INVALID_ARGUMENT' })
  await t.throwsAsync(index.save(''), { code: 'ERR_INVALID_ARGUMENT' })
  // nothing changed
  t.is(index.size, 2)
  t.deepEqual(
    (await index.search([1, 0, 0], 2)).map(h => h.id),
    [1, 2],
  )
})

test('the native layer validates on its own too (bypassing the TypeScript checks)', async t => {
  const { NativeVectorIndex } = await import('../../engine/native.ts')
  t.throws(() => NativeVectorIndex.createFlat(3, 'manhattan'), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /unknown metric/,
  })
  const native = NativeVectorIndex.createHnsw(3, 'l2', { m: 4 })
  await native.add(new Float64Array([1]), new Float32Array([1, 2, 3]))
  await t.throwsAsync(native.search(new Float32Array([1, 2]), 1), { code: 'ERR_DIMENSION_MISMATCH' })
  await t.throwsAsync(native.search(new Float32Array([1, NaN, 2]), 1), { code: 'ERR_INVALID_ARGUMENT' })
  await t.throwsAsync(native.search(new Float32Array([1, 2, 3]), 0), { code: 'ERR_INVALID_ARGUMENT' })
  await t.throwsAsync(native.add(new Float64Array([2 ** 53]), new Float32Array([1, 2, 3])), {
    code: 'ERR_INVALID_ARGUMENT',
  })
  // Compaction is HNSW's: a flat index frees its rows on remove.
  await t.throwsAsync(NativeVectorIndex.createFlat(3, 'l2').compact(), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /HNSW indexes only/,
  })
  t.is(await native.compact(), 0)
})

test('an aborted signal rejects with ERR_ABORTED and the index is unchanged', async t => {
  const index = new FlatIndex({ dimensions: 2, metric: 'l2' })
  const controller = new AbortController()
  controller.abort()
  await t.throwsAsync(index.add([1], [[1, 2]], { signal: controller.signal }), {
    code: 'ERR_ABORTED',
    name: 'AbortError',
  })
  await t.throwsAsync(index.search([1, 2], 1, { signal: controller.signal }), { code: 'ERR_ABORTED' })
  t.is(index.size, 0)
  // A live signal does not get in the way.
  const live = new AbortController()
  await index.add([1], [[1, 2]], { signal: live.signal })
  t.deepEqual(await index.search([1, 2], 1, { signal: live.signal }), [{ id: 1, distance: 0 }])
})

test('concurrent searches while adds and removes run give only valid results', async t => {
  const d = 16
  const index = new HnswIndex({ dimensions: d, metric: 'l2', efConstruction: 64 })
  const base = randomVectors(2000, d, 31)
  await index.add(ids(1000), base.subarray(0, 1000 * d))
  const removedEarly = ids(100) // removed before any search below starts
  await index.remove(removedEarly)
  const queries = randomVectors(200, d, 32)
  const writers = [
    index.add(ids(500, 1000), base.subarray(1000 * d, 1500 * d)),
    index.add(ids(500, 1500), base.subarray(1500 * d, 2000 * d)),
    index.remove(ids(100, 100)),
  ]
  const searches = Array.from({ length: 200 }, (_, q) => index.search(row(queries, q, d), 10))
  const results = await Promise.all(searches)
  await Promise.all(writers)
  for (const hits of results) {
    t.is(hits.length, 10)
    for (const h of hits) {
      t.true(Number.isInteger(h.id) && h.id >= 100 && h.id < 2000, `unexpected id ${h.id}`)
      t.true(Number.isFinite(h.distance))
    }
    for (let i = 1; i < hits.length; i++) t.true(hits[i - 1].distance <= hits[i].distance)
  }
  t.is(index.size, 2000 - 200)
})

test.serial('noopAsync resolves, and nativeThreadStats counts tasks with CPU time per worker thread', async t => {
  const before = nativeThreadStats()
  const index = new FlatIndex({ dimensions: 64, metric: 'dot' })
  await index.add(ids(2000), randomVectors(2000, 64, 5))
  // One native task per call (concurrent calls would otherwise be coalesced into fewer tasks).
  await Promise.all(Array.from({ length: 32 }, () => index.search(randomVectors(1, 64, 6), 10, { coalesce: false })))
  await noopAsync()
  const after = nativeThreadStats()
  const tasks = after.reduce((s, x) => s + x.tasks, 0) - before.reduce((s, x) => s + x.tasks, 0)
  t.is(tasks, 1 + 32 + 1)
  const cpu = after.reduce((s, x) => s + x.cpuTimeNs, 0) - before.reduce((s, x) => s + x.cpuTimeNs, 0)
  t.true(cpu > 0)
  for (const s of after) {
    t.true(s.threadId >= 1)
    t.true(s.cpuTimeNs <= s.wallTimeNs * 1.05 + 1e6, 'a thread cannot use more CPU than wall time')
  }
})
