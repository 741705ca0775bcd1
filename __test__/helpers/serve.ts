/**
 * `vector-native serve` as a real child process on 127.0.0.1 and a free port, for the tests:
 * started from the sources (tsx), its URL read from its first stdout line, stopped by a signal
 * (SIGKILL after a bound, so a test never leaves it running).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'

const bin = join(process.cwd(), 'cli', 'bin.ts')
const tsx = import.meta.resolve('tsx')

export interface ServedEngine {
  url: string
  port: number
  child: ChildProcess
  /** Everything the server wrote to stderr so far. */
  stderr(): string
  /** Sends `signal` and resolves to the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
}

/** Starts `vector-native serve --port 0 ...args`; rejects if it is not listening within `timeoutMs`. */
export function startServe(args: string[] = [], timeoutMs = 60_000): Promise<ServedEngine> {
  const child = spawn(process.execPath, ['--import', tsx, bin, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  let out = ''
  let err = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s
  })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', bound = 20_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), bound)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`serve did not listen within ${timeoutMs} ms:\n${err}`))
    }, timeoutMs)
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1], port: Number(m[2]), child, stderr: () => err, stop })
      }
    })
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`serve exited (${code}) before listening:\n${err}`))
    })
  })
}

/** POSTs (or GETs, without a body) JSON; resolves to the status and the parsed body. */
export async function json(
  url: string,
  body?: unknown,
  init: { method?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const hasBody = body !== undefined || init.raw !== undefined
  const res = await fetch(url, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: hasBody ? { 'content-type': 'application/json', ...init.headers } : init.headers,
    body: init.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    signal: AbortSignal.timeout(20_000),
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed }
}

/** Runs `vector-native ...args` from the sources (tsx) as a child process; its exit code and output. */
export function vectorNative(
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', tsx, bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', UV_THREADPOOL_SIZE: '' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
