/**
 * What every sweep the CLI runs takes from its flags, whatever the target (in-process store or a
 * service over HTTP): the levels, load model, timings, query selection, seed, pool and objective,
 * and the progress bar that shows them.
 */
import { ProgressBar } from '../harness/report/progress.ts'
import { shouldColor } from '../harness/report/terminal/index.ts'
import type { CliIo } from './output.ts'
import type { ScaleOptions } from './scale-args.ts'

/** The objective from `--slo` and `--max-errors`. */
export function sloOf(o: ScaleOptions): { p99Ms?: number; errorRate: number } {
  return o.sloP99Ms === null ? { errorRate: o.maxErrorRate } : { p99Ms: o.sloP99Ms, errorRate: o.maxErrorRate }
}

/** The sweep options that come from the flags alone (the caller adds queries, labels and target parts). */
export function sweepPlan(o: ScaleOptions) {
  return {
    levels: o.levels,
    model: o.model,
    durationMs: o.durationMs,
    warmUpMs: o.warmUpMs,
    rampUpMs: o.rampUpMs,
    thinkTime: o.thinkTime,
    selection: { kind: 'zipf', exponent: 1 } as const,
    seed: o.seed,
    poolSize: o.poolSize ?? ('level' as const),
    slo: sloOf(o),
  }
}

/** The progress bar on stderr for a sweep of `o`. */
export function sweepProgress(o: ScaleOptions, io: CliIo): ProgressBar {
  return new ProgressBar(io.stderr, { color: o.color ?? shouldColor(io.stderr, io.env), model: o.model, slo: sloOf(o) })
}
