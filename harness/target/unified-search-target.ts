/**
 * A `SearchTarget` over a `UnifiedSearchSystem`. Queries are strings (or `{ text, mode }`);
 * inserts are documents (added and committed). The connection pool should hold search
 * sessions ({@link sessionFactory}): a request then searches through its leased session.
 */
import type {
  SearchMode,
  SearchSession,
  UnifiedDocument,
  UnifiedSearchOptions,
  UnifiedSearchSystem,
} from '../../engine/index.ts'
import type { ResourceFactory } from '../pool.ts'
import type { SearchTarget } from '../types.ts'
import { nativeThreadStatsDrain } from './native-thread-stats.ts'

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
  /** Commit after every insert (else inserts stay invisible until someone commits). @default true */
  commitInserts?: boolean
  /** @default `unified-${mode}` */
  name?: string
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

export function unifiedSearchTarget(
  system: UnifiedSearchSystem,
  options: UnifiedSearchTargetOptions = {},
): SearchTarget<string | UnifiedQuery, UnifiedDocument> {
  const mode = options.mode ?? 'hybrid'
  const k = options.k ?? 10
  const commitInserts = options.commitInserts ?? true
  return {
    name: options.name ?? `unified-${mode}`,
    search: (query, { signal, connection }) => {
      const text = typeof query === 'string' ? query : query.text
      const searchOptions: UnifiedSearchOptions = {
        ...options.search,
        mode: typeof query === 'string' ? mode : (query.mode ?? mode),
        k,
        signal,
      }
      return isSession(connection) ? connection.search(text, searchOptions) : system.search(text, searchOptions)
    },
    insert: async (doc, { signal }) => {
      await system.add([doc], { signal })
      if (commitInserts) await system.commit({ signal })
    },
    drainThreadStats: nativeThreadStatsDrain(),
  }
}
