import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import test from 'ava'

import { ConcurrentBenchmark } from '../../../main.ts'
import { createFixtureTarget } from '../../fixtures/fixture-target.ts'
import {
  ProgressBar,
  compareReports,
  readReport,
  renderChart,
  renderHtmlReport,
  renderLevelTable,
  renderSummary,
  writeReports,
} from '../../../harness/report/index.ts'

test('a real sweep renders, is written, read back and compares equal to itself', async t => {
  let progress = ''
  const bar = new ProgressBar({ isTTY: false, write: (s: string) => (progress += s) }, { slo: { p99Ms: 30 } })
  const report = await new ConcurrentBenchmark(
    createFixtureTarget({ slots: 2, serviceTimeMs: 5, name: 'fixture <2 slots>' }),
  ).runScalabilityTest({
    levels: [1, 2, 4],
    durationMs: 250,
    warmUpMs: 50,
    queries: [1],
    seed: 3,
    slo: { p99Ms: 30 },
    ...bar.hooks(),
  })
  t.is(progress.trimEnd().split('\n').length, report.levels.length, 'one progress line per level in a log')
  t.regex(progress, /^\[ 1\/3\] users {3}1 .* done /)

  const table = renderLevelTable(report)
  for (const r of report.levels)
    t.regex(table, new RegExp(`^\\s+${r.level}\\s+${Math.round(r.throughput).toLocaleString('en-US')}\\s`, 'm'))
  t.regex(renderSummary(report), /fixture <2 slots> · closed model · 3 levels 1 → 4 users/)
  t.regex(renderChart(report), /throughput \(req\/s\)/)

  const dir = await mkdtemp(path.join(os.tmpdir(), 'vn-sweep-report-'))
  try {
    const files = await writeReports(report, dir)
    t.deepEqual((await readdir(dir)).sort(), ['report.html', 'report.json'])
    const back = await readReport(files.json)
    t.deepEqual(back, JSON.parse(JSON.stringify(report)))
    t.true(compareReports(back, report).passed)
    t.true(renderHtmlReport(back).includes('fixture &lt;2 slots&gt;'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
