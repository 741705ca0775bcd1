/**
 * Queries for an HTTP target: the same texts (and class labels) as the in-process sweep of the
 * same corpus and seed, with their vectors from the built-in embedder when the request
 * template sends vectors (a vector database searches vectors, not texts). Also the HTTP
 * target's request template, from a preset or the generic flags.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { generateCorpus } from '../corpus/generate.ts'
import { loadJsonlCorpus } from '../corpus/jsonl.ts'
import { UnifiedSearchSystem } from '../engine/index.ts'
import { ErrorCodes, HarnessError } from '../errors.ts'
import { HTTP_PRESETS } from '../harness/target/http-presets.ts'
import type { HttpPresetName } from '../harness/target/http-presets.ts'
import { httpTarget } from '../harness/target/http.ts'
import type { HttpQuery, HttpRequestTemplate } from '../harness/target/http.ts'
import type { HttpTargetFlags } from './scale-args.ts'
import { queriesFromDocuments } from './workload.ts'

export interface HttpWorkloadOptions {
  corpus: string | null
  documents: number
  dimensions: number
  mode: string
  seed: number
}

export interface HttpWorkload {
  queries: HttpQuery[]
  labels: string[]
  description: string
}

/** The request template: the preset's (default: this package's server) or the generic flags'. */
export async function resolveTemplate(flags: HttpTargetFlags): Promise<HttpRequestTemplate> {
  if (flags.path !== null && flags.hits !== null) {
    return { method: flags.method ?? 'POST', path: flags.path, body: flags.body, hits: flags.hits }
  }
  const name = (flags.preset ?? 'vector-native') as HttpPresetName
  const preset = HTTP_PRESETS[name]
  if (!preset) throw new HarnessError(ErrorCodes.INVALID_CONFIG, `unknown preset "${name}"`)
  const template = await preset.resolve(flags.url, {
    collection: flags.collection ?? undefined,
    field: flags.field ?? undefined,
  })
  return flags.method !== null ? { ...template, method: flags.method } : template
}

/** Embeds texts with the built-in embedder (a throw-away store in a temporary directory). */
export async function embedTexts(texts: readonly string[], dimensions: number): Promise<number[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'vector-native-embed-'))
  try {
    const system = await UnifiedSearchSystem.open({
      textIndexPath: join(dir, 'text'),
      vectorDbPath: join(dir, 'vectors'),
      dimensions,
    })
    try {
      const rows = await system.embed(texts)
      return rows.map(r => Array.from(r))
    } finally {
      await system.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function prepareHttpQueries(o: HttpWorkloadOptions, needsVector: boolean): Promise<HttpWorkload> {
  let texts: string[]
  let labels: string[]
  let description: string
  if (o.corpus === null) {
    const corpus = generateCorpus({ documents: o.documents, queries: 1000, seed: o.seed })
    texts = corpus.queries.map(q => q.text)
    labels = corpus.queries.map(q => q.class)
    description = `queries of the built-in corpus (${o.documents} documents, seed ${o.seed}): ${texts.length}`
  } else {
    const lines = await loadJsonlCorpus(o.corpus)
    texts = queriesFromDocuments(lines, 1000, o.seed)
    labels = texts.map(() => 'sampled')
    description = `${texts.length} queries sampled from ${o.corpus} (seed ${o.seed})`
  }
  let vectors: number[][] | null = null
  if (needsVector) {
    vectors = await embedTexts(texts, o.dimensions)
    description += `, embedded by the built-in embedder (${o.dimensions} dimensions)`
    if (o.corpus !== null)
      description +=
        ': if the service holds vectors of another model, its hits will not match the texts (the load is the same)'
  }
  const queries = texts.map((text, i) => {
    const q: HttpQuery = { text, mode: o.mode }
    if (vectors) q.vector = vectors[i]
    return q
  })
  return { queries, labels, description }
}

/** What a generator (this process or a worker) needs to build its target. */
export interface HttpTargetSpec {
  flags: HttpTargetFlags
  template: HttpRequestTemplate
  connections: number
  k: number
  mode: string
}

export function buildHttpTarget(spec: HttpTargetSpec) {
  return httpTarget({
    ...spec.template,
    url: spec.flags.url,
    connections: spec.connections,
    k: spec.k,
    mode: spec.mode,
    name: `http ${spec.flags.preset ?? (spec.flags.path ? 'generic' : 'vector-native')} ${spec.flags.url}`,
  })
}
