import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { connectionsFor } from '../../cli/http-sweep.ts'
import { parseScaleArgs } from '../../cli/scale-args.ts'
import { parseScalabilityReport } from '../../harness/sweep/schema.ts'
import { tempDir } from '../helpers/engine.ts'
import { startServe, vectorNative } from '../helpers/serve.ts'

test('scale --target: flags parsed, checked, and the keep-alive pool sized', t => {
  const ok = parseScaleArgs(['--target', 'http://127.0.0.1:8080', '--levels', '1,2,8'])
  t.like(ok, { command: 'run', http: { url: 'http://127.0.0.1:8080', preset: null }, workers: 1 })
  t.is(connectionsFor({ poolSize: null, model: 'closed', levels: [1, 2, 8] }), 8)
  t.is(connectionsFor({ poolSize: 3, model: 'closed', levels: [1, 2, 8] }), 3)
  const bad = parseScaleArgs(['--target', 'ftp://x', '--target-preset', 'nope', '--workers', '2', '--writes', '5%'])
  t.is(bad.command, 'error')
  t.is((bad as { problems: string[] }).problems.length, 3)
  const noTarget = parseScaleArgs(['--workers', '2', '--collection', 'c'])
  t.deepEqual((noTarget as { problems: string[] }).problems, [
    '--collection needs --target URL',
    '--workers needs --target: in-process stores are measured by one process',
  ])
  const generic = parseScaleArgs([
    '--target',
    'http://127.0.0.1:1',
    '--target-path',
    '/q',
    '--target-body',
    '{"v":"{{vector}}"}',
    '--target-hits',
    'r',
  ])
  t.like(generic, { http: { path: '/q', hits: 'r', body: { v: '{{vector}}' } } })
})

test('vector-native serve + scale --target http://127.0.0.1:PORT: the same kind of report', async t => {
  const served = await startServe(['--docs', '1000'])
  const { dir: out, cleanup } = tempDir('vn-http-sweep-')
  try {
    const r = await vectorNative([
      'scale',
      '--target',
      served.url,
      '--docs',
      '1000',
      '--levels',
      '1,2',
      '--duration',
      '600ms',
      '--warmup',
      '200ms',
      // A wide objective: on a busy machine a derived one (5 × the lightest p99) can stop the sweep early.
      '--slo',
      'p99<10s',
      '--out',
      out,
    ])
    t.is(r.code, 0, r.stderr)
    t.regex(r.stdout, /Where the time goes/)
    t.regex(r.stdout, /native parts show –/)
    t.regex(r.stdout, /HTTP connections \(undici keep-alive pool/)
    const report = parseScalabilityReport(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')))
    t.regex(report.target, /^http vector-native http:\/\/127\.0\.0\.1:\d+$/)
    t.deepEqual(report.sweep.levelsMeasured, [1, 2])
    for (const level of report.testResults) {
      t.true(level.successfulRequests > 0)
      t.is(level.failedRequests, 0)
      t.is(level.timeBreakdown.coverage, 'harness')
      t.is(level.targetConnections?.connections, 2)
    }
  } finally {
    await served.stop('SIGTERM')
    cleanup()
  }
})
