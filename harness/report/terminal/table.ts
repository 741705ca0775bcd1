/**
 * The per-level table: one row per level, numeric columns right-aligned on the decimal point,
 * notes (optimal, breaking point, deadlock …) after the last column; columns of least interest
 * are dropped when the width is too small.
 */
import { DEFAULT_ERROR_BUDGET, LINEAR_EFFICIENCY, LOW_EFFICIENCY } from '../../analysis/constants.ts'
import type { Slo } from '../../analysis/scalability.ts'
import type { LevelRow, ScalabilityReport } from '../../sweep/types.ts'
import {
  MISSING,
  formatLevel,
  formatMs,
  formatNumber,
  formatPercent,
  formatPlain,
  formatRate,
  pad,
  truncate,
  visibleWidth,
} from '../format.ts'
import { type Style, type TerminalOptions, glyphs, paint, terminalText } from './ansi.ts'

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
  const budget = slo?.errorRate ?? DEFAULT_ERROR_BUDGET
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
    if (report.saturation) note(report.saturation.level, { text: 'saturated', style: ['yellow', 'bold'] })
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
        style: r.efficiency >= LINEAR_EFFICIENCY ? undefined : r.efficiency >= LOW_EFFICIENCY ? 'yellow' : 'red',
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
      header: 'bound by',
      unit: '',
      priority: 50,
      numeric: false,
      cell: r => ({
        text: r.bottleneck === 'none' ? MISSING : r.bottleneck,
        style: r.bottleneck === 'none' ? 'dim' : 'yellow',
      }),
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
      const texts = styles.map(s => terminalText(s[j].text, options.ascii))
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
      cols.map(c => terminalText(c.unit, options.ascii)),
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
      const plain = truncate(rowNotes.map(n => terminalText(n.text, options.ascii)).join(', '), noteRoom)
      // Colour each note when it fits whole; otherwise print the cut text plain.
      const whole = rowNotes.map(n => terminalText(n.text, options.ascii)).join(', ') === plain
      line +=
        gap + (whole ? rowNotes.map(n => paint(color, n.style, terminalText(n.text, options.ascii))).join(', ') : plain)
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
    lines.push(indent + paint(color, 'dim', terminalText(truncate(f, width - indent.length), options.ascii)))
  return lines.join('\n')
}
