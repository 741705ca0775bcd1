/**
 * Performance isolation: does one kind of query starve another? Two classes of users (a few
 * heavy, many light) share one system and one pool of leases. Four phases, each a pair of
 * concurrent tests started together: each class alone (the whole pool), both on one shared pool
 * (first come, first served), and both with a reservation (the pool split: the heavy class may
 * hold at most `heavyLimit` leases, the light class keeps the rest). Each class's latency with
 * the other present over its latency alone is its interference ratio.
 */
import { ConfigError } from '../../errors.ts'
import { ConnectionPool } from '../pool.ts'
import { ConcurrentBenchmark } from '../run/benchmark.ts'
import type { ConcurrentTestResult } from '../types.ts'
import type {
  ClassOutcome,
  InterferenceRatio,
  IsolationClass,
  IsolationOptions,
  IsolationPhaseName,
  IsolationReport,
} from './types.ts'

function outcome(r: ConcurrentTestResult): ClassOutcome {
  return {
    users: r.concurrentUsers,
    requests: r.totalRequests,
    throughput: r.successfulRequestsPerSecond,
    meanMs: r.responseTime.mean,
    p50Ms: r.responseTime.p50,
    p99Ms: r.responseTime.p99,
    poolWaitMeanMs: r.poolWait.mean,
    errors: r.failedRequests + r.timeoutRequests,
  }
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0)

export function interference(withOther: ClassOutcome, alone: ClassOutcome): InterferenceRatio {
  return {
    mean: ratio(withOther.meanMs, alone.meanMs),
    p50: ratio(withOther.p50Ms, alone.p50Ms),
    p99: ratio(withOther.p99Ms, alone.p99Ms),
  }
}

function validate(o: IsolationOptions<unknown>): string[] {
  const problems: string[] = []
  const heavyLimit = o.heavyLimit ?? 1
  if (!(Number.isInteger(o.poolSize) && o.poolSize >= 2)) problems.push('poolSize must be a whole number, 2 or more')
  if (!(Number.isInteger(heavyLimit) && heavyLimit >= 1 && heavyLimit < o.poolSize))
    problems.push('heavyLimit must be a whole number from 1 to poolSize − 1')
  for (const [name, c] of [
    ['light', o.light],
    ['heavy', o.heavy],
  ] as const) {
    if (!(Number.isInteger(c?.users) && c.users >= 1)) problems.push(`${name}.users must be a whole number, 1 or more`)
    if (!Array.isArray(c?.queries) || c.queries.length === 0) problems.push(`${name}.queries must not be empty`)
  }
  if (!(o.durationMs > 0)) problems.push('durationMs must be positive')
  return problems
}

/**
 * Runs the four phases and returns the report.
 * @throws {ConfigError} listing every problem with the options.
 */
export async function runIsolationScenario<Q>(options: IsolationOptions<Q>): Promise<IsolationReport> {
  const o = options as IsolationOptions<unknown>
  const problems = validate(o)
  if (problems.length > 0) throw new ConfigError('isolation scenario options', problems)
  const heavyLimit = o.heavyLimit ?? 1
  const warmUpMs = o.warmUpMs ?? 500
  const seed = o.seed ?? (Math.random() * 0x100000000) >>> 0
  const warnings: string[] = []
  const sharedPools = new Map<string, ConnectionPool<unknown>>()

  const pool = (size: number): ConnectionPool<unknown> =>
    new ConnectionPool<unknown>({ size, ...(o.poolFactory ? { factory: o.poolFactory, name: 'sessions' } : {}) })

  const run = (
    cls: IsolationClass<unknown>,
    p: ConnectionPool<unknown>,
    phase: string,
  ): Promise<ConcurrentTestResult> =>
    new ConcurrentBenchmark(cls.target)
      .runConcurrentTest({
        load: { model: 'closed', users: cls.users, durationMs: warmUpMs + o.durationMs, warmUpMs },
        queries: cls.queries,
        pool: p,
        detector: false,
        recall: false,
        resources: false,
        seed,
        requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
        signal: o.signal,
      })
      .then(r => {
        for (const w of r.measurementWarnings) {
          // By design here: no detector (lock waits are not counted), and on the shared pool the
          // other class's leases are still held when this class's run ends.
          if (w.startsWith('resourceContentionScore counts pool waits only')) continue
          if (p === sharedPools.get(phase) && /pool lease\(s\) were still held/.test(w)) continue
          warnings.push(`${phase}: ${w}`)
        }
        return r
      })

  const phase = async (
    name: IsolationPhaseName,
    f: () => Promise<ConcurrentTestResult[]>,
    pools: ConnectionPool<unknown>[],
  ): Promise<ConcurrentTestResult[]> => {
    o.onPhase?.(name)
    try {
      return await f()
    } finally {
      for (const p of pools) await p.close({ timeoutMs: 5000 }).catch(() => undefined)
    }
  }

  const lightPool = pool(o.poolSize)
  const [lightAlone] = await phase('light-alone', () => Promise.all([run(o.light, lightPool, 'light alone')]), [
    lightPool,
  ])
  const heavyPool = pool(o.poolSize)
  const [heavyAlone] = await phase('heavy-alone', () => Promise.all([run(o.heavy, heavyPool, 'heavy alone')]), [
    heavyPool,
  ])
  const sharedPool = pool(o.poolSize)
  sharedPools.set('shared/light', sharedPool)
  sharedPools.set('shared/heavy', sharedPool)
  const [sharedLight, sharedHeavy] = await phase(
    'shared',
    () => Promise.all([run(o.light, sharedPool, 'shared/light'), run(o.heavy, sharedPool, 'shared/heavy')]),
    [sharedPool],
  )
  // The reservation: the pool partitioned per class (heavy at most heavyLimit, light the rest).
  const reservedPools = ConnectionPool.partition<unknown>(
    { light: o.poolSize - heavyLimit, heavy: heavyLimit },
    o.poolFactory ? { factory: o.poolFactory, name: 'sessions' } : {},
  )
  const reservedLightPool = reservedPools.light
  const reservedHeavyPool = reservedPools.heavy
  const [reservedLight, reservedHeavy] = await phase(
    'reserved',
    () =>
      Promise.all([
        run(o.light, reservedLightPool, 'reserved/light'),
        run(o.heavy, reservedHeavyPool, 'reserved/heavy'),
      ]),
    [reservedLightPool, reservedHeavyPool],
  )

  const alone = { light: outcome(lightAlone), heavy: outcome(heavyAlone) }
  const shared = { light: outcome(sharedLight), heavy: outcome(sharedHeavy) }
  const reserved = { light: outcome(reservedLight), heavy: outcome(reservedHeavy) }
  const interferenceRatios = {
    shared: { light: interference(shared.light, alone.light), heavy: interference(shared.heavy, alone.heavy) },
    reserved: { light: interference(reserved.light, alone.light), heavy: interference(reserved.heavy, alone.heavy) },
  }
  const s = interferenceRatios.shared.light.p99
  const r = interferenceRatios.reserved.light.p99
  const summary =
    `the heavy class made the light class's p99 ${s.toFixed(2)}× its p99 alone on a shared pool, ` +
    `${r.toFixed(2)}× with ${o.poolSize - heavyLimit} of ${o.poolSize} leases reserved for it ` +
    `(the heavy class's p99 went from ${interferenceRatios.shared.heavy.p99.toFixed(2)}× to ${interferenceRatios.reserved.heavy.p99.toFixed(2)}× its own alone)`
  return {
    poolSize: o.poolSize,
    heavyLimit,
    durationMs: o.durationMs,
    warmUpMs,
    seed,
    targets: { light: o.light.target.name, heavy: o.heavy.target.name },
    alone,
    shared,
    reserved,
    interference: interferenceRatios,
    summary,
    warnings,
  }
}
