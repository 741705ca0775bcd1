/**
 * The main job: `scale` builds (or opens) a search system, sweeps the load, prints the table and
 * the verdict, writes report.json and report.html, and exits non-zero when a threshold fails.
 * `scale compare` compares two reports for CI.
 */
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'

import { kernelIsa, searchThreads } from '../engine/index.ts'
import { ConcurrentBenchmark } from '../harness/run/benchmark.ts'
import type { EngineEnvironment } from '../harness/environment.ts'
import { compareReports, parseThreshold, renderComparison } from '../harness/report/compare/index.ts'
import { readReport } from '../harness/report/files.ts'
import { shouldColor } from '../harness/report/terminal/index.ts'
import { UnifiedGroundTruth, sessionFactory, unifiedSearchTarget } from '../harness/target/index.ts'
import { runIsolation } from './isolation.ts'
import type { UnifiedQuery } from '../harness/target/index.ts'
import type { ScalabilityReport } from '../harness/sweep/types.ts'
import type { UnifiedDocument } from '../engine/index.ts'
import { parseScaleArgs } from './scale-args.ts'
import type { CompareOptions, ScaleOptions } from './scale-args.ts'
import { runHttpSweep } from './http-sweep.ts'
import { runMerge } from './merge.ts'
import { writeAndPrint } from './output.ts'
import { sweepPlan, sweepProgress } from './sweep-plan.ts'
import type { CliIo } from './output.ts'
import { prepareWorkload } from './workload.ts'

export type { CliIo } from './output.ts'

const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
})

/** The report with the engine's own facts in its environment (the harness knows no engine). */
function withEngine(report: ScalabilityReport, engine: EngineEnvironment): ScalabilityReport {
  return {
    ...report,
    environment: { ...report.environment, engine },
    testResults: report.testResults.map(r => ({ ...r, environment: { ...r.environment, engine } })),
  }
}

async function runSweep(o: ScaleOptions, io: CliIo): Promise<number> {
  // Thresholds are checked before any work, so a typo fails in a second, not after the sweep.
  for (const t of o.thresholds) parseThreshold(t)
  const log = (line: string): void => {
    io.stderr.write(`${line}\n`)
  }
  log(
    `vector-native scale: kernels ${kernelIsa()}, UV_THREADPOOL_SIZE ${io.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, search threads ${searchThreads()}`,
  )
  const workload = await prepareWorkload(o, log)
  try {
    log(workload.description)
    if (workload.indexing.documents > 0) {
      log(
        `indexed ${workload.indexing.documents} documents in ${workload.indexing.seconds.toFixed(1)} s (text index ${workload.textIndexPath}, vectors ${workload.vectorDbPath})`,
      )
    }
    const report = workload.system.openReport
    if (report.repaired) log(`the store was repaired on open: ${report.repaired.reason}`)
    for (const problem of report.problems) log(`store: ${problem}`)

    if (o.isolation) return await runIsolation(o, workload, io, log)
    let groundTruth: UnifiedGroundTruth | undefined
    if (o.recallRate > 0 && o.mode !== 'text') {
      if (workload.indexing.documents > 0) {
        const t0 = performance.now()
        groundTruth = await UnifiedGroundTruth.build(workload.system, workload.documents)
        log(
          `exact ground truth for recall: ${workload.documents.length} vectors in a flat index, built in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${+(o.recallRate * 100).toFixed(2)} % of searches checked per level`,
        )
      } else log('recall not measured: the store was reused, so its exact ground truth is not known')
    }
    const target = unifiedSearchTarget(workload.system, {
      mode: o.mode,
      k: o.k,
      refresh: o.refresh,
      groundTruth,
      textIndexPath: workload.textIndexPath,
    })
    const bench = new ConcurrentBenchmark<string | UnifiedQuery, UnifiedDocument>(target)
    const progress = sweepProgress(o, io)
    const started = performance.now()
    const measured = await bench.runScalabilityTest({
      ...sweepPlan(o),
      queries: workload.queries,
      classify: (q, i) => workload.classify(typeof q === 'string' ? { text: q } : q, i),
      writes:
        o.writeFraction > 0 ? { fraction: o.writeFraction, makeInsert: rng => workload.makeDocument(rng) } : undefined,
      poolFactory: sessionFactory(workload.system),
      recall: o.recallRate > 0 ? { sampleRate: o.recallRate } : false,
      ...progress.hooks(),
    })
    progress.done()
    await target.close()
    const result = withEngine(measured, { kernelIsa: kernelIsa(), searchThreads: searchThreads() })
    log(`sweep finished in ${((performance.now() - started) / 1000).toFixed(1)} s`)

    return await writeAndPrint(result, o, io)
  } finally {
    await workload.cleanup()
  }
}

async function runCompare(o: CompareOptions, io: CliIo): Promise<number> {
  const baseline = await readReport(resolve(io.cwd, o.baseline))
  const current = await readReport(resolve(io.cwd, o.current))
  const result = compareReports(baseline, current, { thresholds: o.thresholds, regression: o.regression })
  io.stdout.write(`${renderComparison(result, { color: shouldColor(io.stdout, io.env) })}\n`)
  return result.passed ? 0 : 1
}

/** Runs the CLI; resolves to the process exit code. Errors are printed, never thrown. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const parsed = parseScaleArgs(argv)
  try {
    switch (parsed.command) {
      case 'help':
        io.stdout.write(parsed.text)
        return 0
      case 'error':
        io.stderr.write(`scale: ${parsed.problems.join('\nscale: ')}\nRun with --help for the options.\n`)
        return 2
      case 'compare':
        return await runCompare(parsed, io)
      case 'merge':
        return await runMerge(parsed, io)
      case 'run':
        return parsed.http !== null ? await runHttpSweep(parsed, io) : await runSweep(parsed, io)
    }
  } catch (error) {
    const e = error as Error & { code?: string }
    io.stderr.write(`scale: ${e.code ? `${e.code}: ` : ''}${e.message}\n`)
    return 1
  }
}
