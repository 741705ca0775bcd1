/** Sweep levels: a list, an arithmetic range, or a geometric series. Pure and validated. */
import { z } from 'zod'

import { REFINE_RATE_RESOLUTION } from '../analysis/constants.ts'

export const LevelsSchema = z.union([
  z.array(z.number().positive()).min(1),
  z.strictObject({ start: z.number().positive(), max: z.number().positive(), step: z.number().positive() }),
  z.strictObject({ start: z.number().positive(), max: z.number().positive(), factor: z.number().gt(1).default(2) }),
])
export type LevelsSpec = z.input<typeof LevelsSchema>

/** Expands a spec into ascending, distinct levels (whole numbers for user counts). */
export function expandLevels(spec: LevelsSpec, integer = true): number[] {
  const parsed = LevelsSchema.parse(spec)
  let levels: number[]
  if (Array.isArray(parsed)) levels = [...parsed]
  else {
    if (parsed.max < parsed.start)
      throw new RangeError(`the sweep's max (${parsed.max}) is below its start (${parsed.start})`)
    levels = []
    if ('step' in parsed) {
      for (let x = parsed.start; x <= parsed.max + 1e-9; x += parsed.step) levels.push(x)
    } else {
      for (let x = parsed.start; x <= parsed.max + 1e-9; x *= parsed.factor) levels.push(x)
      if (levels[levels.length - 1] < parsed.max) levels.push(parsed.max)
    }
  }
  if (integer) {
    if (levels.some(l => !Number.isInteger(l))) levels = levels.map(l => Math.max(1, Math.round(l)))
  }
  const unique = [...new Set(levels)].sort((a, b) => a - b)
  if (unique.length > 200) throw new RangeError(`the sweep has ${unique.length} levels; at most 200`)
  return unique
}

/**
 * The next level to try between the last good and the first bad one (bisection), or null when
 * they are adjacent (for integers) or within {@link REFINE_RATE_RESOLUTION} of each other (for rates).
 */
export function refineBetween(good: number, bad: number, integer = true): number | null {
  if (bad <= good) return null
  const mid = (good + bad) / 2
  if (integer) {
    const m = Math.floor(mid)
    return m > good && m < bad ? m : null
  }
  return (bad - good) / good > REFINE_RATE_RESOLUTION ? mid : null
}
