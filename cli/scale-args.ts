/**
 * Command line of `scripts/scale.ts`: flags → validated options, or a message naming every
 * problem. Pure (no I/O), so it is tested directly.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'

import { DEFAULT_ERROR_BUDGET, DEFAULT_REGRESSION } from '../harness/analysis/constants.ts'
import type { ThinkTime } from '../harness/load/think-time.ts'
import { DEFAULT_RECALL_SAMPLE_RATE } from '../harness/metrics/recall.ts'
import { formatPlain } from '../harness/report/format.ts'
import type { LevelsSpec } from '../harness/sweep/levels.ts'
import { HTTP_PRESET_NAMES } from '../harness/target/http-presets.ts'
import { DEFAULT_REFRESH } from '../harness/target/refresher.ts'
import type { RefreshPolicy } from '../harness/target/refresher.ts'
import { parseDuration, parseFraction, parseLevels, parseThinkTime } from './durations.ts'

export interface ScaleOptions {
  command: 'run'
  /** JSON Lines corpus file, or null for the built-in generated corpus. */
  corpus: string | null
  /** Size of the generated corpus. */
  documents: number
  textIndexPath: string | null
  vectorDbPath: string | null
  mode: 'text' | 'vector' | 'hybrid'
  k: number
  dimensions: number
  model: 'closed' | 'open'
  levels: LevelsSpec
  durationMs: number
  warmUpMs: number
  rampUpMs: number
  thinkTime: ThinkTime
  /** Fraction of operations that are writes (adds of new documents). */
  writeFraction: number
  /** When writes become visible: a group commit every N ms, every N writes, or per write. */
  refresh: RefreshPolicy
  sloP99Ms: number | null
  maxErrorRate: number
  seed: number
  outDir: string | null
  threads: number | null
  poolSize: number | null
  thresholds: string[]
  quick: boolean
  color: boolean | null
  /** Share of searches checked against exact search per level (0: recall not measured). */
  recallRate: number
  /** Run the performance-isolation scenario instead of the sweep. */
  isolation: boolean
  /** An HTTP service to sweep instead of an in-process store (see ./http-sweep.ts), or null. */
  http: HttpTargetFlags | null
  /** Load-generator processes (HTTP targets only). */
  workers: number
  /** Wall-clock time (ms since the epoch) to start the sweep at, so generators on several machines start together; null: at once. */
  startAt: number | null
}

/** `--target URL` and the flags that shape its requests. */
export interface HttpTargetFlags {
  url: string
  preset: string | null
  collection: string | null
  field: string | null
  method: 'GET' | 'POST' | 'PUT' | null
  path: string | null
  /** JSON body template (parsed). */
  body: unknown
  hits: string | null
}

export interface MergeOptions {
  command: 'merge'
  files: string[]
  outDir: string | null
}

export interface CompareOptions {
  command: 'compare'
  baseline: string
  current: string
  thresholds: string[]
  regression: number
}

export type ParsedCommand = ScaleOptions | CompareOptions | MergeOptions | { command: 'help'; text: string }

/** A share as a flag value is written: 0.01 → `1%`. */
function percentFlag(fraction: number): string {
  return `${formatPlain(fraction * 100)}%`
}

export const SCALE_HELP = `Usage: vector-native scale [options]    measure how many concurrent users the engine serves
       vector-native scale compare BASE.json NEW.json [--threshold EXPR ...] [--regression ${percentFlag(DEFAULT_REGRESSION)}]
       vector-native scale merge A.json B.json ... [--out DIR]   one report from generators that ran the same plan

With no options: generates a 20k-document corpus, builds a hybrid index in a temporary
directory, sweeps closed-model users 1..32, prints the table and the verdict, and writes
report.json and report.html to ./reports/scale-<time>/. In a clone of the repository the
same command is: npm run scale -- [options]

Corpus and index
  --corpus FILE          your corpus, JSON Lines: one document per line,
                         {"id": "a1", "text": "...", "vector"?: [0.1, ...], "metadata"?: {...}}
                         (vectors optional, all of one length; without them the built-in embedder makes them)
  --docs N               size of the generated corpus (default 20000; --quick: 3000)
  --dimensions N         vector dimensions of the built-in embedder (default 256)
  --text-index DIR       text index directory (default: a temporary directory)
  --vector-db DIR        vector store directory (default: a temporary directory)
Search
  --mode text|vector|hybrid   what each query does (default hybrid)
  --k N                  results per query (default 10)
Load
  --model closed|open    closed: N users looping; open: arrivals per second (default closed)
  --levels SPEC          users (or rates): 1,2,4,8 | 1..64 (doubling) | 1..64x4 | 2:20:2 (default 1..32)
  --duration D           measured window per level (default 5s; --quick: 1s)
  --warmup D             warm-up per level, not measured (default 1s; --quick: 300ms)
  --ramp-up D            closed model: users start spread over D (default 0)
  --think T              none | 10ms | exp:20ms | uniform:5ms-20ms | pace:100ms (default none)
  --writes P             share of operations that add documents, e.g. 5% (default 0)
  --refresh R            when writes become visible: 1s (a group commit every second, the
                         default, as search engines refresh), 500writes, or each (a commit per write)
  --pool N               connection (session) pool size (default: one per user)
  --threads N            UV_THREADPOOL_SIZE for the run (the script restarts itself with it)
  --seed N               seed of the corpus and of every random choice (default 42)
  --recall P             share of searches checked against exact search, per level (default 1%,
                         at most 300 a level; 0 turns recall off)
  --isolation            instead of the sweep: heavy users (hybrid, k 100, 1000 candidates) and light
                         users (--mode, --k) alone, on one shared pool (--pool, default 6), and with
                         all but one lease reserved for the light class; per-class latency and
                         interference ratios, written to isolation.json
Verdict
  --slo p99<50ms         latency objective; the sweep stops at the first level that breaks it
  --max-errors P         error budget (default ${percentFlag(DEFAULT_ERROR_BUDGET)})
  --threshold EXPR       k6-style pass/fail check, repeatable: 'p99<50ms', 'errors<1%', 'throughput>1000/s'
HTTP services (instead of an in-process store)
  --target URL           sweep a search service over HTTP, e.g. http://127.0.0.1:8080 (vector-native serve)
  --target-preset NAME   its API: ${HTTP_PRESET_NAMES.join(', ')} (default vector-native)
  --collection NAME      the collection / index a preset searches (qdrant, opensearch, milvus, chroma)
  --field NAME           the vector field (opensearch, milvus; default vector)
  --target-method M      generic form: GET, POST or PUT (default POST)
  --target-path P        generic form: the path, e.g. /search
  --target-body JSON     generic form: the body, with "{{vector}}", "{{text}}", "{{k}}", "{{mode}}"
  --target-hits PATH     generic form: where the hits array is in the response, e.g. hits, ids.0, hits.hits
  --workers N            run the users in N load-generator processes, merged exactly (default 1)
  --start-at TIME        wait until TIME (ISO 8601, e.g. 2026-01-01T10:00:00Z) to start the sweep, so
                         generators on several machines start together (then: scale merge)
Output
  --out DIR              where report.json and report.html go (default ./reports/scale-<time>)
  --quick                a run of a few seconds (small corpus, levels 1,2,4, short windows)
  --color / --no-color   force colours on or off
  -h, --help             this text
`

const INT = /^\d+$/

function int(name: string, text: string | undefined, min: number, max: number, problems: string[]): number | undefined {
  if (text === undefined) return undefined
  if (!INT.test(text) || Number(text) < min || Number(text) > max) {
    problems.push(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`)
    return undefined
  }
  return Number(text)
}

function attempt<T>(problems: string[], name: string, f: () => T): T | undefined {
  try {
    return f()
  } catch (error) {
    problems.push(`--${name}: ${(error as Error).message}`)
    return undefined
  }
}

/** `p99<50ms` (also `<=`) → 50. Only p99 objectives are accepted by --slo. */
export function parseSlo(text: string): number {
  const m = /^\s*p99\s*<=?\s*(.+)$/.exec(text)
  if (!m) throw new Error(`"${text}" is not a latency objective (example: p99<50ms)`)
  return parseDuration(m[1])
}

/** `--refresh`: `each`, `N writes` / `Nwrites`, or a duration (`1s`, `250ms`). */
export function parseRefresh(text: string): RefreshPolicy {
  const t = text.trim()
  if (t === 'each') return 'every-write'
  const writes = /^(\d+)\s*writes?$/.exec(t)
  if (writes) {
    const n = Number(writes[1])
    if (n < 1) throw new Error('--refresh needs at least 1 write per commit')
    return { everyWrites: n }
  }
  const ms = parseDuration(t)
  if (!(ms > 0)) throw new Error('--refresh interval must be longer than 0')
  return { intervalMs: ms }
}

/** The flags `scale` accepts (node:util parseArgs), shared by the parser and its type. */
const SCALE_ARG_CONFIG = {
  allowPositionals: true,
  strict: true,
  options: {
    corpus: { type: 'string' },
    docs: { type: 'string' },
    dimensions: { type: 'string' },
    'text-index': { type: 'string' },
    'vector-db': { type: 'string' },
    mode: { type: 'string' },
    k: { type: 'string' },
    model: { type: 'string' },
    levels: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'ramp-up': { type: 'string' },
    think: { type: 'string' },
    writes: { type: 'string' },
    refresh: { type: 'string' },
    pool: { type: 'string' },
    threads: { type: 'string' },
    seed: { type: 'string' },
    recall: { type: 'string' },
    isolation: { type: 'boolean' },
    slo: { type: 'string' },
    'max-errors': { type: 'string' },
    threshold: { type: 'string', multiple: true },
    regression: { type: 'string' },
    out: { type: 'string' },
    target: { type: 'string' },
    'target-preset': { type: 'string' },
    collection: { type: 'string' },
    field: { type: 'string' },
    'target-method': { type: 'string' },
    'target-path': { type: 'string' },
    'target-body': { type: 'string' },
    'target-hits': { type: 'string' },
    workers: { type: 'string' },
    'start-at': { type: 'string' },
    quick: { type: 'boolean' },
    color: { type: 'boolean' },
    'no-color': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
} as const satisfies ParseArgsConfig

/** Parses argv (without node and the script). Never throws: problems come back as an error. */
export function parseScaleArgs(argv: readonly string[]): ParsedCommand | { command: 'error'; problems: string[] } {
  let parsed: ReturnType<typeof parseArgs<typeof SCALE_ARG_CONFIG>>
  try {
    parsed = parseArgs({ ...SCALE_ARG_CONFIG, args: [...argv] })
  } catch (error) {
    return { command: 'error', problems: [(error as Error).message] }
  }
  const v = parsed.values
  const problems: string[] = []
  if (v.help) return { command: 'help', text: SCALE_HELP }

  if (parsed.positionals[0] === 'compare') {
    if (parsed.positionals.length !== 3) problems.push('compare needs two report files: compare BASE.json NEW.json')
    const regression =
      v.regression === undefined
        ? DEFAULT_REGRESSION
        : attempt(problems, 'regression', () => parseFraction(v.regression as string))
    if (problems.length > 0) return { command: 'error', problems }
    return {
      command: 'compare',
      baseline: parsed.positionals[1],
      current: parsed.positionals[2],
      thresholds: v.threshold ?? [],
      regression: regression as number,
    }
  }
  if (parsed.positionals[0] === 'merge') {
    if (parsed.positionals.length < 3) problems.push('merge needs at least two report files: merge A.json B.json ...')
    if (problems.length > 0) return { command: 'error', problems }
    return { command: 'merge', files: parsed.positionals.slice(1), outDir: v.out ?? null }
  }
  if (parsed.positionals.length > 0)
    problems.push(`unexpected argument "${parsed.positionals[0]}" (did you mean: compare or merge?)`)

  const quick = v.quick === true
  const mode = v.mode ?? 'hybrid'
  if (!['text', 'vector', 'hybrid'].includes(mode))
    problems.push(`--mode must be text, vector or hybrid, got "${mode}"`)
  const model = v.model ?? 'closed'
  if (!['closed', 'open'].includes(model)) problems.push(`--model must be closed or open, got "${model}"`)
  if (v.corpus !== undefined && v.docs !== undefined)
    problems.push('--corpus and --docs exclude each other: a corpus file has its own size')
  if (v.color && v['no-color']) problems.push('--color and --no-color exclude each other')

  const defaultLevels: LevelsSpec = quick
    ? [1, 2, 4]
    : model === 'open'
      ? { start: 100, max: 3200, factor: 2 }
      : { start: 1, max: 32, factor: 2 }
  const levels =
    v.levels === undefined ? defaultLevels : attempt(problems, 'levels', () => parseLevels(v.levels as string))
  const durationMs =
    v.duration === undefined
      ? quick
        ? 1000
        : 5000
      : attempt(problems, 'duration', () => parseDuration(v.duration as string))
  const warmUpMs =
    v.warmup === undefined ? (quick ? 300 : 1000) : attempt(problems, 'warmup', () => parseDuration(v.warmup as string))
  const rampUpMs =
    v['ramp-up'] === undefined ? 0 : attempt(problems, 'ramp-up', () => parseDuration(v['ramp-up'] as string))
  const thinkTime =
    v.think === undefined
      ? { kind: 'none' as const }
      : attempt(problems, 'think', () => parseThinkTime(v.think as string))
  const writeFraction =
    v.writes === undefined ? 0 : attempt(problems, 'writes', () => parseFraction(v.writes as string))
  const refresh =
    v.refresh === undefined ? DEFAULT_REFRESH : attempt(problems, 'refresh', () => parseRefresh(v.refresh as string))
  const sloP99Ms = v.slo === undefined ? null : attempt(problems, 'slo', () => parseSlo(v.slo as string))
  const maxErrorRate =
    v['max-errors'] === undefined
      ? DEFAULT_ERROR_BUDGET
      : attempt(problems, 'max-errors', () => parseFraction(v['max-errors'] as string))
  const recallRate =
    v.recall === undefined
      ? DEFAULT_RECALL_SAMPLE_RATE
      : attempt(problems, 'recall', () => parseFraction(v.recall as string))
  if (durationMs !== undefined && durationMs <= 0) problems.push('--duration must be longer than 0')

  const documents = int('docs', v.docs, 10, 10_000_000, problems) ?? (quick ? 3000 : 20_000)
  const dimensions = int('dimensions', v.dimensions, 8, 4096, problems) ?? 256
  const k = int('k', v.k, 1, 10_000, problems) ?? 10
  const threads = int('threads', v.threads, 1, 1024, problems) ?? null
  const poolSize = int('pool', v.pool, 1, 100_000, problems) ?? null
  const seed = int('seed', v.seed, 0, 0xffff_ffff, problems) ?? 42

  const http = parseHttpFlags(v, problems)
  const workers = int('workers', v.workers, 1, 256, problems) ?? 1
  if (workers > 1 && http === null)
    problems.push('--workers needs --target: in-process stores are measured by one process')
  if (http !== null && (v.writes !== undefined || v['text-index'] !== undefined || v['vector-db'] !== undefined))
    problems.push('--writes, --text-index and --vector-db apply to in-process stores, not to --target')

  let startAt: number | null = null
  if (v['start-at'] !== undefined) {
    startAt = Date.parse(v['start-at'])
    if (!Number.isFinite(startAt)) problems.push(`--start-at must be an ISO 8601 time, got "${v['start-at']}"`)
    else if (startAt - Date.now() > 86_400_000) problems.push('--start-at is more than a day away')
    if (http === null) problems.push('--start-at needs --target')
  }

  if (problems.length > 0) return { command: 'error', problems }
  return {
    command: 'run',
    corpus: v.corpus ?? null,
    documents,
    textIndexPath: v['text-index'] ?? null,
    vectorDbPath: v['vector-db'] ?? null,
    mode: mode as ScaleOptions['mode'],
    k,
    dimensions,
    model: model as ScaleOptions['model'],
    levels: levels as LevelsSpec,
    durationMs: durationMs as number,
    warmUpMs: warmUpMs as number,
    rampUpMs: rampUpMs as number,
    thinkTime: thinkTime as ThinkTime,
    writeFraction: writeFraction as number,
    refresh: refresh as RefreshPolicy,
    sloP99Ms: sloP99Ms as number | null,
    maxErrorRate: maxErrorRate as number,
    seed,
    outDir: v.out ?? null,
    threads,
    poolSize,
    thresholds: v.threshold ?? [],
    quick,
    color: v.color ? true : v['no-color'] ? false : null,
    recallRate: recallRate as number,
    isolation: v.isolation === true,
    http,
    workers,
    startAt,
  }
}

type ScaleValues = ReturnType<typeof parseArgs<typeof SCALE_ARG_CONFIG>>['values']

/** The HTTP target's flags, or null without --target. */
function parseHttpFlags(v: ScaleValues, problems: string[]): HttpTargetFlags | null {
  const generic = ['target-preset', 'collection', 'field', 'target-method', 'target-path', 'target-body', 'target-hits']
  if (v.target === undefined) {
    for (const name of generic)
      if (v[name as keyof ScaleValues] !== undefined) problems.push(`--${name} needs --target URL`)
    return null
  }
  try {
    const url = new URL(v.target)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    problems.push(`--target must be an http:// or https:// URL, got "${v.target}"`)
  }
  const preset = v['target-preset'] ?? null
  if (preset !== null && !(HTTP_PRESET_NAMES as readonly string[]).includes(preset))
    problems.push(`--target-preset must be one of ${HTTP_PRESET_NAMES.join(', ')}, got "${preset}"`)
  const method = v['target-method']?.toUpperCase() ?? null
  if (method !== null && !['GET', 'POST', 'PUT'].includes(method))
    problems.push(`--target-method must be GET, POST or PUT, got "${v['target-method']}"`)
  let body: unknown
  if (v['target-body'] !== undefined) {
    try {
      body = JSON.parse(v['target-body'])
    } catch (error) {
      problems.push(`--target-body is not JSON: ${(error as Error).message}`)
    }
  }
  const genericGiven = v['target-path'] !== undefined || v['target-hits'] !== undefined
  if (genericGiven && preset !== null)
    problems.push('--target-path/--target-hits and --target-preset exclude each other')
  if (genericGiven && (v['target-path'] === undefined || v['target-hits'] === undefined))
    problems.push('the generic form needs both --target-path and --target-hits')
  return {
    url: v.target,
    preset,
    collection: v.collection ?? null,
    field: v.field ?? null,
    method: method as HttpTargetFlags['method'],
    path: v['target-path'] ?? null,
    body,
    hits: v['target-hits'] ?? null,
  }
}
