/** What every sweep ends with: the report files written, the table, chart and verdict printed, thresholds checked. */
import { join, resolve } from 'node:path'

import { evaluateThresholds } from '../harness/report/compare/index.ts'
import { writeReports } from '../harness/report/files.ts'
import {
  renderChart,
  renderLevelMetrics,
  renderLevelTable,
  renderSummary,
  renderTimeBreakdown,
  shouldColor,
} from '../harness/report/terminal/index.ts'
import type { ScalabilityReport } from '../harness/sweep/types.ts'
import type { ScaleOptions } from './scale-args.ts'

/** Where the CLI writes: injectable for tests. */
export interface CliIo {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number }
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number }
  env: Record<string, string | undefined>
  cwd: string
}

export function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19)
}

/** Writes report.json and report.html, prints the table, chart and verdict, checks thresholds. */
export async function writeAndPrint(
  result: ScalabilityReport,
  o: Pick<ScaleOptions, 'outDir' | 'thresholds' | 'color'>,
  io: CliIo,
): Promise<number> {
  const color = o.color ?? shouldColor(io.stdout, io.env)
  {
    const outDir = resolve(io.cwd, o.outDir ?? join('reports', `scale-${timestamp()}`))
    const files = await writeReports(result, outDir)
    const width = io.stdout.columns ? io.stdout.columns - 1 : 100
    io.stdout.write(`\n${renderLevelTable(result, { color, width })}\n\n`)
    const breakdown = renderTimeBreakdown(result, { color })
    if (breakdown) io.stdout.write(`${breakdown}\n\n`)
    const levelMetrics = renderLevelMetrics(result, { color })
    if (levelMetrics) io.stdout.write(`${levelMetrics}\n\n`)
    io.stdout.write(`${renderChart(result, { color, width })}\n\n`)
    io.stdout.write(
      `${renderSummary(result, { color, width, files: { 'report.json': files.json, 'report.html': files.html } })}\n`,
    )

    if (o.thresholds.length > 0) {
      const results = evaluateThresholds(result, o.thresholds)
      for (const r of results) io.stdout.write(`${r.passed ? 'PASS' : 'FAIL'}  ${r.detail}\n`)
      if (results.some(r => !r.passed)) return 1
    }
    return 0
  }
}
