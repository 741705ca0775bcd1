/** The engine's own memory for the harness's resource metrics (`SearchTarget.engineMemory`). */
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

import type { FlatIndex, HnswIndex, UnifiedSearchSystem } from '../../engine/index.ts'
import type { EngineMemory } from '../metrics/resources.ts'

/**
 * A vector index: its live vectors and its heap bytes from `index.memoryUsage()` (counted from
 * allocated capacities: vectors, ids, the HNSW graph and the rest; `graphBytes` is 0 for flat).
 * Synchronous and cheap (microseconds), so it is fine at every sample.
 */
export function engineMemoryOf(index: FlatIndex | HnswIndex): EngineMemory {
  const m = index.memoryUsage()
  return {
    vectors: index.size,
    indexBytes: m.totalBytes,
    graphBytes: m.graphBytes,
    segments: null,
    segmentBytes: null,
    source: 'index.size, index.memoryUsage() (allocated heap bytes)',
  }
}

/**
 * The text index's live segments, from tantivy's `meta.json` in its directory, and the bytes of
 * their files (`<segment id without dashes>.*`); null if it cannot be read (e.g. mid-commit).
 */
export async function textSegments(textIndexPath: string): Promise<{ segments: number; bytes: number } | null> {
  try {
    const meta = JSON.parse(await readFile(join(textIndexPath, 'meta.json'), 'utf8')) as {
      segments?: Array<{ segment_id?: string }>
    }
    const ids = new Set((meta.segments ?? []).map(s => String(s.segment_id ?? '').replace(/-/g, '')))
    let bytes = 0
    for (const f of await readdir(textIndexPath)) {
      const dot = f.indexOf('.')
      if (dot > 0 && ids.has(f.slice(0, dot))) bytes += (await stat(join(textIndexPath, f))).size
    }
    return { segments: ids.size, bytes }
  } catch {
    return null
  }
}

/**
 * A unified store: its vectors, the committed vector index's heap bytes (`stats().vectorMemory`,
 * as `memoryUsage()` of a bare index), and the text index's segments (count and bytes, mmapped)
 * when its directory is known, else the text index's bytes on disk.
 */
export async function unifiedEngineMemory(system: UnifiedSearchSystem, textIndexPath?: string): Promise<EngineMemory> {
  const s = await system.stats()
  const seg = textIndexPath === undefined ? null : await textSegments(textIndexPath)
  return {
    vectors: s.vectorCount,
    indexBytes: s.vectorMemory.totalBytes,
    graphBytes: s.vectorMemory.graphBytes,
    segments: seg?.segments ?? null,
    segmentBytes: seg?.bytes ?? s.textIndexBytes,
    source: `system.stats() (vector index heap bytes)${seg ? ", tantivy's meta.json (live segments and their files)" : ', text index bytes on disk'}`,
  }
}
