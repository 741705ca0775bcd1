import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import {
  ConfigError,
  ERROR_CODES,
  ErrorCodes,
  HarnessError,
  ReportError,
  ThresholdError,
  codedError,
  isCodedError,
} from '../errors.ts'

const root = join(import.meta.dirname, '..')

/** Every file under `dir` whose name ends in one of `exts`, skipping build output and dependencies. */
function sources(dir: string, exts: string[]): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!['node_modules', 'target', 'dist'].includes(entry.name)) out.push(...sources(path, exts))
    } else if (exts.some(e => entry.name.endsWith(e))) out.push(path)
  }
  return out
}

const codes = Object.values(ErrorCodes) as string[]

test('every code is defined once, as ERR_ and capitals', t => {
  t.is(new Set(codes).size, codes.length)
  for (const code of codes) t.regex(code, /^ERR_[A-Z_]+$/)
  for (const code of ERROR_CODES) t.true(codes.includes(code))
})

test('every code the native side raises is an engine code here', t => {
  const rust = [...sources('src', ['.rs']), ...sources('crates', ['.rs'])]
  t.true(rust.length > 0)
  const raised = new Set<string>()
  for (const file of rust)
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/"(ERR_[A-Z_]+)"/g)) raised.add(m[1])
  t.true(raised.size > 0)
  for (const code of raised) t.true((ERROR_CODES as readonly string[]).includes(code), `${code} is not in ERROR_CODES`)
})

test('no TypeScript source restates a code as a string literal', t => {
  const files = ['main.ts', ...['engine', 'harness', 'corpus', 'cli', 'scripts'].flatMap(d => sources(d, ['.ts']))]
  const restated: string[] = []
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8')
    for (const m of text.matchAll(/(['"])(ERR_[A-Z_]+)\1/g)) restated.push(`${file}: ${m[2]}`)
  }
  t.deepEqual(restated, [], 'use ErrorCodes from errors.ts')
})

test('the error classes carry their codes and names, and the engine shape is a plain coded Error', t => {
  const config = new ConfigError('options', ['a', 'b'])
  t.true(config instanceof HarnessError)
  t.is(config.name, 'ConfigError')
  t.is(config.code, 'ERR_INVALID_CONFIG')
  t.is(config.message, 'invalid options:\n  - a\n  - b')
  const report = new ReportError('schema', 'bad report', { issues: ['x: wrong'] })
  t.is(report.code, 'ERR_INVALID_REPORT')
  t.is(report.name, 'ReportError')
  const threshold = new ThresholdError('p99 <', 'no value')
  t.is(threshold.code, 'ERR_INVALID_THRESHOLD')
  t.is(threshold.name, 'ThresholdError')
  const engine = codedError(ErrorCodes.DUPLICATE_ID, 'again')
  t.is(engine.code, 'ERR_DUPLICATE_ID')
  t.is(Object.getPrototypeOf(engine), Error.prototype)
  t.true(isCodedError(engine))
  t.false(isCodedError(new HarnessError(ErrorCodes.POOL_TIMEOUT, 'late')), 'engine codes only')
})
