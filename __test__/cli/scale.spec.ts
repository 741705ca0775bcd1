import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

import test from 'ava'

import { main } from '../../cli/scale.ts'
import type { CliIo } from '../../cli/scale.ts'
import { kernelIsa } from '../../engine/index.ts'
import { parseScalabilityReport } from '../../harness/index.ts'
import { tempDir } from '../helpers/engine.ts'

const run = promisify(execFile)

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

test.serial(
  'a quick run against the real engine writes a report whose counters add up, at the levels asked',
  async t => {
    const { dir, cleanup } = tempDir('vn-cli-')
    t.teardown(cleanup)
    const io = captureIo(dir)
    const code = await main(
      [
        '--quick',
        '--docs',
        '600',
        '--levels',
        '1,3',
        '--duration',
        '400ms',
        '--warmup',
        '100ms',
        '--out',
        'out',
        '--threshold',
        'errors<50%',
      ],
      io,
    )
    t.is(code, 0, io.err())
    const report = parseScalabilityReport(JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')))
    // The levels asked, plus any the sweep adds between them to refine a break (a loaded machine
    // can make 3 users slower than 1), each marked as such.
    for (const level of [1, 3]) t.true(report.sweep.levelsMeasured.includes(level), `level ${level} measured`)
    for (const row of report.levels) t.true(row.level === 1 || row.level === 3 || row.refined, `level ${row.level}`)
    t.is(report.environment.engine?.kernelIsa, kernelIsa(), 'the command adds what only the engine knows')
    for (const r of report.testResults) t.deepEqual(r.environment.engine, report.environment.engine)
    t.is(report.target, 'unified-hybrid')
    for (const r of report.testResults) {
      t.is(r.totalRequests, r.successfulRequests + r.failedRequests + r.timeoutRequests)
      t.true(r.successfulRequests > 0)
      t.is(r.connectionPoolUsage.leaked, 0)
    }
    t.true(existsSync(join(dir, 'out', 'report.html')))
    t.regex(io.out(), /throughput/)
    t.regex(io.out(), /PASS/)
    t.regex(io.err(), /indexed 600 documents/)
  },
)

test.serial('a failing threshold exits 1; compare flags a regression', async t => {
  const { dir, cleanup } = tempDir('vn-cli-')
  t.teardown(cleanup)
  const io = captureIo(dir)
  const args = ['--quick', '--docs', '300', '--levels', '1', '--duration', '300ms', '--warmup', '100ms']
  t.is(await main([...args, '--out', 'a', '--threshold', 'p99<0.001ms'], io), 1)
  t.regex(io.out(), /FAIL/)
  t.is(await main([...args, '--out', 'b'], io), 0)
  // A report compared with itself passes; the same report against a 10x better baseline fails.
  t.is(await main(['compare', 'a/report.json', 'a/report.json'], io), 0)
  const better = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8'))
  better.levels[0].throughput *= 10
  const { writeFileSync } = await import('node:fs')
  writeFileSync(join(dir, 'better.json'), JSON.stringify(better))
  t.is(await main(['compare', 'better.json', 'a/report.json'], io), 1)
  t.is(await main(['compare', 'missing.json', 'a/report.json'], io), 1)
  t.regex(io.err(), /missing\.json/)
})

test.serial('bad flags exit 2 with a message; --help exits 0', async t => {
  const io = captureIo(process.cwd())
  t.is(await main(['--levels', '0,x', '--duration', 'soon'], io), 2)
  t.regex(io.err(), /--levels/)
  t.regex(io.err(), /--duration/)
  t.is(await main(['--help'], io), 0)
  t.regex(io.out(), /Usage: vector-native scale/)
  t.is(await main(['--threshold', 'p99 < fast', '--quick'], io), 1)
  t.regex(io.err(), /threshold/i)
})

test.serial('the script itself: --threads re-launches with UV_THREADPOOL_SIZE; a bad flag exits non-zero', async t => {
  const { dir, cleanup } = tempDir('vn-cli-')
  t.teardown(cleanup)
  const script = join(process.cwd(), 'scripts', 'scale.ts')
  const ok = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      '--threads',
      '3',
      '--quick',
      '--docs',
      '200',
      '--levels',
      '1',
      '--duration',
      '200ms',
      '--warmup',
      '50ms',
      '--out',
      join(dir, 'r'),
    ],
    { env: { ...process.env, NO_COLOR: '1', UV_THREADPOOL_SIZE: '' } },
  )
  t.regex(ok.stderr, /UV_THREADPOOL_SIZE 3, search threads 3/)
  const report = JSON.parse(readFileSync(join(dir, 'r', 'report.json'), 'utf8'))
  t.is(report.environment.uvThreadpoolSize, 3)
  t.is(report.environment.engine.searchThreads, 3, 'the search pool follows UV_THREADPOOL_SIZE when it is set')
  const bad = await run(process.execPath, ['--import', 'tsx', script, '--nope']).then(
    () => null,
    (error: { code: number; stderr: string }) => error,
  )
  t.is(bad?.code, 2)
  t.regex(bad?.stderr ?? '', /Unknown option '--nope'/)
})
