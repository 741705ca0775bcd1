import test from 'ava'

import {
  ProgressBar,
  renderChart,
  renderLevelDone,
  renderLevelTable,
  renderProgress,
  renderSummary,
  shouldColor,
} from '../../../harness/report/index.ts'
import { visibleWidth } from '../../../harness/report/format.ts'
import type { LiveProgress } from '../../../harness/types.ts'
import { emptyDetector, makeReport, standardLevels, standardReport } from '../../helpers/report-fixture.ts'

const ANSI = /\u001b\[/
const NON_ASCII = /[^\x00-\x7f]/

function lineOf(text: string, startsWith: RegExp): string {
  const line = text.split('\n').find(l => startsWith.test(l))
  if (line === undefined) throw new Error(`no line matching ${startsWith} in:\n${text}`)
  return line
}

function cells(line: string): string[] {
  return line.trim().split(/\s+/)
}

test('the level table has one row per level with the right numbers, units and marks', t => {
  const report = standardReport()
  const table = renderLevelTable(report, { width: 120 })
  t.false(ANSI.test(table), 'no ANSI codes without color')
  const header = table.split('\n')[0]
  for (const h of ['users', 'throughput', 'p50', 'p99', 'errors', 'eff.', 'pool wait', 'CPU', 'bound by', 'SLO'])
    t.true(header.includes(h), h)
  t.true(table.split('\n')[1].includes('req/s'))
  // users, throughput, p50, p99, errors %, eff %, pool wait, CPU %, bound by, SLO, notes
  t.deepEqual(cells(lineOf(table, /^\s+1\s/)), ['1', '1,000', '0.412', '1.23', '0', '100', '0', '50.0', '–', '✓'])
  t.deepEqual(cells(lineOf(table, /^\s+2\s/)), ['2', '1,980', '0.455', '1.50', '0', '99', '0.012', '50.0', '–', '✓'])
  t.deepEqual(cells(lineOf(table, /^\s+8\s/)), [
    '8',
    '4,210',
    '1.85',
    '12.5',
    '0.25',
    '53',
    '0.400',
    '50.0',
    '–',
    '✓',
    'optimal',
  ])
  const refined = lineOf(table, /^\s+\*12\s/)
  t.deepEqual(cells(refined).slice(0, 4), ['*12', '4,150', '2.90', '31.3'])
  t.deepEqual(cells(lineOf(table, /^\s+16\s/)), [
    '16',
    '3,900',
    '4.10',
    '62.5',
    '2.00',
    '24',
    '1.00',
    '50.0',
    '–',
    '✗',
    'breaking',
    'point',
  ])
  t.regex(table, /\* refined: measured between the last good and the first bad level/)
  t.regex(table, /SLO: p99 <= 50 ms, errors <= 1 %/)
  // Numbers are right-aligned on the decimal point.
  const p99Col = ['1.23', '12.5', '62.5'].map(
    v =>
      table
        .split('\n')
        .find(l => l.includes(` ${v} `))!
        .indexOf(v) + v.indexOf('.'),
  )
  t.is(new Set(p99Col).size, 1, 'decimal points line up')
})

test('the table in ASCII, in colour, for bare rows of an open model, and within a narrow width', t => {
  const report = standardReport()
  const ascii = renderLevelTable(report, { ascii: true })
  t.false(NON_ASCII.test(ascii), 'only ASCII')
  t.regex(lineOf(ascii, /^\s+1\s/), /\bok$/)
  t.regex(lineOf(ascii, /^\s+16\s/), /\bNO\b/)

  const colored = renderLevelTable(report, { color: true })
  t.true(ANSI.test(colored))
  t.is(colored.replace(/\u001b\[[0-9;]*m/g, ''), renderLevelTable(report), 'colour changes nothing but the codes')

  const open = renderLevelTable(report.levels, { model: 'open' })
  t.regex(open.split('\n')[0], /^\s+rate\s+in flight\s+throughput/)
  t.false(open.includes('optimal'), 'rows alone carry no verdict')

  const narrow = renderLevelTable(report, { width: 48 })
  for (const line of narrow.split('\n')) t.true(visibleWidth(line) <= 48, `${visibleWidth(line)}: ${line}`)
  const head = narrow.split('\n')[0]
  t.true(head.includes('throughput') && head.includes('p99') && head.includes('SLO'), 'the key columns stay')
  t.false(head.includes('CPU'), 'the least important columns go first')
})

test('the summary states the verdict with its numbers', t => {
  const report = standardReport()
  const s = renderSummary(report, { width: 200, files: { json: '/out/report.json', html: '/out/report.html' } })
  t.false(ANSI.test(s))
  t.regex(s, /fixture · closed model · 6 levels 1 → 16 users · 1,000 ms each after 100 ms warm-up · seed 42/)
  t.regex(s, /SLO p99 ≤ 50 ms · errors ≤ 1 %/)
  t.regex(s, /Verdict\s+Optimize code\s+\(OptimizeCode\)/)
  t.regex(s, /Optimal users\s+8\s+4,210 req\/s, p99 12\.5 ms/)
  t.regex(s, new RegExp(`Peak N\\*\\s+${report.peakConcurrency!.toFixed(2)}`))
  t.regex(s, /Breaking point\s+16\s+error rate 2\.00 % exceeds the budget of 1\.00 %/)
  t.regex(s, /Linear range\s+1 → 4\s+efficiency ≥ 90 %/)
  t.regex(s, new RegExp(`Contention\\s+${report.resourceContentionScore!.toFixed(1)} %`))
  const u = report.usl!
  t.regex(s, new RegExp(`R² ${u.rSquared.toFixed(3)}`))
  t.true(s.includes(`λ 1,143 ± ${Math.round(u.standardErrors.lambda!)} req/s`), 'λ with its standard error')
  t.regex(s, /σ 0\.0522 ± 0\.058/)
  t.regex(s, /κ 0\.0128 ± 0\.0028/)
  for (const r of report.recommendation.reasons) t.true(s.includes(r), r)
  for (const a of report.recommendation.advice) t.true(s.includes(`→ ${a}`), a)
  t.regex(s, /Files\n\s+json\s+\/out\/report\.json\n\s+html\s+\/out\/report\.html/)
  t.false(/Detector/.test(s), 'no detector section without findings')
})

test('the summary in colour is the plain summary plus colour codes', t => {
  for (const report of [standardReport(), standardReport({ slo: null })]) {
    const colored = renderSummary(report, { color: true, files: { json: '/out/report.json' } })
    t.true(ANSI.test(colored))
    t.false(colored.includes('\ufffd'), 'no escape sequence is mangled into replacement characters')
    t.is(colored.replace(/\u001b\[[0-9;]*m/g, ''), renderSummary(report, { files: { json: '/out/report.json' } }))
  }
})

test('the summary calls out deadlocks with operations and resources, and Little-law mismatches with numbers', t => {
  const levels = standardLevels().slice(0, 4)
  levels[3] = {
    ...levels[3],
    deadlock: true,
    detector: {
      ...emptyDetector(),
      deadlockDetected: true,
      findings: [
        {
          kind: 'deadlock',
          atMs: 420,
          message:
            'deadlock: op 7 (user 0, query #0 "AB") waits for lock:B held by op 8; op 8 (user 1, query #1 "BA") waits for lock:A held by op 7',
          cycle: [
            {
              op: { opId: 7, userId: 0, query: 'query #0 "AB"' },
              waitsFor: 'lock:B',
              heldBy: { opId: 8, userId: 1, query: 'query #1 "BA"' },
            },
            {
              op: { opId: 8, userId: 1, query: 'query #1 "BA"' },
              waitsFor: 'lock:A',
              heldBy: { opId: 7, userId: 0, query: 'query #0 "AB"' },
            },
          ],
          resources: ['lock:B', 'lock:A'],
          blockedBehind: [],
        } as never,
      ],
      findingCounts: {
        deadlock: 1,
        stall: 0,
        'blocked-event-loop': 0,
        'pool-exhaustion': 0,
        'slow-operation': 3,
        'timed-out-still-running': 0,
      },
    },
  }
  levels[2] = {
    ...levels[2],
    littlesLaw: { observed: 4, predicted: 3.2, relativeError: 0.2, consistent: false },
    measurementWarnings: ['event loop lagged'],
  }
  levels[1] = { ...levels[1], measurementWarnings: ['event loop lagged'] }
  const report = makeReport({ levels })
  const s = renderSummary(report, { width: 400 })
  t.regex(s, /Detector\n\s+✗ at 8 users: DEADLOCK or total stall/)
  t.true(
    s.includes(
      'deadlock cycle: op 7 (user 0, query #0 "AB") waits for lock:B held by op 8 (user 1, query #1 "BA"); op 8 (user 1, query #1 "BA") waits for lock:A held by op 7 (user 0, query #0 "AB"). Resources: lock:B, lock:A',
    ),
  )
  t.regex(s, /\+3 more slow-operation findings \(counted, not kept\)/)
  t.regex(
    s,
    /Little's law does not hold at 4: N = X·\(R\+Z\): observed 4\.00, predicted 3\.20 \(off by 20 %, tolerance 10 %\)/,
  )
  t.regex(s, /event loop lagged \(at 2 and 4\)/, 'identical warnings are merged with their levels')
  t.regex(renderLevelTable(report), /DEADLOCK/)
  t.regex(renderLevelTable(report, { width: 200 }), /Little's law off/)
})

test('the chart: bars per level with values and the SLO, or braille plots; legible in ASCII', t => {
  const report = standardReport()
  const bars = renderChart(report, { width: 100 })
  t.regex(bars.split('\n')[0], /throughput \(req\/s\).*p99 \(ms\).*SLO 50 ms/)
  for (const r of report.levels) t.regex(bars, new RegExp(`^\\s+\\*?${r.level}\\s+█`, 'm'))
  t.regex(lineOf(bars, /^\s+8\s/), /4,210/)
  t.regex(lineOf(bars, /^\s+16\s/), /62\.5 ✗$/, 'a level past the SLO is marked')
  t.regex(lineOf(bars, /^\s+4\s/), /┊/, 'the SLO is marked where bars stop short of it')
  // The best throughput gets the longest bar.
  const len = (l: string): number => (l.match(/[█▏▎▍▌▋▊▉]/g) ?? []).length
  t.true(len(lineOf(bars, /^\s+8\s/)) >= len(lineOf(bars, /^\s+4\s/)))
  for (const line of bars.split('\n')) t.true(visibleWidth(line) <= 100)

  const plot = renderChart(report, { kind: 'plot', width: 90, height: 8 })
  t.regex(plot, /[\u2801-\u28ff]/, 'braille dots')
  t.regex(plot, /throughput \(req\/s\)/)
  t.regex(plot, /p99 \(ms\).*SLO 50 ms/)
  t.regex(plot, /N\* = 8\.62/)
  for (const line of plot.split('\n')) t.true(visibleWidth(line) <= 90, line)

  for (const kind of ['bars', 'plot'] as const) {
    const ascii = renderChart(report, { kind, ascii: true })
    t.false(NON_ASCII.test(ascii), kind)
    t.false(ANSI.test(ascii))
  }
  t.true(ANSI.test(renderChart(report, { color: true })))
})

const progress = (p: Partial<LiveProgress> = {}): LiveProgress => ({
  elapsedMs: 620,
  totalMs: 1000,
  phase: 'measuring',
  throughput: 4210,
  p99Ms: 3.12,
  errors: 0,
  ...p,
})

test('a progress line: counter, load, bar, percent, phase, throughput, p99, errors', t => {
  const line = renderProgress(8, 2, 5, progress(), 80)
  t.regex(line, /^\[ 3\/5\] users {3}8 █+░+ {2}62% {2}measuring {2}4,210 req\/s {2}p99 3\.12 ms {2}0 err$/)
  t.is(visibleWidth(line), 80, 'the bar takes up the slack')
  const bar = line.match(/█+░+/)![0]
  t.is(bar.match(/█/g)!.length, Math.round(0.62 * bar.length), '62 % of the bar is filled')

  t.regex(
    renderProgress(1, 0, 12, progress({ phase: 'warm-up', elapsedMs: 50, p99Ms: null, errors: 3 }), 80),
    /^\[ 1\/12\] users {3}1 █?░+ {3}5% {2}warm-up {4}4,210 req\/s {2}p99 – ms {2}3 err$/,
  )
  t.regex(renderProgress(16, 5, 5, progress(), 80, { refining: true }), /^\[refine\] users {2}16 /)
  t.regex(renderProgress(250, 0, 3, progress(), 80, { model: 'open' }), /^\[ 1\/3\] rate 250 /)
  t.regex(renderProgress(1, 0, 1, progress({ elapsedMs: 5000 }), 80), / 100% /, 'clamped at 100 %')
  for (const width of [30, 40, 50, 60, 100, 200]) {
    const l = renderProgress(8, 2, 5, progress({ errors: 12345 }), width)
    t.true(visibleWidth(l) <= width, `${width}: ${l}`)
  }
  t.false(renderProgress(8, 2, 5, progress({ errors: 2 }), 80).includes('\u001b'))
  t.true(renderProgress(8, 2, 5, progress({ errors: 2 }), 80, { color: true }).includes('\u001b['))
  t.false(NON_ASCII.test(renderProgress(8, 2, 5, progress(), 80, { ascii: true })))

  const row = standardReport().levels[3]
  const done = renderLevelDone(row, 3, 5, 100, { slo: { p99Ms: 50 } })
  t.regex(done, /^\[ 4\/5\] users {3}8 █+ {2}done {2}4,210 req\/s {2}p50 1\.85 ms {2}p99 12\.5 ms {2}0\.25 % err {2}✓$/)
  t.regex(renderLevelDone(row, 3, 5, 100, { slo: { p99Ms: 10 } }), /✗$/)
})

test('ProgressBar overwrites one line per level on a TTY and prints only finished levels elsewhere', t => {
  const report = standardReport()
  const run = (isTTY: boolean): string => {
    let out = ''
    const stream = { isTTY, columns: 90, write: (s: string) => (out += s) }
    const bar = new ProgressBar(stream, { color: false, slo: report.slo })
    const hooks = bar.hooks()
    report.levels.slice(0, 2).forEach((row, index) => {
      hooks.onLevelStart({ level: row.level, index, planned: 2, refining: false })
      hooks.onProgress({ level: row.level, progress: progress({ phase: 'warm-up', elapsedMs: 100 }) })
      hooks.onProgress({ level: row.level, progress: progress() })
      hooks.onLevelEnd({ level: row.level, row })
    })
    bar.done()
    return out
  }
  const tty = run(true)
  t.is(tty.split('\n').length, 3, 'two finished lines and nothing after')
  t.is((tty.match(/\r/g) ?? []).length, 6, 'every update returns to the start of the line')
  t.is((tty.match(/\u001b\[K/g) ?? []).length, 6, 'and clears what is left of it')
  t.regex(tty, /\[ 1\/2\] users {3}1 .*warm-up/)
  const ci = run(false)
  t.false(ci.includes('\r'))
  t.false(ci.includes('\u001b'))
  t.deepEqual(
    ci
      .trimEnd()
      .split('\n')
      .map(l => l.slice(0, 17)),
    ['[ 1/2] users   1 ', '[ 2/2] users   2 '],
  )
  t.regex(ci, /done {2}1,000 req\/s.*✓\n.*done {2}1,980 req\/s.*✓\n$/)
})

test('shouldColor follows NO_COLOR, FORCE_COLOR, the TTY and TERM', t => {
  t.true(shouldColor({ isTTY: true }, {}))
  t.false(shouldColor({ isTTY: false }, {}))
  t.false(shouldColor(undefined, {}))
  t.false(shouldColor({ isTTY: true }, { NO_COLOR: '1' }))
  t.true(shouldColor({ isTTY: true }, { NO_COLOR: '' }), 'an empty NO_COLOR does not count')
  t.false(shouldColor({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' }), 'NO_COLOR wins')
  t.true(shouldColor({ isTTY: false }, { FORCE_COLOR: '1' }))
  t.true(shouldColor({ isTTY: false }, { FORCE_COLOR: '' }))
  t.false(shouldColor({ isTTY: true }, { FORCE_COLOR: '0' }))
  t.false(shouldColor({ isTTY: true }, { FORCE_COLOR: 'false' }))
  t.false(shouldColor({ isTTY: true }, { TERM: 'dumb' }))
})

test('text from the report cannot inject terminal escapes', t => {
  const report = standardReport({ target: 'evil\u001b[2J\u001b]0;pwned\u0007name' })
  const s = renderSummary(report)
  t.false(s.includes('\u001b'))
  t.true(s.includes('evil\ufffd[2J\ufffd]0;pwned\ufffdname'))
})
