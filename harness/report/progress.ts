/**
 * Sweep progress for a terminal: one line per level while it runs (counter, load, bar, phase,
 * live numbers), the line a finished level leaves behind, and {@link ProgressBar}, which writes
 * them to a stream (overwritten in place on a TTY, finished lines only elsewhere).
 */
import { DEFAULT_ERROR_BUDGET } from '../analysis/constants.ts'
import type { Slo } from '../analysis/scalability.ts'
import type { LevelRow } from '../sweep/types.ts'
import type { LiveProgress } from '../types.ts'
import {
  MISSING,
  formatLevel,
  formatMs,
  formatNumber,
  formatPercent,
  formatRate,
  levelNoun,
  pad,
  truncate,
  visibleWidth,
} from './format.ts'
import { glyphs, paint, shouldColor } from './terminal/ansi.ts'

/** Options of {@link renderProgress} and {@link renderLevelDone}. */
export interface ProgressLineOptions {
  color?: boolean
  ascii?: boolean
  /** @default 'closed' */
  model?: 'closed' | 'open'
  /** The level was added by refinement (shown as `[refine]`). */
  refining?: boolean
}

function counter(index: number, planned: number, refining: boolean | undefined): string {
  const d = String(Math.max(planned, 1)).length
  if (refining || index >= planned) return '[refine]'
  return `[${pad(String(index + 1), Math.max(2, d), 'right')}/${planned}]`
}

function fitParts(parts: Array<{ text: string; plain: string; drop: number }>, width: number): string {
  // Drop optional parts (highest `drop` first) until the line fits; then cut.
  let kept = parts
  const len = (ps: typeof parts): number =>
    ps.reduce((a, p) => a + visibleWidth(p.plain), 0) + Math.max(0, ps.length - 1) * 2
  while (len(kept) > width && kept.some(p => p.drop > 0)) {
    const worst = kept.reduce((a, b) => (b.drop > a.drop ? b : a))
    kept = kept.filter(p => p !== worst)
  }
  if (len(kept) <= width) return kept.map(p => p.text).join('  ')
  return truncate(kept.map(p => p.plain).join('  '), width)
}

/**
 * One progress line for a level: counter, load, bar, percent, phase, then the last interval's
 * throughput, p99 and errors, e.g.
 * `[ 3/5] users   8 ███████░░░░  62%  measuring  4,210 req/s  p99 3.12 ms  0 err`.
 * Never wider than `width` (so `\r` can overwrite it): the bar shrinks, then the trailing
 * fields go.
 */
export function renderProgress(
  level: number,
  index: number,
  planned: number,
  progress: LiveProgress,
  width = 80,
  options: ProgressLineOptions = {},
): string {
  const g = glyphs(options)
  const color = options.color === true
  const fraction = progress.totalMs > 0 ? Math.max(0, Math.min(1, progress.elapsedMs / progress.totalMs)) : 0
  const percent = pad(`${Math.floor(fraction * 100)}%`, 4, 'right')
  const phase = pad(progress.phase, 9)
  const head = `${counter(index, planned, options.refining)} ${levelNoun(options.model ?? 'closed')} ${pad(formatLevel(level), 3, 'right')}`
  const tput = `${formatRate(progress.throughput)} req/s`
  const p99 = `p99 ${progress.p99Ms === null ? MISSING : formatMs(progress.p99Ms)} ms`
  const errs = `${formatNumber(progress.errors)} err`
  const fixed =
    visibleWidth(head) + 1 + 1 + percent.length + 2 + phase.length + 2 + tput.length + 2 + p99.length + 2 + errs.length
  const barW = Math.max(5, Math.min(30, width - fixed))
  const filled = Math.round(fraction * barW)
  const barPlain = g.full.repeat(filled) + g.empty.repeat(barW - filled)
  const barText =
    paint(color, progress.phase === 'measuring' ? 'green' : 'yellow', g.full.repeat(filled)) +
    paint(color, 'dim', g.empty.repeat(barW - filled))
  return fitParts(
    [
      {
        text: `${paint(color, 'dim', head.slice(0, head.indexOf(']') + 1))}${head.slice(head.indexOf(']') + 1)} ${barText} ${percent}`,
        plain: `${head} ${barPlain} ${percent}`,
        drop: 0,
      },
      { text: paint(color, progress.phase === 'measuring' ? 'cyan' : 'yellow', phase), plain: phase, drop: 1 },
      { text: tput, plain: tput, drop: 2 },
      { text: p99, plain: p99, drop: 3 },
      { text: paint(color, progress.errors > 0 ? ['red', 'bold'] : undefined, errs), plain: errs, drop: 4 },
    ],
    width,
  )
}

/**
 * The line a finished level leaves behind: full bar, `done`, then the level's throughput, p50,
 * p99, error rate and, given an SLO, whether it met it.
 */
export function renderLevelDone(
  row: LevelRow,
  index: number,
  planned: number,
  width = 80,
  options: ProgressLineOptions & { slo?: Slo | null } = {},
): string {
  const g = glyphs(options)
  const color = options.color === true
  const head = `${counter(index, planned, options.refining ?? row.refined)} ${levelNoun(options.model ?? 'closed')} ${pad(formatLevel(row.level), 3, 'right')}`
  const tput = `${formatRate(row.throughput)} req/s`
  const p50 = `p50 ${formatMs(row.p50Ms)} ms`
  const p99 = `p99 ${formatMs(row.p99Ms)} ms`
  const errs = `${formatPercent(row.errorRate)} % err`
  const budget = options.slo?.errorRate ?? DEFAULT_ERROR_BUDGET
  const met =
    row.errorRate <= budget &&
    (options.slo?.p99Ms === undefined || row.p99Ms <= options.slo.p99Ms) &&
    !row.deadlockDetected
  const verdict = row.deadlockDetected ? `${g.fail} deadlock` : options.slo ? (met ? g.ok : g.fail) : ''
  const fixed =
    visibleWidth(head) +
    1 +
    2 +
    4 +
    2 +
    tput.length +
    2 +
    p50.length +
    2 +
    p99.length +
    2 +
    errs.length +
    (verdict === '' ? 0 : 2 + visibleWidth(verdict))
  const barW = Math.max(5, Math.min(30, width - fixed))
  const parts = [
    {
      text: `${paint(color, 'dim', head.slice(0, head.indexOf(']') + 1))}${head.slice(head.indexOf(']') + 1)} ${paint(color, 'green', g.full.repeat(barW))}`,
      plain: `${head} ${g.full.repeat(barW)}`,
      drop: 0,
    },
    { text: paint(color, 'dim', 'done'), plain: 'done', drop: 0 },
    { text: paint(color, 'bold', tput), plain: tput, drop: 1 },
    { text: p50, plain: p50, drop: 4 },
    {
      text: paint(color, options.slo?.p99Ms !== undefined && row.p99Ms > options.slo.p99Ms ? 'red' : undefined, p99),
      plain: p99,
      drop: 2,
    },
    { text: paint(color, row.errorRate > budget ? ['red', 'bold'] : undefined, errs), plain: errs, drop: 3 },
  ]
  if (verdict !== '')
    parts.push({ text: paint(color, met ? 'green' : ['red', 'bold'], verdict), plain: verdict, drop: 0 })
  return fitParts(parts, width)
}

/** ANSI "erase in line": clears from the cursor to the end of the line. */
const ERASE_LINE = '\u001b[K'

/** A writable stream as far as {@link ProgressBar} needs one. */
export interface ProgressStream {
  write(chunk: string): unknown
  isTTY?: boolean
  columns?: number
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** @default shouldColor(stream) */
  color?: boolean
  ascii?: boolean
  /** @default stream.columns − 1, else 80 */
  width?: number
  model?: 'closed' | 'open'
  /** Marks finished levels ✓/✗ against it. */
  slo?: Slo | null
  /** Overwrite the line in place. @default stream.isTTY */
  tty?: boolean
}

/**
 * Writes sweep progress to a stream (stderr by default): on a TTY one line per level,
 * overwritten in place with `\r` and left behind when the level ends; elsewhere (CI logs) only
 * the finished line of each level. Plug it into a sweep with {@link ProgressBar.hooks}:
 * `bench.runScalabilityTest({ ...options, ...new ProgressBar(process.stderr, { slo }).hooks() })`.
 */
export class ProgressBar {
  readonly #stream: ProgressStream
  readonly #options: ProgressBarOptions
  #current: { level: number; index: number; planned: number; refining: boolean } | null = null
  #dirty = false

  constructor(stream: ProgressStream = process.stderr, options: ProgressBarOptions = {}) {
    this.#stream = stream
    this.#options = options
  }

  get #tty(): boolean {
    return this.#options.tty ?? this.#stream.isTTY === true
  }

  get #width(): number {
    return this.#options.width ?? (this.#stream.columns ? this.#stream.columns - 1 : 80)
  }

  get #lineOptions(): ProgressLineOptions {
    return {
      color: this.#options.color ?? shouldColor(this.#stream),
      ascii: this.#options.ascii,
      model: this.#options.model,
      refining: this.#current?.refining,
    }
  }

  /** A level starts. */
  levelStart(info: { level: number; index: number; planned: number; refining: boolean }): void {
    this.#current = { ...info }
  }

  /** Live progress of the current level. */
  update(level: number, progress: LiveProgress): void {
    const c = this.#current
    if (!c || !this.#tty) return
    const line = renderProgress(level, c.index, c.planned, progress, this.#width, this.#lineOptions)
    this.#stream.write(`\r${line}${ERASE_LINE}`)
    this.#dirty = true
  }

  /** The level finished with this row: leaves its line behind. */
  levelEnd(level: number, row: LevelRow): void {
    const c = this.#current ?? { level, index: 0, planned: 0, refining: row.refined }
    const line = renderLevelDone(row, c.index, c.planned, this.#width, {
      ...this.#lineOptions,
      refining: c.refining,
      slo: this.#options.slo,
    })
    this.#stream.write(this.#tty ? `\r${line}${ERASE_LINE}\n` : `${line}\n`)
    this.#dirty = false
    this.#current = null
  }

  /** Clears an unfinished line (e.g. after an abort). */
  done(): void {
    if (this.#dirty && this.#tty) this.#stream.write(`\r${ERASE_LINE}`)
    this.#dirty = false
  }

  /** Callbacks to spread into `runScalabilityTest` options. */
  hooks(): {
    onLevelStart: (info: { level: number; index: number; planned: number; refining: boolean }) => void
    onProgress: (info: { level: number; progress: LiveProgress }) => void
    onLevelEnd: (info: { level: number; row: LevelRow }) => void
  } {
    return {
      onLevelStart: info => this.levelStart(info),
      onProgress: ({ level, progress }) => this.update(level, progress),
      onLevelEnd: ({ level, row }) => this.levelEnd(level, row),
    }
  }
}
