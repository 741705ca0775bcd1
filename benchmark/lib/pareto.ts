/**
 * Recall/QPS curves, ann-benchmarks style: the Pareto frontier of (recall, QPS) points and the
 * QPS a library reaches at a given recall, interpolated on that frontier.
 */

export interface CurvePoint {
  recall: number
  qps: number
}

/**
 * The points no other point beats on both axes (higher-or-equal recall and higher QPS), sorted
 * by ascending recall (so QPS descends along it).
 */
export function paretoFrontier<T extends CurvePoint>(points: readonly T[]): T[] {
  const byRecallDesc = [...points]
    .filter(p => Number.isFinite(p.recall) && Number.isFinite(p.qps))
    .sort((a, b) => b.recall - a.recall || b.qps - a.qps)
  const frontier: T[] = []
  let bestQps = -Infinity
  for (const p of byRecallDesc) {
    if (p.qps > bestQps) {
      frontier.push(p)
      bestQps = p.qps
    }
  }
  return frontier.reverse()
}

export interface AtRecall {
  /** QPS at the target recall; null when no point reaches it */
  qps: number | null
  /** 'interpolated' between two frontier points, 'point' = a frontier point has exactly that recall, 'floor' = every point is above the target (the fastest one's QPS, a lower bound) */
  how: 'interpolated' | 'point' | 'floor' | 'unreached'
}

/**
 * QPS at `target` recall on the Pareto frontier: between the two frontier points around the
 * target, linear in recall and in log(QPS) (straight on the log-QPS plot). When every point is
 * above the target, the fastest point's QPS (a lower bound: a smaller ef would be faster).
 */
export function qpsAtRecall(points: readonly CurvePoint[], target: number): AtRecall {
  const f = paretoFrontier(points)
  if (f.length === 0 || f[f.length - 1].recall < target) return { qps: null, how: 'unreached' }
  if (f[0].recall >= target) return { qps: f[0].qps, how: f[0].recall === target ? 'point' : 'floor' }
  for (let i = 1; i < f.length; i++) {
    const hi = f[i]
    if (hi.recall < target) continue
    if (hi.recall === target) return { qps: hi.qps, how: 'point' }
    const lo = f[i - 1]
    const t = (target - lo.recall) / (hi.recall - lo.recall)
    return { qps: Math.exp(Math.log(lo.qps) + t * (Math.log(hi.qps) - Math.log(lo.qps))), how: 'interpolated' }
  }
  return { qps: null, how: 'unreached' }
}
