/**
 * The per-level extras of a run: recall under load (sampled on the measured path, scored after
 * the window) and resource use (sampled on a timer through the window), folded with what the
 * result already holds into one `EnhancedPerformanceMetrics` object (metrics/enhanced.ts).
 */
import { errorCodeOf } from '../../errors.ts'
import { metricFindings } from '../metrics/enhanced.ts'
import type { EnhancedPerformanceMetrics } from '../metrics/enhanced.ts'
import {
  DEFAULT_IDLE_RECALL_QUERIES,
  DEFAULT_RECALL_MAX_SAMPLES,
  DEFAULT_RECALL_SAMPLE_RATE,
  RecallSampler,
  recallStats,
} from '../metrics/recall.ts'
import type { RecallProbe, RecallStats } from '../metrics/recall.ts'
import { ResourceSampler } from '../metrics/resources.ts'
import type { ResourceStats } from '../metrics/resources.ts'
import { now } from '../load/time.ts'
import type { ConcurrentTestOptions, ConcurrentTestResult, SearchTarget, TargetCallOptions } from '../types.ts'
import type { RunState } from './run-state.ts'

/** What a finished level measured beside the result. */
export interface LevelExtras {
  recall: RecallStats | null
  resources: ResourceStats | null
  warnings: string[]
}

/** One level's recall and resource measurement, from before the run to after its window. */
export interface LevelMetricsRun {
  /** Handed to the RunState: what it samples with (null: recall off). */
  recallSampling: { probe: RecallProbe; sampler: RecallSampler } | null
  windowOpened(): void
  windowClosed(): void
  /** After the run: scores the sampled searches (exact searches, off the measured path). */
  finish(run: RunState): Promise<LevelExtras>
}

/**
 * The idle pass: `queryIndexes` searched again one at a time (nothing else in flight from this
 * run), each captured by the probe. Tokens in the same order (null where a search failed or has
 * no ground truth).
 */
export async function idleTokens(
  target: SearchTarget<unknown, unknown>,
  probe: RecallProbe,
  queries: readonly unknown[],
  queryIndexes: readonly number[],
): Promise<unknown[]> {
  const signal = new AbortController().signal
  const options: TargetCallOptions = { signal }
  const out: unknown[] = []
  for (const qi of queryIndexes) {
    const q = queries[qi]
    try {
      const sentAt = now()
      out.push(probe.capture(q, await target.search(q, options), sentAt) ?? null)
    } catch {
      out.push(null)
    }
  }
  return out
}

export const levelMetrics = {
  /** Sets up recall sampling and the resource sampler. */
  async prepare(
    target: SearchTarget<unknown, unknown>,
    options: ConcurrentTestOptions<unknown, unknown>,
    queries: readonly unknown[],
  ): Promise<LevelMetricsRun> {
    const warnings: string[] = []
    const probe = options.recall === false ? undefined : target.recallProbe
    const r = options.recall === false ? {} : (options.recall ?? {})
    let recallSampling: LevelMetricsRun['recallSampling'] = null
    if (probe) {
      recallSampling = {
        probe,
        sampler: new RecallSampler(
          r.sampleRate ?? DEFAULT_RECALL_SAMPLE_RATE,
          r.maxSamples ?? DEFAULT_RECALL_MAX_SAMPLES,
        ),
      }
    }
    const resources =
      options.resources === false ? null : new ResourceSampler({ intervalMs: options.resources?.intervalMs })
    // A full GC before the run (outside the window) is the baseline of the memory it keeps.
    resources?.baseline()
    let opened = false
    let stats: ResourceStats | null = null
    return {
      recallSampling,
      windowOpened() {
        if (opened) return
        opened = true
        resources?.start()
      },
      windowClosed() {
        if (!opened || stats !== null || resources === null) return
        stats = resources.stop()
      },
      async finish(run) {
        let recall: RecallStats | null = null
        if (recallSampling) {
          const { probe: pr, sampler } = recallSampling
          const tokens = sampler.tokens
          const t = now()
          let scored: Awaited<ReturnType<RecallProbe['evaluate']>> = []
          let idleScored: Awaited<ReturnType<RecallProbe['evaluate']>> = []
          try {
            // The idle pass: the first sampled queries again, one at a time, right after the
            // window; then one exact evaluation for both (paired by position).
            const n = r.idle !== undefined ? 0 : Math.min(tokens.length, r.idleQueries ?? DEFAULT_IDLE_RECALL_QUERIES)
            // Idle means the target's own background work too (a refresher's commit): at rest first.
            if (n > 0 && typeof pr.settle === 'function') await pr.settle()
            const idle = n > 0 ? await idleTokens(target, pr, queries, sampler.queries.slice(0, n)) : []
            const scoredIdle = idle.map((tok, i) => ({ tok, i })).filter(x => x.tok !== null)
            const all = tokens.length > 0 ? await pr.evaluate([...tokens, ...scoredIdle.map(x => x.tok)]) : []
            scored = all.slice(0, tokens.length)
            idleScored = new Array(n).fill(null)
            scoredIdle.forEach((x, j) => {
              idleScored[x.i] = all[tokens.length + j] ?? null
            })
          } catch (err) {
            warnings.push(`the recall probe's exact searches failed (${errorCodeOf(err)}): recall is unknown`)
          }
          recall = recallStats({
            k: pr.k,
            sampled: tokens.length,
            scored,
            idle: r.idle ?? null,
            idleScored,
            evaluationMs: now() - t,
          })
        }
        // After the window and the exact searches: a full GC, the memory the level kept.
        if (stats !== null) resources?.retained(stats)
        if (stats !== null && typeof target.engineMemory === 'function') {
          try {
            stats.engine = (await target.engineMemory()) ?? null
          } catch (err) {
            warnings.push(`target.engineMemory() threw (${errorCodeOf(err)}): the engine's memory is unknown`)
          }
        }
        run.warnings.push(...warnings)
        return { recall, resources: stats, warnings }
      },
    }
  },

  /** The level's one-object summary. */
  summarize(result: ConcurrentTestResult, extras: LevelExtras): EnhancedPerformanceMetrics {
    const r = result.responseTime
    return {
      throughput: result.successfulRequestsPerSecond,
      latencyMs: { mean: r.mean, p50: r.p50, p95: r.p95, p99: r.p99, max: r.max },
      errorRate: result.totalRequests > 0 ? (result.failedRequests + result.timeoutRequests) / result.totalRequests : 0,
      cpu: {
        machineBusy: result.cpu.machineBusy,
        mainThread: result.cpu.mainThread,
        engineThreads: result.cpu.engineThreads,
        otherProcesses: result.cpu.otherProcesses,
      },
      resourceContention: result.resourceContentionScore,
      recall: extras.recall,
      resources: extras.resources,
      findings: metricFindings(extras.recall, extras.resources, result.window.durationMs),
    }
  },
}
