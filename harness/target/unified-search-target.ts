/**
 * A `SearchTarget` over a `UnifiedSearchSystem`. Queries are strings (or `{ text, mode }`);
 * inserts are documents (added and committed). The connection pool should hold search
 * sessions ({@link sessionFactory}): a request then searches through its leased session.
 */
import { performance } from 'node:perf_hooks'

import type {
  SearchMode,
  SearchSession,
  UnifiedDocument,
  UnifiedSearchOptions,
  UnifiedSearchSystem,
} from '../../engine/index.ts'
import type { ResourceFactory } from '../pool.ts'
import type { SearchTarget } from '../types.ts'
import { unifiedEngineMemory } from './engine-memory.ts'
import { unifiedRecallProbe } from './ground-truth.ts'
import type { UnifiedGroundTruth } from './ground-truth.ts'
import { nativeThreadStatsDrain } from './native-thread-stats.ts'
import { DEFAULT_REFRESH, Refresher } from './refresher.ts'
import type { RefreshPolicy } from './refresher.ts'

/** A query of a mixed workload: its own mode overrides the target's. */
export interface UnifiedQuery {
  text: string
  mode?: SearchMode
}

export interface UnifiedSearchTargetOptions {
  /** @default 'hybrid' */
  mode?: SearchMode
  /** @default 10 */
  k?: number
  /** Extra search options (fusion, candidates, ef ...). */
  search?: Omit<UnifiedSearchOptions, 'mode' | 'k' | 'signal'>
  /**
   * When inserts become visible: a group commit every `intervalMs` (search engines' refresh),
   * or every `everyWrites` writes, a commit inside each insert, or none. Call `close()` at the
   * end to commit what waits. @default { intervalMs: 1000 }
   */
  refresh?: RefreshPolicy
  /**
   * Time each native call (queue, run, delivery) for the harness's time breakdown. Costs a
   * stamps object and a few property writes per call (measured in docs/time-attribution.md).
   * @default true
   */
  nativeTiming?: boolean
  /** @default `unified-${mode}` */
  name?: string
  /**
   * Exact ground truth for recall under load (`UnifiedGroundTruth.build` over the store's
   * documents). The target tells it which inserts each commit made visible.
   */
  groundTruth?: UnifiedGroundTruth
  /** The text index's directory: the resource metrics then count its segments (tantivy's meta.json). */
  textIndexPath?: string
}

/** Sessions for the harness's connection pool: one per lease, closed when the pool destroys it. */
export function sessionFactory(system: UnifiedSearchSystem): ResourceFactory<SearchSession> {
  return {
    create: () => system.openSession(),
    destroy: session => session.close(),
    validate: session => !session.closed,
  }
}

function isSession(value: unknown): value is SearchSession {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SearchSession).search === 'function' &&
    'generation' in (value as object)
  )
}

/** A target over a store, with the refresher its writes go through. */
export type UnifiedSearchTarget = SearchTarget<string | UnifiedQuery, UnifiedDocument> & {
  /** Stops the refresher and commits the writes that wait. */
  close(): Promise<void>
}

export function unifiedSearchTarget(
  system: UnifiedSearchSystem,
  options: UnifiedSearchTargetOptions = {},
): UnifiedSearchTarget {
  const mode = options.mode ?? 'hybrid'
  const k = options.k ?? 10
  const gt = options.groundTruth ?? null
  const commit =
    gt === null
      ? () => system.commit()
      : async () => {
          const batch = gt.takeAdded()
          try {
            await system.commit()
          } catch (error) {
            gt.requeue(batch)
            throw error
          }
          gt.committed(batch)
        }
  const refresher = new Refresher(commit, options.refresh ?? DEFAULT_REFRESH)
  const timeCalls = options.nativeTiming ?? true
  return {
    name: options.name ?? `unified-${mode}`,
    search: (query, opts) => {
      const { signal, connection } = opts
      const text = typeof query === 'string' ? query : query.text
      const searchOptions: UnifiedSearchOptions = {
        ...options.search,
        mode: typeof query === 'string' ? mode : (query.mode ?? mode),
        k,
        signal,
        timing: timeCalls ? opts.onNativeCall : undefined,
      }
      return isSession(connection) ? connection.search(text, searchOptions) : system.search(text, searchOptions)
    },
    insert: async (doc, opts) => {
      const { signal } = opts
      const timing = timeCalls ? opts.onNativeCall : undefined
      gt?.writing(doc)
      await system.add([doc], { signal, timing })
      const added = performance.now()
      gt?.added(doc)
      if (refresher.commitsEachWrite) {
        const batch = gt?.takeAdded() ?? []
        await system.commit({ signal, timing })
        gt?.committed(batch)
        refresher.committedInline(performance.now() - added)
      } else {
        refresher.acknowledged(added)
      }
    },
    drainThreadStats: nativeThreadStatsDrain(),
    drainWriteVisibility: () => refresher.drain(),
    engineMemory: () => unifiedEngineMemory(system, options.textIndexPath),
    ...(gt === null
      ? {}
      : {
          recallProbe: {
            ...unifiedRecallProbe(system, gt, { k, mode, search: options.search ?? {} }),
            // Before the idle pass: what waits is committed (after any commit in progress), so
            // no commit of this target runs while the idle searches do.
            settle: () => refresher.refresh(),
          },
        }),
    close: () => refresher.close(),
  }
}
