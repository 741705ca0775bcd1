/**
 * A load-generator process of `scale --workers N`: builds the same queries and its own HTTP
 * target (its share of the connections), then runs each level's share of the users when the
 * parent says so and sends back the whole result (HDR histograms encoded, its own CPU inside).
 */
import { ConcurrentBenchmark } from '../../harness/run/benchmark.ts'
import type { HttpQuery } from '../../harness/target/http.ts'
import { errorCodeOf } from '../../errors.ts'
import { buildHttpTarget, prepareHttpQueries } from '../http-workload.ts'
import type { FromWorker, ToWorker } from './protocol.ts'

function send(message: FromWorker): void {
  process.send?.(message)
}

let bench: ConcurrentBenchmark<HttpQuery | string, never> | null = null
let close: (() => Promise<void>) | null = null
let queries: HttpQuery[] = []
let labels: string[] = []
let mode = 'hybrid'

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init': {
      const workload = await prepareHttpQueries(m.workload, m.needsVector)
      queries = workload.queries
      labels = workload.labels
      mode = m.spec.mode
      const target = buildHttpTarget(m.spec)
      bench = new ConcurrentBenchmark<HttpQuery | string, never>(target)
      close = () => target.close()
      send({ type: 'ready', index: m.index, queries: queries.length })
      return
    }
    case 'run': {
      if (bench === null) throw new Error('run before init')
      const result = await bench.runConcurrentTest({
        load: m.share.load,
        queries,
        classify: (q, i) => `${(q as HttpQuery).mode ?? mode}:${labels[i] ?? 'query'}`,
        selection: { kind: 'zipf', exponent: 1 },
        seed: m.share.seed,
        ...(m.share.requestTimeoutMs !== undefined ? { requestTimeoutMs: m.share.requestTimeoutMs } : {}),
        pool: { size: m.share.poolSize },
      })
      send({ type: 'result', id: m.id, result })
      return
    }
    case 'drain': {
      const remaining = bench === null ? 0 : await bench.drain({ timeoutMs: m.timeoutMs })
      send({ type: 'drained', id: m.id, remaining })
      return
    }
    case 'close': {
      await close?.()
      process.disconnect?.()
      return
    }
  }
}

process.on('message', (m: ToWorker) => {
  handle(m).catch((error: unknown) => {
    send({
      type: 'error',
      id: 'id' in m ? m.id : null,
      code: errorCodeOf(error),
      message: (error as Error)?.message ?? String(error),
    })
  })
})
// The parent gone (killed, crashed): stop, do not linger.
process.on('disconnect', () => {
  close?.().finally(() => process.exit(0))
  setTimeout(() => process.exit(0), 5000).unref()
})
