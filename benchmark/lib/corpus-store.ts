/**
 * The store the harness benchmarks measure: the built-in generated corpus (seed 42, the scale
 * CLI's own) indexed in a hybrid store of 256 dimensions in a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { generateCorpus } from '../../corpus/index.ts'
import { UnifiedSearchSystem } from '../../main.ts'

export interface CorpusStore {
  system: UnifiedSearchSystem
  /** The indexed documents (id and text). */
  docs: { id: string; text: string }[]
  /** The corpus's query texts. */
  queries: string[]
  /** Closes the store and removes its directory. */
  dispose(): Promise<void>
}

/** 20,000 documents (3,000 with `quick`) and 500 queries, added and committed. */
export async function openCorpusStore(name: string, quick: boolean): Promise<CorpusStore> {
  const dir = mkdtempSync(join(tmpdir(), `vn-${name}-`))
  try {
    const corpus = generateCorpus({ documents: quick ? 3000 : 20_000, queries: 500, seed: 42 })
    const system = await UnifiedSearchSystem.open({
      textIndexPath: join(dir, 't'),
      vectorDbPath: join(dir, 'v'),
      dimensions: 256,
    })
    const docs = corpus.documents.map(d => ({ id: d.id, text: d.text }))
    await system.add(docs)
    await system.commit()
    return {
      system,
      docs,
      queries: corpus.queries.map(q => q.text),
      dispose: async () => {
        await system.close().catch(() => undefined) // already closed by the benchmark: fine
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}
