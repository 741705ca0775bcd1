/** The drawing surface of the terminal plots. */
import { type Style, paint } from './ansi.ts'

const BRAILLE_BITS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
]

/** A character grid with braille sub-cell dots (2×4 per cell) and whole-cell overlays. */
export class Canvas {
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

  /** A whole-cell character (rounded to the nearest cell); it hides the dots there. */
  put(col: number, row: number, ch: string, style?: Style | Style[]): void {
    const c = Math.round(col)
    const r = Math.round(row)
    if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return
    this.#overlay[r * this.cols + c] = { ch, style }
  }

  /** The grid as text lines, dots as braille (or `.` in ASCII), overlays on top. */
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
