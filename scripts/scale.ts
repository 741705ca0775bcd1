/**
 * How many concurrent users does this setup serve, where does it break, why, and what to do?
 *
 *   npx tsx scripts/scale.ts            (Node 20)     node scripts/scale.ts   (Node >= 22.18)
 *   npx tsx scripts/scale.ts --help
 *
 * `--threads N` sets UV_THREADPOOL_SIZE, which libuv reads once at start-up: the script then
 * runs itself again in a child process with the variable set.
 */
import { spawn } from 'node:child_process'

import { main } from '../cli/scale.ts'

function threadsFlag(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--threads') return argv[i + 1] ?? null
    if (argv[i].startsWith('--threads=')) return argv[i].slice('--threads='.length)
  }
  return null
}

const argv = process.argv.slice(2)
const threads = threadsFlag(argv)
if (threads !== null && /^\d+$/.test(threads) && process.env.UV_THREADPOOL_SIZE !== threads) {
  // Same Node, same loader flags (tsx's, if any), same script and arguments; only the env differs.
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: threads },
  })
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
} else {
  main(argv).then(code => {
    process.exitCode = code
  })
}
