import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import {
  ReportError,
  readReport,
  reportSchemaJson,
  validateReport,
  writeFileAtomic,
  writeReports,
} from '../../../harness/report/index.ts'
import { REPORT_SCHEMA_VERSION } from '../../../harness/sweep/types.ts'
import { makeReport, standardLevels, standardReport } from '../../helpers/report-fixture.ts'

const tmp = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'vn-report-'))

test('write → read round trip; only the two files remain; writing again replaces them', async t => {
  const dir = await tmp()
  try {
    const out = path.join(dir, 'nested', 'run-1')
    const report = standardReport()
    const written = await writeReports(report, out)
    t.is(written.json, path.join(path.resolve(out), 'report.json'))
    t.is(written.html, path.join(path.resolve(out), 'report.html'))
    t.deepEqual((await readdir(out)).sort(), ['report.html', 'report.json'], 'no temporary file left')
    const back = await readReport(written.json)
    t.deepEqual(back, report)
    const text = await readFile(written.json, 'utf8')
    t.true(text.startsWith(`{\n  "schemaVersion": ${REPORT_SCHEMA_VERSION},`), 'pretty JSON')
    t.true(text.endsWith('}\n'))
    t.regex(await readFile(written.html, 'utf8'), /^<!doctype html>/)

    const second = standardReport({ target: 'second run' })
    await writeReports(second, out)
    t.deepEqual((await readdir(out)).sort(), ['report.html', 'report.json'])
    t.is((await readReport(written.json)).target, 'second run')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('reading an invalid file fails with ERR_INVALID_REPORT naming the file and the problem', async t => {
  const dir = await tmp()
  try {
    const file = (name: string, content: string): Promise<string> =>
      writeFile(path.join(dir, name), content).then(() => path.join(dir, name))
    const notJson = await file('a.json', '{ nope')
    let e = await t.throwsAsync(readReport(notJson), { instanceOf: ReportError })
    t.is(e!.code, 'ERR_INVALID_REPORT')
    t.true(e!.message.includes(notJson))
    t.regex(e!.message, /is not valid JSON/)

    const notReport = await file('b.json', '[1, 2]')
    e = await t.throwsAsync(readReport(notReport), { instanceOf: ReportError })
    t.regex(e!.message, /is not a scalability report/)

    const good = JSON.parse(JSON.stringify(standardReport()))
    const future = await file('c.json', JSON.stringify({ ...good, schemaVersion: REPORT_SCHEMA_VERSION + 1 }))
    e = await t.throwsAsync(readReport(future), { instanceOf: ReportError })
    t.is(e!.code, 'ERR_INVALID_REPORT')
    t.is((e as ReportError).reason, 'version')
    t.true(
      e!.message.includes(`schemaVersion ${REPORT_SCHEMA_VERSION + 1}`) &&
        e!.message.includes(`reads schemaVersion ${REPORT_SCHEMA_VERSION}`),
    )

    const broken = structuredClone(good)
    broken.levels[1].throughput = -5
    delete broken.levels[2].p99Ms
    broken.extra = true
    const bad = await file('d.json', JSON.stringify(broken))
    e = await t.throwsAsync(readReport(bad), { instanceOf: ReportError })
    t.is((e as ReportError).reason, 'schema')
    t.true(e!.message.includes(bad))
    const issues = (e as ReportError).issues.join('\n')
    t.regex(issues, /^levels\[1\]\.throughput: /m)
    t.regex(issues, /^levels\[2\]\.p99Ms: /m)
    t.regex(issues, /extra/)

    await t.throwsAsync(readReport(path.join(dir, 'missing.json')), { code: 'ENOENT' })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('an invalid report is not written: the error lists the zod issues', async t => {
  const dir = await tmp()
  try {
    const report = standardReport()
    const bad = { ...report, levels: [{ ...report.levels[0], errorRate: 2 }, ...report.levels.slice(1)] }
    const e = await t.throwsAsync(writeReports(bad, dir), { instanceOf: ReportError })
    t.is(e!.code, 'ERR_INVALID_REPORT')
    t.regex(e!.message, /levels\[0\]\.errorRate: /)
    t.deepEqual(await readdir(dir), [], 'nothing written')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('Infinity in a report: written as null, and named if the schema refuses null there', t => {
  const levels = standardLevels().slice(0, 3)
  levels[1] = {
    ...levels[1],
    littlesLaw: { observed: 0, predicted: 1, relativeError: Number.POSITIVE_INFINITY, consistent: false },
  }
  const report = makeReport({ levels, raw: true })
  try {
    // Once the schema accepts null for a non-finite relativeError, the report is stored with null.
    const stored = validateReport(report)
    t.is(stored.testResults[1].littlesLaw?.relativeError as unknown, null)
  } catch (error) {
    t.true(error instanceof ReportError)
    t.regex(
      (error as Error).message,
      /testResults\[1\]\.littlesLaw\.relativeError: .*\(it was a non-finite number, Infinity or NaN, which JSON stores as null\)/,
    )
  }
})

test('writeFileAtomic leaves no temporary file behind when the rename fails', async t => {
  const dir = await tmp()
  try {
    // The target is a non-empty directory: rename over it fails.
    const target = path.join(dir, 'report.json')
    await writeReports(standardReport(), target)
    const before = (await readdir(dir)).sort()
    await t.throwsAsync(writeFileAtomic(target, '{}'))
    t.deepEqual((await readdir(dir)).sort(), before, 'the temporary file was removed')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('docs/report-schema.json is the schema generated from the zod schema', async t => {
  const committed = await readFile(fileURLToPath(new URL('../../../docs/report-schema.json', import.meta.url)), 'utf8')
  t.is(committed, reportSchemaJson(), 'regenerate with: npx tsx harness/report/generate-schema.ts')
  const schema = JSON.parse(committed) as { $schema: string; type: string; required: string[] }
  t.is(schema.type, 'object')
  t.true(schema.required.includes('levels') && schema.required.includes('schemaVersion'))
})
