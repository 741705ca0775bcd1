/**
 * Every public entry point of `engine/` × a table of hostile values (`__test__/helpers/
 * bad-input.ts`): each case is a coded error of the kind its parameter allows, or a success
 * the table documents with its reason — never an uncoded error, a synchronous throw from a
 * Promise-returning method, a hang or a crash — and the index or store answers as before
 * (checked after every case, and by reopening the store from disk at the end).
 *
 * The cases run in a child process (`__test__/fixtures/bad-input-run.ts`), so a case that
 * crashes the process fails this test with its name instead of killing ava.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { documentedSuccess } from '../helpers/bad-input.ts'

const FIXTURE = fileURLToPath(new URL('../fixtures/bad-input-run.ts', import.meta.url))

interface Line {
  start?: string
  id?: string
  outcome?: string
  code?: string
  message?: string
  intact?: boolean
  codes?: string[]
  stray?: string
  kind?: string
  reopen?: boolean
  problems?: string[]
  done?: boolean
  count?: number
}

function runTable(): Promise<{ lines: Line[]; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      ['--import=tsx', FIXTURE],
      // Enough pool threads that one stuck call (a hang is a failure) cannot stall the rest.
      { env: { ...process.env, UV_THREADPOOL_SIZE: '8' }, timeout: 540_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const lines = stdout
          .split('\n')
          .filter(line => line.length > 0)
          .map(line => JSON.parse(line) as Line)
        resolve({ lines, signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null, stderr })
      },
    )
  })
}

test('bad input through the whole engine API: a coded error or a documented success, the store intact', async t => {
  t.timeout(600_000)
  const { lines, signal, stderr } = await runTable()
  const started = lines.filter(l => l.start !== undefined)
  const done = lines.find(l => l.done === true)
  t.truthy(
    done,
    `the run did not finish (${signal ?? 'no signal'}); last case started: ${started.at(-1)?.start}\n${stderr.slice(-2000)}`,
  )

  const results = lines.filter(l => l.id !== undefined)
  const failures: string[] = []
  for (const r of results) {
    const codedAsAllowed = r.outcome === 'coded' && r.codes!.includes(r.code!)
    const documented = r.outcome === 'ok' ? documentedSuccess(r.id!) : null
    if (!codedAsAllowed && documented === null) {
      failures.push(`${r.id}: ${r.outcome} ${r.code ?? ''} (allowed ${r.codes!.join('/')}) ${r.message ?? ''}`)
    }
    if (r.intact !== true) failures.push(`${r.id}: the index or store changed`)
  }
  for (const stray of lines.filter(l => l.stray !== undefined)) {
    failures.push(`${stray.stray}: ${stray.kind} ${stray.message}`)
  }
  const reopen = lines.find(l => l.reopen !== undefined)
  t.true(reopen?.reopen, 'the store reopened from disk answers as before')
  t.deepEqual(reopen?.problems, [])

  const coded = results.filter(r => r.outcome === 'coded').length
  const successes = results.filter(r => r.outcome === 'ok').length
  const summary = `${results.length} bad-input cases: ${coded} coded errors, ${successes} documented successes, ${failures.length} failures`
  t.log(summary)
  console.log(summary)
  t.true(results.length > 1000, `${results.length} cases`)
  t.deepEqual(failures.slice(0, 50), [], `${failures.length} failing cases`)
})
