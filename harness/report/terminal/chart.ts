/**
 * A small chart of throughput and p99 against load: side-by-side bars per level, or braille
 * plots with the fitted USL curve.
 */
import type { ScalabilityReport } from '../../sweep/types.ts'
import {
  LOG_AXIS_MIN_SPAN,
  formatLevel,
  formatMs,
  formatPlain,
  formatRate,
  formatSig,
  formatTick,
  levelNoun,
  logTicks,
  niceTicks,
  pad,
  visibleWidth,
} from '../format.ts'
import { bestThroughput } from '../insights.ts'
import { type Glyphs, type TerminalOptions, glyphs, paint, terminalText } from './ansi.ts'
import { Canvas } from './canvas.ts'

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
    `  ${paint(color, 'bold', terminalText(head1, o.ascii))}${slo !== undefined ? paint(color, 'dim', `   ${g.slo} SLO ${formatPlain(slo)} ms`) : ''}`,
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
  const xLog = xs.length > 2 && xMin > 0 && xMax / xMin >= LOG_AXIS_MIN_SPAN
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
      `  ${paint(color, 'bold', panel.title)} ${paint(color, 'dim', `(${panel.unit})`)}   ${paint(color, 'dim', terminalText(panel.legend, ascii))}`,
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
