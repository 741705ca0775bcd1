/**
 * What a reader should notice in a report, derived once for both renderers: detector findings
 * per level, warnings grouped by text, the verdict's wording. Pure.
 */
import type { ScalabilityRecommendationKind } from '../analysis/scalability.ts'
import type { LevelRow, ScalabilityReport } from '../sweep/types.ts'
import type { ConcurrentTestResult } from '../types.ts'
import type { TimePart } from '../metrics/time-breakdown.ts'
import { DEFAULT_ERROR_BUDGET, SLOW_COOL_DOWN_MS } from '../analysis/constants.ts'
import { formatLevel, formatMs, formatNumber, formatPercent, listLevels } from './format.ts'

/** Each row with its full result (null if the report does not carry it). */
export function levelResults(report: ScalabilityReport): Array<{ row: LevelRow; result: ConcurrentTestResult | null }> {
  const results = report.testResults ?? []
  return report.levels.map((row, i) => {
    // Rows and results are in the same (ascending) order; the level check guards hand-made reports.
    const same = results[i]
    if (same && (report.loadModel === 'open' || same.concurrentUsers === row.level)) return { row, result: same }
    const byUsers = report.loadModel === 'closed' ? results.find(r => r.concurrentUsers === row.level) : undefined
    return { row, result: byUsers ?? same ?? null }
  })
}

/** Error budget in force: the SLO's, or the analysis default {@link DEFAULT_ERROR_BUDGET}. */
export function errorBudget(report: Pick<ScalabilityReport, 'slo'>): number {
  return report.slo?.errorRate ?? DEFAULT_ERROR_BUDGET
}

/** Short human wording of each recommendation kind. */
export const RECOMMENDATION_TITLES: Record<ScalabilityRecommendationKind, string> = {
  AcceptablePerformance: 'Acceptable performance',
  IncreaseResources: 'Increase resources',
  OptimizeCode: 'Optimize code',
  ReduceLoad: 'Reduce load',
}

/** Tone of each kind, for colours: good, warn or bad. */
export const RECOMMENDATION_TONE: Record<ScalabilityRecommendationKind, 'good' | 'warn' | 'bad'> = {
  AcceptablePerformance: 'good',
  IncreaseResources: 'warn',
  ReduceLoad: 'warn',
  OptimizeCode: 'bad',
}

interface LooseOp {
  opId?: number
  userId?: number
  query?: string
}

function opText(op: LooseOp | undefined): string {
  if (!op) return 'op ?'
  const parts: string[] = []
  if (op.userId !== undefined) parts.push(`user ${op.userId}`)
  if (op.query) parts.push(op.query)
  return `op ${op.opId ?? '?'}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`
}

/** One detector finding in a sentence that names the operations and resources involved. */
export function describeFinding(finding: { kind: string; message: string; [key: string]: unknown }): string {
  const f = finding as Record<string, unknown> & { kind: string; message: string }
  switch (f.kind) {
    case 'deadlock': {
      const cycle = (f.cycle as Array<{ op?: LooseOp; waitsFor?: string; heldBy?: LooseOp }> | undefined) ?? []
      const resources = (f.resources as string[] | undefined) ?? [...new Set(cycle.map(e => e.waitsFor ?? '?'))]
      const edges = cycle.map(e => `${opText(e.op)} waits for ${e.waitsFor ?? '?'} held by ${opText(e.heldBy)}`)
      const behind = (f.blockedBehind as unknown[] | undefined)?.length ?? 0
      const text = edges.length > 0 ? edges.join('; ') : f.message.replace(/^deadlock:\s*/, '')
      return `deadlock cycle: ${text}. Resources: ${resources.join(', ') || '?'}${behind > 0 ? `; ${behind} more operation(s) blocked behind it` : ''}`
    }
    case 'stall': {
      const ops = (f.operations as LooseOp[] | undefined) ?? []
      const named = ops.slice(0, 3).map(opText)
      return `${f.message}${named.length > 0 ? `. In flight: ${named.join(', ')}${ops.length > 3 ? `, +${ops.length - 3} more` : ''}` : ''}`
    }
    case 'pool-exhaustion': {
      const holders = (f.holders as LooseOp[] | undefined) ?? []
      const named = holders.slice(0, 3).map(opText)
      return `${f.message}${named.length > 0 ? `. Held by ${named.join(', ')}${holders.length > 3 ? `, +${holders.length - 3} more` : ''}` : ''}`
    }
    case 'timed-out-still-running': {
      const ops = (f.operations as LooseOp[] | undefined) ?? []
      const named = ops.slice(0, 3).map(opText)
      return `${f.message}${named.length > 0 ? `: ${named.join(', ')}${ops.length > 3 ? `, +${ops.length - 3} more` : ''}` : ''}`
    }
    default:
      return f.message || f.kind
  }
}

/** A level that the detector flagged. */
export interface DetectorCallout {
  level: number
  /** A deadlock or a total stall. */
  deadlock: boolean
  /** Findings in sentences, most serious first. */
  findings: Array<{ kind: string; text: string }>
  /** Findings counted but not kept (beyond the detector's per-kind limit), by kind. */
  moreByKind: Record<string, number>
}

const SEVERITY = [
  'deadlock',
  'stall',
  'pool-exhaustion',
  'blocked-event-loop',
  'timed-out-still-running',
  'slow-operation',
]

/** Levels with a deadlock or any detector finding, with the findings described. */
export function detectorCallouts(report: ScalabilityReport): DetectorCallout[] {
  const out: DetectorCallout[] = []
  for (const { row, result } of levelResults(report)) {
    const det = result?.detector ?? null
    const findings = [...(det?.findings ?? [])].sort((a, b) => SEVERITY.indexOf(a.kind) - SEVERITY.indexOf(b.kind))
    if (!row.deadlockDetected && findings.length === 0) continue
    const kept: Record<string, number> = {}
    for (const f of findings) kept[f.kind] = (kept[f.kind] ?? 0) + 1
    const moreByKind: Record<string, number> = {}
    for (const [kind, n] of Object.entries(det?.findingCounts ?? {})) {
      if (n > (kept[kind] ?? 0)) moreByKind[kind] = n - (kept[kind] ?? 0)
    }
    out.push({
      level: row.level,
      deadlock: row.deadlockDetected,
      findings: findings.map(f => ({
        kind: f.kind,
        text: describeFinding(f as unknown as { kind: string; message: string }),
      })),
      moreByKind,
    })
  }
  return out
}

/** A warning, with the levels it applies to (null: the whole sweep). */
export interface ReportWarning {
  text: string
  levels: number[] | null
  kind: 'analysis' | 'littles-law' | 'measurement' | 'sweep'
}

/** A number in a warning's text (the part that may differ between levels). */
const NUMBER = /\d+(?:\.\d+)?/g

interface GroupedWarning {
  texts: string[]
  levels: number[]
}

/**
 * One text for warnings that differ only in their numbers: each number that differs between
 * them becomes its range ("took 61–77 % of the machine"). The texts share a template.
 */
export function mergeNumbers(texts: readonly string[]): string {
  const numbers = texts.map(t => (t.match(NUMBER) ?? []).map(Number))
  let i = 0
  return texts[0].replace(NUMBER, written => {
    const values = numbers.map(n => n[i])
    i++
    const [lo, hi] = [Math.min(...values), Math.max(...values)]
    if (lo === hi) return written
    const digits = written.includes('.') ? written.length - written.indexOf('.') - 1 : 0
    return `${lo.toFixed(digits)}–${hi.toFixed(digits)}`
  })
}

/**
 * Every warning of the report: the analysis's, Little's-law mismatches with their numbers, the
 * per-level measurement warnings (texts that differ only in their numbers merged, the numbers as ranges, with their levels), dropped starts,
 * slow cool-downs, an early stop.
 */
export function collectWarnings(report: ScalabilityReport): ReportWarning[] {
  const out: ReportWarning[] = report.warnings.map(text => ({ text, levels: null, kind: 'analysis' as const }))
  const all = report.levels.map(r => r.level)
  const grouped = new Map<string, GroupedWarning>()
  const addGrouped = (text: string, level: number): void => {
    const key = text.replace(NUMBER, '#')
    const group = grouped.get(key) ?? { texts: [], levels: [] }
    group.texts.push(text)
    if (!group.levels.includes(level)) group.levels.push(level)
    grouped.set(key, group)
  }
  for (const { row, result } of levelResults(report)) {
    const ll = result?.littlesLaw ?? null
    if (row.littlesLawConsistent === false || (ll !== null && !ll.consistent)) {
      const detail =
        ll !== null
          ? `${ll.law}: observed ${formatNumber(ll.observed, 2)}, predicted ${formatNumber(ll.predicted, 2)} (${
              ll.relativeError === null || !Number.isFinite(ll.relativeError)
                ? 'no finite error'
                : `off by ${formatPercent(ll.relativeError, 0)} %`
            }, tolerance ${formatPercent(ll.tolerance, 0)} %)`
          : 'observed and predicted concurrency disagree'
      out.push({
        text: `Little's law does not hold at ${formatLevel(row.level)}: ${detail}; the measurement may have missed requests or the load was not steady`,
        levels: [row.level],
        kind: 'littles-law',
      })
    }
    for (const w of result?.measurementWarnings ?? []) {
      // Little's-law mismatches are reported above with their numbers.
      if (/little'?s law/i.test(w)) continue
      addGrouped(w, row.level)
    }
    if (row.droppedStarts > 0) {
      out.push({
        text: `${formatNumber(row.droppedStarts)} arrivals dropped at ${formatLevel(row.level)} (maxInFlight reached): the offered rate was not delivered`,
        levels: [row.level],
        kind: 'measurement',
      })
    }
    if (row.coolDownMs > SLOW_COOL_DOWN_MS) {
      out.push({
        text: `the cool-down after ${formatLevel(row.level)} waited ${formatMs(row.coolDownMs)} ms for timed-out work to drain`,
        levels: [row.level],
        kind: 'measurement',
      })
    }
  }
  for (const { texts, levels } of grouped.values()) {
    const where = levels.length === all.length && all.length > 1 ? 'at every level' : `at ${listLevels(levels)}`
    out.push({ text: `${mergeNumbers(texts)} (${where})`, levels, kind: 'measurement' })
  }
  if (report.sweep.stoppedEarly)
    out.push({ text: `the sweep ${report.sweep.stoppedEarly}`, levels: null, kind: 'sweep' })
  return out
}

/** The best throughput measured, and where. */
export function bestThroughput(report: ScalabilityReport): { level: number; throughput: number } | null {
  let best: LevelRow | null = null
  for (const r of report.levels) if (best === null || r.throughput > best.throughput) best = r
  return best ? { level: best.level, throughput: best.throughput } : null
}

/** The row of a level, if measured. */
export function rowAt(report: ScalabilityReport, level: number | null): LevelRow | undefined {
  return level === null ? undefined : report.levels.find(r => r.level === level || r.concurrency === level)
}

/** Names of the time breakdown's parts, as the renderers show them (in the order a request meets them). */
export const TIME_PART_LABELS: Record<TimePart, string> = {
  scheduleDelay: 'schedule',
  poolWait: 'pool wait',
  nativeQueue: 'native queue',
  nativeRun: 'native run',
  delivery: 'delivery',
  other: 'other',
}
