/**
 * A deterministic synthetic corpus with topical structure, for the main job and the tests.
 *
 * Topics each own a Zipfian vocabulary; documents mix a main topic, sometimes a second one, and
 * a shared background vocabulary (the "stop words"). Neighbouring topics share part of their
 * vocabulary, so lexical (BM25) and vector rankings agree on clear queries and disagree on
 * ambiguous ones, as real corpora do. Queries are drawn from the same topics. The same options
 * (seed included) always give the same corpus, on every platform.
 */
import { Rng, deriveSeed } from '../harness/load/rng.ts'
import { searchCdf, zipfCdf } from '../harness/load/selection.ts'

export interface CorpusDocument {
  id: string
  text: string
  /** Index of the document's main topic. */
  topic: number
}

export interface CorpusQuery {
  text: string
  topic: number
  /** `'keyword'`: 1-2 distinctive words; `'topical'`: 3-6 words of a topic; `'mixed'`: words of two topics. */
  class: 'keyword' | 'topical' | 'mixed'
}

export interface CorpusOptions {
  /** Number of documents. @default 20000 */
  documents?: number
  /** Number of queries. @default 1000 */
  queries?: number
  /** Number of topics. @default 40 */
  topics?: number
  /** Words owned by each topic. @default 300 */
  wordsPerTopic?: number
  /** Background words shared by all topics. @default 200 */
  backgroundWords?: number
  /** Zipf exponent of word frequencies within a vocabulary. @default 1.07 */
  zipfExponent?: number
  /** @default 42 */
  seed?: number
}

export interface Corpus {
  documents: CorpusDocument[]
  queries: CorpusQuery[]
  topics: { name: string; words: string[] }[]
  options: Required<CorpusOptions>
}

export const DEFAULT_CORPUS_OPTIONS: Required<CorpusOptions> = {
  documents: 20_000,
  queries: 1_000,
  topics: 40,
  wordsPerTopic: 300,
  backgroundWords: 200,
  zipfExponent: 1.07,
  seed: 42,
}

const ONSETS = [
  'b',
  'c',
  'd',
  'f',
  'g',
  'h',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'z',
  'br',
  'st',
  'tr',
  'pl',
  'gr',
  'sh',
  'ch',
  'qu',
]
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou', 'io', 'ea']
const CODAS = ['', '', '', 'n', 'r', 's', 'l', 'x', 'nd', 'st', 'm']

/** A pronounceable pseudo-word of 2-3 syllables. */
function makeWord(rng: Rng): string {
  const syllables = 2 + rng.nextInt(2)
  let word = ''
  for (let i = 0; i < syllables; i++) {
    word += ONSETS[rng.nextInt(ONSETS.length)] + VOWELS[rng.nextInt(VOWELS.length)]
  }
  return word + CODAS[rng.nextInt(CODAS.length)]
}

/** `count` distinct words not already in `taken`. */
function makeVocabulary(rng: Rng, count: number, taken: Set<string>): string[] {
  const words: string[] = []
  while (words.length < count) {
    const word = makeWord(rng)
    if (!taken.has(word)) {
      taken.add(word)
      words.push(word)
    }
  }
  return words
}

function resolve(options: CorpusOptions): Required<CorpusOptions> {
  const o = { ...DEFAULT_CORPUS_OPTIONS, ...options }
  for (const [key, value] of Object.entries(o)) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`corpus option ${key} must be a non-negative number, got ${value}`)
  }
  if (o.documents < 1 || o.topics < 1 || o.wordsPerTopic < 10) {
    throw new RangeError('corpus needs at least 1 document, 1 topic and 10 words per topic')
  }
  return o
}

/** Builds the corpus described by `options`. */
export function generateCorpus(options: CorpusOptions = {}): Corpus {
  const o = resolve(options)
  const vocabRng = new Rng(deriveSeed(o.seed, 1))
  const taken = new Set<string>()
  const background = makeVocabulary(vocabRng, o.backgroundWords, taken)
  const own = Array.from({ length: o.topics }, () => makeVocabulary(vocabRng, o.wordsPerTopic, taken))
  // A topic's vocabulary: its own words, with a slice of its neighbour's mid-frequency words
  // mixed in, so neighbouring topics overlap.
  const topics = own.map((words, t) => {
    const neighbour = own[(t + 1) % o.topics]
    const shared = neighbour.slice(5, 5 + Math.floor(o.wordsPerTopic / 10))
    const mixed = [...words]
    shared.forEach((w, i) => {
      mixed.splice(10 + i * 7, 0, w)
    })
    return { name: words[0], words: mixed }
  })
  const topicCdf = zipfCdf(o.topics, 0.6) // some topics are more common than others
  const wordCdf = zipfCdf(topics[0].words.length, o.zipfExponent)
  const backgroundCdf = zipfCdf(background.length, o.zipfExponent)

  const docRng = new Rng(deriveSeed(o.seed, 2))
  const documents: CorpusDocument[] = []
  for (let i = 0; i < o.documents; i++) {
    const topic = searchCdf(topicCdf, docRng.next())
    const second = docRng.next() < 0.3 ? docRng.nextInt(o.topics) : topic
    const length = 20 + docRng.nextInt(100)
    const words: string[] = []
    for (let w = 0; w < length; w++) {
      const u = docRng.next()
      if (u < 0.4) words.push(background[searchCdf(backgroundCdf, docRng.next())])
      else {
        const t = u < 0.85 ? topic : second
        words.push(topics[t].words[searchCdf(wordCdf, docRng.next())])
      }
    }
    documents.push({ id: `doc-${i}`, text: words.join(' '), topic })
  }

  const queryRng = new Rng(deriveSeed(o.seed, 3))
  const queries: CorpusQuery[] = []
  for (let i = 0; i < o.queries; i++) {
    const topic = searchCdf(topicCdf, queryRng.next())
    const u = queryRng.next()
    const cls: CorpusQuery['class'] = u < 0.3 ? 'keyword' : u < 0.85 ? 'topical' : 'mixed'
    const vocab = topics[topic].words
    const words: string[] = []
    if (cls === 'keyword') {
      // Distinctive: from the topic's middle ranks (frequent enough to match, rare enough to discriminate).
      const n = 1 + queryRng.nextInt(2)
      for (let w = 0; w < n; w++) words.push(vocab[20 + queryRng.nextInt(Math.min(100, vocab.length - 20))])
    } else {
      const n = 3 + queryRng.nextInt(4)
      const other = topics[queryRng.nextInt(o.topics)].words
      for (let w = 0; w < n; w++) {
        const from = cls === 'mixed' && w % 2 === 1 ? other : vocab
        words.push(from[searchCdf(wordCdf, queryRng.next())])
      }
    }
    queries.push({ text: words.join(' '), topic, class: cls })
  }
  return { documents, queries, topics, options: o }
}
