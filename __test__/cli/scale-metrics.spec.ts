import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { main } from '../../cli/scale.ts'
import type { CliIo } from '../../cli/scale.ts'
import { parseScalabilityReport } from '../../harness/index.ts'
import { IsolationReportSchema } from '../../harness/isolation/index.ts'
import { tempDir } from '../helpers/engine.ts'

function captureIo(cwd: string): CliIo & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { NO_COLOR: '1' },
    cwd,
    out: () => out,
    err: () => err,
  }
}

test.serial('the default run shows recall and memory per level, in the terminal, the JSON and the HTML', async t => {
  const { dir, cleanup } = tempDir('vn-cli-')
  t.teardown(cleanup)
  const io = captureIo(dir)
  const code = await main(
    [
      '--quick',
      '--docs',
      '800',
      '--levels',
      '1,2',
      '--duration',
      '600ms',
      '--warmup',
      '100ms',
      '--recall',
      '20%',
      '--out',
      'out',
    ],
    io,
  )
  t.is(code, 0, io.err())
  t.regex(io.err(), /exact ground truth for recall: 800 vectors/)
  const report = parseScalabilityReport(JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')))
  for (const r of report.testResults) {
    const m = r.enhancedMetrics
    t.truthy(m?.resources, 'memory measured')
    t.true((m?.resources?.memory.rssEndMb ?? 0) > 0)
    t.truthy(m?.recall?.fusedOverlap, 'hybrid: fused overlap measured')
    t.truthy(m?.recall?.vectorLeg, 'hybrid: vector leg recall measured')
    t.truthy(m?.recall?.idle?.fusedOverlap, 'idle figure beside it')
    t.is(m?.resources?.engine?.vectors, 800)
    t.true((m?.resources?.engine?.segments ?? 0) >= 1, 'text segments counted')
    t.true((m?.resources?.engine?.segmentBytes ?? 0) > 0)
  }
  t.regex(io.out(), /Answers and resources per level/)
  t.regex(io.out(), /recall@k/)
  t.regex(io.out(), /RSS MB/)
  const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8')
  t.regex(html, /id="level-metrics"/)
})

test.serial('--isolation runs the heavy/light scenario against the engine and writes isolation.json', async t => {
  const { dir, cleanup } = tempDir('vn-cli-')
  t.teardown(cleanup)
  const io = captureIo(dir)
  const code = await main(
    ['--isolation', '--docs', '1500', '--duration', '700ms', '--warmup', '150ms', '--out', 'iso'],
    io,
  )
  t.is(code, 0, io.err())
  const report = IsolationReportSchema.parse(JSON.parse(readFileSync(join(dir, 'iso', 'isolation.json'), 'utf8')))
  t.true(report.alone.light.requests > 0 && report.shared.heavy.requests > 0 && report.reserved.light.requests > 0)
  t.regex(io.out(), /Performance isolation/)
  t.regex(io.out(), /shared pool/)
  t.regex(io.out(), /reserved 5\+1/)
  t.log(io.out())
})
