/** Corpora for the main job and tests: the built-in generator and a JSON Lines loader. */
export { DEFAULT_CORPUS_OPTIONS, generateCorpus } from './generate.ts'
export { CorpusLineSchema, loadJsonlCorpus } from './jsonl.ts'
export type { Corpus, CorpusDocument, CorpusOptions, CorpusQuery } from './generate.ts'
export type { CorpusLine } from './jsonl.ts'
