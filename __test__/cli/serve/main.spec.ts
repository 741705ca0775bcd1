import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { parseServeArgs } from '../../../cli/serve/main.ts'
import { HnswIndex, UnifiedSearchSystem } from '../../../engine/index.ts'
import { ErrorCodes } from '../../../errors.ts'
import { tempDir } from '../../helpers/engine.ts'
import { json, startServe } from '../../helpers/serve.ts'
import type { ServedEngine } from '../../helpers/serve.ts'

type ErrorBody = { error: { code: string; message: string } }
type Hits = { hits: { id: string; score: number }[]; tookMs: number }

let served: ServedEngine
const dir = mkdtempSync(join(tmpdir(), 'vn-serve-spec-'))

test.before(async () => {
  served = await startServe([
    '--docs',
    '400',
    '--body-limit',
    '8192',
    // A connection the client opened but never used counts as busy: cut it after 3 s, not 10.
    '--drain-timeout',
    '3s',
    '--text-index',
    join(dir, 'text'),
    '--vector-db',
    join(dir, 'vectors'),
  ])
})

test.after.always(async () => {
  await served?.stop('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

test.serial('GET /health and /stats describe the served store', async t => {
  const health = await json(`${served.url}/health`)
  t.is(health.status, 200)
  t.like(health.body, { status: 'ok', generation: 1 })
  const stats = await json(`${served.url}/stats`)
  t.is(stats.status, 200)
  t.like(stats.body, { store: { docCount: 400, dimensions: 256, vectorIndex: 'hnsw' } })
  t.true((stats.body as { server: { requests: number } }).server.requests >= 2)
})

test.serial('POST /search: text, vector and hybrid searches return k hits', async t => {
  const text = await json(`${served.url}/search`, { text: 'doc', mode: 'text', k: 3 })
  t.is(text.status, 200)
  const hybrid = await json(`${served.url}/search`, { text: 'the topic words', k: 5 })
  t.is(hybrid.status, 200)
  t.is((hybrid.body as Hits).hits.length, 5)
  const vector = await json(`${served.url}/search`, {
    vector: Array.from({ length: 256 }, (_, i) => (i % 7) / 7),
    k: 4,
  })
  t.is(vector.status, 200)
  t.is((vector.body as Hits).hits.length, 4)
  for (const hit of (vector.body as Hits).hits) t.regex(hit.id, /^doc-\d+$/)
})

test.serial('POST /documents and /commit: an added document becomes searchable', async t => {
  const words = 'zyxwvut quarkonium flibbertigibbet'
  const added = await json(`${served.url}/documents`, { documents: [{ id: 'served-1', text: words }] })
  t.is(added.status, 200)
  t.like(added.body, { added: 1 })
  const before = await json(`${served.url}/search`, { text: 'quarkonium', mode: 'text', k: 1 })
  t.deepEqual((before.body as Hits).hits, [])
  const committed = await json(`${served.url}/commit`, {})
  t.is(committed.status, 200)
  t.is((committed.body as { generation: number }).generation, 2)
  const after = await json(`${served.url}/search`, { text: 'quarkonium', mode: 'text', k: 1 })
  t.is((after.body as Hits).hits[0]?.id, 'served-1')
  const withCommit = await json(`${served.url}/documents`, {
    documents: [{ id: 'served-2', text: 'snollygoster', metadata: { a: 1 } }],
    commit: true,
  })
  t.like(withCommit.body, { added: 1, generation: 3 })
})

test.serial('bad requests get 4xx JSON errors with the package codes', async t => {
  const cases: [string, Awaited<ReturnType<typeof json>>, number, string][] = [
    ['no text, no vector', await json(`${served.url}/search`, { k: 3 }), 400, ErrorCodes.INVALID_ARGUMENT],
    ['unknown field', await json(`${served.url}/search`, { text: 'a', top: 3 }), 400, ErrorCodes.INVALID_ARGUMENT],
    ['k out of range', await json(`${served.url}/search`, { text: 'a', k: 0 }), 400, ErrorCodes.INVALID_ARGUMENT],
    ['k not an integer', await json(`${served.url}/search`, { text: 'a', k: 2.5 }), 400, ErrorCodes.INVALID_ARGUMENT],
    ['bad JSON', await json(`${served.url}/search`, undefined, { raw: '{"text":' }), 400, ErrorCodes.INVALID_ARGUMENT],
    [
      'wrong vector length',
      await json(`${served.url}/search`, { vector: [1, 2, 3] }),
      400,
      ErrorCodes.DIMENSION_MISMATCH,
    ],
    ['no route', await json(`${served.url}/nowhere`), 404, ErrorCodes.NOT_FOUND],
    ['wrong method', await json(`${served.url}/search`), 404, ErrorCodes.NOT_FOUND],
    [
      'duplicate id',
      await json(`${served.url}/documents`, { documents: [{ id: 'doc-1', text: 'again' }] }),
      409,
      ErrorCodes.DUPLICATE_ID,
    ],
    ['empty documents', await json(`${served.url}/documents`, { documents: [] }), 400, ErrorCodes.INVALID_ARGUMENT],
    [
      'body over the limit',
      await json(`${served.url}/search`, { text: 'x'.repeat(9000) }),
      413,
      ErrorCodes.PAYLOAD_TOO_LARGE,
    ],
    [
      'plain text',
      await json(`${served.url}/search`, undefined, { raw: 'text=a', headers: { 'content-type': 'text/plain' } }),
      400,
      ErrorCodes.INVALID_ARGUMENT,
    ],
    [
      'a media type with no parser',
      await json(`${served.url}/search`, undefined, { raw: '<a/>', headers: { 'content-type': 'application/xml' } }),
      415,
      ErrorCodes.INVALID_ARGUMENT,
    ],
  ]
  for (const [what, res, status, code] of cases) {
    t.is(res.status, status, what)
    const body = res.body as ErrorBody
    t.is(body.error?.code, code, what)
    t.true(typeof body.error?.message === 'string' && body.error.message.length > 0, what)
  }
  // Still serving after all of them.
  t.is((await json(`${served.url}/health`)).status, 200)
})

test.serial('SIGTERM drains the requests in flight, exits 0 and releases the store', async t => {
  const inFlight = Array.from({ length: 40 }, (_, i) =>
    json(`${served.url}/search`, { text: `topic words ${i}`, k: 10 }).catch((error: Error) => ({
      status: -1,
      body: error.message,
    })),
  )
  // Signal once the first answer arrives: the others are in flight or queued on their sockets.
  await Promise.race(inFlight)
  const code = await served.stop('SIGTERM')
  const results = await Promise.all(inFlight)
  t.is(code, 0, served.stderr())
  t.regex(served.stderr(), /SIGTERM: draining/)
  t.regex(served.stderr(), /serve: stopped/)
  // Every request was answered (200), refused while closing (503), or not connected at all;
  // none saw a server error.
  for (const r of results) t.true([200, 503, -1].includes(r.status), JSON.stringify(r))
  t.true(results.filter(r => r.status === 200).length >= 1)
  // The store's locks were released: it opens again, with what was committed.
  const reopened = await UnifiedSearchSystem.open({
    textIndexPath: join(dir, 'text'),
    vectorDbPath: join(dir, 'vectors'),
    dimensions: 256,
  })
  try {
    t.is((await reopened.stats()).docCount, 402)
  } finally {
    await reopened.close()
  }
})

test('parseServeArgs: defaults, and every problem named', t => {
  t.like(parseServeArgs([]), { command: 'serve', host: '127.0.0.1', port: 8080, documents: 20_000, dimensions: 256 })
  t.like(parseServeArgs(['--port', '0']), { port: 0 })
  const bad = parseServeArgs(['--port', '70000', '--docs', 'x', '--threads', '0'])
  t.is(bad.command, 'error')
  t.is((bad as { problems: string[] }).problems.length, 3)
  t.deepEqual((parseServeArgs(['--index', 'a.vnidx', '--docs', '100']) as { problems: string[] }).problems, [
    '--index serves a saved vector index: --docs does not apply',
  ])
  t.is(parseServeArgs(['--help']).command, 'help')
})

test('serve --index FILE: a saved vector index, searched by vector, read-only', async t => {
  const { dir: indexDir, cleanup } = tempDir('vn-serve-index-')
  const index = new HnswIndex({ dimensions: 4, metric: 'l2' })
  await index.add(
    [10, 20, 30],
    [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ],
  )
  const file = join(indexDir, 'small.vnidx')
  await index.save(file)
  const s = await startServe(['--index', file])
  try {
    const hits = await json(`${s.url}/search`, { vector: [0, 0.9, 0.1, 0], k: 2 })
    t.is(hits.status, 200)
    t.deepEqual(
      (hits.body as { hits: { id: number }[] }).hits.map(h => h.id),
      [20, 30],
    )
    const text = await json(`${s.url}/search`, { text: 'words' })
    t.is(text.status, 400)
    t.is((text.body as ErrorBody).error.code, ErrorCodes.INVALID_ARGUMENT)
    const write = await json(`${s.url}/documents`, { documents: [{ id: 'a', text: 'b' }] })
    t.is(write.status, 400)
    t.regex((write.body as ErrorBody).error.message, /read-only/)
    t.like((await json(`${s.url}/stats`)).body, { index: { kind: 'hnsw', dimensions: 4, size: 3, metric: 'l2' } })
    t.is(await s.stop('SIGINT'), 0)
  } finally {
    await s.stop('SIGKILL')
    cleanup()
  }
})
