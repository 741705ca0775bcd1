/**
 * `scale --workers N`: N load-generator processes, driven as one `LevelRunner` by the sweep.
 * Each level's users (or arrival rate) are split between them; they start together, each
 * measures its share with its own HDR histograms and counters, and the results are merged
 * exactly (harness/metrics/merge.ts) into the level's one result, with each generator's own
 * CPU (`generators`).
 *
 * Processes, not worker threads: a process has its own event loop, heap and garbage collector
 * and can run on another core; `process.cpuUsage()` in it is exactly that generator's CPU; and
 * a process here is what a generator on another machine is, so `scale merge` of several
 * machines' files is the same merge. Forked with this process's execArgv (tsx's loader when run
 * from the sources; none for the compiled bin), so the same code runs in both.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { ErrorCodes, HarnessError } from '../../errors.ts'
import { deriveSeed } from '../../harness/load/rng.ts'
import type { LoadModelConfig } from '../../harness/load/models.ts'
import { mergeResults } from '../../harness/metrics/merge.ts'
import type { LevelRunner } from '../../harness/sweep/types.ts'
import type { HttpQuery } from '../../harness/target/http.ts'
import type { ConcurrentTestOptions, ConcurrentTestResult } from '../../harness/types.ts'
import type { HttpTargetSpec, HttpWorkloadOptions } from '../http-workload.ts'
import type { FromWorker, LevelShare, ToWorker } from './protocol.ts'

/** `n` split into `parts` whole shares differing by at most one (larger first). */
export function splitWhole(n: number, parts: number): number[] {
  const base = Math.floor(n / parts)
  const extra = n - base * parts
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0))
}

/** Each worker's share of a level's load; workers with nothing to do get null. */
export function splitLoad(load: LoadModelConfig, workers: number): (LoadModelConfig | null)[] {
  const l = load as LoadModelConfig & { users?: number; rate?: number; maxInFlight?: number }
  if (typeof l.users === 'number') {
    return splitWhole(l.users, workers).map(users => (users > 0 ? ({ ...l, users } as LoadModelConfig) : null))
  }
  if (typeof l.rate === 'number') {
    const rate = l.rate
    const inFlight = l.maxInFlight === undefined ? null : splitWhole(l.maxInFlight, workers)
    return Array.from({ length: workers }, (_, i) => {
      const share = { ...l, rate: rate / workers } as LoadModelConfig & { maxInFlight?: number }
      if (inFlight) share.maxInFlight = Math.max(1, inFlight[i])
      return share as LoadModelConfig
    })
  }
  throw new HarnessError(ErrorCodes.INVALID_CONFIG, 'this load model cannot be split between worker processes')
}

interface Pending {
  resolve: (m: FromWorker) => void
  reject: (e: Error) => void
}

class WorkerHandle {
  readonly child: ChildProcess
  readonly #pending = new Map<number, Pending>()
  #exited = false
  #ready: Promise<void>

  constructor(index: number, init: Extract<ToWorker, { type: 'init' }>) {
    const here = fileURLToPath(import.meta.url)
    const entry = here.replace(/pool\.(ts|js)$/, (_m, ext: string) => `worker.${ext}`)
    this.child = fork(entry, [], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.#ready = new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker): void => {
        if (m.type === 'ready') resolve()
        else if (m.type === 'error' && m.id === null) reject(new HarnessError(m.code ?? 'Error', m.message))
        else if ('id' in m && m.id !== null) {
          const p = this.#pending.get(m.id)
          if (!p) return
          this.#pending.delete(m.id)
          if (m.type === 'error') p.reject(new HarnessError(m.code ?? 'Error', `worker ${index}: ${m.message}`))
          else p.resolve(m)
        }
      }
      this.child.on('message', onMessage)
      this.child.once('exit', code => {
        this.#exited = true
        const error = new HarnessError(ErrorCodes.INVALID_CONFIG, `worker ${index} exited (${code})`)
        reject(error)
        for (const p of this.#pending.values()) p.reject(error)
        this.#pending.clear()
      })
    })
    this.child.send(init)
  }

  ready(): Promise<void> {
    return this.#ready
  }

  request(message: ToWorker & { id: number }): Promise<FromWorker> {
    if (this.#exited) return Promise.reject(new HarnessError(ErrorCodes.INVALID_CONFIG, 'the worker has exited'))
    return new Promise((resolve, reject) => {
      this.#pending.set(message.id, { resolve, reject })
      this.child.send(message)
    })
  }

  async close(): Promise<void> {
    if (this.#exited) return
    const exited = new Promise<void>(resolve => this.child.once('exit', () => resolve()))
    this.child.send({ type: 'close' } satisfies ToWorker)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

export interface WorkersRunner extends LevelRunner<HttpQuery, never> {
  close(): Promise<void>
  /** Each level's per-generator results as received (before the merge), in level order. */
  readonly perLevel: { level: number; results: ConcurrentTestResult[] }[]
}

/** Starts the generator processes; resolves once each has built its queries and target. */
export async function startWorkers(o: {
  workers: number
  spec: HttpTargetSpec
  workload: HttpWorkloadOptions
  needsVector: boolean
  name: string
}): Promise<WorkersRunner> {
  const connections = splitWhole(o.spec.connections, o.workers).map(c => Math.max(1, c))
  const handles = Array.from(
    { length: o.workers },
    (_, index) =>
      new WorkerHandle(index, {
        type: 'init',
        index,
        spec: { ...o.spec, connections: connections[index] },
        workload: {
          corpus: o.workload.corpus,
          documents: o.workload.documents,
          dimensions: o.workload.dimensions,
          mode: o.workload.mode,
          seed: o.workload.seed,
        },
        needsVector: o.needsVector,
      }),
  )
  const closeAll = async (): Promise<void> => {
    await Promise.all(handles.map(h => h.close()))
  }
  try {
    await Promise.all(handles.map(h => h.ready()))
  } catch (error) {
    await closeAll()
    throw error
  }
  let nextId = 1
  const perLevel: WorkersRunner['perLevel'] = []
  return {
    target: { name: o.name },
    perLevel,
    async runConcurrentTest(options: ConcurrentTestOptions<HttpQuery, never>): Promise<ConcurrentTestResult> {
      const shares = splitLoad(options.load, o.workers)
      const poolTotal =
        options.pool && 'size' in options.pool && typeof options.pool.size === 'number' ? options.pool.size : null
      const active = shares.flatMap((load, index) => (load === null ? [] : [{ load, index }]))
      const pools = poolTotal === null ? null : splitWhole(poolTotal, active.length)
      const seed = options.seed ?? 0
      const replies = await Promise.all(
        active.map(({ load, index }, i) => {
          const users = (load as { users?: number; maxInFlight?: number }).users
          const share: LevelShare = {
            load,
            seed: deriveSeed(seed, 1000 + index),
            requestTimeoutMs: options.requestTimeoutMs,
            poolSize: Math.max(1, pools?.[i] ?? users ?? 1),
          }
          return handles[index].request({ type: 'run', id: nextId++, share })
        }),
      )
      const results = replies.map(r => (r as Extract<FromWorker, { type: 'result' }>).result)
      const load = options.load as { users?: number; rate?: number }
      perLevel.push({ level: load.users ?? load.rate ?? 0, results })
      const merged = mergeResults(results, { baselineThroughput: options.baselineThroughput })
      // The merged result is one level of the parent's plan: its seed, not the workers' own.
      return { ...merged, seed }
    },
    async drain(options: { timeoutMs?: number }): Promise<number> {
      const replies = await Promise.all(
        handles.map(h => h.request({ type: 'drain', id: nextId++, timeoutMs: options.timeoutMs ?? 30_000 })),
      )
      return replies.reduce((n, r) => n + (r.type === 'drained' ? r.remaining : 0), 0)
    },
    close: closeAll,
  }
}
