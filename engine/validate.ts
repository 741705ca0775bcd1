/**
 * Checks of the values callers pass to the engine, before anything crosses into native code,
 * where napi would throw its own uncoded errors or coerce silently. Rust checks again what it
 * can see (ranges, NaN, lengths); nothing here trusts the caller, nothing there this layer.
 */
import { codedError } from './errors.ts'

/** Largest id: every integer up to it has an exact JS number. */
export const MAX_ID = Number.MAX_SAFE_INTEGER

/** A short, safe rendering of any value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  if (typeof value === 'symbol' || typeof value === 'function') return `a ${typeof value}`
  return Array.isArray(value) ? 'an array' : `an object (${Object.prototype.toString.call(value).slice(8, -1)})`
}

export function isValidId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID
}

function invalidId(what: string, value: unknown): Error {
  return codedError('ERR_INVALID_ARGUMENT', `${what} is ${describeValue(value)}: ids are integers from 0 to 2^53 - 1`)
}

/** One id (`has`). */
export function checkId(value: unknown, what: string): number {
  if (!isValidId(value)) throw invalidId(what, value)
  return value
}
