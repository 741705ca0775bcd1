import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import test from 'ava'

import * as root from '../main.ts'
import { repoRoot } from './helpers/imports.ts'

/** Most names the package root may export at run time; the rest lives in subpaths. */
const MAX_ROOT_NAMES = 40

test(`the root exports at most ${MAX_ROOT_NAMES} names, and exactly these`, t => {
  const names = Object.keys(root).sort()
  t.true(names.length <= MAX_ROOT_NAMES, `${names.length} names`)
  t.deepEqual(names, [
    'ConcurrentBenchmark',
    'ConfigError',
    'ERROR_CODES',
    'ErrorCodes',
    'FlatIndex',
    'HarnessError',
    'HnswIndex',
    'MAX_DIMENSIONS',
    'MAX_K',
    'MAX_UNIFIED_K',
    'ReportError',
    'SearchSession',
    'ThresholdError',
    'UnifiedSearchSystem',
    'codedError',
    'distance',
    'functionTarget',
    'isCodedError',
    'kernelIsa',
    'loadIndex',
    'nativeThreadStats',
    'noopAsync',
    'runScalabilityTest',
    'searchThreads',
    'sessionFactory',
    'unifiedSearchTarget',
    'vectorIndexTarget',
  ])
})

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>
}
const compiled = Object.entries(pkg.exports).filter(
  (e): e is [string, { types: string; default: string }] =>
    typeof e[1] === 'object' && e[1].default.startsWith('./dist/'),
)

test('every compiled subpath maps to a barrel in the sources, with its types beside it', t => {
  t.deepEqual(
    compiled.map(([subpath]) => subpath),
    ['.', './harness', './analysis', './report', './target', './corpus'],
  )
  t.deepEqual(pkg.exports['./binding'], { types: './index.d.ts', default: './index.js' })
  t.is(pkg.exports['./package.json'], './package.json')
  for (const [subpath, target] of compiled) {
    // build:ts compiles with rootDir "." into dist/: dist/x/index.js comes from x/index.ts.
    const stem = target.default.slice('./dist/'.length, -'.js'.length)
    t.is(target.types, `./dist/${stem}.d.ts`, subpath)
    t.true(existsSync(join(repoRoot, `${stem}.ts`)), `${subpath}: ${stem}.ts`)
  }
})

test('every subpath barrel loads and exports names; the root re-exports, never redefines', async t => {
  for (const [subpath, target] of compiled) {
    const stem = target.default.slice('./dist/'.length, -'.js'.length)
    const ns = (await import(pathToFileURL(join(repoRoot, `${stem}.ts`)).href)) as Record<string, unknown>
    t.true(Object.keys(ns).length > 0, subpath)
  }
  const harness = await import('../harness/index.ts')
  t.is(root.ConcurrentBenchmark, harness.ConcurrentBenchmark)
  t.is(root.runScalabilityTest, harness.runScalabilityTest)
  t.is(root.ErrorCodes, harness.ErrorCodes)
})
