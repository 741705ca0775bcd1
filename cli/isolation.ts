/**
 * `scale --isolation`: the performance-isolation scenario on the scale workload. Heavy users
 * run hybrid searches with k 100 and 1000 candidates per leg; light users run the workload's
 * own searches (`--mode`, `--k`). Prints the table and writes isolation.json.
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'

import { runIsolationScenario } from '../harness/isolation/scenario.ts'
import { IsolationReportSchema } from '../harness/isolation/schema.ts'
import { writeFileAtomic } from '../harness/report/files.ts'
import { renderIsolation, shouldColor } from '../harness/report/terminal/index.ts'
import { sessionFactory, unifiedSearchTarget } from '../harness/target/index.ts'
import type { ScaleOptions } from './scale-args.ts'
import type { Workload } from './workload.ts'

/** Defaults of the scenario (the pool is `--pool` when given). */
export const ISOLATION_DEFAULTS = {
  lightUsers: 8,
  heavyUsers: 4,
  poolSize: 6,
  heavyLimit: 1,
  heavyK: 100,
  heavyCandidates: 1000,
}

/** Where the scenario writes (the CLI's io; structural, so this module does not import the CLI). */
interface IsolationIo {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number }
  env: Record<string, string | undefined>
  cwd: string
}

export async function runIsolation(
  o: ScaleOptions,
  workload: Workload,
  io: IsolationIo,
  log: (line: string) => void,
): Promise<number> {
  const d = ISOLATION_DEFAULTS
  const poolSize = Math.max(2, o.poolSize ?? d.poolSize)
  const light = unifiedSearchTarget(workload.system, {
    mode: o.mode,
    k: o.k,
    refresh: 'manual',
    name: `light-${o.mode}-k${o.k}`,
  })
  const heavy = unifiedSearchTarget(workload.system, {
    mode: 'hybrid',
    k: d.heavyK,
    search: { candidates: d.heavyCandidates },
    refresh: 'manual',
    name: `heavy-hybrid-k${d.heavyK}-c${d.heavyCandidates}`,
  })
  const texts = workload.queries.map(q => q.text)
  const report = await runIsolationScenario<string>({
    light: { target: light, queries: texts, users: d.lightUsers },
    heavy: { target: heavy, queries: texts, users: d.heavyUsers },
    poolSize,
    heavyLimit: Math.min(d.heavyLimit, poolSize - 1),
    poolFactory: sessionFactory(workload.system),
    durationMs: o.durationMs,
    warmUpMs: o.warmUpMs,
    seed: o.seed,
    onPhase: phase => log(`isolation: ${phase}`),
  })
  IsolationReportSchema.parse(report)
  const outDir = resolve(
    io.cwd,
    o.outDir ?? join('reports', `isolation-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`),
  )
  await mkdir(outDir, { recursive: true })
  const file = join(outDir, 'isolation.json')
  await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`)
  io.stdout.write(`\n${renderIsolation(report, { color: o.color ?? shouldColor(io.stdout, io.env) })}\n`)
  for (const w of report.warnings) io.stdout.write(`  warning: ${w}\n`)
  io.stdout.write(`  isolation.json: ${file}\n`)
  return 0
}
