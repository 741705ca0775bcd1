/**
 * `renderHtmlReport`: one self-contained HTML file for a scalability report. No network: inline
 * CSS, inline SVG charts drawn here, no fonts or scripts from elsewhere. A few lines of inline
 * JS only restyle the tooltips; the charts render without it (native `<title>` tooltips).
 * The report itself is embedded as JSON in `<script type="application/json" id="report-data">`.
 */
import type { LevelRow, ScalabilityReport } from '../sweep/types.ts'
import {
  escapeHtml as esc,
  formatLevel,
  formatMs,
  formatNumber,
  formatPercent,
  LOG_AXIS_MIN_SPAN,
  formatPlain,
  formatPlainPercent,
  formatRate,
  formatSig,
  formatWithError,
  jsonForHtml,
  levelWithUnit,
} from './format.ts'
import {
  RECOMMENDATION_TITLES,
  RECOMMENDATION_TONE,
  bestThroughput,
  collectWarnings,
  detectorCallouts,
  errorBudget,
  levelResults,
  rowAt,
} from './insights.ts'
import {
  LINEAR_EFFICIENCY,
  OPTIMAL_THROUGHPUT_TOLERANCE,
  USL_MIN_R_SQUARED,
  WAIT_SHARE,
} from '../analysis/constants.ts'
import { describeSaturation } from '../analysis/scalability.ts'
import { uslThroughput } from '../analysis/usl.ts'
import { barChart, lineChart } from './svg.ts'
import type { HLine, LegendItem, VMarker } from './svg.ts'
import { TIME_PARTS } from '../metrics/time-breakdown.ts'
import { TIME_PART_LABELS } from './insights.ts'
import { levelMetricsPanel } from './html-metrics.ts'

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** Page title. @default `Scalability report: <target>` */
  title?: string
  /** Embed the full report as JSON (needed to recover the data from the page). @default true */
  embedData?: boolean
  /** Y axis of the response-time chart: log when percentiles span more than 30×, by default. @default 'auto' */
  latencyScale?: 'auto' | 'log' | 'linear'
}

const CSS = `
:root{--bg:#f6f7f9;--panel:#fff;--ink:#16181d;--muted:#5c6370;--faint:#e6e8ec;--grid:#eceef2;--axis:#9aa1ad;
--tput:#2563eb;--fit:#d97706;--p50:#0891b2;--p90:#7c3aed;--p99:#e11d48;--max:#64748b;--eff:#059669;--wait:#f97316;--service:#3b82f6;
--cap:#94a3b8;--avg:#6366f1;--peak:#111827;--good:#15803d;--good-bg:#e8f6ee;--bad:#c81e1e;--bad-bg:#fdecec;--warn:#b45309;--warn-bg:#fdf3e1;--nstar:#7c3aed}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--panel:#171a21;--ink:#e7e9ee;--muted:#9aa3b2;--faint:#262a33;--grid:#232730;--axis:#5b6372;
--tput:#60a5fa;--fit:#fbbf24;--p50:#22d3ee;--p90:#a78bfa;--p99:#fb7185;--max:#94a3b8;--eff:#34d399;--wait:#fb923c;--service:#60a5fa;
--cap:#64748b;--avg:#818cf8;--peak:#e5e7eb;--good:#4ade80;--good-bg:#12291c;--bad:#f87171;--bad-bg:#2d1414;--warn:#fbbf24;--warn-bg:#2b2210;--nstar:#c4b5fd}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1280px;margin:0 auto;padding:28px 28px 48px}
@media (max-width:600px){main{padding:16px 12px 32px}figure{padding:10px 6px 4px}}
h1{font-size:26px;line-height:1.2;margin:2px 0 6px;word-break:break-word}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:14px;margin:0}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:11.5px;color:var(--muted);font-weight:600}
.meta{color:var(--muted);margin:0}
.nw{white-space:nowrap}
.num,td.n,th.n{font-variant-numeric:tabular-nums}
header.top{display:flex;flex-wrap:wrap;gap:18px 28px;align-items:flex-start;justify-content:space-between;margin-bottom:20px}
header.top>div:first-child{flex:1 1 420px;min-width:0}
.verdict{border-radius:10px;padding:12px 16px;min-width:280px;max-width:520px;border:1px solid transparent}
.verdict .kind{font-size:18px;font-weight:700}
.verdict .why{margin-top:2px;font-size:13px}
.tone-good{background:var(--good-bg);border-color:color-mix(in srgb,var(--good) 35%,transparent)}.tone-good .kind{color:var(--good)}
.tone-warn{background:var(--warn-bg);border-color:color-mix(in srgb,var(--warn) 35%,transparent)}.tone-warn .kind{color:var(--warn)}
.tone-bad{background:var(--bad-bg);border-color:color-mix(in srgb,var(--bad) 35%,transparent)}.tone-bad .kind{color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:20px}
.card{background:var(--panel);border:1px solid var(--faint);border-radius:10px;padding:12px 14px}
.card .label{color:var(--muted);font-size:12px;font-weight:600}
.card .value{font-size:24px;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums}
.card .value small{font-size:13px;font-weight:500;color:var(--muted)}
.card .sub{color:var(--muted);font-size:12px;line-height:1.35;margin-top:2px}
.card.good .value{color:var(--good)}.card.bad .value{color:var(--bad)}.card.warn .value{color:var(--warn)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(520px,100%),1fr));gap:16px;margin-bottom:20px}
figure{margin:0;background:var(--panel);border:1px solid var(--faint);border-radius:10px;padding:14px 14px 8px}
figcaption{margin-bottom:4px}
figcaption p{margin:2px 0 0;color:var(--muted);font-size:12.5px}
svg.chart{width:100%;height:auto;display:block;overflow:visible}
svg.chart text{fill:var(--muted);stroke:none;font-size:11px;font-family:inherit}
svg.chart .tick{font-variant-numeric:tabular-nums}
svg.chart .axis-title{fill:var(--ink);font-size:11.5px;font-weight:600}
svg.chart .legend{fill:var(--ink)}
svg.chart .grid{stroke:var(--grid);stroke-width:1}
svg.chart .axis{stroke:var(--axis);stroke-width:1}
svg.chart .s{fill:none;stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}
svg.chart .dash{stroke-dasharray:6 4}
svg.chart .pt{stroke:var(--panel);stroke-width:1.5}
svg.chart .hit{fill:transparent}
svg.chart .pt-g:hover .pt,svg.chart .pt-g:focus .pt{r:5.5}
svg.chart .ref{stroke-width:1.5;stroke-dasharray:4 3}
svg.chart .ref-label{font-weight:600}
svg.chart .vmark{stroke-width:1.5;stroke-dasharray:3 3}
svg.chart .vmark-label{font-weight:700}
svg.chart .band{opacity:.09}
svg.chart .band-label{font-weight:600;font-size:10.5px}
svg.chart .outline{fill:none;stroke-width:1.5;stroke-dasharray:3 2}
svg.chart .tickmark{stroke-width:3;stroke-linecap:round}
svg.chart .bar-g:hover rect{opacity:.8}
.tput{stroke:var(--tput);fill:var(--tput)}.fit{stroke:var(--fit);fill:var(--fit)}
.p50{stroke:var(--p50);fill:var(--p50)}.p90{stroke:var(--p90);fill:var(--p90)}.p99{stroke:var(--p99);fill:var(--p99)}.max{stroke:var(--max);fill:var(--max)}
.eff{stroke:var(--eff);fill:var(--eff)}.wait{stroke:var(--wait);fill:var(--wait)}.service{stroke:var(--service);fill:var(--service)}
.part-scheduleDelay{fill:#b07cc6;stroke:#b07cc6}.part-poolWait{fill:#e8a33d;stroke:#e8a33d}.part-nativeQueue{fill:#d9534f;stroke:#d9534f}.part-nativeRun{fill:#4a90d9;stroke:#4a90d9}.part-delivery{fill:#5cb85c;stroke:#5cb85c}.part-other{fill:#9aa5b1;stroke:#9aa5b1}
.cap{stroke:var(--cap);fill:var(--cap)}.avg{stroke:var(--avg);fill:var(--avg)}.peak{stroke:var(--peak);fill:var(--peak)}
.good{stroke:var(--good);fill:var(--good)}.bad{stroke:var(--bad);fill:var(--bad)}.nstar{stroke:var(--nstar);fill:var(--nstar)}.slo{stroke:var(--bad);fill:var(--bad)}
svg.chart text.good{fill:var(--good)}svg.chart text.bad,svg.chart text.slo{fill:var(--bad)}svg.chart text.fit{fill:var(--fit)}svg.chart text.eff{fill:var(--eff)}
svg.chart .marker.good text{fill:var(--good)}svg.chart .marker.bad text{fill:var(--bad)}svg.chart .marker.nstar text{fill:var(--nstar)}
svg.chart .outline.cap{fill:none}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));gap:16px;margin-bottom:20px}
section.panel{background:var(--panel);border:1px solid var(--faint);border-radius:10px;padding:16px 18px}
ul.plain{margin:0;padding-left:18px}ul.plain li{margin:3px 0}
ul.advice{list-style:none;margin:0;padding:0}ul.advice li{margin:6px 0;padding:8px 12px;border-radius:8px;background:color-mix(in srgb,var(--tput) 8%,transparent);border-left:3px solid var(--tput)}
.subhead{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:700;margin:14px 0 6px}
.subhead:first-child{margin-top:0}
.callout{border-radius:8px;padding:10px 12px;margin:8px 0;border-left:3px solid var(--warn);background:var(--warn-bg)}
.callout.bad{border-left-color:var(--bad);background:var(--bad-bg)}
.callout .title{font-weight:700}
.callout ul{margin:4px 0 0;padding-left:0;list-style:none}.callout li{margin:3px 0;word-break:break-word}
.ok-note{color:var(--good);font-weight:600}
.warnings li{color:var(--ink)}
.table-wrap{overflow-x:auto;background:var(--panel);border:1px solid var(--faint);border-radius:10px;margin-bottom:20px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 8px;text-align:left;white-space:nowrap;border-bottom:1px solid var(--faint)}
thead th{position:sticky;top:0;background:var(--panel);font-size:12px;color:var(--muted);font-weight:600;vertical-align:bottom}
th .unit{display:block;font-weight:400;font-size:11px}
td.n,th.n{text-align:right}
td.tags{white-space:normal;min-width:110px}td.tags .tag{margin:1px 4px 1px 0}
tbody tr:last-child td{border-bottom:0}
tbody tr:hover td{background:color-mix(in srgb,var(--tput) 6%,transparent)}
tr.optimal td:first-child{box-shadow:inset 3px 0 var(--good)}
tr.breaking td:first-child{box-shadow:inset 3px 0 var(--bad)}
tr.refined td:first-child{font-style:italic}
td.badcell{color:var(--bad);font-weight:600}
.tag{display:inline-block;font-size:11px;font-weight:600;padding:1px 7px;border-radius:999px;margin-right:4px;background:var(--faint);color:var(--muted)}
.tag.good{background:var(--good-bg);color:var(--good);stroke:none}.tag.bad{background:var(--bad-bg);color:var(--bad);stroke:none}.tag.warn{background:var(--warn-bg);color:var(--warn)}
.yes{color:var(--good);font-weight:700}.no{color:var(--bad);font-weight:700}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;font-variant-numeric:tabular-nums;word-break:break-word}
footer{color:var(--muted);font-size:12px;margin-top:8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.tip{position:fixed;display:none;pointer-events:none;z-index:10;background:var(--ink);color:var(--panel);padding:5px 9px;border-radius:6px;font-size:12px;max-width:340px;box-shadow:0 4px 14px rgba(0,0,0,.2)}
@media print{body{background:#fff}.charts,.panels{grid-template-columns:1fr 1fr}figure,section.panel,.card{break-inside:avoid}}
`

const SCRIPT = `(function(){var tip=document.createElement('div');tip.className='tip';document.body.appendChild(tip);
document.querySelectorAll('[data-tip]').forEach(function(el){var t=el.querySelector(':scope > title');if(t)t.remove();});
function show(el,x,y){tip.textContent=el.getAttribute('data-tip');tip.style.display='block';var w=tip.offsetWidth,h=tip.offsetHeight;
tip.style.left=Math.min(x+14,window.innerWidth-w-8)+'px';tip.style.top=(y+h+20>window.innerHeight?y-h-10:y+14)+'px';}
document.addEventListener('pointermove',function(e){var el=e.target&&e.target.closest?e.target.closest('[data-tip]'):null;if(el)show(el,e.clientX,e.clientY);else tip.style.display='none';});
document.addEventListener('focusin',function(e){var el=e.target&&e.target.closest?e.target.closest('[data-tip]'):null;if(!el){tip.style.display='none';return;}var r=el.getBoundingClientRect();show(el,r.right,r.top);});
})();`

function card(label: string, value: string, sub: string, tone = ''): string {
  return `<div class="card ${tone}"><div class="label">${esc(label)}</div><div class="value">${value}</div><div class="sub">${sub}</div></div>`
}

/** Who a native call waits for: the search threads (when the engine reported them) and libuv's workers. */
function nativeWorkers(e: ScalabilityReport['environment']): string {
  const libuv = `${e.uvThreadpoolSize} libuv workers`
  return e.engine?.searchThreads === undefined
    ? libuv
    : `${e.engine.searchThreads} search threads for searches, ${libuv} for other calls`
}

function figure(title: string, caption: string, svg: string): string {
  return `<figure><figcaption><h3>${esc(title)}</h3><p>${caption}</p></figcaption>${svg}</figure>`
}

/** Whether the levels span enough ({@link LOG_AXIS_MIN_SPAN}) to need a log x axis. */
function wantsLogX(xs: number[]): boolean {
  const pos = xs.filter(x => x > 0)
  return pos.length > 2 && Math.max(...pos) / Math.min(...pos) >= LOG_AXIS_MIN_SPAN
}

/**
 * The USL curve to draw: recomputed from the fitted parameters on a dense grid (log-spaced on a
 * log axis, where the report's linear grid is too coarse at the low end) over the range of the
 * report's `fittedCurve`; the stored curve itself when there are no parameters.
 */
function fittedCurve(report: ScalabilityReport, log: boolean): [number, number][] {
  const stored = report.fittedCurve.filter(([n, x]) => Number.isFinite(n) && Number.isFinite(x))
  const u = report.usl
  if (!u || stored.length < 2) return stored
  const lo = Math.max(1e-3, Math.min(...stored.map(([n]) => n), ...report.levels.map(r => r.concurrency)))
  const hi = Math.max(...stored.map(([n]) => n))
  const out: [number, number][] = []
  const steps = 160
  for (let i = 0; i <= steps; i++) {
    const n = log ? lo * (hi / lo) ** (i / steps) : lo + ((hi - lo) * i) / steps
    const x = uslThroughput(u, n)
    if (Number.isFinite(x)) out.push([n, x])
  }
  return out
}

function charts(report: ScalabilityReport, options: HtmlReportOptions): string {
  const rows = report.levels
  const model = report.loadModel
  const xLabel = model === 'open' ? 'mean requests in flight (concurrency)' : 'concurrent users'
  const xs = rows.map(r => r.concurrency)
  const xLog = wantsLogX(xs)
  const who = (r: LevelRow): string =>
    model === 'open'
      ? `${formatLevel(r.level)}/s offered (${formatNumber(r.concurrency, 1)} in flight)`
      : levelWithUnit(r.level, model)
  const out: string[] = []

  // 1. Throughput with the fitted USL curve and the verdict's markers.
  const markers: VMarker[] = []
  if (report.optimalConcurrentUsers !== null)
    markers.push({
      x: report.optimalConcurrentUsers,
      label: `optimal ${formatLevel(report.optimalConcurrentUsers)}`,
      cls: 'good',
      tip: `optimal: the smallest level within ${formatPlainPercent(OPTIMAL_THROUGHPUT_TOLERANCE)} of the best throughput that meets the SLO`,
    })
  if (report.peakConcurrency !== null)
    markers.push({
      x: report.peakConcurrency,
      label: `N* ${formatSig(report.peakConcurrency, 3)}`,
      cls: 'nstar',
      tip: 'N*: fitted concurrency of peak throughput, √((1 − σ)/κ)',
    })
  if (report.scalabilityBreakingPoint !== null)
    markers.push({
      x: report.scalabilityBreakingPoint,
      label: `breaking ${formatLevel(report.scalabilityBreakingPoint)}`,
      cls: 'bad',
      tip: `breaking point: ${report.breakingReason ?? ''}`,
    })
  const maxT = Math.max(...rows.map(r => r.throughput))
  const hLines: HLine[] = []
  const ceiling = report.usl?.throughputCeiling ?? null
  if (ceiling !== null && Number.isFinite(ceiling) && ceiling <= maxT * 1.6 && ceiling > 0)
    hLines.push({ y: ceiling, label: `USL ceiling ${formatRate(ceiling)} req/s`, cls: 'fit', anchor: 'start' })
  const fitted = fittedCurve(report, xLog)
  const legend: LegendItem[] = [{ label: 'measured', cls: 'tput', shape: 'line' }]
  if (fitted.length > 0) legend.push({ label: 'fitted USL', cls: 'fit', shape: 'dashed' })
  out.push(
    figure(
      'Throughput',
      report.usl
        ? `Successful requests per second against load, with the fitted Universal Scalability Law curve (λ ${esc(formatSig(report.usl.lambda, 3))}, σ ${esc(formatSig(report.usl.sigma, 3))}, κ ${esc(formatSig(report.usl.kappa, 3))}, R² ${esc(formatNumber(report.usl.rSquared, 3))}).`
        : `Successful requests per second against load. No USL fit${report.uslError ? `: ${esc(report.uslError)}` : ''}.`,
      lineChart({
        id: 'chart-throughput',
        title: 'Throughput against load',
        xLabel,
        yLabel: 'throughput (req/s)',
        xLog,
        series: [
          ...(fitted.length > 0
            ? [{ name: 'fitted USL', cls: 'fit', points: fitted, dashed: true, markers: false }]
            : []),
          {
            name: 'measured',
            cls: 'tput',
            points: rows.map(r => [r.concurrency, r.throughput] as [number, number]),
            tips: rows.map(
              r =>
                `${who(r)}: ${formatRate(r.throughput)} req/s, p99 ${formatMs(r.p99Ms)} ms${r.refined ? ' (refined)' : ''}`,
            ),
          },
        ],
        markers,
        hLines,
        legend,
      }),
    ),
  )

  // 2. Latency percentiles.
  const p50 = rows.map(r => r.p50Ms)
  const maxes = rows.map(r => r.maxMs)
  const positive = [...p50, ...maxes].filter(v => v > 0)
  const scale = options.latencyScale ?? 'auto'
  const yLog =
    positive.length > 0 && (scale === 'log' || (scale === 'auto' && Math.max(...positive) / Math.min(...positive) > 30))
  const slo = report.slo?.p99Ms
  const latencySeries = [
    { name: 'max', cls: 'max', key: 'maxMs' as const, dashed: true },
    { name: 'p99', cls: 'p99', key: 'p99Ms' as const },
    { name: 'p90', cls: 'p90', key: 'p90Ms' as const },
    { name: 'p50', cls: 'p50', key: 'p50Ms' as const },
  ]
  out.push(
    figure(
      'Response time',
      `Percentiles of successful responses, from the intended start (coordinated omission corrected)${yLog ? '; log scale' : ''}.${slo !== undefined ? ` Dashed red: the SLO (p99 ≤ ${esc(formatPlain(slo))} ms).` : ''}`,
      lineChart({
        id: 'chart-latency',
        title: 'Response-time percentiles against load',
        xLabel,
        yLabel: 'response time (ms)',
        xLog,
        yLog,
        series: latencySeries.map(s => ({
          name: s.name,
          cls: s.cls,
          dashed: s.dashed,
          points: rows.map(r => [r.concurrency, r[s.key]] as [number, number]),
          tips: rows.map(r => `${who(r)}: ${s.name} ${formatMs(r[s.key])} ms`),
        })),
        hLines:
          slo !== undefined ? [{ y: slo, label: `SLO p99 ${formatPlain(slo)} ms`, cls: 'slo', anchor: 'start' }] : [],
        markers:
          report.scalabilityBreakingPoint !== null
            ? [
                {
                  x: report.scalabilityBreakingPoint,
                  label: `breaking ${formatLevel(report.scalabilityBreakingPoint)}`,
                  cls: 'bad',
                },
              ]
            : [],
        legend: [...latencySeries]
          .reverse()
          .map(s => ({ label: s.name, cls: s.cls, shape: s.dashed ? ('dashed' as const) : ('line' as const) })),
      }),
    ),
  )

  // 3. Efficiency.
  const eff =
    report.efficiencyCurve.length === rows.length
      ? report.efficiencyCurve
      : rows.map(r => [r.concurrency, r.efficiency * 100] as [number, number])
  const range = report.linearScalingRange
  out.push(
    figure(
      'Scaling efficiency',
      `Throughput per user relative to the smallest level (100 % = perfectly linear). Levels at or above the ${formatPlainPercent(LINEAR_EFFICIENCY)} line scale linearly${range ? `: ${esc(formatLevel(range[0]))} → ${esc(formatLevel(range[1]))}` : '; none beyond the first'}.`,
      lineChart({
        id: 'chart-efficiency',
        title: 'Scaling efficiency against load',
        xLabel,
        yLabel: 'efficiency (%)',
        xLog,
        yMax: Math.max(110, ...eff.map(([, e]) => e)),
        series: [
          {
            name: 'efficiency',
            cls: 'eff',
            points: eff,
            tips: rows.map((r, i) => `${who(r)}: ${formatNumber(eff[i]?.[1] ?? r.efficiency * 100, 1)} % efficiency`),
          },
        ],
        hLines: [
          { y: LINEAR_EFFICIENCY * 100, label: `${formatPlainPercent(LINEAR_EFFICIENCY)} (linear)`, cls: 'eff' },
        ],
        bands:
          range && range[1] > range[0] ? [{ from: range[0], to: range[1], label: 'linear range', cls: 'eff' }] : [],
        legend: [{ label: 'efficiency', cls: 'eff', shape: 'line' }],
      }),
    ),
  )

  // 4. Pool usage.
  const levelLabel = (r: LevelRow): string => `${r.refined ? '*' : ''}${formatLevel(r.level)}`
  out.push(
    figure(
      'Connection pool',
      'Leases in use per level: the time-averaged number (bar) and the peak (tick) against the pool size (dashed outline). A bar that fills its outline means requests queued for a lease.',
      barChart({
        id: 'chart-pool',
        title: 'Pool usage per level',
        xLabel: model === 'open' ? 'offered rate (req/s)' : 'users',
        yLabel: 'leases',
        groups: rows.map(r => ({
          label: levelLabel(r),
          outline: { value: r.poolSize, cls: 'cap', tip: `${who(r)}: pool size ${r.poolSize}` },
          stack: [
            {
              value: r.poolAverageUsage,
              cls: 'avg',
              tip: `${who(r)}: ${formatNumber(r.poolAverageUsage, 2)} leases in use on average of ${r.poolSize}`,
            },
          ],
          tick: {
            value: r.poolPeakUsage,
            cls: 'peak',
            tip: `${who(r)}: peak ${formatNumber(r.poolPeakUsage)} of ${r.poolSize} leases`,
          },
        })),
        legend: [
          { label: 'average in use', cls: 'avg', shape: 'box' },
          { label: 'peak', cls: 'peak', shape: 'line' },
          { label: 'pool size', cls: 'cap', shape: 'outline' },
        ],
      }),
    ),
  )

  // 5. Where the time goes: the six additive parts of the mean response time, per level.
  const results = report.testResults
  out.push(
    figure(
      'Where the time goes',
      `Mean response time (from the intended start) split into its parts, bottom to top as a request meets them: schedule delay (intended → actual start), pool wait, native queue (waiting for a native worker: ${esc(nativeWorkers(report.environment))}), native run (on the worker), delivery (worker done → JS resumes) and other (JS work of the target and the harness). The parts add up to the bar. Each bar's tooltip names the level's bottleneck.`,
      barChart({
        id: 'chart-breakdown',
        title: 'Mean response time by part, per level',
        xLabel: model === 'open' ? 'offered rate (req/s)' : 'users',
        yLabel: 'mean time (ms)',
        groups: rows.map((r, i) => {
          const b = results[i]?.timeBreakdown
          const response = results[i]?.responseTime.mean ?? 0
          const bound = results[i]?.bottleneck
          return {
            label: levelLabel(r),
            stack: TIME_PARTS.map(part => {
              const mean = b ? Math.max(0, b[part].mean) : 0
              return {
                value: mean,
                cls: `part-${part}`,
                tip: `${who(r)}: ${TIME_PART_LABELS[part]} ${formatMs(mean)} ms (${formatPercent(response > 0 ? mean / response : 0, 0)} %), p99 ${formatMs(b ? b[part].p99 : 0)} ms${bound && bound.resource !== 'none' ? ` · bound by ${bound.resource}` : ''}`,
              }
            }),
          }
        }),
        legend: TIME_PARTS.map(part => ({ label: TIME_PART_LABELS[part], cls: `part-${part}`, shape: 'box' as const })),
      }),
    ),
  )
  // 6. CPU and errors.
  const cpuKnown = rows.some(r => r.cpuUtilization !== null)
  out.push(
    figure(
      'CPU and errors',
      `Busy share of all ${esc(String(report.environment.cores))} cores (whole process: main thread, libuv and engine threads) and the share of requests that failed or timed out. Dashed red: the error budget (${esc(formatPlain(errorBudget(report) * 100))} %).`,
      lineChart({
        id: 'chart-cpu-errors',
        title: 'CPU utilisation and error rate against load',
        xLabel,
        yLabel: 'percent',
        xLog,
        yMax: Math.max(
          10,
          ...rows.map(r => Math.max((r.cpuUtilization ?? 0) * 100, r.errorRate * 100)),
          errorBudget(report) * 100 * 1.2,
        ),
        yHeadroom: false,
        series: [
          ...(cpuKnown
            ? [
                {
                  name: 'CPU',
                  cls: 'service',
                  points: rows
                    .filter(r => r.cpuUtilization !== null)
                    .map(r => [r.concurrency, (r.cpuUtilization ?? 0) * 100] as [number, number]),
                  tips: rows
                    .filter(r => r.cpuUtilization !== null)
                    .map(
                      r =>
                        `${who(r)}: CPU ${formatPercent(r.cpuUtilization, 1)} % busy, ${formatSig(r.cpuMsPerRequest, 3)} ms CPU per request`,
                    ),
                },
              ]
            : []),
          {
            name: 'errors',
            cls: 'p99',
            points: rows.map(r => [r.concurrency, r.errorRate * 100] as [number, number]),
            tips: rows.map(r => `${who(r)}: ${formatPercent(r.errorRate)} % errors`),
          },
        ],
        hLines: [
          {
            y: errorBudget(report) * 100,
            label: `error budget ${formatPlain(errorBudget(report) * 100)} %`,
            cls: 'slo',
            anchor: 'start',
          },
        ],
        legend: [
          ...(cpuKnown ? [{ label: 'CPU busy', cls: 'service', shape: 'line' as const }] : []),
          { label: 'errors', cls: 'p99', shape: 'line' },
        ],
      }),
    ),
  )
  return `<section class="charts">${out.join('')}</section>`
}

function levelTable(report: ScalabilityReport): string {
  const model = report.loadModel
  const slo = report.slo
  const budget = errorBudget(report)
  const opt = rowAt(report, report.optimalConcurrentUsers)
  const brk = rowAt(report, report.scalabilityBreakingPoint)
  const head: Array<[string, string, boolean]> = [
    [model === 'open' ? 'rate' : 'users', model === 'open' ? '/s' : '', true],
    ...(model === 'open' ? ([['in flight', 'mean', true]] as Array<[string, string, boolean]>) : []),
    ['throughput', 'req/s', true],
    ['p50', 'ms', true],
    ['p90', 'ms', true],
    ['p99', 'ms', true],
    ['max', 'ms', true],
    ['errors', '%', true],
    ['efficiency', '%', true],
    ['pool wait', 'mean ms', true],
    ['pool wait', 'p99 ms', true],
    ['service', 'mean ms', true],
    ['pool', 'peak / avg / size', true],
    ['CPU', '%', true],
    ['CPU', 'ms / req', true],
    ['contention', '%', true],
    ['bound', 'by', false],
    ["Little's", 'law', false],
    ['SLO', '', false],
    ['', '', false],
  ]
  const th = head
    .map(
      ([name, unit, n]) =>
        `<th class="${n ? 'n' : ''}">${esc(name)}${unit ? `<span class="unit">${esc(unit)}</span>` : ''}</th>`,
    )
    .join('')
  const body = report.levels
    .map(r => {
      const cls = [r === opt ? 'optimal' : '', r === brk ? 'breaking' : '', r.refined ? 'refined' : '']
        .filter(Boolean)
        .join(' ')
      const tags: string[] = []
      if (r === opt) tags.push('<span class="tag good">optimal</span>')
      if (report.saturation && r.level === report.saturation.level) tags.push('<span class="tag warn">saturated</span>')
      if (r.hungCalls > 0) tags.push(`<span class="tag bad">${esc(formatNumber(r.hungCalls))} hung</span>`)
      if (r === brk) tags.push('<span class="tag bad">breaking point</span>')
      if (r.deadlockDetected) tags.push('<span class="tag bad">deadlock</span>')
      if (r.refined) tags.push('<span class="tag">refined</span>')
      if (r.droppedStarts > 0) tags.push(`<span class="tag warn">${esc(formatNumber(r.droppedStarts))} dropped</span>`)
      const p99Bad = slo?.p99Ms !== undefined && r.p99Ms > slo.p99Ms
      const cells = [
        `<td class="n"><b>${esc(formatLevel(r.level))}</b></td>`,
        ...(model === 'open' ? [`<td class="n">${esc(formatNumber(r.concurrency, 1))}</td>`] : []),
        `<td class="n">${esc(formatRate(r.throughput))}</td>`,
        `<td class="n">${esc(formatMs(r.p50Ms))}</td>`,
        `<td class="n">${esc(formatMs(r.p90Ms))}</td>`,
        `<td class="n${p99Bad ? ' badcell' : ''}">${esc(formatMs(r.p99Ms))}</td>`,
        `<td class="n">${esc(formatMs(r.maxMs))}</td>`,
        `<td class="n${r.errorRate > budget ? ' badcell' : ''}">${esc(formatPercent(r.errorRate))}</td>`,
        `<td class="n">${esc(formatPercent(r.efficiency, 0))}</td>`,
        `<td class="n">${esc(formatMs(r.poolWaitMeanMs))}</td>`,
        `<td class="n">${esc(formatMs(r.poolWaitP99Ms))}</td>`,
        `<td class="n">${esc(formatMs(r.serviceMeanMs))}</td>`,
        `<td class="n">${esc(`${formatNumber(r.poolPeakUsage)} / ${formatNumber(r.poolAverageUsage, 1)} / ${formatNumber(r.poolSize)}`)}</td>`,
        `<td class="n">${esc(r.cpuUtilization === null ? '–' : formatPercent(r.cpuUtilization, 1))}</td>`,
        `<td class="n">${esc(r.cpuMsPerRequest === null ? '–' : formatSig(r.cpuMsPerRequest, 3))}</td>`,
        `<td class="n">${esc(formatNumber(r.contention, 0))}</td>`,
        `<td>${r.bottleneck === 'none' ? '–' : `<span class="tag warn">${esc(r.bottleneck)}</span>`}</td>`,
        `<td>${r.littlesLawConsistent === null ? '–' : r.littlesLawConsistent ? '<span class="yes">holds</span>' : '<span class="no">off</span>'}</td>`,
        `<td>${r.sloMet ? '<span class="yes" title="met">✓</span>' : '<span class="no" title="not met">✗</span>'}</td>`,
        `<td class="tags">${tags.join('')}</td>`,
      ]
      return `<tr class="${cls}">${cells.join('')}</tr>`
    })
    .join('')
  return `<h2>Levels</h2><div class="table-wrap"><table id="levels"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`
}

function summaryCards(report: ScalabilityReport): string {
  const model = report.loadModel
  const cards: string[] = []
  const opt = rowAt(report, report.optimalConcurrentUsers)
  cards.push(
    report.optimalConcurrentUsers !== null
      ? card(
          model === 'open' ? 'Optimal load' : 'Optimal users',
          esc(formatLevel(report.optimalConcurrentUsers)),
          opt ? `${esc(formatRate(opt.throughput))} req/s · p99 ${esc(formatMs(opt.p99Ms))} ms` : '',
          'good',
        )
      : card(model === 'open' ? 'Optimal load' : 'Optimal users', 'none', 'no level met the SLO', 'bad'),
  )
  const best = bestThroughput(report)
  if (best)
    cards.push(
      card(
        'Best throughput',
        `${esc(formatRate(best.throughput))} <small>req/s</small>`,
        `at ${esc(levelWithUnit(best.level, model))}`,
      ),
    )
  const ceiling = report.usl?.throughputCeiling ?? null
  cards.push(
    report.peakConcurrency !== null
      ? card(
          'Fitted peak N*',
          esc(formatSig(report.peakConcurrency, 3)),
          ceiling !== null ? `USL ceiling ${esc(formatRate(ceiling))} req/s` : 'USL peak concurrency',
        )
      : card(
          'Fitted peak N*',
          'none',
          report.usl
            ? ceiling !== null
              ? `levels off towards ${esc(formatRate(ceiling))} req/s`
              : 'no peak in the fit'
            : 'no USL fit',
        ),
  )
  const sat = report.saturation
  cards.push(
    sat !== null
      ? card(
          'Saturated at',
          esc(formatLevel(sat.level)),
          esc(describeSaturation(sat, formatRate, n => levelWithUnit(n, model))),
          'warn',
        )
      : card('Saturated at', 'none', 'no level past the peak cost only latency', 'good'),
  )
  cards.push(
    card(
      'Bottleneck',
      esc(report.bottleneck.resource),
      esc(report.bottleneck.evidence),
      report.bottleneck.resource === 'none' ? 'good' : 'warn',
    ),
  )
  cards.push(
    report.scalabilityBreakingPoint !== null
      ? card(
          'Breaking point',
          esc(formatLevel(report.scalabilityBreakingPoint)),
          esc(report.breakingReason ?? ''),
          'bad',
        )
      : card(
          'Breaking point',
          'none',
          `held up to ${esc(levelWithUnit(report.levels[report.levels.length - 1].level, model))}`,
          'good',
        ),
  )
  const range = report.linearScalingRange
  cards.push(
    card(
      'Linear range',
      range ? `${esc(formatLevel(range[0]))} → ${esc(formatLevel(range[1]))}` : 'none',
      `efficiency ≥ ${formatPlainPercent(LINEAR_EFFICIENCY)}`,
    ),
  )
  if (report.resourceContentionScore !== null) {
    cards.push(
      card(
        'Contention',
        `${esc(formatNumber(report.resourceContentionScore, 1))} <small>%</small>`,
        'of response time waiting for pool leases, the native thread pool and locks',
        report.resourceContentionScore > WAIT_SHARE * 100 ? 'warn' : '',
      ),
    )
  }
  if (report.usl)
    cards.push(
      card(
        'USL fit R²',
        esc(formatNumber(report.usl.rSquared, 3)),
        `λ ${esc(formatWithError(report.usl.lambda, report.usl.standardErrors.lambda))} req/s`,
        report.usl.rSquared < USL_MIN_R_SQUARED ? 'warn' : '',
      ),
    )
  return `<section class="cards">${cards.join('')}</section>`
}

function recommendationPanel(report: ScalabilityReport): string {
  const r = report.recommendation
  const u = report.usl
  const uslRows = u
    ? `<div class="subhead">USL fit</div><dl class="kv">
<dt>λ (single-user throughput)</dt><dd>${esc(formatWithError(u.lambda, u.standardErrors.lambda))} req/s</dd>
<dt>σ (serial fraction)</dt><dd>${esc(formatWithError(u.sigma, u.standardErrors.sigma))}</dd>
<dt>κ (coherency)</dt><dd>${esc(formatWithError(u.kappa, u.standardErrors.kappa))}</dd>
<dt>R²</dt><dd>${esc(formatNumber(u.rSquared, 3))}</dd>
<dt>N* (peak)</dt><dd>${esc(u.peakConcurrency === null ? 'none' : formatSig(u.peakConcurrency, 3))}</dd>
<dt>ceiling</dt><dd>${esc(u.throughputCeiling === null ? 'unbounded' : `${formatRate(u.throughputCeiling)} req/s`)}</dd></dl>`
    : `<div class="subhead">USL fit</div><p class="meta">${esc(report.uslError ?? 'none')}</p>`
  return `<section class="panel"><h2>Recommendation: ${esc(RECOMMENDATION_TITLES[r.kind])} <span class="tag">${esc(r.kind)}</span></h2>
<div class="subhead">Advice</div>${r.advice.length > 0 ? `<ul class="advice">${r.advice.map(a => `<li>${esc(a)}</li>`).join('')}</ul>` : '<p class="meta">none</p>'}
<div class="subhead">Why</div>${r.reasons.length > 0 ? `<ul class="plain">${r.reasons.map(a => `<li>${esc(a)}</li>`).join('')}</ul>` : '<p class="meta">no reasons given</p>'}
${uslRows}</section>`
}

function findingsPanel(report: ScalabilityReport): string {
  const callouts = detectorCallouts(report)
  const warnings = collectWarnings(report)
  const parts: string[] = ['<section class="panel"><h2>Findings</h2>', '<div class="subhead">Deadlock detector</div>']
  if (callouts.length === 0) {
    parts.push('<p class="ok-note">✓ No deadlock, stall, pool exhaustion or blocked event loop at any level.</p>')
  } else {
    for (const c of callouts) {
      const extra = Object.entries(c.moreByKind).map(
        ([k, n]) => `<li>+${esc(formatNumber(n))} more ${esc(k)} finding${n === 1 ? '' : 's'} (counted, not kept)</li>`,
      )
      parts.push(
        `<div class="callout${c.deadlock ? ' bad' : ''}"><div class="title">${esc(levelWithUnit(c.level, report.loadModel))}: ${c.deadlock ? 'deadlock or total stall' : `${c.findings.length} finding${c.findings.length === 1 ? '' : 's'}`}</div><ul>${c.findings
          .map(
            f =>
              `<li><span class="tag ${f.kind === 'deadlock' || f.kind === 'stall' ? 'bad' : 'warn'}">${esc(f.kind)}</span>${esc(f.text)}</li>`,
          )
          .join('')}${extra.join('')}</ul></div>`,
      )
    }
  }
  parts.push('<div class="subhead">Warnings</div>')
  if (warnings.length === 0) parts.push('<p class="ok-note">✓ None.</p>')
  else parts.push(`<ul class="plain warnings">${warnings.map(w => `<li>${esc(w.text)}</li>`).join('')}</ul>`)
  // Event loop per level: what the detector measured even without findings.
  const loops = levelResults(report).filter(x => x.result?.detector)
  if (loops.length > 0) {
    parts.push(
      '<div class="subhead">Event loop per level</div><div class="table-wrap" style="margin:0"><table><thead><tr><th class="n">level</th><th class="n">delay p99<span class="unit">ms</span></th><th class="n">delay max<span class="unit">ms</span></th><th class="n">blocked<span class="unit">episodes</span></th><th class="n">timed out, still running<span class="unit">peak</span></th></tr></thead><tbody>',
    )
    for (const { row, result } of loops) {
      const d = result!.detector!
      parts.push(
        `<tr><td class="n">${esc(formatLevel(row.level))}</td><td class="n">${esc(formatMs(d.eventLoop.p99DelayMs))}</td><td class="n">${esc(formatMs(d.eventLoop.maxDelayMs))}</td><td class="n">${esc(formatNumber(d.eventLoop.blockedEpisodes))}</td><td class="n">${esc(formatNumber(d.threadPool.peakTimedOutStillRunning))}</td></tr>`,
      )
    }
    parts.push('</tbody></table></div>')
  }
  parts.push('</section>')
  return parts.join('')
}

function environmentPanel(report: ScalabilityReport): string {
  const e = report.environment
  const s = report.sweep
  const kv = (pairs: Array<[string, string]>): string =>
    `<dl class="kv">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`
  const sloText = report.slo
    ? [
        report.slo.p99Ms !== undefined ? `p99 ≤ ${formatPlain(report.slo.p99Ms)} ms` : null,
        `errors ≤ ${formatPlain(errorBudget(report) * 100)} %`,
      ]
        .filter(Boolean)
        .join(', ')
    : `none (error budget ${formatPlain(errorBudget(report) * 100)} %)`
  return `<section class="panels"><section class="panel"><h2>Sweep</h2>${kv([
    ['target', report.target],
    ['load model', report.loadModel === 'open' ? 'open (arrival rate per second)' : 'closed (concurrent users)'],
    ['levels planned', s.levelsPlanned.map(formatLevel).join(', ')],
    ['levels measured', s.levelsMeasured.map(formatLevel).join(', ')],
    ['per level', `${formatNumber(s.warmUpMs)} ms warm-up, then ${formatNumber(s.durationMs)} ms measured`],
    ['stopped early', s.stoppedEarly ?? 'no'],
    ['SLO', sloText],
    ['seed', String(report.seed)],
    ['generated', report.generatedAt],
  ])}</section><section class="panel"><h2>Environment</h2>${kv([
    ['CPU', e.cpuModel],
    ['cores', String(e.cores)],
    ['CPU flags', e.cpuFlags === null ? 'unknown' : e.cpuFlags.join(', ') || 'none'],
    ['kernels', e.engine?.kernelIsa ?? 'not reported'],
    ['UV_THREADPOOL_SIZE', String(e.uvThreadpoolSize)],
    ['search threads', e.engine?.searchThreads === undefined ? 'not reported' : String(e.engine.searchThreads)],
    ['Node.js', e.nodeVersion],
    ['V8', e.v8Version],
    ['platform', `${e.platform} ${e.arch}`],
    ['package version', e.packageVersion ?? 'unknown'],
    ['git revision', e.gitRevision ?? 'none'],
    ['histograms', e.histogramBackend],
    ['report schema', `v${report.schemaVersion}`],
  ])}</section></section>`
}

/**
 * The report as one self-contained HTML page: verdict, key numbers, charts (throughput with
 * the fitted USL curve and markers for N*, the breaking point and the optimal level, latency percentiles, efficiency, pool
 * usage, pool wait vs service time), recommendation, detector findings, warnings, the level
 * table, environment, and the report JSON embedded for recovery.
 */
export function renderHtmlReport(report: ScalabilityReport, options: HtmlReportOptions = {}): string {
  const title = options.title ?? `Scalability report: ${report.target}`
  const kind = report.recommendation.kind
  const tone = RECOMMENDATION_TONE[kind]
  const levels = report.levels
  const first = levels[0]
  const last = levels[levels.length - 1]
  const meta = [
    report.loadModel === 'open' ? 'open model' : 'closed model',
    `${levels.length} level${levels.length === 1 ? '' : 's'}, ${formatLevel(first.level)} → ${levelWithUnit(last.level, report.loadModel)}`,
    `${formatNumber(report.sweep.durationMs)} ms per level after ${formatNumber(report.sweep.warmUpMs)} ms warm-up`,
    `seed ${report.seed}`,
    report.generatedAt
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC')
      .replace(/Z$/, ' UTC'),
  ]
  const headline = report.recommendation.advice[0] ?? report.recommendation.reasons[0] ?? ''
  const data =
    options.embedData === false
      ? ''
      : `<script type="application/json" id="report-data">${jsonForHtml(report)}</script>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@acme/vector-native ${esc(report.environment.packageVersion ?? '')}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="top">
<div><div class="eyebrow">Scalability report</div><h1>${esc(report.target)}</h1><p class="meta">${meta.map(m => `<span class="nw">${esc(m)}</span>`).join(' · ')}</p></div>
<div class="verdict tone-${tone}"><div class="eyebrow">Verdict</div><div class="kind">${esc(RECOMMENDATION_TITLES[kind])}</div><div class="why">${esc(headline)}</div></div>
</header>
${summaryCards(report)}
${charts(report, options)}
<section class="panels">${recommendationPanel(report)}${findingsPanel(report)}</section>
${levelTable(report)}
${levelMetricsPanel(report)}
${environmentPanel(report)}
<footer>Generated by @acme/vector-native${esc(report.environment.packageVersion ? ` ${report.environment.packageVersion}` : '')}, report schema v${esc(String(report.schemaVersion))}. The full report (every level's result and histograms) is embedded in this page: <code>JSON.parse(document.getElementById('report-data').textContent)</code>.</footer>
</main>
${data}
<script>${SCRIPT}</script>
</body>
</html>
`
}
