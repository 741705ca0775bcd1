/**
 * `scale merge A.json B.json ...`: one report from the reports of several load generators
 * (machines, pods) that ran the same plan against one service at the same time. Each level's
 * results are merged exactly (harness/metrics/merge.ts: counts add, HDR histograms add), the
 * level becomes the sum of the generators' levels (users, or arrivals per second), and the
 * sweep's analysis runs again over the merged levels, so the verdict, USL fit and bottleneck
 * describe the combined load. Reports of different plans are refused (ERR_PLAN_MISMATCH).
 */
import { resolve } from 'node:path'

import { ErrorCodes, HarnessError } from '../errors.ts'
import { mergeResults } from '../harness/metrics/merge.ts'
import { readReport } from '../harness/report/files.ts'
import { runScalabilityTest } from '../harness/sweep/sweep.ts'
import type { LevelRunner, ScalabilityReport } from '../harness/sweep/types.ts'
import type { ConcurrentTestOptions, ConcurrentTestResult } from '../harness/types.ts'
import { writeAndPrint } from './output.ts'
import type { CliIo } from './output.ts'
import type { MergeOptions } from './scale-args.ts'

/** The plan a report ran, as comparable text: what must be equal for a merge to mean anything. */
function planOf(r: ScalabilityReport): Record<string, string> {
  const configs = r.testResults.map(t => {
    const {
      users: _u,
      rate: _r,
      startRate: _s,
      stages: _st,
      maxInFlight: _m,
      ...rest
    } = t.loadConfig as unknown as Record<string, unknown>
    return rest
  })
  return {
    target: r.target,
    'load model': r.loadModel,
    seed: String(r.seed),
    'levels measured': JSON.stringify(r.sweep.levelsMeasured),
    'warm-up': `${r.sweep.warmUpMs} ms`,
    duration: `${r.sweep.durationMs} ms`,
    // A derived objective depends on what each generator measured; it is derived again after the merge.
    objective:
      r.objective.source === 'slo' ? JSON.stringify(r.slo) : `derived, errors ≤ ${r.slo?.errorRate ?? 'default'}`,
    'per-level settings': JSON.stringify(configs),
  }
}

/** Every difference between the first report's plan and the others', or none. */
export function planDifferences(reports: readonly ScalabilityReport[], names: readonly string[]): string[] {
  const base = planOf(reports[0])
  const out: string[] = []
  reports.slice(1).forEach((r, i) => {
    const plan = planOf(r)
    for (const key of Object.keys(base))
      if (plan[key] !== base[key]) out.push(`${names[i + 1]}: ${key} ${plan[key]}, ${names[0]}: ${base[key]}`)
  })
  return out
}

/** Merges reports of the same plan into one (see the module comment). */
export async function mergeReports(
  reports: readonly ScalabilityReport[],
  names: readonly string[] = reports.map((_, i) => `report ${i}`),
): Promise<ScalabilityReport> {
  if (reports.length < 2) throw new HarnessError(ErrorCodes.INVALID_CONFIG, 'merge needs at least two reports')
  const differences = planDifferences(reports, names)
  if (differences.length > 0)
    throw new HarnessError(
      ErrorCodes.PLAN_MISMATCH,
      `the reports ran different plans, so their sum means nothing:\n  - ${differences.join('\n  - ')}`,
    )
  const first = reports[0]
  const count = first.testResults.length
  // Level i of the merged sweep: the generators' level i results, side by side.
  const byLevel = new Map<number, ConcurrentTestResult[]>()
  for (let i = 0; i < count; i++) {
    const results = reports.map(r => r.testResults[i])
    const level = results.reduce((s, r) => s + levelOf(r), 0)
    byLevel.set(level, results)
  }
  const runner: LevelRunner<unknown, unknown> = {
    target: { name: first.target },
    runConcurrentTest: async (options: ConcurrentTestOptions<unknown, unknown>) => {
      const load = options.load as { users?: number; rate?: number }
      const level = load.users ?? load.rate ?? 0
      const results = byLevel.get(level)
      if (!results) throw new HarnessError(ErrorCodes.INVALID_CONFIG, `no merged results for level ${level}`)
      return mergeResults(results, { baselineThroughput: options.baselineThroughput })
    },
    drain: async () => 0,
  }
  const report = await runScalabilityTest(runner, {
    levels: [...byLevel.keys()].sort((a, b) => a - b),
    model: first.loadModel,
    durationMs: first.sweep.durationMs,
    warmUpMs: first.sweep.warmUpMs,
    queries: [null],
    seed: first.seed,
    ...(first.objective.source === 'slo' && first.slo
      ? { slo: first.slo }
      : first.slo?.errorRate !== undefined
        ? { slo: { errorRate: first.slo.errorRate } }
        : {}),
    stopOnBreach: false,
    refineSteps: 0,
    cores: first.environment.cores,
    threadPoolSize: first.environment.uvThreadpoolSize,
    detector: false,
  })
  return {
    ...report,
    warnings: [
      `merged from ${reports.length} generators' reports (${names.join(', ')}): each level is the sum of theirs`,
      ...report.warnings,
    ],
  }
}

/** A result's level as the sweep named it: users (closed) or the offered rate (open). */
function levelOf(r: ConcurrentTestResult): number {
  const c = r.loadConfig
  // A constant-rate level starts at its rate (`rate` resolves to startRate = rate).
  return c.model === 'closed' ? c.users : c.startRate
}

export async function runMerge(o: MergeOptions, io: CliIo): Promise<number> {
  const reports = await Promise.all(o.files.map(f => readReport(resolve(io.cwd, f))))
  const merged = await mergeReports(reports, o.files)
  io.stderr.write(`merged ${o.files.length} reports: levels ${merged.sweep.levelsMeasured.join(', ')}\n`)
  return writeAndPrint(merged, { outDir: o.outDir, thresholds: [], color: null }, io)
}
