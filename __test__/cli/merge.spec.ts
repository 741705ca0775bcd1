import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { main } from '../../cli/scale.ts'
import type { CliIo } from '../../cli/scale.ts'
import { ErrorCodes } from '../../errors.ts'
import { writeReports } from '../../harness/report/files.ts'
import { ConcurrentBenchmark } from '../../harness/run/benchmark.ts'
import { parseScalabilityReport } from '../../harness/sweep/schema.ts'
import { functionTarget } from '../../harness/target/function-target.ts'
import { tempDir } from '../helpers/engine.ts'

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** A small sweep of a 1 ms target, as one generator of a distributed run would record it. */
function sweep(durationMs: number) {
  const target = functionTarget<string>('service http://127.0.0.1:9', async () => sleep(1))
  return new ConcurrentBenchmark(target).runScalabilityTest({
    levels: [1, 2],
    durationMs,
    warmUpMs: 100,
    queries: ['a', 'b'],
    seed: 5,
    detector: false,
  })
}

function io(cwd: string) {
  let stdout = ''
  let stderr = ''
  const value: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1' },
    cwd,
  }
  return { io: value, out: () => stdout, err: () => stderr }
}

test('scale merge: reports of the same plan become one, levels and counts summed; other plans refused', async t => {
  const { dir, cleanup } = tempDir('vn-merge-')
  try {
    // Two generators at once, as two machines would run the same plan.
    const [a, b] = await Promise.all([sweep(400), sweep(400)])
    const c = await sweep(300)
    for (const [name, report] of [
      ['a', a],
      ['b', b],
      ['c', c],
    ] as const) {
      mkdirSync(join(dir, name))
      await writeReports(report, join(dir, name))
    }
    const ok = io(dir)
    const code = await main(['merge', 'a/report.json', 'b/report.json', '--out', 'merged', '--no-color'], ok.io)
    t.is(code, 0, ok.err())
    const merged = parseScalabilityReport(JSON.parse(readFileSync(join(dir, 'merged', 'report.json'), 'utf8')))
    t.deepEqual(merged.sweep.levelsMeasured, [2, 4])
    for (const [i, r] of merged.testResults.entries()) {
      t.is(r.totalRequests, a.testResults[i].totalRequests + b.testResults[i].totalRequests)
      t.is(r.successfulRequests, a.testResults[i].successfulRequests + b.testResults[i].successfulRequests)
      t.is(r.generators?.length, 2)
    }
    t.true(merged.warnings[0].startsWith('merged from 2 generators'))

    const bad = io(dir)
    t.is(await main(['merge', 'a/report.json', 'c/report.json'], bad.io), 1)
    t.regex(bad.err(), new RegExp(`${ErrorCodes.PLAN_MISMATCH}: the reports ran different plans`))
    t.regex(bad.err(), /duration 300 ms, a\/report\.json: 400 ms/)
  } finally {
    cleanup()
  }
})
