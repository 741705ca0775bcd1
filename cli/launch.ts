/**
 * Runs a command as the process's entry point: the exit code becomes `process.exitCode`, and
 * `--threads N` relaunches the process with `UV_THREADPOOL_SIZE=N` first, because libuv reads
 * that variable once, when its thread pool starts (the engine's search pool, src/pool.rs, is
 * sized from it too when it is set).
 */
import { spawn } from 'node:child_process'

/** The value of `--threads N` / `--threads=N` in `argv`, or null when absent. */
export function threadsFlag(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--threads') return argv[i + 1] ?? null
    if (argv[i].startsWith('--threads=')) return argv[i].slice('--threads='.length)
  }
  return null
}

/**
 * Calls `run(argv)` and sets the exit code, or, when `argv` asks for a thread-pool size that
 * is not in effect, runs this same process again with it (same Node, same loader flags such
 * as tsx's, same script and arguments; only the environment differs). A malformed value is
 * left to `run`'s own flag parser, which reports it.
 */
export function launch(argv: readonly string[], run: (argv: readonly string[]) => Promise<number>): void {
  const threads = threadsFlag(argv)
  if (threads !== null && /^\d+$/.test(threads) && process.env.UV_THREADPOOL_SIZE !== threads) {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, UV_THREADPOOL_SIZE: threads },
    })
    child.on('error', error => {
      process.stderr.write(`could not relaunch with UV_THREADPOOL_SIZE=${threads}: ${error.message}\n`)
      process.exitCode = 1
    })
    child.on('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 1 : 0)
    })
    return
  }
  run(argv).then(code => {
    process.exitCode = code
  })
}
