import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { generateCorpus, loadJsonlCorpus } from '../../corpus/index.ts'
import { tempDir } from '../helpers/engine.ts'

test('the same options give the same corpus; another seed gives another', t => {
  const a = generateCorpus({ documents: 300, queries: 50, seed: 7 })
  const b = generateCorpus({ documents: 300, queries: 50, seed: 7 })
  const c = generateCorpus({ documents: 300, queries: 50, seed: 8 })
  t.deepEqual(a, b)
  t.notDeepEqual(a.documents, c.documents)
  t.is(a.documents.length, 300)
  t.is(a.queries.length, 50)
  t.is(new Set(a.documents.map(d => d.id)).size, 300)
})

test("documents are topical: a topic owns most of its documents' non-background words", t => {
  const corpus = generateCorpus({ documents: 2000, queries: 10, seed: 1 })
  const owner = new Map<string, number>()
  corpus.topics.forEach((topic, i) => {
    for (const w of topic.words.slice(0, 10)) owner.set(w, i)
  })
  let own = 0
  let other = 0
  for (const doc of corpus.documents) {
    for (const word of doc.text.split(' ')) {
      const topic = owner.get(word)
      if (topic === undefined) continue
      if (topic === doc.topic) own++
      else other++
    }
  }
  t.true(own > 3 * other, `own ${own} vs other ${other}`)
})

test("queries come from their topic's vocabulary, in three classes", t => {
  const corpus = generateCorpus({ documents: 100, queries: 500, seed: 3 })
  const classes = new Set(corpus.queries.map(q => q.class))
  t.deepEqual([...classes].sort(), ['keyword', 'mixed', 'topical'])
  for (const q of corpus.queries.filter(x => x.class !== 'mixed')) {
    const vocab = new Set(corpus.topics[q.topic].words)
    for (const w of q.text.split(' ')) t.true(vocab.has(w), `${w} not in topic ${q.topic}`)
  }
})

test('bad corpus options are refused', t => {
  t.throws(() => generateCorpus({ documents: 0 }), { instanceOf: RangeError })
  t.throws(() => generateCorpus({ topics: Number.NaN }), { instanceOf: RangeError })
})

test('loadJsonlCorpus reads documents and reports bad lines with their numbers', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const good = join(dir, 'good.jsonl')
  writeFileSync(good, '{"id":"a","text":"hello world","vector":[1,2]}\n\n{"id":"b","text":"bye"}\r\n')
  const docs = await loadJsonlCorpus(good)
  t.deepEqual(docs, [
    { id: 'a', text: 'hello world', vector: [1, 2] },
    { id: 'b', text: 'bye' },
  ])

  const bad = join(dir, 'bad.jsonl')
  writeFileSync(
    bad,
    [
      '{"id":"a","text":"x","vector":[1,2]}',
      'not json',
      '{"id":"a","text":"dup"}',
      '{"id":"c","text":""}',
      '{"id":"d","text":"y","vector":[1]}',
    ].join('\n'),
  )
  const error = await t.throwsAsync(loadJsonlCorpus(bad), { code: 'ERR_INVALID_ARGUMENT' } as never)
  t.regex(error!.message, /line 2: not JSON/)
  t.regex(error!.message, /line 3: duplicate id "a"/)
  t.regex(error!.message, /line 4: text/)
  t.regex(error!.message, /line 5: vector has 1 components/)

  const empty = join(dir, 'empty.jsonl')
  writeFileSync(empty, '\n')
  await t.throwsAsync(loadJsonlCorpus(empty), { message: /no documents/ })
  await t.throwsAsync(loadJsonlCorpus(join(dir, 'missing.jsonl')), { code: 'ENOENT' } as never)
})
