/**
 * The verdict for a terminal: headline and SLO, key facts (optimum, N*, breaking point, linear
 * range, contention, USL fit), then why, advice, detector findings, warnings and the files.
 */
import { LINEAR_EFFICIENCY, OPTIMAL_THROUGHPUT_TOLERANCE } from '../../analysis/constants.ts'
import { describeSaturation } from '../../analysis/scalability.ts'
import type { ScalabilityReport } from '../../sweep/types.ts'
import {
  formatLevel,
  formatMs,
  formatNumber,
  formatPlain,
  formatPlainPercent,
  formatRate,
  formatSig,
  formatWithError,
  levelWithUnit,
  pad,
  visibleWidth,
  wrap,
} from '../format.ts'
import {
  RECOMMENDATION_TITLES,
  RECOMMENDATION_TONE,
  collectWarnings,
  detectorCallouts,
  errorBudget,
  rowAt,
} from '../insights.ts'
import { type Style, type TerminalOptions, glyphs, paint, terminalText } from './ansi.ts'

/** Options of {@link renderSummary}. */
export interface SummaryOptions extends TerminalOptions {
  /** Files written (e.g. the result of `writeReports`): label → path. */
  files?: Record<string, string>
}

/**
 * The verdict: optimal users and N*, breaking point and why, linear range, contention and
 * coherency, the USL fit with standard errors and R², the recommendation with its reasons and
 * advice, detector findings per level (operations and resources named), warnings, and the files.
 */
export function renderSummary(report: ScalabilityReport, options: SummaryOptions = {}): string {
  const g = glyphs(options)
  const color = options.color === true
  const ascii = options.ascii
  const width = Math.max(40, options.width ?? 100)
  const model = report.loadModel
  const unit = (n: number): string => levelWithUnit(n, model)
  const lines: string[] = []
  const t = (s: string): string => terminalText(s, ascii)

  // Headline.
  const levels = report.levels
  const first = levels[0]
  const last = levels[levels.length - 1]
  lines.push(
    `  ${paint(color, 'bold', t(report.target))} ${paint(color, 'dim', t(`· ${model} model · ${levels.length} level${levels.length === 1 ? '' : 's'} ${formatLevel(first.level)} → ${unit(last.level)} · ${formatNumber(report.sweep.durationMs)} ms each after ${formatNumber(report.sweep.warmUpMs)} ms warm-up · seed ${report.seed}`))}`,
  )
  const sloParts: string[] = []
  if (report.slo?.p99Ms !== undefined) sloParts.push(`p99 ≤ ${formatPlain(report.slo.p99Ms)} ms`)
  sloParts.push(
    `errors ≤ ${formatPlain(errorBudget(report) * 100)} %${report.slo?.errorRate === undefined ? ' (default budget)' : ''}`,
  )
  lines.push(
    `  ${paint(color, 'dim', t(`${report.objective.source === 'slo' ? 'SLO' : 'Objective'} ${sloParts.join(' · ')}`))}`,
  )
  if (report.objective.source === 'derived')
    lines.push(`  ${paint(color, 'dim', t(`(derived: ${report.objective.description})`))}`)
  lines.push('')

  // Key facts.
  const kind = report.recommendation.kind
  const tone = RECOMMENDATION_TONE[kind]
  const toneStyle: Style = tone === 'good' ? 'green' : tone === 'warn' ? 'yellow' : 'red'
  // Key, value (shown in `style`) and a dim detail; all plain text, made safe and styled below.
  const facts: Array<[string, string, Style | Style[], string]> = []
  facts.push(['Verdict', RECOMMENDATION_TITLES[kind], [toneStyle, 'bold'], `(${kind})`])
  const opt = report.optimalConcurrentUsers
  if (opt !== null) {
    const row = rowAt(report, opt)
    facts.push([
      model === 'open' ? 'Optimal rate' : 'Optimal users',
      formatLevel(opt),
      ['green', 'bold'],
      row
        ? `${formatRate(row.throughput)} req/s, p99 ${formatMs(row.p99Ms)} ms: the smallest level within ${formatPlainPercent(OPTIMAL_THROUGHPUT_TOLERANCE)} of the best throughput that meets the SLO`
        : '',
    ])
  } else {
    facts.push([model === 'open' ? 'Optimal rate' : 'Optimal users', 'none', ['red', 'bold'], 'no level met the SLO'])
  }
  if (report.peakConcurrency !== null) {
    const ceiling = report.usl?.throughputCeiling
    facts.push([
      'Peak N*',
      formatSig(report.peakConcurrency, 3),
      'bold',
      `fitted concurrency of peak throughput${ceiling ? ` (${formatRate(ceiling)} req/s)` : ''}`,
    ])
  } else if (report.usl) {
    facts.push([
      'Peak N*',
      'none',
      'bold',
      `no peak in the fit${report.usl.throughputCeiling ? `; throughput levels off towards ${formatRate(report.usl.throughputCeiling)} req/s` : ''}`,
    ])
  }
  const sat = report.saturation
  if (sat !== null) {
    facts.push(['Saturated at', formatLevel(sat.level), ['yellow', 'bold'], describeSaturation(sat, formatRate, unit)])
  } else {
    facts.push([
      'Saturated at',
      'none',
      ['green', 'bold'],
      `no level past the peak cost only latency (last: ${unit(last.level)})`,
    ])
  }
  if (report.bottleneck.resource !== 'none' || sat !== null || report.scalabilityBreakingPoint !== null) {
    facts.push(['Bottleneck', report.bottleneck.resource, ['yellow', 'bold'], report.bottleneck.evidence])
  }
  if (report.scalabilityBreakingPoint !== null) {
    facts.push([
      'Breaking point',
      formatLevel(report.scalabilityBreakingPoint),
      ['red', 'bold'],
      report.breakingReason ?? '',
    ])
  } else {
    facts.push(['Breaking point', 'none', ['green', 'bold'], `held up to ${unit(last.level)}`])
  }
  facts.push([
    'Linear range',
    report.linearScalingRange
      ? `${formatLevel(report.linearScalingRange[0])} → ${formatLevel(report.linearScalingRange[1])}`
      : 'none',
    'bold',
    report.linearScalingRange
      ? `efficiency ≥ ${formatPlainPercent(LINEAR_EFFICIENCY)} of the smallest level`
      : `efficiency fell below ${formatPlainPercent(LINEAR_EFFICIENCY)} at the second level`,
  ])
  if (report.resourceContentionScore !== null) {
    facts.push([
      'Contention',
      `${formatNumber(report.resourceContentionScore, 1)} %`,
      'bold',
      'of response time waiting for shared resources (pool leases, the native thread pool, locks) where the bottleneck is named',
    ])
  }
  if (report.usl) {
    const u = report.usl
    const se = u.standardErrors
    facts.push([
      'USL fit',
      `R² ${formatNumber(u.rSquared, 3)}`,
      'bold',
      `λ ${formatWithError(u.lambda, se.lambda)} req/s · serial fraction σ ${formatWithError(u.sigma, se.sigma)} · coherency κ ${formatWithError(u.kappa, se.kappa)}`,
    ])
  } else if (report.uslError) {
    facts.push(['USL fit', 'none', 'yellow', report.uslError])
  }
  const keyW = Math.max(...facts.map(([k]) => k.length))
  const valW = Math.max(...facts.map(([, v]) => visibleWidth(t(v))))
  for (const [k, v, style, d] of facts) {
    const value = t(v)
    const head = `  ${pad(k, keyW)}  ${paint(color, style, value)}${' '.repeat(valW - visibleWidth(value))}  `
    const room = width - visibleWidth(head)
    const parts = d === '' ? [''] : wrap(t(d), Math.max(20, room))
    lines.push(`${head}${paint(color, 'dim', parts[0])}`.trimEnd())
    for (const p of parts.slice(1)) lines.push(`${' '.repeat(visibleWidth(head))}${paint(color, 'dim', p)}`)
  }

  const section = (
    title: string,
    items: Array<{ mark: string; style?: Style | Style[]; text: string; sub?: string[] }>,
  ): void => {
    if (items.length === 0) return
    lines.push('')
    lines.push(`  ${paint(color, 'bold', title)}`)
    for (const item of items) {
      const head = `    ${item.mark} `
      const body = wrap(t(item.text), width - visibleWidth(head))
      lines.push(`    ${paint(color, item.style, item.mark)} ${body[0]}`)
      for (const b of body.slice(1)) lines.push(' '.repeat(visibleWidth(head)) + b)
      for (const s of item.sub ?? []) {
        const subBody = wrap(t(s), width - visibleWidth(head) - 2)
        lines.push(`${' '.repeat(visibleWidth(head))}${paint(color, 'dim', `${g.bullet} `)}${subBody[0]}`)
        for (const b of subBody.slice(1)) lines.push(' '.repeat(visibleWidth(head) + 2) + b)
      }
    }
  }

  section(
    'Why',
    report.recommendation.reasons.map(r => ({ mark: g.bullet, style: 'dim', text: r })),
  )
  section(
    'Advice',
    report.recommendation.advice.map(a => ({ mark: g.arrow, style: [toneStyle, 'bold'], text: a })),
  )
  section(
    'Detector',
    detectorCallouts(report).map(c => ({
      mark: c.deadlock ? g.fail : g.warn,
      style: c.deadlock ? ['red', 'bold'] : 'yellow',
      text: `at ${unit(c.level)}: ${c.deadlock ? 'DEADLOCK or total stall' : `${c.findings.length} finding${c.findings.length === 1 ? '' : 's'}`}`,
      sub: [
        ...c.findings.map(f => f.text),
        ...Object.entries(c.moreByKind).map(
          ([k, n]) => `+${formatNumber(n)} more ${k} finding${n === 1 ? '' : 's'} (counted, not kept)`,
        ),
      ],
    })),
  )
  section(
    'Warnings',
    collectWarnings(report).map(w => ({ mark: g.warn, style: ['yellow', 'bold'], text: w.text })),
  )
  const files = Object.entries(options.files ?? {})
  if (files.length > 0) {
    lines.push('')
    lines.push(`  ${paint(color, 'bold', 'Files')}`)
    const w = Math.max(...files.map(([k]) => k.length))
    for (const [k, p] of files) lines.push(`    ${pad(k, w)}  ${paint(color, 'cyan', t(p))}`)
  }
  return lines.join('\n')
}
