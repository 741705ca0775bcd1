/**
 * `vector-native serve`: opens (or builds) a store and serves it over HTTP (./app.ts) until
 * SIGINT or SIGTERM, then drains: stops accepting connections, lets the requests in flight
 * finish, closes the store and removes a temporary one. With no arguments it indexes the
 * built-in corpus (20k documents, as `scale` does) in a temporary directory and listens on
 * 127.0.0.1:8080; `--port 0` takes a free port. The first stdout line is
 * `listening on http://HOST:PORT` (scripts and tests read the port from it).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'

import { parseDuration } from '../durations.ts'
import { prepareWorkload } from '../workload.ts'
import type { FastifyInstance } from 'fastify'

import { loadIndex } from '../../engine/index.ts'
import { DEFAULT_BODY_LIMIT, buildIndexServeApp, buildServeApp } from './app.ts'

export const SERVE_HELP = `Usage: vector-native serve [options]    the engine as an HTTP service (JSON in, JSON out)

With no options: indexes the built-in 20k-document corpus in a temporary directory and serves
it on http://127.0.0.1:8080 until Ctrl-C (SIGINT) or SIGTERM, which drain the requests in
flight and close the store. Then, in another terminal:
  vector-native scale --target http://127.0.0.1:8080

Endpoints
  POST /search      {"text": "...", "vector"?: [...], "k"?: 10, "mode"?: "text|vector|hybrid", "fusion"?, "ef"? ...}
  POST /documents   {"documents": [{"id": "a1", "text": "...", "vector"?: [...], "metadata"?: {...}}], "commit"?: false}
  POST /commit      makes added documents searchable
  GET  /health      200 {"status": "ok"} (503 while shutting down)
  GET  /stats       store counts and sizes, server counters
Errors are {"error": {"code": "ERR_...", "message": "..."}} with a 4xx status for bad requests.

Options
  --host H               address to listen on (default 127.0.0.1, loopback only)
  --port N               port (default 8080; 0 = any free port, printed)
  --corpus FILE          JSON Lines corpus to index (as scale --corpus)
  --index FILE           serve a vector index saved to FILE (FlatIndex/HnswIndex save) instead, read-only:
                         POST /search {"vector": [...], "k"?: 10, "ef"?: 64} → {"hits": [{"id", "distance"}]}
  --docs N               size of the generated corpus (default 20000)
  --dimensions N         vector dimensions of the built-in embedder (default 256)
  --text-index DIR       text index directory (default: a temporary directory, removed at exit)
  --vector-db DIR        vector store directory (default: a temporary directory, removed at exit)
  --seed N               seed of the generated corpus (default 42)
  --body-limit BYTES     largest request body (default ${DEFAULT_BODY_LIMIT})
  --drain-timeout D      at shutdown, how long requests in flight may take before their
                         connections are cut (default 10s)
  --threads N            UV_THREADPOOL_SIZE for the server (it restarts itself with it)
  --log                  log each request to stderr
  -h, --help             this text
`

const SERVE_ARG_CONFIG = {
  allowPositionals: false,
  strict: true,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    corpus: { type: 'string' },
    index: { type: 'string' },
    docs: { type: 'string' },
    dimensions: { type: 'string' },
    'text-index': { type: 'string' },
    'vector-db': { type: 'string' },
    seed: { type: 'string' },
    'body-limit': { type: 'string' },
    threads: { type: 'string' },
    'drain-timeout': { type: 'string' },
    log: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
} as const satisfies ParseArgsConfig

export interface ServeOptions {
  command: 'serve'
  host: string
  port: number
  corpus: string | null
  /** A saved vector index to serve instead of a store. */
  index: string | null
  documents: number
  dimensions: number
  textIndexPath: string | null
  vectorDbPath: string | null
  seed: number
  bodyLimit: number
  /** At shutdown, how long requests in flight may take before their connections are cut (ms). */
  drainMs: number
  log: boolean
}

/** Flags → options, or every problem found. Pure. */
export function parseServeArgs(
  argv: readonly string[],
): ServeOptions | { command: 'help'; text: string } | { command: 'error'; problems: string[] } {
  let parsed: ReturnType<typeof parseArgs<typeof SERVE_ARG_CONFIG>>
  try {
    parsed = parseArgs({ ...SERVE_ARG_CONFIG, args: [...argv] })
  } catch (error) {
    return { command: 'error', problems: [(error as Error).message] }
  }
  const v = parsed.values
  if (v.help) return { command: 'help', text: SERVE_HELP }
  const problems: string[] = []
  const int = (name: string, text: string | undefined, min: number, max: number, fallback: number): number => {
    if (text === undefined) return fallback
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      problems.push(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`)
      return fallback
    }
    return Number(text)
  }
  if (v.corpus !== undefined && v.docs !== undefined)
    problems.push('--corpus and --docs exclude each other: a corpus file has its own size')
  if (v.index !== undefined)
    for (const name of ['corpus', 'docs', 'dimensions', 'text-index', 'vector-db'] as const)
      if (v[name] !== undefined) problems.push(`--index serves a saved vector index: --${name} does not apply`)
  const options: ServeOptions = {
    command: 'serve',
    host: v.host ?? '127.0.0.1',
    port: int('port', v.port, 0, 65535, 8080),
    corpus: v.corpus ?? null,
    index: v.index ?? null,
    documents: int('docs', v.docs, 10, 10_000_000, 20_000),
    dimensions: int('dimensions', v.dimensions, 8, 4096, 256),
    textIndexPath: v['text-index'] ?? null,
    vectorDbPath: v['vector-db'] ?? null,
    seed: int('seed', v.seed, 0, 0xffff_ffff, 42),
    bodyLimit: int('body-limit', v['body-limit'], 1024, 1024 * 1024 * 1024, DEFAULT_BODY_LIMIT),
    drainMs: 10_000,
    log: v.log === true,
  }
  if (v['drain-timeout'] !== undefined) {
    try {
      options.drainMs = parseDuration(v['drain-timeout'])
    } catch (error) {
      problems.push(`--drain-timeout: ${(error as Error).message}`)
    }
  }
  int('threads', v.threads, 1, 1024, 0)
  return problems.length > 0 ? { command: 'error', problems } : options
}

/** Runs the server until a signal; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseServeArgs(argv)
  if (parsed.command === 'help') {
    process.stdout.write(parsed.text)
    return 0
  }
  if (parsed.command === 'error') {
    process.stderr.write(`serve: ${parsed.problems.join('\nserve: ')}\nRun with --help for the options.\n`)
    return 2
  }
  const o = parsed
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`)
  }
  let served: { app: FastifyInstance; setClosing(): void }
  let cleanup: () => Promise<void>
  try {
    if (o.index !== null) {
      const index = await loadIndex(o.index)
      log(`vector index ${o.index}: ${index.size} vectors of ${index.dimensions} dimensions (${index.metric})`)
      served = buildIndexServeApp(index, { bodyLimit: o.bodyLimit, log: o.log, path: o.index })
      cleanup = async () => {}
    } else {
      const workload = await prepareWorkload({ ...o, mode: 'hybrid' }, log)
      log(workload.description)
      served = buildServeApp(workload.system, { bodyLimit: o.bodyLimit, log: o.log })
      cleanup = () => workload.cleanup()
    }
  } catch (error) {
    const e = error as Error & { code?: string }
    log(`serve: ${e.code ? `${e.code}: ` : ''}${e.message}`)
    return 1
  }
  const { app, setClosing } = served
  let address: string
  try {
    address = await app.listen({ host: o.host, port: o.port })
  } catch (error) {
    const e = error as Error & { code?: string }
    log(`serve: cannot listen on ${o.host}:${o.port}: ${e.message}`)
    await cleanup()
    return 1
  }
  process.stdout.write(`listening on ${address}\n`)

  return await new Promise<number>(resolve => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      log(`serve: ${signal}: draining the requests in flight, then closing the store`)
      setClosing()
      // Connections still busy after the drain bound (a stuck client) are cut.
      const force = setTimeout(() => app.server.closeAllConnections(), o.drainMs)
      app
        .close()
        .finally(() => clearTimeout(force))
        .then(() => cleanup())
        .then(
          () => {
            log('serve: stopped')
            resolve(0)
          },
          (error: unknown) => {
            log(`serve: shutdown failed: ${(error as Error).message}`)
            resolve(1)
          },
        )
    }
    // SIGINT is Ctrl-C on every platform (Windows included); SIGTERM is what orchestrators send.
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
