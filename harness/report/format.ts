/**
 * Number and text formatting shared by the terminal and HTML renderers. Pure, locale-free (the
 * same report renders the same bytes everywhere).
 */

/** Inserts thousands separators into the integer part of a plain decimal string. */
export function groupDigits(text: string): string {
  const negative = text.startsWith('-')
  const body = negative ? text.slice(1) : text
  const dot = body.indexOf('.')
  const int = dot === -1 ? body : body.slice(0, dot)
  const frac = dot === -1 ? '' : body.slice(dot)
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return (negative ? '-' : '') + grouped + frac
}

/** What non-finite or missing numbers print as. */
export const MISSING = '–'

/** `x` with `digits` decimals and thousands separators; `–` for null or non-finite. */
export function formatNumber(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING
  return groupDigits(x.toFixed(digits))
}

/**
 * A duration in ms with about three significant digits and sub-ms precision:
 * 0.412, 3.12, 21.6, 435, 1,234. Zero prints as `0`.
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return MISSING
  const a = Math.abs(ms)
  if (a === 0) return '0'
  if (a < 1) return ms.toFixed(3)
  if (a < 10) return ms.toFixed(2)
  if (a < 100) return ms.toFixed(1)
  return groupDigits(ms.toFixed(0))
}

/** Requests per second: 4,210 · 98.5 · 4.50. */
export function formatRate(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING
  const a = Math.abs(x)
  if (a === 0) return '0'
  if (a < 10) return x.toFixed(2)
  if (a < 100) return x.toFixed(1)
  return groupDigits(x.toFixed(0))
}

/** A fraction (0..1) as a percentage without the sign: 0 · 0.25 · 12.5 · 100. */
export function formatPercent(fraction: number | null | undefined, digits?: number): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return MISSING
  const p = fraction * 100
  if (digits !== undefined) return groupDigits(p.toFixed(digits))
  if (p === 0) return '0'
  const a = Math.abs(p)
  if (a < 10) return p.toFixed(2)
  if (a < 100) return p.toFixed(1)
  return groupDigits(p.toFixed(0))
}

/** A load level: users are integers, open-model rates may have decimals (trimmed). */
export function formatLevel(level: number): string {
  if (!Number.isFinite(level)) return MISSING
  if (Number.isInteger(level)) return groupDigits(String(level))
  return groupDigits(level.toFixed(2).replace(/\.?0+$/, ''))
}

/** A relative change with its sign, one decimal: `+12.5 %`, `−3 %`. */
export function formatSignedPercent(change: number): string {
  return `${change >= 0 ? '+' : '−'}${formatPlain(Math.abs(change) * 100, 1)} %`
}

/** A share given as a setting (a threshold, a budget), as written: 0.05 → `5 %`, 0.001 → `0.1 %`. */
export function formatPlainPercent(fraction: number): string {
  return `${formatPlain(fraction * 100)} %`
}

/** A setting (SLO bound, budget): up to `decimals` decimals, trailing zeros trimmed: 30 · 0.5 · 2.25. */
export function formatPlain(x: number | null | undefined, decimals = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING
  const text = x.toFixed(decimals)
  return groupDigits(text.includes('.') ? text.replace(/\.?0+$/, '') : text)
}

/** A number with `sig` significant digits, without exponent for ordinary magnitudes. */
export function formatSig(x: number | null | undefined, sig = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING
  if (x === 0) return '0'
  const a = Math.abs(x)
  if (a >= 1e-3 && a < 1e7) {
    const digits = Math.max(0, sig - 1 - Math.floor(Math.log10(a)))
    return groupDigits(x.toFixed(Math.min(digits, 10)))
  }
  return x.toExponential(sig - 1)
}

/** `value ± error` with matching precision, e.g. `0.386 ± 0.169`; the error is dropped when null. */
export function formatWithError(value: number, error: number | null, sig = 3): string {
  const v = formatSig(value, sig)
  if (error === null || !Number.isFinite(error)) return v
  return `${v} ± ${formatSig(error, 2)}`
}

/** Noun for a level: `users` (closed model) or `rate` (open model, arrivals per second). */
export function levelNoun(model: 'closed' | 'open'): string {
  return model === 'open' ? 'rate' : 'users'
}

/** A level with its unit: `8 users`, `250/s`. */
export function levelWithUnit(level: number, model: 'closed' | 'open'): string {
  if (model === 'open') return `${formatLevel(level)}/s`
  return `${formatLevel(level)} ${level === 1 ? 'user' : 'users'}`
}

/** Levels in a short list: `1, 2 and 4`; more than `max` are elided. */
export function listLevels(levels: readonly number[], max = 8): string {
  const names = levels.map(formatLevel)
  if (names.length > max) return `${names.slice(0, max - 1).join(', ')}, … ${names[names.length - 1]}`
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}

// --- text ------------------------------------------------------------------------------------

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  )
}

const ANSI_PATTERN = /\u001b\[[0-9;?]*[ -/]*[@-~]/g

/** Removes ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '')
}

/**
 * Makes text from a report (target names, error codes, messages) safe to print on a terminal:
 * control characters (escape sequences included) become `�`, so a name cannot move the cursor
 * or change colours.
 */
export function sanitizeTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd').replace(/[\n\t]/g, ' ')
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
}

function isZeroWidth(cp: number): boolean {
  return (cp >= 0x0300 && cp <= 0x036f) || cp === 0x200b || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)
}

/** Columns a string takes on a terminal (ANSI codes ignored, CJK and emoji count 2). */
export function visibleWidth(text: string): number {
  let width = 0
  for (const ch of stripAnsi(text)) {
    const cp = ch.codePointAt(0) as number
    if (isZeroWidth(cp)) continue
    width += isWide(cp) ? 2 : 1
  }
  return width
}

/** Cuts plain text (no ANSI codes) to at most `width` columns, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text
  if (width <= 0) return ''
  let out = ''
  let used = 0
  for (const ch of text) {
    const w = visibleWidth(ch)
    if (used + w > width - 1) break
    out += ch
    used += w
  }
  return `${out}…`
}

/** Pads to `width` columns (visible width), on the left (`'right'` alignment) or the right. */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = Math.max(0, width - visibleWidth(text))
  return align === 'right' ? ' '.repeat(fill) + text : text + ' '.repeat(fill)
}

/** Wraps plain text at spaces to lines of at most `width` columns. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/ +/)) {
    if (line === '') line = word
    else if (visibleWidth(line) + 1 + visibleWidth(word) <= width) line += ` ${word}`
    else {
      lines.push(line)
      line = word
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line)
  return lines
}

// --- JSON ------------------------------------------------------------------------------------

/**
 * `JSON.stringify` replacer: non-finite numbers (`Infinity`, `NaN`) become `null`, which is what
 * `JSON.stringify` does anyway, but explicitly, so callers can find where it happened.
 */
export function finiteReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}

/** Paths (`a.b[2].c`) of the non-finite numbers in a value. */
export function nonFinitePaths(value: unknown, path = '', out: string[] = []): string[] {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push(path || '(root)')
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      nonFinitePaths(v, `${path}[${i}]`, out)
    })
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nonFinitePaths(v, path ? `${path}.${k}` : k, out)
  }
  return out
}

/**
 * JSON for embedding in an HTML `<script type="application/json">`: `<`, `>`, `&` and the
 * line separators are written as `\u` escapes, so neither `</script>` nor `<!--` can appear,
 * and `JSON.parse` of the element's text gives the value back.
 */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value, finiteReplacer)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

// --- axes ------------------------------------------------------------------------------------

/** The "nice" number (1, 2, 5 × 10^k) closest to (or, with `ceil`, not below) `x`. */
export function niceNumber(x: number, round: boolean): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1
  const exp = Math.floor(Math.log10(x))
  const f = x / 10 ** exp
  let nf: number
  if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
  return nf * 10 ** exp
}

/** Linear ticks in 1-2-5 steps covering [min, max] with about `count` ticks. */
export function niceTicks(
  min: number,
  max: number,
  count = 5,
): { ticks: number[]; min: number; max: number; step: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { ticks: [0, 1], min: 0, max: 1, step: 1 }
  if (max < min) [min, max] = [max, min]
  if (max === min) {
    if (max === 0) max = 1
    else if (min > 0) min = 0
    else max = 0
  }
  const step = niceNumber((max - min) / Math.max(1, count - 1), true)
  const lo = Math.floor(min / step + 1e-9) * step
  const hi = Math.ceil(max / step - 1e-9) * step
  const ticks: number[] = []
  for (let v = lo; v <= hi + step * 1e-6; v += step) ticks.push(Number((Math.round(v / step) * step).toPrecision(12)))
  return { ticks, min: lo, max: hi, step }
}

/** Levels spanning at least this factor (first to last) read better on a log axis: geometric sweeps. */
export const LOG_AXIS_MIN_SPAN = 32

/** Log ticks at 1, 2, 5 × 10^k covering [min, max] (min > 0); thinned to 1 × 10^k for wide ranges. */
export function logTicks(min: number, max: number): { ticks: number[]; min: number; max: number } {
  const lo = 10 ** Math.floor(Math.log10(min))
  const hi = 10 ** Math.ceil(Math.log10(max))
  const decades = Math.round(Math.log10(hi / lo))
  const mult = decades > 3 ? [1] : [1, 2, 5]
  const ticks: number[] = []
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const m of mult) {
      const v = Number((d * m).toPrecision(12))
      if (v >= lo && v <= hi * 1.0001) ticks.push(v)
    }
  }
  // Trim the ends to the data, keeping one tick beyond each side.
  let a = 0
  while (a + 1 < ticks.length && ticks[a + 1] <= min) a++
  let b = ticks.length - 1
  while (b - 1 >= 0 && ticks[b - 1] >= max) b--
  const kept = ticks.slice(a, b + 1)
  return { ticks: kept, min: kept[0], max: kept[kept.length - 1] }
}

/** A tick label: grouped, with just enough decimals for `step`. */
export function formatTick(v: number, step: number): string {
  const decimals = step >= 1 || step <= 0 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9))
  return groupDigits(v.toFixed(decimals))
}
