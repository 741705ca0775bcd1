import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

import test from 'ava'

import { tempDir } from '../helpers/engine.ts'

const execFileAsync = promisify(execFile)
const bin = join(process.cwd(), 'cli', 'bin.ts')
// Resolved here, so the command also starts from a directory without node_modules.
const tsx = import.meta.resolve('tsx')
const packageVersion = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).version as string

/** Runs `vector-native ...args` from the sources (tsx); resolves to its exit code and output. */
async function vectorNative(
  args: string[],
  cwd = process.cwd(),
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', tsx, bin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', UV_THREADPOOL_SIZE: '', ...env },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

test('--help lists the commands and exits 0; no command or an unknown one exits 2', async t => {
  const help = await vectorNative(['--help'])
  t.is(help.code, 0)
  t.regex(help.stdout, /Usage: vector-native <command>/)
  t.regex(help.stdout, /scale compare/)
  const none = await vectorNative([])
  t.is(none.code, 2)
  t.regex(none.stderr, /Usage: vector-native <command>/)
  const unknown = await vectorNative(['scael'])
  t.is(unknown.code, 2)
  t.regex(unknown.stderr, /unknown command "scael"/)
})

test('--version prints the package version', async t => {
  const r = await vectorNative(['--version'])
  t.is(r.code, 0)
  t.is(r.stdout.trim(), packageVersion)
})

test('scale --help is the scale usage; a bad scale flag exits 2 naming it', async t => {
  const help = await vectorNative(['scale', '--help'])
  t.is(help.code, 0)
  t.regex(help.stdout, /Usage: vector-native scale \[options\]/)
  t.regex(help.stdout, /--corpus FILE/)
  const bad = await vectorNative(['scale', '--levels', 'many'])
  t.is(bad.code, 2)
  t.regex(bad.stderr, /--levels/)
})

test.serial('scale --corpus FILE --threads N: the user corpus is indexed, the pool size is in effect', async t => {
  const { dir, cleanup } = tempDir('vn-bin-')
  t.teardown(cleanup)
  const lines = Array.from({ length: 120 }, (_, i) =>
    JSON.stringify({ id: `doc-${i}`, text: `report ${i % 7} on wind and solar topic ${i % 5}`, metadata: { i } }),
  )
  writeFileSync(join(dir, 'mine.jsonl'), `${lines.join('\n')}\n`)
  const r = await vectorNative(
    [
      'scale',
      '--corpus',
      'mine.jsonl',
      '--threads',
      '2',
      '--levels',
      '1',
      '--duration',
      '200ms',
      '--warmup',
      '50ms',
      '--out',
      'out',
    ],
    dir,
  )
  t.is(r.code, 0, r.stderr)
  t.regex(r.stderr, /mine\.jsonl: 120 documents/)
  t.regex(r.stderr, /UV_THREADPOOL_SIZE 2/)
  const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'))
  t.is(report.environment.uvThreadpoolSize, 2)
  t.is(report.environment.engine.searchThreads, 2)
  t.true(report.testResults[0].successfulRequests > 0)
})

test.serial('scale --corpus with a bad line: exit 1 naming the line, and no temporary directory left', async t => {
  const { dir, cleanup } = tempDir('vn-bin-')
  t.teardown(cleanup)
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  writeFileSync(join(dir, 'bad.jsonl'), '{"id": "a", "text": "fine"}\n{"id": "a", "text": "again"}\n{"text": 1}\n')
  const r = await vectorNative(['scale', '--corpus', 'bad.jsonl', '--quick'], dir, { TMPDIR: tmp, TMP: tmp, TEMP: tmp })
  t.is(r.code, 1)
  t.regex(r.stderr, /ERR_INVALID_ARGUMENT: .*bad\.jsonl: invalid corpus/)
  t.regex(r.stderr, /line 2: duplicate id "a"/)
  t.regex(r.stderr, /line 3: id: /)
  t.deepEqual(
    readdirSync(tmp).filter(name => name.startsWith('vector-native-scale-')),
    [],
    'the scale temporary directory is removed (tsx keeps its cache there too)',
  )
})
