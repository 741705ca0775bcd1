import test from 'ava'

import { ErrorCodes } from '../../../errors.ts'
import { ConcurrentBenchmark } from '../../../harness/run/benchmark.ts'
import { HTTP_PRESETS, atPath, compileTemplate, httpTarget } from '../../../harness/target/index.ts'
import type { HttpQuery } from '../../../harness/target/index.ts'
import { startServe } from '../../helpers/serve.ts'
import type { ServedEngine } from '../../helpers/serve.ts'

let served: ServedEngine

test.before(async () => {
  served = await startServe(['--docs', '600'])
})

test.after.always(async () => {
  await served?.stop('SIGTERM')
})

const queries: HttpQuery[] = ['alpha topic', 'common words here', 'doc text', 'another query'].map(text => ({ text }))

test('compileTemplate and atPath: placeholders become typed JSON, paths reach into arrays', t => {
  const c = compileTemplate({ a: '{{vector}}', b: ['{{k}}'], c: { d: '{{text}}' }, e: 'keep {{k}} inside' })
  t.deepEqual(c.slots, ['vector', 'k', 'text'])
  t.is(c.pieces.length, 4)
  t.is(atPath({ ids: [['a', 'b']] }, 'ids.0.1'), 'b')
  t.is(atPath({ hits: { hits: [1] } }, 'hits.hits.0'), 1)
  t.is(atPath({ a: 1 }, 'a.b'), undefined)
})

test.serial('a closed-model run against the served engine: every request succeeds, pool figures reported', async t => {
  const template = await HTTP_PRESETS['vector-native'].resolve(served.url, {})
  const target = httpTarget({ ...template, url: served.url, connections: 3, k: 5 })
  try {
    const bench = new ConcurrentBenchmark(target)
    const r = await bench.runConcurrentTest({
      load: { model: 'closed', users: 3, durationMs: 800, warmUpMs: 200 },
      queries,
      pool: { size: 3 },
      seed: 7,
      requestTimeoutMs: 10_000,
    })
    t.true(r.successfulRequests > 10, `${r.successfulRequests} successes`)
    t.is(r.failedRequests + r.timeoutRequests, 0, JSON.stringify(r.errorsByCode))
    t.is(r.timeBreakdown.coverage, 'harness')
    t.is(r.timeBreakdown.nativeRun.mean, 0)
    t.true(r.timeBreakdown.other.mean > 0)
    const c = r.targetConnections
    t.truthy(c)
    t.is(c?.kind, 'undici keep-alive pool')
    t.is(c?.connections, 3)
    t.true((c?.samples ?? 0) > 0)
    t.true((c?.peakConnected ?? 99) <= 3)
    // The harness's pool holds as many leases as the client has sockets: little queues in undici
    // (a sample may catch a socket between a response read and its release).
    t.true((c?.meanQueued ?? 99) < 0.5, JSON.stringify(c))
    t.truthy(r.mergeable)
  } finally {
    await target.close()
  }
})

test.serial('vector queries through the vector preset; HTTP errors and missing hits are coded', async t => {
  const vectorTemplate = await HTTP_PRESETS['vector-native-vector'].resolve(served.url, {})
  const vector = Array.from({ length: 256 }, (_, i) => Math.sin(i))
  const ok = httpTarget({ ...vectorTemplate, url: served.url, connections: 1, k: 3 })
  const signal = new AbortController().signal
  try {
    const hits = (await ok.search({ vector }, { signal })) as unknown[]
    t.is(hits.length, 3)
    t.true(ok.needsVector)
    await t.throwsAsync(ok.search({ text: 'no vector' }, { signal }), { code: ErrorCodes.INVALID_CONFIG })
  } finally {
    await ok.close()
  }
  const badStatus = httpTarget({ ...vectorTemplate, url: served.url, connections: 1, k: 3 })
  const wrongHits = httpTarget({
    path: '/search',
    body: { text: '{{text}}', k: '{{k}}' },
    hits: 'results',
    url: served.url,
    connections: 1,
  })
  try {
    const e = await t.throwsAsync(badStatus.search({ vector: [1, 2] }, { signal }), { code: ErrorCodes.HTTP_STATUS })
    t.regex(e?.message ?? '', /400.*ERR_DIMENSION_MISMATCH/)
    await t.throwsAsync(wrongHits.search({ text: 'doc' }, { signal }), { code: ErrorCodes.HTTP_RESPONSE })
  } finally {
    await badStatus.close()
    await wrongHits.close()
  }
})

test('presets that need a collection say so', async t => {
  await t.throwsAsync(HTTP_PRESETS.qdrant.resolve('http://127.0.0.1:1', {}), { code: ErrorCodes.INVALID_CONFIG })
  const q = await HTTP_PRESETS.qdrant.resolve('http://127.0.0.1:1', { collection: 'c' })
  t.is(q.path, '/collections/c/points/search')
  const os = await HTTP_PRESETS.opensearch.resolve('http://127.0.0.1:1', { collection: 'idx', field: 'emb' })
  t.deepEqual(Object.keys((os.body as { query: { knn: object } }).query.knn), ['emb'])
  const m = await HTTP_PRESETS.milvus.resolve('http://127.0.0.1:1', { collection: 'c' })
  t.is(m.hits, 'data')
})
