/**
 * A `SearchTarget` over HTTP: any search service with a JSON API, through an undici keep-alive
 * `Pool`. The generic form is a method, a URL path, a JSON body template and where the hits are
 * in the response; presets fill them in for this package's server (`vector-native serve`) and
 * for the REST APIs of Qdrant, OpenSearch k-NN, Milvus and Chroma.
 *
 * Body templates: a JSON value in which the strings `"{{vector}}"`, `"{{text}}"`, `"{{k}}"` and
 * `"{{mode}}"` stand for the query's vector (a JSON array), text (a JSON string), k (a number) and
 * mode. The template is serialised once; each request substitutes the placeholders in the string.
 *
 * Connections: the pool opens at most `connections` sockets (the harness's pool size), so a
 * request holding a harness lease always finds one; the pool's own figures (sockets open,
 * requests running, queued, pending) are sampled as each request is sent and reported per
 * level (`ConcurrentTestResult.targetConnections`). The time breakdown of an HTTP target has
 * `scheduleDelay` and `poolWait` (the harness's lease) and `other` (the whole HTTP exchange):
 * the native parts (queue, run, delivery) happen inside the server and are not observable.
 */
import { Pool } from 'undici'

import { ErrorCodes, HarnessError } from '../../errors.ts'
import type { SearchTarget, TargetCallOptions, TargetConnectionStats } from '../types.ts'

/** A query for an HTTP target: text, vector, or both (what the body template uses). */
export interface HttpQuery {
  text?: string
  vector?: readonly number[] | Float32Array
  mode?: string
}

/** The generic form of an HTTP search request. */
export interface HttpRequestTemplate {
  /** @default 'POST' */
  method?: 'GET' | 'POST' | 'PUT'
  /** Path (and query string) on the service, e.g. `/search`. */
  path: string
  /** JSON body with placeholders (see the module comment); none for a GET. */
  body?: unknown
  /** Where the hits array is in the response: dot-separated keys and indexes, e.g. `hits`, `ids.0`, `hits.hits`. */
  hits: string
  headers?: Record<string, string>
}

export interface HttpTargetOptions extends HttpRequestTemplate {
  /** The service's origin, e.g. `http://127.0.0.1:8080`. */
  url: string
  /** Sockets the keep-alive pool may open: the harness's pool size (or the sweep's largest level). */
  connections: number
  /** Results per query (`{{k}}`). @default 10 */
  k?: number
  /** Mode for queries without one (`{{mode}}`). @default 'hybrid' */
  mode?: string
  /** @default `http ${url}${path}` */
  name?: string
}

/** An HTTP target; `close()` closes its connections. */
export type HttpTarget = SearchTarget<HttpQuery | string, never> & {
  readonly template: Required<Pick<HttpRequestTemplate, 'method' | 'path' | 'hits'>>
  /** True when the template sends the query's vector (so queries need vectors). */
  readonly needsVector: boolean
  close(): Promise<void>
}

const PLACEHOLDERS = ['vector', 'text', 'k', 'mode'] as const

/** A template serialised once: literal pieces and the placeholders between them. */
export function compileTemplate(body: unknown): { pieces: string[]; slots: (typeof PLACEHOLDERS)[number][] } {
  const json = JSON.stringify(body)
  const pieces: string[] = []
  const slots: (typeof PLACEHOLDERS)[number][] = []
  const re = /"\{\{(vector|text|k|mode)\}\}"/g
  let last = 0
  for (let m = re.exec(json); m !== null; m = re.exec(json)) {
    pieces.push(json.slice(last, m.index))
    slots.push(m[1] as (typeof PLACEHOLDERS)[number])
    last = m.index + m[0].length
  }
  pieces.push(json.slice(last))
  return { pieces, slots }
}

/** The value at a dot path (`a.b.0`), or undefined. */
export function atPath(value: unknown, path: string): unknown {
  let cur = value
  if (path === '' || path === '.') return cur
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = Array.isArray(cur) && /^\d+$/.test(key) ? cur[Number(key)] : (cur as Record<string, unknown>)[key]
  }
  return cur
}

/** Running peaks and sums of the pool's figures since the last drain. */
class PoolSampler {
  samples = 0
  peak = { connected: 0, running: 0, queued: 0, pending: 0 }
  sum = { connected: 0, running: 0, queued: 0, pending: 0 }

  sample(pool: Pool): void {
    const s = pool.stats
    this.samples++
    this.#add('connected', s.connected)
    this.#add('running', s.running)
    this.#add('queued', s.queued)
    this.#add('pending', s.pending)
  }

  #add(key: keyof PoolSampler['peak'], v: number): void {
    if (v > this.peak[key]) this.peak[key] = v
    this.sum[key] += v
  }

  drain(connections: number): TargetConnectionStats {
    const n = this.samples
    const mean = (k: keyof PoolSampler['sum']): number => (n > 0 ? this.sum[k] / n : 0)
    const out: TargetConnectionStats = {
      kind: 'undici keep-alive pool',
      connections,
      samples: n,
      peakConnected: this.peak.connected,
      meanConnected: mean('connected'),
      peakRunning: this.peak.running,
      meanRunning: mean('running'),
      peakQueued: this.peak.queued,
      meanQueued: mean('queued'),
      peakPending: this.peak.pending,
      meanPending: mean('pending'),
    }
    this.samples = 0
    this.peak = { connected: 0, running: 0, queued: 0, pending: 0 }
    this.sum = { connected: 0, running: 0, queued: 0, pending: 0 }
    return out
  }
}

function excerpt(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > 200 ? `${t.slice(0, 200)}…` : t
}

export function httpTarget(options: HttpTargetOptions): HttpTarget {
  const origin = new URL(options.url)
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:')
    throw new HarnessError(ErrorCodes.INVALID_CONFIG, `the target URL must be http(s), got ${options.url}`)
  if (!Number.isInteger(options.connections) || options.connections < 1)
    throw new HarnessError(
      ErrorCodes.INVALID_CONFIG,
      `connections must be a positive integer, got ${options.connections}`,
    )
  const method = options.method ?? 'POST'
  // A path given with the URL (http://host:port/prefix) prefixes the template's path.
  const prefix = origin.pathname.replace(/\/$/, '')
  const path = `${prefix}${options.path.startsWith('/') ? '' : '/'}${options.path}`
  const k = options.k ?? 10
  const defaultMode = options.mode ?? 'hybrid'
  const compiled = options.body === undefined ? null : compileTemplate(options.body)
  const needsVector = compiled?.slots.includes('vector') ?? false
  const needsText = compiled?.slots.includes('text') ?? false
  const headers: Record<string, string> = {
    ...(compiled ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  }
  const pool = new Pool(origin.origin, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  })
  const sampler = new PoolSampler()
  // Each query's vector serialised once (queries are reused across requests and levels).
  const vectorJson = new WeakMap<object, string>()

  const render = (q: HttpQuery): string | undefined => {
    if (compiled === null) return undefined
    let out = compiled.pieces[0]
    for (let i = 0; i < compiled.slots.length; i++) {
      const slot = compiled.slots[i]
      let value: string
      if (slot === 'vector') {
        if (q.vector === undefined)
          throw new HarnessError(ErrorCodes.INVALID_CONFIG, 'the body template sends {{vector}}, the query has none')
        let v = vectorJson.get(q)
        if (v === undefined) {
          v = JSON.stringify(Array.from(q.vector))
          vectorJson.set(q, v)
        }
        value = v
      } else if (slot === 'text') {
        value = JSON.stringify(q.text ?? '')
      } else if (slot === 'k') {
        value = String(k)
      } else {
        value = JSON.stringify(q.mode ?? defaultMode)
      }
      out += value + compiled.pieces[i + 1]
    }
    return out
  }

  return {
    name: options.name ?? `http ${origin.origin}${path}`,
    template: { method, path, hits: options.hits },
    needsVector,
    search: async (query: HttpQuery | string, opts: TargetCallOptions) => {
      const q: HttpQuery = typeof query === 'string' ? { text: query } : query
      if (needsText && !needsVector && q.text === undefined)
        throw new HarnessError(ErrorCodes.INVALID_CONFIG, 'the body template sends {{text}}, the query has none')
      const body = render(q)
      sampler.sample(pool)
      const res = await pool.request({ method, path, headers, body, signal: opts.signal })
      const text = await res.body.text()
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new HarnessError(ErrorCodes.HTTP_STATUS, `${method} ${path} → ${res.statusCode}: ${excerpt(text)}`)
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        throw new HarnessError(
          ErrorCodes.HTTP_RESPONSE,
          `${method} ${path}: the response is not JSON: ${excerpt(text)}`,
        )
      }
      const hits = atPath(parsed, options.hits)
      if (!Array.isArray(hits))
        throw new HarnessError(
          ErrorCodes.HTTP_RESPONSE,
          `${method} ${path}: no hits array at "${options.hits}" in the response: ${excerpt(text)}`,
        )
      return hits
    },
    drainConnectionStats: () => sampler.drain(options.connections),
    close: () => pool.close(),
  }
}
