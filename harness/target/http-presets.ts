/**
 * Request templates for widely used search services' REST APIs (see ./http.ts for the form).
 * Each preset takes the collection (index) to search and, where the API needs it, the vector
 * field; `resolve` runs once before the sweep for APIs whose search path needs an id looked up
 * from the name (Chroma's collection id).
 */
import { request } from 'undici'

import { ErrorCodes, HarnessError } from '../../errors.ts'
import type { HttpRequestTemplate } from './http.ts'

export interface PresetOptions {
  /** Collection / index name. */
  collection?: string
  /** Vector field (OpenSearch k-NN, Milvus). @default 'vector' */
  field?: string
}

export interface HttpPreset {
  /** What it is, for --help. */
  description: string
  /** The template for `url` (may ask the service, e.g. for an id). */
  resolve(url: string, options: PresetOptions): Promise<HttpRequestTemplate>
}

function need(options: PresetOptions, preset: string): string {
  if (!options.collection)
    throw new HarnessError(ErrorCodes.INVALID_CONFIG, `the ${preset} preset needs a collection (--collection NAME)`)
  return options.collection
}

const enc = encodeURIComponent

/** Chroma's v2 API path of a database's collections. */
export const CHROMA_COLLECTIONS = '/api/v2/tenants/default_tenant/databases/default_database/collections'

/** The preset names. */
export type HttpPresetName =
  | 'vector-native'
  | 'vector-native-vector'
  | 'vector-native-index'
  | 'qdrant'
  | 'opensearch'
  | 'milvus'
  | 'chroma'

export const HTTP_PRESETS: Record<HttpPresetName, HttpPreset> = {
  'vector-native': {
    description: 'this package\'s server (vector-native serve): POST /search {"text", "k", "mode"}',
    resolve: async () => ({
      path: '/search',
      body: { text: '{{text}}', k: '{{k}}', mode: '{{mode}}' },
      hits: 'hits',
    }),
  },
  'vector-native-vector': {
    description: 'this package\'s server, sending query vectors: POST /search {"vector", "k", "mode": "vector"}',
    resolve: async () => ({
      path: '/search',
      body: { vector: '{{vector}}', k: '{{k}}', mode: 'vector' },
      hits: 'hits',
    }),
  },
  'vector-native-index': {
    description: 'this package\'s server over a saved vector index (serve --index FILE): POST /search {"vector", "k"}',
    resolve: async () => ({ path: '/search', body: { vector: '{{vector}}', k: '{{k}}' }, hits: 'hits' }),
  },
  qdrant: {
    description: 'Qdrant: POST /collections/NAME/points/search {"vector", "limit"}',
    resolve: async (_url, o) => ({
      path: `/collections/${enc(need(o, 'qdrant'))}/points/search`,
      body: { vector: '{{vector}}', limit: '{{k}}' },
      hits: 'result',
    }),
  },
  opensearch: {
    description: 'OpenSearch k-NN: POST /INDEX/_search {"size", "query": {"knn": {FIELD: {"vector", "k"}}}}',
    resolve: async (_url, o) => ({
      path: `/${enc(need(o, 'opensearch'))}/_search`,
      body: { size: '{{k}}', query: { knn: { [o.field ?? 'vector']: { vector: '{{vector}}', k: '{{k}}' } } } },
      hits: 'hits.hits',
    }),
  },
  milvus: {
    description: 'Milvus REST v2: POST /v2/vectordb/entities/search {"collectionName", "data": [vector], "limit"}',
    resolve: async (_url, o) => ({
      path: '/v2/vectordb/entities/search',
      body: { collectionName: need(o, 'milvus'), data: ['{{vector}}'], annsField: o.field ?? 'vector', limit: '{{k}}' },
      hits: 'data',
    }),
  },
  chroma: {
    description:
      'Chroma v2: POST .../collections/ID/query {"query_embeddings": [vector], "n_results"} (ID looked up by name)',
    resolve: async (url, o) => {
      const name = need(o, 'chroma')
      const base = new URL(url)
      const res = await request(new URL(`${CHROMA_COLLECTIONS}/${enc(name)}`, base.origin), {
        signal: AbortSignal.timeout(10_000),
      })
      const text = await res.body.text()
      if (res.statusCode !== 200)
        throw new HarnessError(
          ErrorCodes.HTTP_STATUS,
          `chroma: collection "${name}" → ${res.statusCode}: ${text.slice(0, 200)}`,
        )
      const id = (JSON.parse(text) as { id?: unknown }).id
      if (typeof id !== 'string') throw new HarnessError(ErrorCodes.HTTP_RESPONSE, `chroma: no id for "${name}"`)
      return {
        path: `${CHROMA_COLLECTIONS}/${id}/query`,
        body: { query_embeddings: ['{{vector}}'], n_results: '{{k}}', include: ['distances'] },
        hits: 'ids.0',
      }
    },
  },
}
export const HTTP_PRESET_NAMES = Object.keys(HTTP_PRESETS) as HttpPresetName[]
