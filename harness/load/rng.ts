/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna, 2018), 128-bit state,
 * period 2^128 − 1, passes BigCrush; a handful of 32-bit integer ops per number, no allocation.
 * The state is filled from the 32-bit seed with splitmix32, as its authors recommend (a
 * xoshiro state must not be all zero; splitmix32 output never gives four zero words in a row
 * from one seed in practice, and a zero state is replaced anyway).
 *
 * Not cryptographic. The same seed always gives the same sequence, on every platform.
 */

/** The splitmix32 / murmur3-style 32-bit finaliser: a bijective avalanche mix. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
  return (z ^ (z >>> 15)) >>> 0
}

/** Random-number streams used by the harness, so one kind of draw never shifts another. */
export const Streams = {
  /** Operation choice: write-or-read and which query. */
  select: 1,
  /** Think times. */
  think: 2,
  /** Passed to `makeInsert` to generate documents. */
  insert: 3,
  /** Open-model arrival times. */
  arrivals: 4,
} as const

/**
 * A 32-bit seed derived from a run seed and any number of integers (stream, user id, …).
 * Different inputs give unrelated seeds; the same inputs always give the same seed.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = mix32(seed >>> 0)
  for (const p of parts) h = mix32((h ^ mix32((p >>> 0) + 0x632be5ab)) >>> 0)
  return h
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k))

/** xoshiro128** generator. */
export class Rng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
      return (z ^ (z >>> 15)) | 0
    }
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const b = this.#b
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9)
    const t = b << 9
    this.#c ^= this.#a
    this.#d ^= b
    this.#b ^= this.#c
    this.#a ^= this.#d
    this.#c ^= t
    this.#d = rotl(this.#d, 11)
    return result >>> 0
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296
  }

  /** Uniform integer in [0, n) (n ≤ 2^32), by multiply-shift (bias < n / 2^32). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Exponentially distributed value with the given mean. */
  nextExponential(mean: number): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.next())
  }
}
