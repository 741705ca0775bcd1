/**
 * A third-party vector database swept through the HTTP target: Chroma (PyPI `chromadb`, a real
 * server) on 127.0.0.1, loaded with the built-in corpus embedded by the built-in embedder,
 * swept by `scale --target ... --target-preset chroma`. Skipped, saying why, only where Chroma
 * is not installed (`node scripts/install-chroma.mjs` installs it; .ci/run does).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { embedTexts } from '../../../cli/http-workload.ts'
import { generateCorpus } from '../../../corpus/generate.ts'
import { HTTP_PRESETS, httpTarget } from '../../../harness/target/index.ts'
import { parseScalabilityReport } from '../../../harness/sweep/schema.ts'
import { findChroma, loadCollection, startChroma } from '../../helpers/chroma.ts'
import type { RunningChroma } from '../../helpers/chroma.ts'
import { tempDir } from '../../helpers/engine.ts'
import { vectorNative } from '../../helpers/serve.ts'

const chromaBin = findChroma()
if (chromaBin === null) {
  console.warn(
    'http-chroma: Chroma is not installed (no ./.venv-chroma, $CHROMA_BIN or chroma on PATH): the third-party sweep is skipped. Install it with: node scripts/install-chroma.mjs',
  )
}
const chromaTest = chromaBin === null ? test.skip : test.serial

const DOCS = 2000
let chroma: RunningChroma | null = null

test.before(async () => {
  if (chromaBin === null) return
  chroma = await startChroma(chromaBin)
  const corpus = generateCorpus({ documents: DOCS, queries: 1000, seed: 42 })
  const vectors = await embedTexts(
    corpus.documents.map(d => d.text),
    256,
  )
  await loadCollection(
    chroma.url,
    'vn-corpus',
    corpus.documents.map((d, i) => ({ id: d.id, text: d.text, vector: vectors[i] })),
  )
})

test.after.always(async () => {
  await chroma?.stop()
})

chromaTest('chroma holds the corpus: a document’s own vector finds it first', async t => {
  const url = (chroma as RunningChroma).url
  const template = await HTTP_PRESETS.chroma.resolve(url, { collection: 'vn-corpus' })
  const target = httpTarget({ ...template, url, connections: 1, k: 3 })
  try {
    const corpus = generateCorpus({ documents: DOCS, queries: 10, seed: 42 })
    const [vector] = await embedTexts([corpus.documents[17].text], 256)
    const hits = (await target.search({ vector }, { signal: new AbortController().signal })) as string[]
    t.is(hits[0], corpus.documents[17].id)
    t.is(hits.length, 3)
  } finally {
    await target.close()
  }
})

chromaTest('scale --target-preset chroma: a sweep of the third-party database, same report', async t => {
  const url = (chroma as RunningChroma).url
  const { dir: out, cleanup } = tempDir('vn-chroma-sweep-')
  try {
    const r = await vectorNative([
      'scale',
      '--target',
      url,
      '--target-preset',
      'chroma',
      '--collection',
      'vn-corpus',
      '--docs',
      String(DOCS),
      '--levels',
      '1,2,4',
      '--duration',
      '800ms',
      '--warmup',
      '300ms',
      // A wide objective: on a busy machine a derived one (5 × the lightest p99) can stop the sweep early.
      '--slo',
      'p99<10s',
      '--out',
      out,
    ])
    t.is(r.code, 0, `${r.stderr}\n${chroma?.log().slice(-2000)}`)
    t.regex(r.stderr, /embedded by the built-in embedder/)
    const report = parseScalabilityReport(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')))
    t.regex(report.target, /^http chroma http:\/\/127\.0\.0\.1:\d+$/)
    t.deepEqual(report.sweep.levelsMeasured.slice(0, 2), [1, 2])
    for (const level of report.testResults) {
      t.true(level.successfulRequests > 0)
      t.is(level.failedRequests + level.timeoutRequests, 0, JSON.stringify(level.errorsByCode))
      t.is(level.timeBreakdown.coverage, 'harness')
    }
    t.log(
      report.levels
        .map(l => `${l.level} users: ${l.throughput.toFixed(0)} req/s, p99 ${l.p99Ms.toFixed(1)} ms`)
        .join('; '),
    )
  } finally {
    cleanup()
  }
})
