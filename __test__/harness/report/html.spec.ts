import test from 'ava'

import { renderHtmlReport } from '../../../harness/report/index.ts'
import { makeReport, standardLevels, standardReport } from '../../helpers/report-fixture.ts'

function embedded(html: string): unknown {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)
  if (!m) throw new Error('no embedded report data')
  return JSON.parse(m[1])
}

test('the page is self-contained: no network, inline CSS, inline SVG', t => {
  const html = renderHtmlReport(standardReport())
  t.true(html.startsWith('<!doctype html>'))
  t.false(/https?:\/\//i.test(html), 'no http(s) URL anywhere')
  t.false(/\bsrc\s*=/i.test(html), 'no src attribute')
  t.false(/<link\b/i.test(html), 'no external stylesheet')
  t.false(/@import|@font-face/i.test(html), 'no imported CSS or fonts')
  t.deepEqual(
    html.match(/url\([^)]*\)/g)?.filter(u => !u.startsWith('url(#')) ?? [],
    [],
    'only in-document url(#…) references',
  )
  t.regex(html, /<style>[\s\S]+<\/style>/)
})

test('one SVG per chart, with axes, units and the verdict markers', t => {
  const report = standardReport()
  const html = renderHtmlReport(report)
  const ids = [
    'chart-throughput',
    'chart-latency',
    'chart-efficiency',
    'chart-pool',
    'chart-breakdown',
    'chart-cpu-errors',
  ]
  for (const id of ids) t.regex(html, new RegExp(`<svg id="${id}" class="chart"`), id)
  t.is((html.match(/<svg\b/g) ?? []).length, ids.length)
  const svg = (id: string): string => new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`).exec(html)![0]
  const tput = svg('chart-throughput')
  t.regex(tput, /throughput \(req\/s\)/)
  t.regex(tput, /concurrent users/)
  t.regex(tput, />optimal 8</)
  t.regex(tput, new RegExp(`>N\\* ${report.peakConcurrency!.toFixed(2)}<`))
  t.regex(tput, />breaking 16</)
  t.regex(tput, /class="s fit dash"/, 'the fitted USL curve, dashed')
  t.regex(tput, /data-tip="8 users: 4,210 req\/s, p99 12.5 ms"/)
  // 1-2-5 ticks on the throughput axis: 0, 1,000, 2,000, …
  t.regex(tput, />0<\/text>[\s\S]*>1,000<\/text>[\s\S]*>2,000<\/text>/)
  const lat = svg('chart-latency')
  for (const p of ['p50', 'p90', 'p99', 'max']) t.regex(lat, new RegExp(`class="s ${p}`))
  t.regex(lat, /SLO p99 50 ms/)
  t.regex(lat, /response time \(ms\)/)
  t.regex(svg('chart-efficiency'), /90 % \(linear\)/)
  t.regex(svg('chart-efficiency'), /linear range/)
  t.is(
    (svg('chart-pool').match(/data-tip="[^"]*: pool size \d+"/g) ?? []).length,
    report.levels.length,
    'pool size per level',
  )
  t.is(
    (svg('chart-breakdown').match(/data-tip="[^"]*: pool wait /g) ?? []).length,
    report.levels.length,
    'pool wait per level',
  )
  t.is(
    (svg('chart-breakdown').match(/data-tip="[^"]*: native run /g) ?? []).length,
    report.levels.length,
    'native run per level',
  )
})

test('the page carries the summary, the table, the environment and the findings', t => {
  const report = standardReport()
  const html = renderHtmlReport(report)
  t.regex(html, /<div class="kind">Optimize code<\/div>/)
  for (const r of report.recommendation.reasons) t.true(html.includes(r.replace(/&/g, '&amp;')), r)
  for (const a of report.recommendation.advice) t.true(html.includes(`<li>${a}</li>`), a)
  t.regex(html, /<table id="levels">/)
  t.is((/<table id="levels">[\s\S]*?<\/table>/.exec(html)![0].match(/<tr class=/g) ?? []).length, report.levels.length)
  t.regex(html, /<tr class="optimal"><td class="n"><b>8<\/b>/)
  t.regex(html, /<tr class="breaking"><td class="n"><b>16<\/b>/)
  t.regex(html, /<td class="n">0\.412<\/td>/, 'sub-ms p50')
  for (const v of ['Test CPU @ 3.0GHz', 'UV_THREADPOOL_SIZE', 'v22.18.0', '0.1.0', '>42<']) t.true(html.includes(v), v)
  t.regex(html, /No deadlock, stall, pool exhaustion or blocked event loop at any level/)
})

test('the embedded JSON gives the report back', t => {
  const report = standardReport()
  const data = embedded(renderHtmlReport(report)) as typeof report
  t.deepEqual(data, JSON.parse(JSON.stringify(report)))
  t.deepEqual(data.levels, report.levels)
  t.is(data.recommendation.kind, report.recommendation.kind)
  t.is(data.usl?.lambda, report.usl?.lambda)
  t.is(data.testResults.length, report.testResults.length)
})

test('text from users is escaped, and the embedded JSON cannot close its script', t => {
  const target = 'x</script><script>alert(1)</script><!-- "q" & \'a\' <b>\u2028'
  const report = standardReport({ target })
  const html = renderHtmlReport(report)
  t.false(html.includes('<script>alert(1)'), 'no injected script')
  t.false(html.includes("'a' <b>"), 'no injected markup')
  t.is((html.match(/<\/script>/g) ?? []).length, 2, 'only the two real script ends')
  t.is((html.match(/<!--/g) ?? []).length, 0)
  t.true(
    html.includes(
      '<h1>x&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!-- &quot;q&quot; &amp; &#39;a&#39; &lt;b&gt;',
    ),
  )
  t.true(html.includes('<title>Scalability report: x&lt;/script&gt;'))
  t.is((embedded(html) as typeof report).target, target, 'the JSON round-trips the exact name')
})

test('non-finite numbers still give valid embedded JSON (as null)', t => {
  const levels = standardLevels().slice(0, 3)
  levels[1] = {
    ...levels[1],
    littlesLaw: { observed: 0, predicted: 1, relativeError: Number.POSITIVE_INFINITY, consistent: false },
  }
  const report = makeReport({ levels, raw: true })
  const html = renderHtmlReport(report)
  const data = embedded(html) as { testResults: Array<{ littlesLaw: { relativeError: unknown } }> }
  t.is(data.testResults[1].littlesLaw.relativeError, null)
  t.regex(
    html,
    /Little&#39;s law does not hold at 2: N = X·\(R\+Z\): observed 0\.00, predicted 1\.00 \(no finite error/,
  )
})

test('an open-model report and a report without a USL fit render', t => {
  const open = makeReport({ model: 'open', levels: standardLevels().map(l => ({ ...l, level: l.level * 100 })) })
  const html = renderHtmlReport(open)
  t.regex(html, /mean requests in flight/)
  t.regex(html, /offered rate \(req\/s\)/)
  const flat = makeReport({ levels: [{ level: 4, throughput: 100, p50Ms: 1, p99Ms: 2 }] })
  const one = renderHtmlReport(flat)
  t.is(flat.usl, null)
  t.regex(one, /No USL fit/)
  t.is((one.match(/<svg\b/g) ?? []).length, 6)
  t.false(
    /NaN|Infinity|undefined/.test(one.replace(/<script type="application\/json"[\s\S]*?<\/script>/, '')),
    'no NaN, Infinity or undefined printed',
  )
})

test('the latency axis is log when percentiles span more than 30×, or as asked', t => {
  const report = standardReport() // p50 0.412 ms … max 75 ms
  const latency = (html: string): string => /<svg id="chart-latency"[\s\S]*?<\/svg>/.exec(html)![0]
  t.regex(latency(renderHtmlReport(report)), />0\.5<\/text>[\s\S]*>5<\/text>[\s\S]*>50<\/text>/, '1-2-5 log ticks')
  const linear = latency(renderHtmlReport(report, { latencyScale: 'linear' }))
  t.regex(linear, />0<\/text>[\s\S]*>20<\/text>[\s\S]*>40<\/text>/)
  const narrow = makeReport({ levels: standardLevels().map(l => ({ ...l, p50Ms: 10, p99Ms: 20 })) })
  t.notRegex(latency(renderHtmlReport(narrow)), />0\.5<\/text>/)
  t.regex(latency(renderHtmlReport(narrow, { latencyScale: 'log' })), />10<\/text>/)
})

test('the environment shows the CPU flags, the kernels, V8 and the git revision, or says they are unknown', t => {
  const report = standardReport()
  const html = renderHtmlReport(report)
  for (const v of [
    '<dt>CPU flags</dt><dd>avx2, fma</dd>',
    '<dt>kernels</dt><dd>avx2</dd>',
    '<dt>git revision</dt><dd>cb61685</dd>',
  ])
    t.true(html.includes(v), v)
  t.true(html.includes(`<dt>V8</dt><dd>${report.environment.v8Version}</dd>`))
  const bare = renderHtmlReport({
    ...report,
    environment: { ...report.environment, cpuFlags: null, engine: null, gitRevision: null },
  })
  for (const v of [
    '<dt>CPU flags</dt><dd>unknown</dd>',
    '<dt>kernels</dt><dd>not reported</dd>',
    '<dt>git revision</dt><dd>none</dd>',
  ])
    t.true(bare.includes(v), v)
})
