/**
 * The engine behind a small HTTP API (fastify): JSON in, JSON out.
 *
 *   POST /search      { text?, vector?, k?, mode?, fusion?, rrfK?, alpha?, candidates?, ef? } → { hits, tookMs }
 *   POST /documents   { documents: [{ id, text, vector?, metadata? }], commit? }             → { added, generation }
 *   POST /commit      (no body)                                                              → { generation }
 *   GET  /health      → { status: 'ok' | 'closing', generation }
 *   GET  /stats       → { store: UnifiedStats, server: { requests, inFlight, errors, uptimeMs } }
 *
 * Or, over a vector index loaded from a file (`serve --index FILE`, {@link buildIndexServeApp}):
 * `POST /search { vector, k?, ef? }` → `{ hits: [{ id, distance }] }`, read-only.
 *
 * Bodies are validated with zod (the engine validates again); every failure is
 * `{ error: { code, message } }` with a code from errors.ts and a 4xx status for the caller's
 * mistakes (400 bad input, 404 no route, 409 duplicate id, 413 body too large, 415 not JSON),
 * 503 while shutting down, 500 for the engine's own failures.
 */
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'

import { ErrorCodes, codedError, fromZodError } from '../../errors.ts'
import { HnswIndex, MAX_DIMENSIONS, MAX_K, MAX_UNIFIED_K } from '../../engine/index.ts'
import type { FlatIndex, UnifiedDocument, UnifiedSearchOptions, UnifiedSearchSystem } from '../../engine/index.ts'

/** Default largest request body: 1 MiB (a 256-dimension vector in JSON is about 5 kB). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024
/** Most documents one POST /documents may carry. */
export const MAX_DOCUMENTS_PER_REQUEST = 10_000
/** Longest query text, in UTF-16 code units. */
export const MAX_QUERY_TEXT = 10_000

const int = (min: number, max: number) => z.number().int().min(min).max(max)

export const SearchBodySchema = z
  .strictObject({
    text: z.string().max(MAX_QUERY_TEXT).optional(),
    vector: z.array(z.number()).min(1).max(MAX_DIMENSIONS).optional(),
    k: int(1, MAX_UNIFIED_K).optional(),
    mode: z.enum(['text', 'vector', 'hybrid']).optional(),
    fusion: z.enum(['rrf', 'linear']).optional(),
    rrfK: int(1, 1_000_000).optional(),
    alpha: z.number().min(0).max(1).optional(),
    candidates: int(1, MAX_UNIFIED_K).optional(),
    ef: int(1, 1_000_000).optional(),
  })
  .refine(b => (b.text !== undefined && b.text.trim().length > 0) || b.vector !== undefined, {
    message: 'a search needs a non-empty text or a vector',
  })
export type SearchBody = z.infer<typeof SearchBodySchema>

export const DocumentsBodySchema = z.strictObject({
  documents: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        text: z.string(),
        vector: z.array(z.number()).min(1).max(MAX_DIMENSIONS).optional(),
        metadata: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(MAX_DOCUMENTS_PER_REQUEST),
  /** Commit after adding, so the documents are searchable when the response arrives. @default false */
  commit: z.boolean().optional(),
})

export interface ServeAppOptions {
  /** Largest request body in bytes. @default DEFAULT_BODY_LIMIT */
  bodyLimit?: number
  /** Log each request (fastify's pino logger) to stderr. @default false */
  log?: boolean
}

/** What the server counts, for GET /stats. */
export interface ServerCounters {
  requests: number
  inFlight: number
  errors: number
  startedAt: number
}

/** The HTTP status of a coded error. */
export function statusOf(code: string | undefined): number {
  switch (code) {
    case ErrorCodes.INVALID_ARGUMENT:
    case ErrorCodes.DIMENSION_MISMATCH:
      return 400
    case ErrorCodes.NOT_FOUND:
    case ErrorCodes.UNKNOWN_ID:
      return 404
    case ErrorCodes.DUPLICATE_ID:
      return 409
    case ErrorCodes.PAYLOAD_TOO_LARGE:
      return 413
    case ErrorCodes.CLOSED:
    case ErrorCodes.LOCKED:
      return 503
    default:
      return 500
  }
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body ?? {})
  if (!result.success) throw fromZodError(what, result.error)
  return result.data
}

/** fastify's own 4xx errors (bad JSON, wrong media type, body too large) as this package's codes. */
function codeOfFrameworkError(statusCode: number): string {
  if (statusCode === 413) return ErrorCodes.PAYLOAD_TOO_LARGE
  if (statusCode === 404) return ErrorCodes.NOT_FOUND
  return ErrorCodes.INVALID_ARGUMENT
}

/** The fastify instance every served store shares: limits, counters, coded errors, 404s. */
function baseApp(options: ServeAppOptions): {
  app: FastifyInstance
  counters: ServerCounters
  closing: () => boolean
  setClosing(): void
} {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: options.log === true,
    // Keep-alive connections idle at shutdown are closed at once; busy ones finish their request.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  })
  const counters: ServerCounters = { requests: 0, inFlight: 0, errors: 0, startedAt: Date.now() }
  let closing = false

  app.addHook('onRequest', async () => {
    counters.requests++
    counters.inFlight++
  })
  app.addHook('onResponse', async (_request, reply) => {
    counters.inFlight--
    if (reply.statusCode >= 400) counters.errors++
  })

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    reply.code(404).send({
      error: { code: ErrorCodes.NOT_FOUND, message: `no route ${request.method} ${request.url.split('?')[0]}` },
    })
  })
  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    const ours = typeof error.code === 'string' && error.code.startsWith('ERR_') && !error.code.startsWith('FST_')
    let status: number
    let code: string
    if (ours) {
      code = error.code as string
      status = statusOf(code)
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode
      code = codeOfFrameworkError(status)
    } else {
      status = 500
      code = ErrorCodes.INTERNAL
    }
    // A body refused unread leaves the connection mid-request: close it rather than keep it alive.
    if (status === 413) reply.header('connection', 'close')
    reply.code(status).send({ error: { code, message: error.message } })
  })
  return {
    app,
    counters,
    closing: () => closing,
    setClosing: () => {
      closing = true
    },
  }
}

function serverStats(counters: ServerCounters) {
  return {
    requests: counters.requests,
    inFlight: counters.inFlight,
    errors: counters.errors,
    uptimeMs: Date.now() - counters.startedAt,
  }
}

/**
 * The fastify app over an open system. It does not own the system: the caller closes it after
 * `app.close()` (which stops accepting connections and waits for the requests in flight).
 */
export function buildServeApp(
  system: UnifiedSearchSystem,
  options: ServeAppOptions = {},
): { app: FastifyInstance; counters: ServerCounters; setClosing(): void } {
  const { app, counters, closing, setClosing } = baseApp(options)

  app.post('/search', async request => {
    const body = parseBody(SearchBodySchema, request.body, 'search body')
    const hasText = body.text !== undefined && body.text.trim().length > 0
    const searchOptions: UnifiedSearchOptions = {
      mode: body.mode ?? (hasText ? 'hybrid' : 'vector'),
      k: body.k ?? 10,
    }
    if (body.vector !== undefined) searchOptions.vector = body.vector
    if (body.fusion !== undefined) searchOptions.fusion = body.fusion
    if (body.rrfK !== undefined) searchOptions.rrfK = body.rrfK
    if (body.alpha !== undefined) searchOptions.alpha = body.alpha
    if (body.candidates !== undefined) searchOptions.candidates = body.candidates
    if (body.ef !== undefined) searchOptions.ef = body.ef
    const started = performance.now()
    const hits = await system.search(body.text ?? '', searchOptions)
    return { hits, tookMs: performance.now() - started }
  })

  app.post('/documents', async request => {
    const body = parseBody(DocumentsBodySchema, request.body, 'documents body')
    const added = await system.add(body.documents as UnifiedDocument[])
    const generation = body.commit === true ? await system.commit() : system.generation
    return { added, generation }
  })

  app.post('/commit', async () => ({ generation: await system.commit() }))

  app.get('/health', async (_request, reply) => {
    if (closing()) reply.code(503)
    return { status: closing() ? 'closing' : 'ok', generation: system.generation }
  })

  app.get('/stats', async () => ({ store: await system.stats(), server: serverStats(counters) }))

  return { app, counters, setClosing }
}

export const IndexSearchBodySchema = z.strictObject({
  vector: z.array(z.number()).min(1).max(MAX_DIMENSIONS),
  k: int(1, MAX_K).optional(),
  ef: int(1, 1_000_000).optional(),
})

/**
 * The fastify app over a vector index loaded from a file (`serve --index FILE`): read-only,
 * `POST /search {"vector", "k"?, "ef"?}` → `{ hits: [{ id, distance }] }`. Writes are refused
 * (400): the file is the index's state.
 */
export function buildIndexServeApp(
  index: FlatIndex | HnswIndex,
  options: ServeAppOptions & { path?: string } = {},
): { app: FastifyInstance; counters: ServerCounters; setClosing(): void } {
  const { app, counters, closing, setClosing } = baseApp(options)
  app.post('/search', async request => {
    const body = parseBody(IndexSearchBodySchema, request.body, 'search body')
    const started = performance.now()
    const hits = await index.search(body.vector, body.k ?? 10, body.ef === undefined ? undefined : { ef: body.ef })
    return { hits, tookMs: performance.now() - started }
  })
  const readOnly = async (): Promise<never> => {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      'this server serves a vector index loaded from a file: it is read-only (serve a store to add documents)',
    )
  }
  app.post('/documents', readOnly)
  app.post('/commit', readOnly)
  app.get('/health', async (_request, reply) => {
    if (closing()) reply.code(503)
    return { status: closing() ? 'closing' : 'ok' }
  })
  app.get('/stats', async () => ({
    index: {
      path: options.path ?? null,
      kind: index instanceof HnswIndex ? 'hnsw' : 'flat',
      dimensions: index.dimensions,
      metric: index.metric,
      size: index.size,
    },
    server: serverStats(counters),
  }))
  return { app, counters, setClosing }
}
