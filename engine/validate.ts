/**
 * Checks of the values callers pass to the engine, before anything crosses into native code:
 * the binding would coerce them silently (`'9'`, `true` and `null` as ids 9, 1 and 0, a `null`
 * vector component as 0, a lone surrogate in an id as U+FFFD) or read a detached buffer as
 * empty. Rust checks again what it can see (ranges, NaN, lengths); nothing here trusts the
 * caller, nothing there trusts this layer.
 */
import { ErrorCodes, codedError } from '../errors.ts'

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
  return codedError(
    ErrorCodes.INVALID_ARGUMENT,
    `${what} is ${describeValue(value)}: ids must be integers from 0 to 2^53 - 1`,
  )
}

/** One id (`has`). */
export function checkId(value: unknown, what: string): number {
  if (!isValidId(value)) throw invalidId(what, value)
  return value
}

/** True when `buffer` was transferred or detached (Node 20 has no `ArrayBuffer#detached`). */
function isDetachedBuffer(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0 || (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer)) {
    return false
  }
  try {
    new Uint8Array(buffer)
    return false
  } catch {
    return true
  }
}

/** Refuses a typed array whose buffer is detached: it reads as empty, which would mislead. */
export function checkAttached(view: ArrayBufferView, what: string): void {
  if (view.byteLength === 0 && isDetachedBuffer(view.buffer)) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what} is a typed array whose buffer was transferred (detached)`)
  }
}

/**
 * Ids as a `Float64Array` for the binding: arrays must hold valid ids (checked here, each one);
 * typed arrays are checked for detachment here and for their values in Rust.
 */
export function toIdArray(ids: unknown, what: string): Float64Array {
  if (ids instanceof Float64Array) {
    checkAttached(ids, what)
    return ids
  }
  if (ids instanceof Uint32Array || ids instanceof Int32Array) {
    checkAttached(ids, what)
    return Float64Array.from(ids)
  }
  if (!Array.isArray(ids)) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `${what} must be an array of integer ids or a Float64Array, Uint32Array or Int32Array, got ${describeValue(ids)}`,
    )
  }
  const out = new Float64Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i]
    if (!isValidId(id)) throw invalidId(`${what}[${i}]`, id)
    out[i] = id
  }
  return out
}

/** Copies a vector given as an array into `out` at `offset`, refusing anything but numbers. */
function copyNumbers(row: ArrayLike<unknown>, out: Float32Array, offset: number, what: string): void {
  for (let j = 0; j < row.length; j++) {
    const x = row[j]
    if (typeof x !== 'number') {
      throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what}[${j}] is ${describeValue(x)}, not a number`)
    }
    out[offset + j] = x
  }
}

/** One vector (a query): a `Float32Array` as is, or an array of numbers copied. */
export function toVector(value: unknown, what: string): Float32Array {
  if (value instanceof Float32Array) {
    checkAttached(value, what)
    return value
  }
  if (!Array.isArray(value)) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `${what} must be a Float32Array or an array of numbers, got ${describeValue(value)}`,
    )
  }
  const out = new Float32Array(value.length)
  copyNumbers(value, out, 0, what)
  return out
}

/**
 * Many vectors, row-major: a `Float32Array` as is (its length is checked in Rust), or an array
 * of rows (arrays of numbers or `Float32Array`s), each of `dimensions` components.
 */
export function toVectorRows(value: unknown, dimensions: number, what: string): Float32Array {
  if (value instanceof Float32Array) {
    checkAttached(value, what)
    return value
  }
  if (!Array.isArray(value)) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `${what} must be a Float32Array (row-major) or an array of vectors, got ${describeValue(value)}`,
    )
  }
  const flat = new Float32Array(value.length * dimensions)
  for (let i = 0; i < value.length; i++) {
    const row: unknown = value[i]
    if (!(row instanceof Float32Array) && !Array.isArray(row)) {
      throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what}[${i}] is ${describeValue(row)}, not a vector`)
    }
    if (row instanceof Float32Array) checkAttached(row, `${what}[${i}]`)
    if (row.length !== dimensions) {
      throw codedError(
        ErrorCodes.DIMENSION_MISMATCH,
        `${what}[${i}] has ${row.length} components; the index has ${dimensions} dimensions`,
      )
    }
    if (row instanceof Float32Array) flat.set(row, i * dimensions)
    else copyNumbers(row, flat, i * dimensions, `${what}[${i}]`)
  }
  return flat
}

/** An error's message, whatever was thrown (a callback may throw `null`, a string, a Symbol …). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : describeValue(error)
}

/**
 * A file-system path: a non-empty string of well-formed UTF-16 without a NUL character. No file
 * system accepts a NUL; the OS call would fail with ERR_IO, blaming the disk for the caller's value.
 */
export function checkPath(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what} must be a non-empty string, got ${describeValue(value)}`)
  }
  if (value.includes('\0')) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what} ${describeValue(value)} holds a NUL character`)
  }
  if (!isWellFormed(value)) {
    // The binding would turn the lone surrogate into U+FFFD: another file.
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `${what} ${describeValue(value)} is not well-formed UTF-16 (it holds a lone surrogate)`,
    )
  }
  return value
}

/** Whether a string is well-formed UTF-16 (Node 20 has `isWellFormed`; the cast keeps older lib types happy). */
export function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed()
}

/**
 * A text (document text, query, text to embed): a string of well-formed UTF-16. A lone
 * surrogate would reach Rust as U+FFFD: the engine would store or search another text.
 */
export function checkText(value: unknown, what: string): string {
  if (typeof value !== 'string') {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what} must be a string, got ${describeValue(value)}`)
  }
  if (!isWellFormed(value)) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `${what} ${describeValue(value)} is not well-formed UTF-16 (it holds a lone surrogate)`,
    )
  }
  return value
}

/**
 * A string id: non-empty and well-formed UTF-16. A lone surrogate would reach Rust as U+FFFD,
 * so `'x\uD800'` and `'x\uDC00'` would become the same id.
 */
export function checkStringId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${what} must be a non-empty string, got ${describeValue(value)}`)
  }
  if (!isWellFormed(value)) {
    throw codedError(
      ErrorCodes.INVALID_ARGUMENT,
      `${what} ${describeValue(value)} is not well-formed UTF-16 (it holds a lone surrogate)`,
    )
  }
  return value
}
