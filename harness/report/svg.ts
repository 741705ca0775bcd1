/**
 * Small inline-SVG chart kit for the HTML report: line/point charts on linear or log axes with
 * "nice" (1-2-5) ticks, vertical markers and reference lines, and categorical (stacked or
 * overlaid) bar charts. Strings out; styling through CSS classes defined by the report page.
 * Every mark carries a `<title>` (a native tooltip without JS) and a `data-tip` for the page's
 * optional hover script.
 */
import { escapeHtml as esc, formatTick, logTicks, niceTicks } from './format.ts'

export interface Scale {
  (v: number): number
  ticks: number[]
  min: number
  max: number
  log: boolean
  label: (v: number) => string
}

/** A linear scale over [dMin, dMax] (expanded to nice ticks) onto [r0, r1]. */
export function linearScale(dMin: number, dMax: number, r0: number, r1: number, count = 6, unit = ''): Scale {
  const t = niceTicks(dMin, dMax, count)
  const f = ((v: number) => r0 + ((v - t.min) / (t.max - t.min || 1)) * (r1 - r0)) as Scale
  f.ticks = t.ticks
  f.min = t.min
  f.max = t.max
  f.log = false
  f.label = v => formatTick(v, t.step) + unit
  return f
}

/** A log10 scale over [dMin, dMax] (dMin > 0) with 1-2-5 ticks. */
export function logScale(dMin: number, dMax: number, r0: number, r1: number, unit = ''): Scale {
  const t = logTicks(Math.max(dMin, 1e-9), Math.max(dMax, dMin * 1.0001, 1e-9))
  const lo = Math.log10(t.min)
  const hi = Math.log10(t.max)
  const f = ((v: number) => r0 + ((Math.log10(Math.max(v, t.min / 10)) - lo) / (hi - lo || 1)) * (r1 - r0)) as Scale
  f.ticks = t.ticks
  f.min = t.min
  f.max = t.max
  f.log = true
  f.label = v => formatTick(v, Math.min(v, 1)) + unit
  return f
}

export interface Margins {
  top: number
  right: number
  bottom: number
  left: number
}

export interface LegendItem {
  label: string
  cls: string
  shape: 'line' | 'dashed' | 'box' | 'dot' | 'outline'
}

export interface LineSeries {
  name: string
  cls: string
  points: Array<[number, number]>
  /** Tooltip per point. */
  tips?: string[]
  dashed?: boolean
  /** Draw point markers. @default true */
  markers?: boolean
  /** Draw the connecting line. @default true */
  line?: boolean
}

export interface VMarker {
  x: number
  label: string
  cls: string
  tip?: string
}

export interface HLine {
  y: number
  label: string
  cls: string
  /** Where the label sits. @default 'end' (right) */
  anchor?: 'start' | 'end'
}

export interface Band {
  from: number
  to: number
  label: string
  cls: string
}

export interface LineChartSpec {
  id: string
  title: string
  width?: number
  height?: number
  xLabel: string
  yLabel: string
  series: LineSeries[]
  xLog?: boolean
  yLog?: boolean
  /** Include 0 in the y range (linear only). @default true */
  yZero?: boolean
  /** Leave 4 % above the highest value (linear only). @default true */
  yHeadroom?: boolean
  xMin?: number
  yMax?: number
  markers?: VMarker[]
  hLines?: HLine[]
  bands?: Band[]
  legend?: LegendItem[]
}

const FONT_W = 6.4 // approximate width of one 11 px character

function num(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 10) / 10) : '0'
}

function legendSvg(items: LegendItem[], x0: number, y: number, maxX: number): string {
  let x = x0
  let row = 0
  const out: string[] = []
  for (const it of items) {
    const w = 22 + it.label.length * FONT_W + 14
    if (x + w > maxX && x > x0) {
      x = x0
      row++
    }
    const yy = y + row * 16
    let swatch: string
    if (it.shape === 'line' || it.shape === 'dashed')
      swatch = `<line x1="${num(x)}" y1="${num(yy)}" x2="${num(x + 16)}" y2="${num(yy)}" class="s ${esc(it.cls)}${it.shape === 'dashed' ? ' dash' : ''}"/>`
    else if (it.shape === 'dot') swatch = `<circle cx="${num(x + 8)}" cy="${num(yy)}" r="4" class="pt ${esc(it.cls)}"/>`
    else if (it.shape === 'outline')
      swatch = `<rect x="${num(x + 2)}" y="${num(yy - 5)}" width="12" height="10" class="outline ${esc(it.cls)}"/>`
    else swatch = `<rect x="${num(x + 2)}" y="${num(yy - 5)}" width="12" height="10" class="fill ${esc(it.cls)}"/>`
    out.push(
      `<g class="legend-item">${swatch}<text x="${num(x + 22)}" y="${num(yy + 4)}" class="legend">${esc(it.label)}</text></g>`,
    )
    x += w
  }
  return out.join('')
}

function frame(w: number, h: number, m: Margins, x: Scale | null, y: Scale, xLabel: string, yLabel: string): string {
  const out: string[] = []
  const x0 = m.left
  const x1 = w - m.right
  const y0 = h - m.bottom
  const y1 = m.top
  for (const t of y.ticks) {
    const yy = y(t)
    out.push(`<line x1="${num(x0)}" x2="${num(x1)}" y1="${num(yy)}" y2="${num(yy)}" class="grid"/>`)
    out.push(`<text x="${num(x0 - 6)}" y="${num(yy + 3.5)}" class="tick" text-anchor="end">${esc(y.label(t))}</text>`)
  }
  if (x) {
    let lastEnd = -Infinity
    for (const t of x.ticks) {
      const xx = x(t)
      out.push(`<line x1="${num(xx)}" x2="${num(xx)}" y1="${num(y0)}" y2="${num(y1)}" class="grid grid-x"/>`)
      const label = x.label(t)
      const half = (label.length * FONT_W) / 2
      if (xx - half < lastEnd + 4) continue
      lastEnd = xx + half
      out.push(`<text x="${num(xx)}" y="${num(y0 + 16)}" class="tick" text-anchor="middle">${esc(label)}</text>`)
    }
  }
  out.push(`<line x1="${num(x0)}" x2="${num(x1)}" y1="${num(y0)}" y2="${num(y0)}" class="axis"/>`)
  out.push(`<line x1="${num(x0)}" x2="${num(x0)}" y1="${num(y0)}" y2="${num(y1)}" class="axis"/>`)
  out.push(
    `<text x="${num((x0 + x1) / 2)}" y="${num(h - 6)}" class="axis-title" text-anchor="middle">${esc(xLabel)}</text>`,
  )
  out.push(
    `<text transform="translate(14 ${num((y0 + y1) / 2)}) rotate(-90)" class="axis-title" text-anchor="middle">${esc(yLabel)}</text>`,
  )
  return out.join('')
}

function tipAttrs(tip: string | undefined): { attr: string; title: string } {
  if (!tip) return { attr: '', title: '' }
  return { attr: ` data-tip="${esc(tip)}" tabindex="0"`, title: `<title>${esc(tip)}</title>` }
}

/** A line/point chart with markers, reference lines and bands. */
export function lineChart(spec: LineChartSpec): string {
  const w = spec.width ?? 600
  const h = spec.height ?? 340
  const legendRows =
    spec.legend && spec.legend.length > 0
      ? 1 + Math.floor(spec.legend.reduce((a, it) => a + 36 + it.label.length * FONT_W, 0) / (w - 70))
      : 0
  const m: Margins = { top: 0, right: 18, bottom: 44, left: 58 }
  const xsAll = spec.series.flatMap(s => s.points.map(p => p[0])).concat((spec.markers ?? []).map(mk => mk.x))
  const ysAll = spec.series.flatMap(s => s.points.map(p => p[1])).concat((spec.hLines ?? []).map(l => l.y))
  const xsF = xsAll.filter(Number.isFinite)
  const ysF = ysAll.filter(Number.isFinite)
  const xMax = Math.max(...xsF, 1)
  const xMinData = Math.min(...xsF.filter(v => !spec.xLog || v > 0), xMax)
  const yMax = spec.yMax ?? Math.max(...ysF, 1e-9)
  const yMinData = Math.min(...ysF.filter(v => !spec.yLog || v > 0), yMax)
  // Headroom above the data so lines near the top keep their labels inside the frame.
  const yTop = spec.yLog || spec.yHeadroom === false ? yMax : yMax * 1.04
  const yScale = (r0: number, r1: number): Scale =>
    spec.yLog ? logScale(yMinData, yTop, r0, r1) : linearScale(spec.yZero === false ? yMinData : 0, yTop, r0, r1, 6)
  // The left margin fits the widest tick label and the rotated axis title.
  const probe = yScale(1, 0)
  m.left = Math.max(50, Math.ceil(Math.max(...probe.ticks.map(t => probe.label(t).length)) * FONT_W + 30))
  const x = spec.xLog
    ? logScale(xMinData, xMax, m.left, w - m.right)
    : linearScale(spec.xMin ?? 0, xMax, m.left, w - m.right, 7)
  // Marker labels sit in rows above the plot area, staggered so close ones do not overlap.
  const placed: Array<{ mk: VMarker; x: number; row: number; w: number }> = []
  for (const mk of [...(spec.markers ?? [])].filter(mk => Number.isFinite(mk.x)).sort((a, b) => a.x - b.x)) {
    const xx = x(mk.x)
    const lw = mk.label.length * FONT_W + 10
    let row = 0
    while (placed.some(p => p.row === row && Math.abs(p.x - xx) < (p.w + lw) / 2)) row++
    placed.push({ mk, x: xx, row, w: lw })
  }
  const markerRows = placed.length > 0 ? Math.max(...placed.map(p => p.row)) + 1 : 0
  m.top = 14 + legendRows * 16 + markerRows * 14 + 6
  const y = yScale(h - m.bottom, m.top)
  const clipId = `${spec.id}-clip`
  const out: string[] = []
  out.push(
    `<svg id="${esc(spec.id)}" class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(spec.title)}" preserveAspectRatio="xMidYMid meet">`,
  )
  out.push(`<title>${esc(spec.title)}</title>`)
  out.push(
    `<defs><clipPath id="${esc(clipId)}"><rect x="${m.left}" y="${m.top - 4}" width="${w - m.left - m.right + 4}" height="${h - m.top - m.bottom + 8}"/></clipPath></defs>`,
  )
  for (const b of spec.bands ?? []) {
    const bx0 = x(b.from)
    const bx1 = x(b.to)
    out.push(
      `<rect x="${num(Math.min(bx0, bx1))}" y="${m.top}" width="${num(Math.abs(bx1 - bx0))}" height="${num(h - m.top - m.bottom)}" class="band ${esc(b.cls)}"><title>${esc(b.label)}</title></rect>`,
    )
    out.push(
      `<text x="${num((bx0 + bx1) / 2)}" y="${num(h - m.bottom - 6)}" class="band-label ${esc(b.cls)}" text-anchor="middle">${esc(b.label)}</text>`,
    )
  }
  out.push(frame(w, h, m, x, y, spec.xLabel, spec.yLabel))
  out.push(`<g clip-path="url(#${esc(clipId)})">`)
  for (const l of spec.hLines ?? []) {
    const yy = y(l.y)
    out.push(
      `<line x1="${m.left}" x2="${w - m.right}" y1="${num(yy)}" y2="${num(yy)}" class="ref ${esc(l.cls)}"><title>${esc(l.label)}</title></line>`,
    )
  }
  out.push('</g>')
  for (const p of placed) {
    const t = tipAttrs(p.mk.tip ?? p.mk.label)
    const ly = m.top - 6 - (markerRows - 1 - p.row) * 14
    const anchor = p.x + p.w / 2 > w - 2 ? 'end' : p.x - p.w / 2 < m.left - 20 ? 'start' : 'middle'
    out.push(
      `<g class="marker ${esc(p.mk.cls)}"${t.attr}>${t.title}<line x1="${num(p.x)}" x2="${num(p.x)}" y1="${num(ly + 3)}" y2="${h - m.bottom}" class="vmark"/><text x="${num(anchor === 'end' ? p.x - 3 : anchor === 'start' ? p.x + 3 : p.x)}" y="${num(ly)}" class="vmark-label" text-anchor="${anchor}">${esc(p.mk.label)}</text></g>`,
    )
  }
  out.push(`<g clip-path="url(#${esc(clipId)})">`)
  for (const s of spec.series) {
    const pts = s.points.filter(
      ([a, b]) => Number.isFinite(a) && Number.isFinite(b) && (!spec.xLog || a > 0) && (!spec.yLog || b > 0),
    )
    if (s.line !== false && pts.length > 1) {
      const d = pts.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${num(x(a))} ${num(y(b))}`).join('')
      out.push(`<path d="${d}" class="s ${esc(s.cls)}${s.dashed ? ' dash' : ''}"/>`)
    }
  }
  out.push('</g>')
  for (const l of spec.hLines ?? []) {
    const yy = y(l.y)
    const start = l.anchor === 'start'
    const ty = yy - 5 < m.top + 2 ? yy + 13 : yy - 5
    out.push(
      `<text x="${num(start ? m.left + 6 : w - m.right - 4)}" y="${num(ty)}" class="ref-label ${esc(l.cls)}" text-anchor="${start ? 'start' : 'end'}">${esc(l.label)}</text>`,
    )
  }
  for (const s of spec.series) {
    if (s.markers === false) continue
    s.points.forEach(([a, b], i) => {
      if (!Number.isFinite(a) || !Number.isFinite(b) || (spec.xLog && a <= 0) || (spec.yLog && b <= 0)) return
      const t = tipAttrs(s.tips?.[i])
      out.push(
        `<g class="pt-g"${t.attr}>${t.title}<circle cx="${num(x(a))}" cy="${num(y(b))}" r="10" class="hit"/><circle cx="${num(x(a))}" cy="${num(y(b))}" r="3.6" class="pt ${esc(s.cls)}"/></g>`,
      )
    })
  }
  if (spec.legend && spec.legend.length > 0) out.push(legendSvg(spec.legend, m.left, 12, w - m.right))
  out.push('</svg>')
  return out.join('')
}

export interface BarSegment {
  value: number
  cls: string
  tip?: string
}

export interface BarGroup {
  label: string
  /** Stacked from the axis up. */
  stack: BarSegment[]
  /** An outline bar behind the stack (e.g. capacity). */
  outline?: BarSegment
  /** A short horizontal tick across the bar (e.g. a peak). */
  tick?: BarSegment
}

export interface BarChartSpec {
  id: string
  title: string
  width?: number
  height?: number
  xLabel: string
  yLabel: string
  groups: BarGroup[]
  legend?: LegendItem[]
  yUnit?: string
}

/** Categorical bars: stacked segments per group, an optional outline bar and a tick per group. */
export function barChart(spec: BarChartSpec): string {
  const w = spec.width ?? 600
  const h = spec.height ?? 340
  const legendRows =
    spec.legend && spec.legend.length > 0
      ? 1 + Math.floor(spec.legend.reduce((a, it) => a + 36 + it.label.length * FONT_W, 0) / (w - 70))
      : 0
  const m: Margins = { top: 22 + legendRows * 16, right: 18, bottom: 44, left: 58 }
  const tops = spec.groups.map(g =>
    Math.max(
      g.stack.reduce((a, s) => a + Math.max(0, s.value), 0),
      g.outline?.value ?? 0,
      g.tick?.value ?? 0,
    ),
  )
  const probe = linearScale(0, Math.max(...tops, 1e-9), 1, 0, 6)
  m.left = Math.max(50, Math.ceil(Math.max(...probe.ticks.map(t => probe.label(t).length)) * FONT_W + 30))
  const y = linearScale(0, Math.max(...tops, 1e-9), h - m.bottom, m.top, 6)
  const n = Math.max(1, spec.groups.length)
  const band = (w - m.left - m.right) / n
  const barW = Math.max(4, Math.min(46, band * 0.62))
  const out: string[] = []
  out.push(
    `<svg id="${esc(spec.id)}" class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(spec.title)}" preserveAspectRatio="xMidYMid meet">`,
  )
  out.push(`<title>${esc(spec.title)}</title>`)
  out.push(frame(w, h, m, null, y, spec.xLabel, spec.yLabel))
  const y0 = h - m.bottom
  let lastEnd = -Infinity
  spec.groups.forEach((g, i) => {
    const cx = m.left + band * (i + 0.5)
    const bx = cx - barW / 2
    if (g.outline) {
      const t = tipAttrs(g.outline.tip)
      const top = y(g.outline.value)
      out.push(
        `<g${t.attr}>${t.title}<rect x="${num(bx - 3)}" y="${num(top)}" width="${num(barW + 6)}" height="${num(Math.max(0, y0 - top))}" class="outline ${esc(g.outline.cls)}"/></g>`,
      )
    }
    let acc = 0
    for (const s of g.stack) {
      const v = Math.max(0, s.value)
      const top = y(acc + v)
      const bottom = y(acc)
      acc += v
      const t = tipAttrs(s.tip)
      out.push(
        `<g class="bar-g"${t.attr}>${t.title}<rect x="${num(bx)}" y="${num(top)}" width="${num(barW)}" height="${num(Math.max(0, bottom - top))}" class="fill ${esc(s.cls)}"/></g>`,
      )
    }
    if (g.tick) {
      const t = tipAttrs(g.tick.tip)
      const yy = y(g.tick.value)
      out.push(
        `<g${t.attr}>${t.title}<line x1="${num(bx - 6)}" x2="${num(bx + barW + 6)}" y1="${num(yy)}" y2="${num(yy)}" class="tickmark ${esc(g.tick.cls)}"/></g>`,
      )
    }
    const half = (g.label.length * FONT_W) / 2
    if (cx - half >= lastEnd + 3) {
      out.push(`<text x="${num(cx)}" y="${num(y0 + 16)}" class="tick" text-anchor="middle">${esc(g.label)}</text>`)
      lastEnd = cx + half
    }
  })
  if (spec.legend && spec.legend.length > 0) out.push(legendSvg(spec.legend, m.left, 12, w - m.right))
  out.push('</svg>')
  return out.join('')
}
