/**
 * Deadlock analysis of a wait-for graph (pure).
 *
 * Actors (operations) hold units of resources (harness locks: 1 unit; a pool: `size` units)
 * and may wait for a resource. Waiting for a multi-unit resource is an OR-request (any holder
 * releasing a unit unblocks the waiter), so a cycle alone is not proof of deadlock; the test
 * used is the standard reduction: an actor *can progress* if it waits for nothing (untimed),
 * or every resource it waits for has a free unit or a holder that can progress. Actors left
 * after the fixed point can never progress: they are deadlocked. Timed waits end by
 * themselves, so they never count as waiting. Holders that are not known actors (code outside
 * any tracked operation) are assumed able to progress.
 *
 * For every deadlocked group a concrete cycle is extracted for the report (following, from
 * each deadlocked actor, a waited-for resource to a deadlocked holder until an actor repeats).
 */

export interface WaitForResource {
  /** e.g. `lock:A`, `pool:connections`. */
  name: string
  /** Units: 1 for a lock, the size for a pool. */
  capacity: number
  /** Actor ids holding a unit (unknown ids are outside actors). */
  holders: readonly number[]
  waiters: ReadonlyArray<{ actor: number; timed: boolean }>
}

export interface WaitForEdge {
  actor: number
  waitsFor: string
  heldBy: number
}

export interface DeadlockAnalysis {
  /** Actors that can never progress. */
  deadlocked: number[]
  /** One cycle per deadlocked group: each actor waits for a resource held by the next. */
  cycles: WaitForEdge[][]
  /** Deadlocked actors not on a cycle (blocked behind one). */
  blockedBehind: number[]
}

/** Finds deadlocked actors and their cycles. */
export function analyzeWaitFor(actors: readonly number[], resources: readonly WaitForResource[]): DeadlockAnalysis {
  const known = new Set(actors)
  const waits = new Map<number, WaitForResource[]>()
  for (const r of resources) {
    for (const w of r.waiters) {
      if (w.timed || !known.has(w.actor)) continue
      let list = waits.get(w.actor)
      if (!list) {
        list = []
        waits.set(w.actor, list)
      }
      list.push(r)
    }
  }
  const progress = new Set<number>()
  for (const a of actors) if (!waits.has(a)) progress.add(a)
  const satisfiable = (r: WaitForResource, self: number): boolean => {
    if (r.holders.length < r.capacity) return true
    for (const h of r.holders) {
      if (h === self) continue
      if (!known.has(h) || progress.has(h)) return true
    }
    return false
  }
  let changed = true
  while (changed) {
    changed = false
    for (const [a, rs] of waits) {
      if (progress.has(a)) continue
      if (rs.every(r => satisfiable(r, a))) {
        progress.add(a)
        changed = true
      }
    }
  }
  const deadlocked = actors.filter(a => !progress.has(a))
  const dead = new Set(deadlocked)
  const onCycle = new Set<number>()
  const cycles: WaitForEdge[][] = []
  const visited = new Set<number>()
  for (const start of deadlocked) {
    if (visited.has(start)) continue
    const path: WaitForEdge[] = []
    const index = new Map<number, number>()
    let a = start
    while (!index.has(a) && !visited.has(a)) {
      index.set(a, path.length)
      const rs = waits.get(a) ?? []
      let edge: WaitForEdge | undefined
      for (const r of rs) {
        if (satisfiable(r, a)) continue
        // every holder is deadlocked (or the actor itself)
        const h = r.holders.find(x => dead.has(x))
        if (h !== undefined) {
          edge = { actor: a, waitsFor: r.name, heldBy: h }
          break
        }
      }
      if (!edge) break
      path.push(edge)
      a = edge.heldBy
    }
    for (const k of index.keys()) visited.add(k)
    const at = index.get(a)
    if (at !== undefined && at < path.length) {
      const cycle = path.slice(at)
      cycles.push(cycle)
      for (const e of cycle) onCycle.add(e.actor)
    }
  }
  return { deadlocked, cycles, blockedBehind: deadlocked.filter(a => !onCycle.has(a)) }
}
