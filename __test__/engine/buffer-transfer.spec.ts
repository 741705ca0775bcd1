/**
 * A caller may transfer (detach) a typed array's buffer right after handing it to an async
 * call: the engine must not read that memory later. The calls run in a child process
 * (fixtures/transfer-while-queued.ts), so a regression that crashes fails these tests instead
 * of killing ava.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const FIXTURE = fileURLToPath(new URL('../fixtures/transfer-while-queued.ts', import.meta.url))

interface ChildOutcome {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function runFixture(mode: string, size: string): Promise<ChildOutcome> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import=tsx', FIXTURE, mode, size],
      // One pool thread, kept busy by the fixture, so every engine call is still queued when
      // its buffer is transferred.
      { env: { ...process.env, UV_THREADPOOL_SIZE: '1' }, timeout: 110_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null
        resolve({
          code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        })
      },
    )
  })
}

for (const mode of ['structuredClone', 'postMessage']) {
  for (const size of ['small', 'large']) {
    test.serial(
      `buffers transferred by ${mode} while the call is queued (${size} arrays): same results, no crash`,
      async t => {
        const outcome = await runFixture(mode, size)
        t.is(outcome.signal, null, `the child died of ${outcome.signal}: ${outcome.stderr.slice(-2000)}`)
        t.is(outcome.code, 0, outcome.stderr.slice(-2000))
        const results = JSON.parse(outcome.stdout) as Record<string, { transferred: unknown; reference: unknown }>
        t.deepEqual(Object.keys(results), ['add', 'searchBatch', 'filter', 'remove'])
        for (const [name, { transferred, reference }] of Object.entries(results)) {
          t.deepEqual(transferred, reference, name)
        }
        // The references themselves are right: every probe finds its own row at distance 0, the
        // filter keeps ids from 50 up, the removal removed all four.
        const add = results.add.reference as { hits: { id: number; distance: number }[] }
        t.true(add.hits.every(h => h.distance === 0))
        t.true((results.filter.reference as number[]).every(id => id >= 50))
        t.like(results.remove.reference, { removed: 4, size: 96, gone: [3, 5, 7, 11] })
      },
    )
  }
}
