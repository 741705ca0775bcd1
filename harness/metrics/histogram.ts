/**
 * Latency histograms: microsecond values in an HDR histogram (3 significant digits, so any
 * recorded value is known to within 0.1 %), summarised in milliseconds.
 *
 * Merging is by adding histograms (`add`); percentiles of a merged histogram are exact to the
 * histogram's precision. Never average or take the max of percentiles across histograms.
 *
 * Implementation choice: hdr-histogram-js ships a plain JS build and an AssemblyScript/WASM
 * build. Measured on Node 20 (x64, 32-bit buckets, 1 µs..1 h range, random log-spread values):
 * recording costs ~80 ns/value in the JS build and ~20 ns/value in the WASM build (~40 vs
 * ~150 ns when recording into 100 histograms in turn), and the WASM histogram's footprint is
 * ~4x smaller. So the WASM build is used; its memory lives outside the JS heap, so every
 * histogram must be `destroy()`ed when done (a FinalizationRegistry frees forgotten ones).
 * If the WASM module cannot be initialised (exotic runtimes), the JS build is used instead.
 * See {@link histogramBackend}.
 */
import * as hdr from 'hdr-histogram-js'
import type { Histogram } from 'hdr-histogram-js'

/** Summary of a latency distribution, in milliseconds (floating, sub-ms precision). */
export interface LatencySummary {
  /** Number of recorded values. */
  count: number
  min: number
  mean: number
  p50: number
  p90: number
  p95: number
  p99: number
  p99_9: number
  max: number
}

/** Highest value tracked without resizing: one hour in µs. Larger values grow the histogram. */
const INITIAL_HIGHEST_US = 3_600_000_000
const SIGNIFICANT_DIGITS = 3

let useWasm = false
try {
  hdr.initWebAssemblySync()
  useWasm = true
} catch {
  useWasm = false
}

/** Which hdr-histogram-js build records values: `'wasm'` (preferred, faster) or `'js'`. */
export function histogramBackend(): 'wasm' | 'js' {
  return useWasm ? 'wasm' : 'js'
}

const finalizer = new FinalizationRegistry<Histogram>(h => {
  try {
    h.destroy()
  } catch {
    // already destroyed
  }
})

function build(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: INITIAL_HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: useWasm,
  })
}

/** An empty summary (all zeros). */
export function emptySummary(): LatencySummary {
  return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0 }
}

/** A latency histogram recording microseconds. Single-threaded; no locks needed or taken. */
export class LatencyHistogram {
  #h: Histogram | null
  #token = {}
  /**
   * Values that rounded to 0 µs, not yet added to `#h`. Sub-microsecond values are common for
   * fast targets (a lease granted at once waits exactly 0), and counting them here costs an
   * increment instead of a call into the WASM module; they are added (`recordValueWithCount`)
   * before anything reads the histogram, so every read sees exactly what recording each value
   * would have given.
   */
  #zeros = 0

  private constructor(h: Histogram) {
    this.#h = h
    finalizer.register(this, h, this.#token)
  }

  /** A new, empty histogram. */
  static create(): LatencyHistogram {
    return new LatencyHistogram(build())
  }

  /** Restores a histogram from {@link LatencyHistogram.encode} output (compressed HDR V2, base64). */
  static decode(encoded: string): LatencyHistogram {
    const h = hdr.decodeFromCompressedBase64(encoded, 32, useWasm)
    h.autoResize = true
    return new LatencyHistogram(h)
  }

  /** The histogram with every value recorded so far in it (for reading). */
  #get(): Histogram {
    const h = this.#live()
    if (this.#zeros > 0) {
      h.recordValueWithCount(0, this.#zeros)
      this.#zeros = 0
    }
    return h
  }

  #live(): Histogram {
    if (this.#h === null) throw new Error('LatencyHistogram used after destroy()')
    return this.#h
  }

  /** Records one value in microseconds (rounded to a whole µs; negative values record as 0). */
  recordMicros(us: number): void {
    this.#record(us > 0 ? Math.round(us) : 0)
  }

  /** Records one value given in milliseconds (kept at µs resolution). */
  recordMs(ms: number): void {
    this.#record(ms > 0 ? Math.round(ms * 1000) : 0)
  }

  #record(us: number): void {
    const h = this.#live()
    if (us === 0) this.#zeros++
    else h.recordValue(us)
  }

  /** Adds every value of `other` into this histogram. */
  add(other: LatencyHistogram): void {
    this.#get().add(other.#get())
  }

  /** Number of recorded values. */
  get count(): number {
    return this.#get().totalCount
  }

  /** Value at `percentile` (0..100), in milliseconds; 0 when empty. */
  percentileMs(percentile: number): number {
    const h = this.#get()
    return h.totalCount === 0 ? 0 : h.getValueAtPercentile(percentile) / 1000
  }

  /** Summary in milliseconds. */
  summary(): LatencySummary {
    const h = this.#get()
    if (h.totalCount === 0) return emptySummary()
    return {
      count: h.totalCount,
      min: h.getValueAtPercentile(0) / 1000,
      mean: h.mean / 1000,
      p50: h.getValueAtPercentile(50) / 1000,
      p90: h.getValueAtPercentile(90) / 1000,
      p95: h.getValueAtPercentile(95) / 1000,
      p99: h.getValueAtPercentile(99) / 1000,
      p99_9: h.getValueAtPercentile(99.9) / 1000,
      // Bucket-resolution max (≤ 0.1 % high), so a decoded histogram summarises identically.
      max: h.getValueAtPercentile(100) / 1000,
    }
  }

  /** Compressed HDR histogram (V2 encoding, base64): readable by any HdrHistogram port. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.#get())
  }

  /** Clears all values. */
  reset(): void {
    this.#zeros = 0
    this.#live().reset()
  }

  /** Frees the histogram's memory (WASM). Further use throws. Idempotent. */
  destroy(): void {
    if (this.#h === null) return
    finalizer.unregister(this.#token)
    this.#h.destroy()
    this.#h = null
  }
}

/** Adds histograms into a new one (the inputs are left unchanged). */
export function mergeHistograms(histograms: Iterable<LatencyHistogram>): LatencyHistogram {
  const out = LatencyHistogram.create()
  for (const h of histograms) out.add(h)
  return out
}
