/**
 * Terminal rendering of a scalability report: the per-level table, a chart of throughput and
 * p99 against load, the verdict, and a progress line per level while a sweep runs.
 *
 * Every renderer is a pure function to a string. Colour (ANSI) only when asked (`color: true`;
 * decide with {@link shouldColor}); `ascii: true` avoids every non-ASCII glyph (✓ ✗ █ ─ braille).
 */
import type { Slo } from '../analysis/scalability.ts'
import type { LevelRow, ScalabilityReport } from '../sweep/types.ts'
import type { LiveProgress } from '../types.ts'
import {
  MISSING,
  formatLevel,
  formatMs,
  formatNumber,
  formatPercent,
  formatPlain,
  formatRate,
  formatSig,
  formatTick,
  formatWithError,
  levelNoun,
  logTicks,
  levelWithUnit,
  niceTicks,
  pad,
  sanitizeTerminal,
  truncate,
  visibleWidth,
  wrap,
} from './format.ts'
import {
  RECOMMENDATION_TITLES,
  RECOMMENDATION_TONE,
  bestThroughput,
  collectWarnings,
  detectorCallouts,
  errorBudget,
  rowAt,
} from './insights.ts'

/** Options shared by the terminal renderers. */
export interface TerminalOptions {
  /** Emit ANSI colours. @default false */
  color?: boolean
  /** Only ASCII characters (no ✓ ✗ █ ─ or braille). @default false */
  ascii?: boolean
  /** Columns available. @default 100 */
  width?: number
}

// --- colour ----------------------------------------------------------------------------------

const CODES = {
  bold: 1,
  dim: 2,
  italic: 3,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
} as const
type Style = keyof typeof CODES

function paint(on: boolean | undefined, styles: Style | Style[] | undefined, text: string): string {
  if (!on || styles === undefined || text === '') return text
  const list = Array.isArray(styles) ? styles : [styles]
  if (list.length === 0) return text
  return `\u001b[${list.map(s => CODES[s]).join(';')}m${text}\u001b[0m`
}

/**
 * Whether to colour output written to `stream`: never with `NO_COLOR` set (non-empty); always
 * with `FORCE_COLOR` set to anything but `0`/`false`; otherwise when the stream is a TTY and
 * `TERM` is not `dumb`.
 */
export function shouldColor(
  stream: { isTTY?: boolean } | undefined,
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  const force = env.FORCE_COLOR
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false')
  return stream?.isTTY === true && env.TERM !== 'dumb'
}

interface Glyphs {
  ok: string
  fail: string
  rule: string
  full: string
  empty: string
  eighths: string[]
  bullet: string
  arrow: string
  warn: string
  vbar: string
  slo: string
  point: string
  dash: string
  to: string
}

const UNICODE: Glyphs = {
  ok: '✓',
  fail: '✗',
  rule: '─',
  full: '█',
  empty: '░',
  eighths: ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'],
  bullet: '•',
  arrow: '→',
  warn: '!',
  vbar: '│',
  slo: '┊',
  point: '●',
  dash: '┄',
  to: '→',
}

const ASCII: Glyphs = {
  ok: 'ok',
  fail: 'NO',
  rule: '-',
  full: '#',
  empty: '.',
  eighths: ['', '', '', '', '', '', '', ''],
  bullet: '*',
  arrow: '->',
  warn: '!',
  vbar: '|',
  slo: ':',
  point: 'o',
  dash: '-',
  to: '->',
}

function glyphs(o: { ascii?: boolean }): Glyphs {
  return o.ascii ? ASCII : UNICODE
}

function clean(text: string, ascii: boolean | undefined): string {
  const t = sanitizeTerminal(text)
  // Words from the analysis use a few non-ASCII symbols; spell them out in ASCII mode.
  return ascii
    ? t
        .replace(/≥/g, '>=')
        .replace(/≤/g, '<=')
        .replace(/→/g, '->')
        .replace(/[–—]/g, '-')
        .replace(/×/g, 'x')
        .replace(/·/g, '*')
        .replace(/√/g, 'sqrt')
        .replace(/σ/g, 'sigma')
        .replace(/κ/g, 'kappa')
        .replace(/λ/g, 'lambda')
        .replace(/²/g, '^2')
        .replace(/±/g, '+/-')
        .replace(/…/g, '...')
        .replace(/[^\x20-\x7e]/g, '?')
    : t
}

// --- table -----------------------------------------------------------------------------------

/** Options of {@link renderLevelTable}. */
export interface LevelTableOptions extends TerminalOptions {
  /** Load model when rows are given without their report. @default the report's, else 'closed' */
  model?: 'closed' | 'open'
  /** SLO for colouring when rows are given without their report. */
  slo?: Slo | null
}

interface Cell {
  text: string
  style?: Style | Style[]
}

interface Column {
  header: string
  unit: string
  /** Lower is dropped first when the table is too wide. */
  priority: number
  numeric: boolean
  cell: (row: LevelRow) => Cell
}

function alignDecimals(texts: string[]): string[] {
  const split = texts.map(t => {
    const m = /^(.*?)(\.\d+)?(\D*)$/.exec(t)
    return m && /\d/.test(t) ? { int: m[1], frac: (m[2] ?? '') + m[3] } : { int: t, frac: '' }
  })
  const fracW = Math.max(0, ...split.map(s => visibleWidth(s.frac)))
  return split.map(s => s.int + pad(s.frac, fracW))
}

/**
 * The per-level table: load, throughput, p50/p99, errors, efficiency, pool wait, CPU, SLO,
 * with refined levels marked `*` and (given the report) the optimal level and breaking point
 * named. Columns of least interest are dropped when `width` is too small.
 */
export function renderLevelTable(
  input: ScalabilityReport | readonly LevelRow[],
  options: LevelTableOptions = {},
): string {
  const report = Array.isArray(input) ? null : (input as ScalabilityReport)
  const rows: readonly LevelRow[] = report ? report.levels : (input as readonly LevelRow[])
  const model = options.model ?? report?.loadModel ?? 'closed'
  const slo = options.slo !== undefined ? options.slo : (report?.slo ?? null)
  const budget = slo?.errorRate ?? 0.01
  const g = glyphs(options)
  const color = options.color === true
  const width = options.width ?? 100

  const notes = new Map<number, Cell[]>()
  const note = (level: number | null, cell: Cell): void => {
    if (level === null) return
    const row = rows.find(r => r.level === level || r.concurrency === level)
    if (!row) return
    notes.set(row.level, [...(notes.get(row.level) ?? []), cell])
  }
  for (const r of rows) if (r.deadlockDetected) note(r.level, { text: 'DEADLOCK', style: ['red', 'bold'] })
  if (report) {
    note(report.optimalConcurrentUsers, { text: 'optimal', style: ['green', 'bold'] })
    note(report.scalabilityBreakingPoint, { text: 'breaking point', style: ['red', 'bold'] })
  }
  for (const r of rows)
    if (r.littlesLawConsistent === false) note(r.level, { text: "Little's law off", style: 'yellow' })
  for (const r of rows)
    if (r.droppedStarts > 0) note(r.level, { text: `${formatNumber(r.droppedStarts)} dropped`, style: 'yellow' })

  const columns: Column[] = [
    {
      header: model === 'open' ? 'rate' : 'users',
      unit: model === 'open' ? '/s' : '',
      priority: 100,
      numeric: true,
      cell: r => ({ text: `${r.refined ? '*' : ''}${formatLevel(r.level)}`, style: r.refined ? 'dim' : 'bold' }),
    },
  ]
  if (model === 'open') {
    columns.push({
      header: 'in flight',
      unit: 'mean',
      priority: 35,
      numeric: true,
      cell: r => ({ text: formatNumber(r.concurrency, 1) }),
    })
  }
  columns.push(
    {
      header: 'throughput',
      unit: 'req/s',
      priority: 90,
      numeric: true,
      cell: r => ({ text: formatRate(r.throughput) }),
    },
    { header: 'p50', unit: 'ms', priority: 40, numeric: true, cell: r => ({ text: formatMs(r.p50Ms) }) },
    {
      header: 'p99',
      unit: 'ms',
      priority: 80,
      numeric: true,
      cell: r => ({
        text: formatMs(r.p99Ms),
        style: slo?.p99Ms !== undefined && r.p99Ms > slo.p99Ms ? 'red' : undefined,
      }),
    },
    {
      header: 'errors',
      unit: '%',
      priority: 70,
      numeric: true,
      cell: r => ({
        text: formatPercent(r.errorRate),
        style: r.errorRate > budget ? 'red' : r.errorRate > 0 ? 'yellow' : undefined,
      }),
    },
    {
      header: 'eff.',
      unit: '%',
      priority: 30,
      numeric: true,
      cell: r => ({
        text: formatPercent(r.efficiency, 0),
        style: r.efficiency >= 0.9 ? undefined : r.efficiency >= 0.5 ? 'yellow' : 'red',
      }),
    },
    { header: 'pool wait', unit: 'ms', priority: 20, numeric: true, cell: r => ({ text: formatMs(r.poolWaitMeanMs) }) },
    {
      header: 'CPU',
      unit: '%',
      priority: 10,
      numeric: true,
      cell: r => ({ text: r.cpuUtilization === null ? MISSING : formatPercent(r.cpuUtilization, 1) }),
    },
    {
      header: 'SLO',
      unit: '',
      priority: 60,
      numeric: false,
      cell: r => (r.sloMet ? { text: g.ok, style: 'green' } : { text: g.fail, style: ['red', 'bold'] }),
    },
  )

  const indent = '  '
  const gap = '  '
  const build = (cols: Column[]): { widths: number[]; cells: string[][]; styles: Cell[][] } => {
    const styles = rows.map(r => cols.map(c => c.cell(r)))
    const cells = cols.map((c, j) => {
      const texts = styles.map(s => clean(s[j].text, options.ascii))
      return c.numeric ? alignDecimals(texts) : texts
    })
    const widths = cols.map((c, j) =>
      Math.max(visibleWidth(c.header), visibleWidth(c.unit), ...cells[j].map(visibleWidth)),
    )
    return { widths, cells: rows.map((_, i) => cols.map((_, j) => cells[j][i])), styles }
  }
  let cols = columns
  let built = build(cols)
  const total = (w: number[]): number => indent.length + w.reduce((a, b) => a + b, 0) + gap.length * (w.length - 1)
  while (total(built.widths) > width && cols.length > 3) {
    const drop = cols.reduce((a, b) => (b.priority < a.priority ? b : a))
    cols = cols.filter(c => c !== drop)
    built = build(cols)
  }
  const { widths, cells, styles } = built
  const tableWidth = total(widths)
  const noteRoom = width - tableWidth - gap.length

  const align = (c: Column): 'left' | 'right' => (c.numeric ? 'right' : 'left')
  const lines: string[] = []
  const headerLine = (texts: string[], style: Style): string =>
    (
      indent +
      cols
        .map((c, j) => {
          const fill = ' '.repeat(Math.max(0, widths[j] - visibleWidth(texts[j])))
          return align(c) === 'right' ? fill + paint(color, style, texts[j]) : paint(color, style, texts[j]) + fill
        })
        .join(gap)
    ).trimEnd()
  lines.push(
    headerLine(
      cols.map(c => c.header),
      'bold',
    ),
  )
  lines.push(
    headerLine(
      cols.map(c => clean(c.unit, options.ascii)),
      'dim',
    ),
  )
  lines.push(indent + paint(color, 'dim', g.rule.repeat(tableWidth - indent.length)))
  rows.forEach((r, i) => {
    let line =
      indent +
      cols
        .map((c, j) => {
          const fill = ' '.repeat(Math.max(0, widths[j] - visibleWidth(cells[i][j])))
          const text = paint(color, styles[i][j].style, cells[i][j])
          return align(c) === 'right' ? fill + text : text + fill
        })
        .join(gap)
    const rowNotes = notes.get(r.level) ?? []
    if (rowNotes.length > 0 && noteRoom >= 6) {
      const plain = truncate(rowNotes.map(n => clean(n.text, options.ascii)).join(', '), noteRoom)
      // Colour each note when it fits whole; otherwise print the cut text plain.
      const whole = rowNotes.map(n => clean(n.text, options.ascii)).join(', ') === plain
      line += gap + (whole ? rowNotes.map(n => paint(color, n.style, clean(n.text, options.ascii))).join(', ') : plain)
    }
    lines.push(line.trimEnd())
  })
  const foot: string[] = []
  if (rows.some(r => r.refined)) foot.push('* refined: measured between the last good and the first bad level')
  if (slo || report) {
    const parts: string[] = []
    if (slo?.p99Ms !== undefined) parts.push(`p99 <= ${formatPlain(slo.p99Ms)} ms`)
    parts.push(`errors <= ${formatPlain(budget * 100)} %`)
    foot.push(`SLO: ${parts.join(', ')}${slo?.errorRate === undefined ? ' (default error budget)' : ''}`)
  }
  for (const f of foot)
    lines.push(indent + paint(color, 'dim', clean(truncate(f, width - indent.length), options.ascii)))
  return lines.join('\n')
}

// --- chart -----------------------------------------------------------------------------------

/** Options of {@link renderChart}. */
export interface ChartOptions extends TerminalOptions {
  /**
   * `'bars'`: per level, a throughput bar and a p99 bar side by side (with the SLO marked).
   * `'plot'`: throughput (measured and fitted USL) and p99 plotted against load, braille dots.
   * @default 'bars'
   */
  kind?: 'bars' | 'plot'
  /** Rows of each plot (`'plot'` only). @default 10 */
  height?: number
}

function bar(fraction: number, cells: number, g: Glyphs): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0))
  if (g.eighths[1] === '') {
    const n = Math.round(f * cells)
    return g.full.repeat(n === 0 && f > 0 ? 1 : n)
  }
  const eighths = Math.round(f * cells * 8)
  const full = Math.floor(eighths / 8)
  const rest = eighths % 8
  const text = g.full.repeat(full) + g.eighths[rest]
  return text === '' && f > 0 ? g.eighths[1] : text
}

function renderBars(report: ScalabilityReport, o: ChartOptions): string {
  const g = glyphs(o)
  const color = o.color === true
  const width = o.width ?? 100
  const rows = report.levels
  const labels = rows.map(r => `${r.refined ? '*' : ''}${formatLevel(r.level)}`)
  const tputs = rows.map(r => formatRate(r.throughput))
  const p99s = rows.map(r => formatMs(r.p99Ms))
  const labelW = Math.max(levelNoun(report.loadModel).length, ...labels.map(l => l.length))
  const tputW = Math.max(...tputs.map(t => t.length))
  const p99W = Math.max(...p99s.map(t => t.length))
  const slo = report.slo?.p99Ms
  const fixed = 2 + labelW + 2 + 1 + tputW + 3 + 1 + p99W + 2
  const barW = Math.max(6, Math.min(32, Math.floor((width - fixed) / 2)))
  const maxT = Math.max(...rows.map(r => r.throughput), 1e-9)
  const maxP = Math.max(...rows.map(r => r.p99Ms), slo ?? 0, 1e-9)
  const sloAt = slo !== undefined ? Math.min(barW - 1, Math.max(0, Math.round((slo / maxP) * barW) - 1)) : -1
  const best = bestThroughput(report)
  const lines: string[] = []
  const head1 = `${pad(levelNoun(report.loadModel), labelW, 'right')}  ${pad('throughput (req/s)', barW + 1 + tputW)}   ${'p99 (ms)'}`
  lines.push(
    `  ${paint(color, 'bold', clean(head1, o.ascii))}${slo !== undefined ? paint(color, 'dim', `   ${g.slo} SLO ${formatPlain(slo)} ms`) : ''}`,
  )
  rows.forEach((r, i) => {
    const tb = bar(r.throughput / maxT, barW, g)
    const pbRaw = bar(r.p99Ms / maxP, barW, g)
    const breach = slo !== undefined && r.p99Ms > slo
    let pb: string
    if (sloAt >= 0 && visibleWidth(pbRaw) <= sloAt) {
      // The bar ends before the SLO: show the SLO mark at its place.
      pb =
        paint(color, breach ? 'red' : 'cyan', pbRaw) +
        ' '.repeat(sloAt - visibleWidth(pbRaw)) +
        paint(color, 'dim', g.slo) +
        ' '.repeat(barW - sloAt - 1)
    } else if (sloAt >= 0) {
      const chars = [...pbRaw]
      const inside = chars.slice(0, sloAt + 1).join('')
      const beyond = chars.slice(sloAt + 1).join('')
      pb = paint(color, 'cyan', inside) + paint(color, 'red', beyond) + ' '.repeat(Math.max(0, barW - chars.length))
    } else {
      pb = paint(color, 'cyan', pbRaw) + ' '.repeat(Math.max(0, barW - visibleWidth(pbRaw)))
    }
    const isBest = best !== null && r.level === best.level
    const tbText = paint(color, isBest ? ['green', 'bold'] : 'green', tb) + ' '.repeat(barW - visibleWidth(tb))
    const mark = breach ? ` ${g.fail}` : ''
    lines.push(
      `  ${paint(color, r.refined ? 'dim' : undefined, pad(labels[i], labelW, 'right'))}  ${tbText} ${pad(tputs[i], tputW, 'right')}   ${pb} ${pad(p99s[i], p99W, 'right')}${paint(color, 'red', mark)}`.trimEnd(),
    )
  })
  return lines.join('\n')
}

const BRAILLE_BITS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
]

/** A character grid with braille sub-cell dots (2×4 per cell) and whole-cell overlays. */
class Canvas {
  readonly cols: number
  readonly rows: number
  readonly #dots: Uint8Array
  readonly #overlay: Array<{ ch: string; style?: Style | Style[] } | undefined>
  readonly #dotStyle: Array<Style | undefined>

  constructor(cols: number, rows: number) {
    this.cols = cols
    this.rows = rows
    this.#dots = new Uint8Array(cols * rows)
    this.#overlay = new Array(cols * rows)
    this.#dotStyle = new Array(cols * rows)
  }

  /** A dot at cell coordinates (fractional: x in 0..cols−1, y in 0..rows−1, y down; integers are cell centres). */
  dot(x: number, y: number, style?: Style): void {
    const xi = Math.round(x * 2 + 0.5)
    const yi = Math.round(y * 4 + 1.5)
    if (xi < 0 || yi < 0 || xi >= this.cols * 2 || yi >= this.rows * 4) return
    const c = (yi >> 2) * this.cols + (xi >> 1)
    this.#dots[c] |= BRAILLE_BITS[yi & 3][xi & 1]
    if (style) this.#dotStyle[c] = style
  }

  /** A line between two points in cell coordinates, drawn with dots. */
  line(x0: number, y0: number, x1: number, y1: number, style?: Style): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0) * 2, Math.abs(y1 - y0) * 4)))
    for (let s = 0; s <= steps; s++) this.dot(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, style)
  }

  put(col: number, row: number, ch: string, style?: Style | Style[]): void {
    const c = Math.round(col)
    const r = Math.round(row)
    if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return
    this.#overlay[r * this.cols + c] = { ch, style }
  }

  lines(color: boolean, ascii: boolean): string[] {
    const out: string[] = []
    for (let r = 0; r < this.rows; r++) {
      let line = ''
      for (let c = 0; c < this.cols; c++) {
        const i = r * this.cols + c
        const o = this.#overlay[i]
        if (o) line += paint(color, o.style, o.ch)
        else if (this.#dots[i] !== 0)
          line += paint(color, this.#dotStyle[i], ascii ? '.' : String.fromCharCode(0x2800 + this.#dots[i]))
        else line += ' '
      }
      out.push(line)
    }
    return out
  }
}

function renderPlot(report: ScalabilityReport, o: ChartOptions): string {
  const g = glyphs(o)
  const color = o.color === true
  const ascii = o.ascii === true
  const width = o.width ?? 100
  const height = Math.max(4, o.height ?? 10)
  const rows = report.levels
  const xs = rows.map(r => r.concurrency)
  const fitted = report.fittedCurve.filter(([n, x]) => Number.isFinite(n) && Number.isFinite(x) && n > 0)
  const xMax = Math.max(...xs, ...fitted.map(([n]) => n), 1)
  const xMin = Math.min(...xs.filter(x => x > 0), xMax)
  // Geometric sweeps (≥ 32× from the first level to the last) read better on a log axis.
  const xLog = xs.length > 2 && xMin > 0 && xMax / xMin >= 32
  const xTicks = xLog ? { ...logTicks(xMin, xMax), step: 1 } : niceTicks(0, xMax, 6)
  const xPos = (v: number): number =>
    xLog
      ? (Math.log10(Math.max(v, xTicks.min)) - Math.log10(xTicks.min)) /
        (Math.log10(xTicks.max) - Math.log10(xTicks.min))
      : (v - xTicks.min) / (xTicks.max - xTicks.min)
  const slo = report.slo?.p99Ms

  const panels: Array<{
    title: string
    unit: string
    yMax: number
    draw: (cv: Canvas, sx: (v: number) => number, sy: (v: number) => number) => void
    legend: string
  }> = [
    {
      title: 'throughput',
      unit: 'req/s',
      yMax: Math.max(...rows.map(r => r.throughput), ...fitted.map(([, x]) => x), 1e-9),
      draw: (cv, sx, sy) => {
        for (let i = 1; i < fitted.length; i++)
          cv.line(sx(fitted[i - 1][0]), sy(fitted[i - 1][1]), sx(fitted[i][0]), sy(fitted[i][1]), 'yellow')
        for (const r of rows) cv.put(sx(r.concurrency), sy(r.throughput), g.point, ['green', 'bold'])
      },
      legend: `${g.point} measured   ${ascii ? '.' : '⠤'} fitted USL${report.usl?.peakConcurrency ? `, N* = ${formatSig(report.usl.peakConcurrency, 3)}` : ''}`,
    },
    {
      title: 'p99',
      unit: 'ms',
      yMax: Math.max(...rows.map(r => r.p99Ms), slo ?? 0, 1e-9),
      draw: (cv, sx, sy) => {
        if (slo !== undefined) for (let c = 0; c < cv.cols; c += 2) cv.put(c, sy(slo), g.dash, 'red')
        for (let i = 1; i < rows.length; i++)
          cv.line(
            sx(rows[i - 1].concurrency),
            sy(rows[i - 1].p99Ms),
            sx(rows[i].concurrency),
            sy(rows[i].p99Ms),
            'cyan',
          )
        for (const r of rows)
          cv.put(
            sx(r.concurrency),
            sy(r.p99Ms),
            g.point,
            slo !== undefined && r.p99Ms > slo ? ['red', 'bold'] : ['cyan', 'bold'],
          )
      },
      legend: `${g.point} measured p99${slo !== undefined ? `   ${g.dash}${g.dash} SLO ${formatPlain(slo)} ms` : ''}`,
    },
  ]

  const lines: string[] = []
  for (const panel of panels) {
    const yTicks = niceTicks(0, panel.yMax, Math.min(5, Math.max(3, Math.floor(height / 2.5))))
    const labels = yTicks.ticks.map(t => formatTick(t, yTicks.step))
    const labelW = Math.max(...labels.map(l => l.length))
    const cols = Math.max(20, Math.min(72, width - labelW - 6))
    const cv = new Canvas(cols, height)
    // Cell coordinates: x in [0, cols - 1], y in [0, height - 1] (0 = top).
    const sx = (v: number): number => xPos(v) * (cols - 1)
    const sy = (v: number): number => (1 - (v - yTicks.min) / (yTicks.max - yTicks.min)) * (height - 1)
    panel.draw(cv, sx, sy)
    const tickRow = new Map<number, string>()
    yTicks.ticks.forEach((t, i) => {
      const r = Math.round(sy(t))
      if (!tickRow.has(r)) tickRow.set(r, labels[i])
    })
    lines.push(
      `  ${paint(color, 'bold', panel.title)} ${paint(color, 'dim', `(${panel.unit})`)}   ${paint(color, 'dim', clean(panel.legend, ascii))}`,
    )
    cv.lines(color, ascii).forEach((l, r) => {
      const label = tickRow.get(r)
      lines.push(
        `  ${pad(label ?? '', labelW, 'right')} ${paint(color, 'dim', label !== undefined ? (ascii ? '+' : '┤') : g.vbar)}${l}`.trimEnd(),
      )
    })
    // x axis with tick labels placed under their columns.
    lines.push(`  ${' '.repeat(labelW)} ${paint(color, 'dim', (ascii ? '+' : '└') + g.rule.repeat(cols))}`)
    let axis = ''
    for (const t of xTicks.ticks) {
      const label = xLog ? formatTick(t, Math.min(t, 1)) : formatTick(t, xTicks.step)
      const at = Math.round(sx(t)) + 1 - Math.floor(label.length / 2)
      if (at < axis.length + 1) continue
      axis += ' '.repeat(at - axis.length) + label
    }
    lines.push(`  ${' '.repeat(labelW)} ${paint(color, 'dim', axis)}`)
  }
  lines.push(
    `  ${' '.repeat(4)}${paint(color, 'dim', report.loadModel === 'open' ? 'mean requests in flight' : 'users')}`,
  )
  return lines.join('\n')
}

/**
 * A small chart of throughput and p99 against load, legible without colour: side-by-side bars
 * per level (default) or braille plots with the fitted USL curve (`kind: 'plot'`).
 */
export function renderChart(report: ScalabilityReport, options: ChartOptions = {}): string {
  return options.kind === 'plot' ? renderPlot(report, options) : renderBars(report, options)
}

// --- summary ---------------------------------------------------------------------------------

/** Options of {@link renderSummary}. */
export interface SummaryOptions extends TerminalOptions {
  /** Files written (e.g. the result of `writeReports`): label → path. */
  files?: Record<string, string>
}

/**
 * The verdict: optimal users and N*, breaking point and why, linear range, contention and
 * coherency, the USL fit with standard errors and R², the recommendation with its reasons and
 * advice, detector findings per level (operations and resources named), warnings, and the files.
 */
export function renderSummary(report: ScalabilityReport, options: SummaryOptions = {}): string {
  const g = glyphs(options)
  const color = options.color === true
  const ascii = options.ascii
  const width = Math.max(40, options.width ?? 100)
  const model = report.loadModel
  const unit = (n: number): string => levelWithUnit(n, model)
  const lines: string[] = []
  const t = (s: string): string => clean(s, ascii)

  // Headline.
  const levels = report.levels
  const first = levels[0]
  const last = levels[levels.length - 1]
  lines.push(
    `  ${paint(color, 'bold', t(report.target))} ${paint(color, 'dim', t(`· ${model} model · ${levels.length} level${levels.length === 1 ? '' : 's'} ${formatLevel(first.level)} → ${unit(last.level)} · ${formatNumber(report.sweep.durationMs)} ms each after ${formatNumber(report.sweep.warmUpMs)} ms warm-up · seed ${report.seed}`))}`,
  )
  const sloParts: string[] = []
  if (report.slo?.p99Ms !== undefined) sloParts.push(`p99 ≤ ${formatPlain(report.slo.p99Ms)} ms`)
  sloParts.push(
    `errors ≤ ${formatPlain(errorBudget(report) * 100)} %${report.slo?.errorRate === undefined ? ' (default budget)' : ''}`,
  )
  lines.push(`  ${paint(color, 'dim', t(`SLO ${sloParts.join(' · ')}`))}`)
  lines.push('')

  // Key facts.
  const kind = report.recommendation.kind
  const tone = RECOMMENDATION_TONE[kind]
  const toneStyle: Style = tone === 'good' ? 'green' : tone === 'warn' ? 'yellow' : 'red'
  const facts: Array<[string, string, string]> = []
  facts.push([
    'Verdict',
    paint(color, [toneStyle, 'bold'], RECOMMENDATION_TITLES[kind]),
    paint(color, 'dim', `(${kind})`),
  ])
  const opt = report.optimalConcurrentUsers
  if (opt !== null) {
    const row = rowAt(report, opt)
    facts.push([
      model === 'open' ? 'Optimal rate' : 'Optimal users',
      paint(color, ['green', 'bold'], formatLevel(opt)),
      row
        ? `${formatRate(row.throughput)} req/s, p99 ${formatMs(row.p99Ms)} ms: the smallest level within 5 % of the best throughput that meets the SLO`
        : '',
    ])
  } else {
    facts.push([
      model === 'open' ? 'Optimal rate' : 'Optimal users',
      paint(color, ['red', 'bold'], 'none'),
      'no level met the SLO',
    ])
  }
  if (report.peakConcurrency !== null) {
    const ceiling = report.usl?.throughputCeiling
    facts.push([
      'Peak N*',
      paint(color, 'bold', formatSig(report.peakConcurrency, 3)),
      `fitted concurrency of peak throughput${ceiling ? ` (${formatRate(ceiling)} req/s)` : ''}`,
    ])
  } else if (report.usl) {
    facts.push([
      'Peak N*',
      paint(color, 'bold', 'none'),
      `no peak in the fit${report.usl.throughputCeiling ? `; throughput levels off towards ${formatRate(report.usl.throughputCeiling)} req/s` : ''}`,
    ])
  }
  if (report.scalabilityBreakingPoint !== null) {
    facts.push([
      'Breaking point',
      paint(color, ['red', 'bold'], formatLevel(report.scalabilityBreakingPoint)),
      report.breakingReason ?? '',
    ])
  } else {
    facts.push(['Breaking point', paint(color, ['green', 'bold'], 'none'), `held up to ${unit(last.level)}`])
  }
  facts.push([
    'Linear range',
    paint(
      color,
      'bold',
      report.linearScalingRange
        ? `${formatLevel(report.linearScalingRange[0])} → ${formatLevel(report.linearScalingRange[1])}`
        : 'none',
    ),
    report.linearScalingRange
      ? 'efficiency ≥ 90 % of the smallest level'
      : 'efficiency fell below 90 % at the second level',
  ])
  if (report.resourceContentionScore !== null) {
    facts.push([
      'Contention',
      paint(color, 'bold', `${formatNumber(report.resourceContentionScore, 1)} %`),
      `σ: share of work serialised${report.coherencyCost !== null ? ` · coherency κ ${formatSig(report.coherencyCost, 3)} per pair of users` : ''}`,
    ])
  }
  if (report.usl) {
    const u = report.usl
    const se = u.standardErrors
    facts.push([
      'USL fit',
      paint(color, 'bold', `R² ${formatNumber(u.rSquared, 3)}`),
      `λ ${formatWithError(u.lambda, se.lambda)} req/s · σ ${formatWithError(u.sigma, se.sigma)} · κ ${formatWithError(u.kappa, se.kappa)}`,
    ])
  } else if (report.uslError) {
    facts.push(['USL fit', paint(color, 'yellow', 'none'), report.uslError])
  }
  const keyW = Math.max(...facts.map(([k]) => k.length))
  const valW = Math.max(...facts.map(([, v]) => visibleWidth(v)))
  for (const [k, v, d] of facts) {
    const head = `  ${pad(k, keyW)}  ${pad(t(v), valW)}  `
    const room = width - visibleWidth(head)
    const parts = d === '' ? [''] : wrap(t(d), Math.max(20, room))
    lines.push(`${head}${paint(color, 'dim', parts[0])}`.trimEnd())
    for (const p of parts.slice(1)) lines.push(`${' '.repeat(visibleWidth(head))}${paint(color, 'dim', p)}`)
  }

  const section = (
    title: string,
    items: Array<{ mark: string; style?: Style | Style[]; text: string; sub?: string[] }>,
  ): void => {
    if (items.length === 0) return
    lines.push('')
    lines.push(`  ${paint(color, 'bold', title)}`)
    for (const item of items) {
      const head = `    ${item.mark} `
      const body = wrap(t(item.text), width - visibleWidth(head))
      lines.push(`    ${paint(color, item.style, item.mark)} ${body[0]}`)
      for (const b of body.slice(1)) lines.push(' '.repeat(visibleWidth(head)) + b)
      for (const s of item.sub ?? []) {
        const subBody = wrap(t(s), width - visibleWidth(head) - 2)
        lines.push(`${' '.repeat(visibleWidth(head))}${paint(color, 'dim', `${g.bullet} `)}${subBody[0]}`)
        for (const b of subBody.slice(1)) lines.push(' '.repeat(visibleWidth(head) + 2) + b)
      }
    }
  }

  section(
    'Why',
    report.recommendation.reasons.map(r => ({ mark: g.bullet, style: 'dim', text: r })),
  )
  section(
    'Advice',
    report.recommendation.advice.map(a => ({ mark: g.arrow, style: [toneStyle, 'bold'], text: a })),
  )
  section(
    'Detector',
    detectorCallouts(report).map(c => ({
      mark: c.deadlock ? g.fail : g.warn,
      style: c.deadlock ? ['red', 'bold'] : 'yellow',
      text: `at ${unit(c.level)}: ${c.deadlock ? 'DEADLOCK or total stall' : `${c.findings.length} finding${c.findings.length === 1 ? '' : 's'}`}`,
      sub: [
        ...c.findings.map(f => f.text),
        ...Object.entries(c.moreByKind).map(
          ([k, n]) => `+${formatNumber(n)} more ${k} finding${n === 1 ? '' : 's'} (counted, not kept)`,
        ),
      ],
    })),
  )
  section(
    'Warnings',
    collectWarnings(report).map(w => ({ mark: g.warn, style: ['yellow', 'bold'], text: w.text })),
  )
  const files = Object.entries(options.files ?? {})
  if (files.length > 0) {
    lines.push('')
    lines.push(`  ${paint(color, 'bold', 'Files')}`)
    const w = Math.max(...files.map(([k]) => k.length))
    for (const [k, p] of files) lines.push(`    ${pad(k, w)}  ${paint(color, 'cyan', t(p))}`)
  }
  return lines.join('\n')
}

// --- progress --------------------------------------------------------------------------------

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
  const budget = options.slo?.errorRate ?? 0.01
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
    this.#stream.write(`\r${line}\u001b[K`)
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
    this.#stream.write(this.#tty ? `\r${line}\u001b[K\n` : `${line}\n`)
    this.#dirty = false
    this.#current = null
  }

  /** Clears an unfinished line (e.g. after an abort). */
  done(): void {
    if (this.#dirty && this.#tty) this.#stream.write('\r\u001b[K')
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
