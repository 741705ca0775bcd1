/** tinybench as the micro-benchmarks use it: one setup, each task's latency in ns, medians over rounds. */
import { Bench } from 'tinybench'

import { median } from './common.ts'

/** One task of one run, latencies in ns. */
export interface TaskStats {
  name: string
  /** mean latency per iteration */
  mean: number
  p50: number
  p99: number
  /** relative margin of error of the mean, % */
  rme: number
  samples: number
}

/** A Bench that runs each task for `timeMs` after a warm-up of up to 200 ms, and stops on a throw. */
export function timedBench(timeMs: number): Bench {
  return new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 2), throws: true })
}

/** The finished tasks of `bench`, in their order. */
export function taskStats(bench: Bench): TaskStats[] {
  return bench.tasks.map(t => {
    const l = (
      t.result as unknown as { latency: { mean: number; p50: number; p99: number; rme: number; samplesCount?: number } }
    ).latency
    return {
      name: t.name,
      mean: l.mean * 1e6,
      p50: l.p50 * 1e6,
      p99: l.p99 * 1e6,
      rme: l.rme,
      samples: l.samplesCount ?? 0,
    }
  })
}

/**
 * Each task's median over rounds (mean, p50, p99, rme; samples added up), in the first round's
 * order. Rounds guard against drift: tinybench runs the tasks one after another.
 */
export function medianOverRounds(rounds: readonly (readonly TaskStats[])[]): TaskStats[] {
  return rounds[0].map(({ name }) => {
    const all = rounds.map(rs => rs.find(t => t.name === name)!)
    return {
      name,
      mean: median(all.map(t => t.mean)),
      p50: median(all.map(t => t.p50)),
      p99: median(all.map(t => t.p99)),
      rme: median(all.map(t => t.rme)),
      samples: all.reduce((a, t) => a + t.samples, 0),
    }
  })
}
