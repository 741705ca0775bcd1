/**
 * The main job's workload: a corpus (generated or a user's JSON Lines) indexed into a
 * UnifiedSearchSystem, and the queries to send.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

import { generateCorpus } from '../corpus/generate.ts'
import { loadJsonlCorpus } from '../corpus/jsonl.ts'
import { UnifiedSearchSystem } from '../engine/index.ts'
import type { SearchMode, UnifiedDocument } from '../engine/index.ts'
import { Rng, deriveSeed } from '../harness/load/rng.ts'
import type { UnifiedQuery } from '../harness/target/index.ts'

export interface WorkloadOptions {
  corpus: string | null
  documents: number
  dimensions: number
  textIndexPath: string | null
  vectorDbPath: string | null
  mode: SearchMode
  seed: number
}

export interface Workload {
  system: UnifiedSearchSystem
  queries: UnifiedQuery[]
  /** Label per query for per-class statistics. */
  classify: (query: UnifiedQuery, index: number) => string
  /**
   * Documents for the write mix: texts drawn from the corpus (seeded), ids unique across the
   * sweep's levels and across runs on the same store (a run tag and a counter, not the
   * harness's per-level sequence number, which restarts at every level).
   */
  makeDocument: (rng: Rng) => UnifiedDocument
  description: string
  /** The corpus the store was built from (for the exact ground truth of recall). */
  documents: UnifiedDocument[]
  indexing: { documents: number; seconds: number }
  textIndexPath: string
  vectorDbPath: string
  /** Removes the temporary directory, if one was made. */
  cleanup: () => Promise<void>
}

/** Up to `count` queries of 2-5 consecutive words taken from random documents (seeded). */
export function queriesFromDocuments(docs: readonly { text: string }[], count: number, seed: number): string[] {
  const rng = new Rng(deriveSeed(seed, 7))
  const out: string[] = []
  for (let attempts = 0; out.length < count && attempts < count * 10; attempts++) {
    const words = docs[rng.nextInt(docs.length)].text.split(/\s+/).filter(w => w.length > 0)
    if (words.length === 0) continue
    const n = Math.min(words.length, 2 + rng.nextInt(4))
    const start = rng.nextInt(words.length - n + 1)
    out.push(words.slice(start, start + n).join(' '))
  }
  return out
}

export async function prepareWorkload(o: WorkloadOptions, log: (line: string) => void): Promise<Workload> {
  let tempDir: string | null = null
  if (o.textIndexPath === null || o.vectorDbPath === null) tempDir = mkdtempSync(join(tmpdir(), 'vector-native-scale-'))
  const textIndexPath = o.textIndexPath ?? join(tempDir as string, 'text')
  const vectorDbPath = o.vectorDbPath ?? join(tempDir as string, 'vectors')
  const cleanup = async (): Promise<void> => {
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true })
  }
  try {
    return await buildWorkload(o, log, { textIndexPath, vectorDbPath, cleanup })
  } catch (error) {
    // A bad corpus file (or a failed open) leaves no temporary directory behind.
    await cleanup()
    throw error
  }
}

async function buildWorkload(
  o: WorkloadOptions,
  log: (line: string) => void,
  { textIndexPath, vectorDbPath, cleanup }: Pick<Workload, 'textIndexPath' | 'vectorDbPath' | 'cleanup'>,
): Promise<Workload> {
  let docs: UnifiedDocument[]
  let texts: string[]
  let labels: string[]
  let description: string
  let dimensions = o.dimensions
  if (o.corpus === null) {
    const started = performance.now()
    const corpus = generateCorpus({ documents: o.documents, queries: 1000, seed: o.seed })
    docs = corpus.documents.map(d => ({ id: d.id, text: d.text }))
    texts = corpus.queries.map(q => q.text)
    labels = corpus.queries.map(q => q.class)
    description = `built-in corpus: ${docs.length} documents in ${corpus.topics.length} topics, ${texts.length} queries (seed ${o.seed}), generated in ${((performance.now() - started) / 1000).toFixed(1)} s`
  } else {
    const lines = await loadJsonlCorpus(o.corpus)
    docs = lines.map(l => ({ id: l.id, text: l.text, vector: l.vector, metadata: l.metadata }))
    const withVectors = lines.find(l => l.vector !== undefined)
    if (withVectors?.vector) dimensions = withVectors.vector.length
    texts = queriesFromDocuments(lines, 1000, o.seed)
    labels = texts.map(() => 'sampled')
    description = `${o.corpus}: ${docs.length} documents${withVectors ? ` (own vectors, ${dimensions} dimensions)` : ''}, ${texts.length} queries sampled from them (seed ${o.seed})`
  }

  const system = await UnifiedSearchSystem.open({ textIndexPath, vectorDbPath, dimensions })
  const before = await system.stats()
  const started = performance.now()
  if (before.docCount === 0) {
    const batch = 2000
    for (let i = 0; i < docs.length; i += batch) {
      await system.add(docs.slice(i, i + batch))
      log(`indexing ${Math.min(i + batch, docs.length)}/${docs.length} documents`)
    }
    await system.commit()
  } else {
    log(`reusing the existing store at ${textIndexPath} (${before.docCount} documents)`)
  }
  const seconds = (performance.now() - started) / 1000

  const queries: UnifiedQuery[] = texts.map(text => ({ text, mode: o.mode }))
  const classOf = new Map(queries.map((q, i) => [q, labels[i]]))
  const pool = docs.map(d => d.text)
  const runTag = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  let writes = 0
  return {
    system,
    queries,
    classify: q => `${q.mode ?? o.mode}:${classOf.get(q) ?? 'query'}`,
    makeDocument: rng => ({ id: `scale-write-${runTag}-${writes++}`, text: pool[rng.nextInt(pool.length)] }),
    description,
    documents: docs,
    indexing: { documents: before.docCount === 0 ? docs.length : 0, seconds },
    textIndexPath,
    vectorDbPath,
    cleanup: async () => {
      await system.close().catch(() => undefined)
      await cleanup()
    },
  }
}
