/**
 * `scale --target URL`: the sweep against a search service over HTTP. The same sweep, analysis
 * and report as the in-process run; the target is an undici keep-alive pool (harness/target/
 * http.ts) and, with `--workers N`, the users run in N generator processes (./workers/).
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

import { parseThreshold } from '../harness/report/compare/index.ts'
import { ConcurrentBenchmark } from '../harness/run/benchmark.ts'
import { expandLevels } from '../harness/sweep/levels.ts'
import { runScalabilityTest } from '../harness/sweep/sweep.ts'
import type { LevelRunner, ScalabilityTestOptions } from '../harness/sweep/types.ts'
import type { ConcurrentTestResult } from '../harness/types.ts'
import type { HttpQuery } from '../harness/target/http.ts'
import { buildHttpTarget, prepareHttpQueries, resolveTemplate } from './http-workload.ts'
import type { HttpTargetSpec } from './http-workload.ts'
import { startWorkers } from './workers/pool.ts'
import { writeAndPrint } from './output.ts'
import { sweepPlan, sweepProgress } from './sweep-plan.ts'
import type { CliIo } from './output.ts'
import type { HttpTargetFlags, ScaleOptions } from './scale-args.ts'

/** Open model: in-flight bound per level (the sweep's default). */
const OPEN_MAX_IN_FLIGHT = 256

/** Sockets of the keep-alive pool: `--pool`, else the largest level's users (closed) or in-flight bound (open). */
export function connectionsFor(o: Pick<ScaleOptions, 'poolSize' | 'model' | 'levels'>): number {
  if (o.poolSize !== null) return o.poolSize
  if (o.model === 'open') return OPEN_MAX_IN_FLIGHT
  return Math.max(...expandLevels(o.levels, true))
}

export async function runHttpSweep(o: ScaleOptions, io: CliIo): Promise<number> {
  for (const t of o.thresholds) parseThreshold(t)
  const flags = o.http as HttpTargetFlags
  const log = (line: string): void => {
    io.stderr.write(`${line}\n`)
  }
  const template = await resolveTemplate(flags)
  const spec: HttpTargetSpec = { flags, template, connections: connectionsFor(o), k: o.k, mode: o.mode }
  const probe = buildHttpTarget(spec)
  const needsVector = probe.needsVector
  const workload = await prepareHttpQueries(o, needsVector)
  log(`vector-native scale: ${probe.name}, ${template.method ?? 'POST'} ${template.path}, hits at "${template.hits}"`)
  log(workload.description)

  let perLevel: { level: number; results: ConcurrentTestResult[] }[] | null = null
  let runner: LevelRunner<HttpQuery, never> & { close(): Promise<void> }
  if (o.workers > 1) {
    await probe.close()
    const workers = await startWorkers({ workers: o.workers, spec, workload: o, needsVector, name: probe.name })
    perLevel = workers.perLevel
    runner = workers
    log(`load from ${o.workers} generator processes, ${spec.connections} keep-alive connections in all`)
  } else {
    const bench = new ConcurrentBenchmark<HttpQuery | string, never>(probe)
    runner = Object.assign(bench, { close: () => probe.close() }) as unknown as typeof runner
    log(`${spec.connections} keep-alive connections`)
  }

  const progress = sweepProgress(o, io)
  const options: ScalabilityTestOptions<HttpQuery, never> = {
    ...sweepPlan(o),
    queries: workload.queries,
    classify: (q, i) => `${q.mode ?? o.mode}:${workload.labels[i] ?? 'query'}`,
    ...progress.hooks(),
  }
  if (o.startAt !== null) {
    const wait = o.startAt - Date.now()
    log(
      wait > 0
        ? `waiting ${(wait / 1000).toFixed(1)} s to start at ${new Date(o.startAt).toISOString()}`
        : `--start-at ${new Date(o.startAt).toISOString()} has passed by ${(-wait / 1000).toFixed(1)} s: starting now`,
    )
    if (wait > 0) await sleep(wait)
  }
  const started = performance.now()
  let result: Awaited<ReturnType<typeof runScalabilityTest>>
  try {
    result = await runScalabilityTest(runner, options)
  } finally {
    progress.done()
    await runner.close()
  }
  log(`sweep finished in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  const code = await writeAndPrint(result, o, io)
  io.stdout.write(`\n${renderConnections(result)}\n`)
  if (perLevel !== null) io.stdout.write(`\n${renderGenerators(result)}\n`)
  return code
}

/** Per level, the keep-alive pool's figures (sampled as each request was sent). */
export function renderConnections(report: { testResults: ConcurrentTestResult[] }): string {
  const lines = [
    'HTTP connections (undici keep-alive pool, sampled per request: peak / mean)',
    '  users  sockets  open         running      queued       pending',
  ]
  const pm = (peak: number, mean: number): string => `${peak} / ${mean.toFixed(1)}`.padEnd(12)
  for (const r of report.testResults) {
    const c = r.targetConnections
    if (!c) continue
    lines.push(
      `  ${String(r.concurrentUsers).padStart(5)}  ${String(c.connections).padStart(7)}  ${pm(c.peakConnected, c.meanConnected)} ${pm(c.peakRunning, c.meanRunning)} ${pm(c.peakQueued, c.meanQueued)} ${pm(c.peakPending, c.meanPending)}`,
    )
  }
  return lines.join('\n')
}

/** Per level, each generator's share and its own CPU (from the merged results' `generators`). */
export function renderGenerators(report: { testResults: ConcurrentTestResult[] }): string {
  const lines = ['Load generators (each process: its users, requests, and its own CPU over the window)']
  for (const r of report.testResults) {
    const parts = (r.generators ?? []).map(
      g =>
        `#${g.index} ${g.concurrency} users ${g.successfulRequests} ok, CPU ${g.processCpuMs.toFixed(0)} ms (${g.cpuPercentOfCore.toFixed(0)} % of a core${g.cpuMsPerRequest === null ? '' : `, ${g.cpuMsPerRequest.toFixed(3)} ms/req`})`,
    )
    lines.push(`  ${String(r.concurrentUsers).padStart(5)} users: ${parts.join(' · ')}`)
  }
  return lines.join('\n')
}
