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
  recallDistribution,
  recallStats,
  splitSamples,
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

/** Idle recall: `n` queries spread over the query set, searched one at a time, then scored. */
export async function measureIdleRecall(
  target: SearchTarget<unknown, unknown>,
  probe: RecallProbe,
  queries: readonly unknown[],
  n: number,
): Promise<RecallStats['idle']> {
  const count = Math.min(n, queries.length)
  if (count === 0) return null
  const tokens: unknown[] = []
  const signal = new AbortController().signal
  const options: TargetCallOptions = { signal }
  for (let i = 0; i < count; i++) {
    const q = queries[Math.floor((i * queries.length) / count)]
    const response = await target.search(q, options)
    const token = probe.capture(q, response)
    if (token !== null && token !== undefined) tokens.push(token)
  }
  if (tokens.length === 0) return null
  const s = splitSamples(await probe.evaluate(tokens))
  return { recall: recallDistribution(s.recall), fusedOverlap: recallDistribution(s.fusedOverlap) }
}

export const levelMetrics = {
  /** Sets up recall sampling (measuring the idle recall first when not given) and the resource sampler. */
  async prepare(
    target: SearchTarget<unknown, unknown>,
    options: ConcurrentTestOptions<unknown, unknown>,
    queries: readonly unknown[],
  ): Promise<LevelMetricsRun> {
    const warnings: string[] = []
    const probe = options.recall === false ? undefined : target.recallProbe
    let idle: RecallStats['idle'] = null
    let recallSampling: LevelMetricsRun['recallSampling'] = null
    if (probe) {
      const r = options.recall === false ? {} : (options.recall ?? {})
      if (r.idle !== undefined) idle = r.idle
      else {
        try {
          idle = await measureIdleRecall(target, probe, queries, r.idleQueries ?? DEFAULT_IDLE_RECALL_QUERIES)
        } catch (err) {
          warnings.push(`the idle recall could not be measured (${errorCodeOf(err)}): no recall drop is computed`)
        }
      }
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
          const tokens = recallSampling.sampler.tokens
          const t = now()
          let scored: Awaited<ReturnType<RecallProbe['evaluate']>> = []
          try {
            scored = tokens.length > 0 ? await recallSampling.probe.evaluate(tokens) : []
          } catch (err) {
            warnings.push(`the recall probe's exact searches failed (${errorCodeOf(err)}): recall is unknown`)
          }
          recall = recallStats({
            k: recallSampling.probe.k,
            sampled: tokens.length,
            scored,
            idle,
            evaluationMs: now() - t,
          })
        }
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
