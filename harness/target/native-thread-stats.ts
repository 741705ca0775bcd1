/**
 * `drainThreadStats` for targets backed by the native engine: the engine keeps cumulative
 * per-thread task counts and CPU time; each drain returns what happened since the last one.
 */
import { nativeThreadStats } from '../../engine/index.ts'
import type { NativeThreadStat } from '../types.ts'

/** A drain function over the engine's cumulative per-thread counters. */
export function nativeThreadStatsDrain(): () => NativeThreadStat[] {
  const last = new Map<number, { tasks: number; cpuTimeNs: number }>()
  for (const s of nativeThreadStats()) last.set(s.threadId, { tasks: s.tasks, cpuTimeNs: s.cpuTimeNs })
  return () => {
    const out: NativeThreadStat[] = []
    for (const s of nativeThreadStats()) {
      const before = last.get(s.threadId) ?? { tasks: 0, cpuTimeNs: 0 }
      last.set(s.threadId, { tasks: s.tasks, cpuTimeNs: s.cpuTimeNs })
      const tasks = s.tasks - before.tasks
      if (tasks > 0) out.push({ threadId: s.threadId, tasks, cpuTimeNs: s.cpuTimeNs - before.cpuTimeNs })
    }
    return out
  }
}
