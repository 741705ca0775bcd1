/**
 * How text looks in a terminal: ANSI colour (picocolors; only when asked, decide with
 * {@link shouldColor}), the glyph set (Unicode, or ASCII with `ascii: true`), and text from a
 * report made safe to print (control characters stripped, non-ASCII spelled out in ASCII mode).
 */
import picocolors from 'picocolors'

import { sanitizeTerminal } from '../format.ts'

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

// Formatters that always colour: whether to colour is decided by the caller (`color`, from
// shouldColor below), not by picocolors' own look at process.stdout and argv.
const colors = picocolors.createColors(true)

/** A colour or text attribute (a picocolors formatter). */
export type Style = 'bold' | 'dim' | 'italic' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray'

/** `text` in the given styles when `on`; unchanged otherwise (and when empty). */
export function paint(on: boolean | undefined, styles: Style | Style[] | undefined, text: string): string {
  if (!on || styles === undefined || text === '') return text
  const list = Array.isArray(styles) ? styles : [styles]
  return list.reduceRight((styled, style) => colors[style](styled), text)
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

// --- glyphs ----------------------------------------------------------------------------------

/** The characters the renderers draw with. */
export interface Glyphs {
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

/** Unicode glyphs, or plain ASCII with `ascii: true`. */
export function glyphs(o: { ascii?: boolean }): Glyphs {
  return o.ascii ? ASCII : UNICODE
}

/**
 * Text from a report made safe for a terminal: control characters stripped; in ASCII mode the
 * few non-ASCII symbols the analysis and the renderers use are spelled out, anything else is `?`.
 */
export function terminalText(text: string, ascii: boolean | undefined): string {
  const t = sanitizeTerminal(text)
  return ascii
    ? t
        .replace(/≥/g, '>=')
        .replace(/≤/g, '<=')
        .replace(/→/g, '->')
        .replace(/[–—−]/g, '-')
        .replace(/×/g, 'x')
        .replace(/·/g, '*')
        .replace(/√/g, 'sqrt')
        .replace(/σ/g, 'sigma')
        .replace(/κ/g, 'kappa')
        .replace(/λ/g, 'lambda')
        .replace(/²/g, '^2')
        .replace(/±/g, '+/-')
        .replace(/…/g, '...')
        .replace(/[µμ]/g, 'u')
        .replace(/[^\x20-\x7e]/g, '?')
    : t
}
