/** Parsing of human units on the command line: durations, percentages, rates. Pure. */

const DURATION = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m)?$/

/** `'250ms'`, `'5s'`, `'1.5m'`, `'800us'`, or a bare number of ms → milliseconds. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim())
  if (!m) throw new Error(`"${text}" is not a duration (examples: 500ms, 5s, 1.5m)`)
  const value = Number(m[1])
  switch (m[2]) {
    case 'us':
    case 'µs':
      return value / 1000
    case 's':
      return value * 1000
    case 'm':
      return value * 60_000
    default:
      return value
  }
}

/** `'1%'`, `'0.5%'`, or a fraction `'0.01'` → fraction 0..1. */
export function parseFraction(text: string): number {
  const t = text.trim()
  const value = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t)
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new Error(`"${text}" is not a percentage between 0% and 100%`)
  return value
}

/**
 * Levels: `'1,2,4,8'` (a list), `'1..64'` (doubling from 1 to 64), `'1..64x4'` (×4 steps),
 * `'2:20:2'` (start:max:step).
 */
export function parseLevels(
  text: string,
): number[] | { start: number; max: number; step: number } | { start: number; max: number; factor: number } {
  const t = text.trim()
  const geometric = /^(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)(?:x(\d+(?:\.\d+)?))?$/.exec(t)
  if (geometric)
    return { start: Number(geometric[1]), max: Number(geometric[2]), factor: geometric[3] ? Number(geometric[3]) : 2 }
  const range = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(t)
  if (range) return { start: Number(range[1]), max: Number(range[2]), step: Number(range[3]) }
  const list = t.split(',').map(s => s.trim())
  if (list.length > 0 && list.every(s => /^\d+(?:\.\d+)?$/.test(s))) return list.map(Number)
  throw new Error(`"${text}" is not a list of levels (examples: 1,2,4,8  or  1..64  or  1..64x4  or  2:20:2)`)
}

/** Think time: `'0'`/`'none'`, `'10ms'` (constant), `'exp:20ms'`, `'uniform:5ms-20ms'`, `'pace:100ms'`. */
export function parseThinkTime(
  text: string,
):
  | { kind: 'none' }
  | { kind: 'constant'; ms: number }
  | { kind: 'exponential'; meanMs: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'pacing'; intervalMs: number } {
  const t = text.trim()
  if (t === '0' || t === 'none') return { kind: 'none' }
  const [kind, arg] = t.includes(':') ? t.split(':', 2) : ['constant', t]
  switch (kind) {
    case 'constant':
      return { kind: 'constant', ms: parseDuration(arg) }
    case 'exp':
    case 'exponential':
      return { kind: 'exponential', meanMs: parseDuration(arg) }
    case 'uniform': {
      const [lo, hi] = arg.split('-')
      if (hi === undefined) throw new Error(`"${text}": uniform think time needs a range, e.g. uniform:5ms-20ms`)
      return { kind: 'uniform', minMs: parseDuration(lo), maxMs: parseDuration(hi) }
    }
    case 'pace':
    case 'pacing':
      return { kind: 'pacing', intervalMs: parseDuration(arg) }
    default:
      throw new Error(`"${text}" is not a think time (examples: none, 10ms, exp:20ms, uniform:5ms-20ms, pace:100ms)`)
  }
}
