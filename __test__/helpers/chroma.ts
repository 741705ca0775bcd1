/**
 * Chroma (a third-party vector database, from PyPI) as a real server on 127.0.0.1 for the tests:
 * found in ./.venv-chroma (scripts/install-chroma.mjs, run by .ci/run), at $CHROMA_BIN, or on
 * PATH; started on a free loopback port with its data in a temporary directory; stopped by
 * SIGTERM (SIGKILL after a bound).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { CHROMA_COLLECTIONS } from '../../harness/target/http-presets.ts'

/** The `chroma` command, or null when it is not installed. */
export function findChroma(): string | null {
  const windows = process.platform === 'win32'
  const candidates = [
    process.env.CHROMA_BIN,
    join(process.cwd(), '.venv-chroma', windows ? 'Scripts' : 'bin', windows ? 'chroma.exe' : 'chroma'),
  ]
  for (const c of candidates) if (c && existsSync(c)) return c
  const onPath = spawnSync(windows ? 'where' : 'which', ['chroma'], { encoding: 'utf8' })
  return onPath.status === 0 && onPath.stdout.trim() ? onPath.stdout.trim().split('\n')[0] : null
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

export interface RunningChroma {
  url: string
  child: ChildProcess
  log(): string
  stop(): Promise<void>
}

/** Starts `chroma run` on 127.0.0.1; resolves once its heartbeat answers (within `timeoutMs`). */
export async function startChroma(command: string, timeoutMs = 90_000): Promise<RunningChroma> {
  const dir = mkdtempSync(join(tmpdir(), 'vn-chroma-'))
  const port = await freePort()
  const child = spawn(command, ['run', '--host', '127.0.0.1', '--port', String(port), '--path', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ANONYMIZED_TELEMETRY: 'False', NO_COLOR: '1' },
  })
  let log = ''
  const keep = (s: string): void => {
    log = (log + s).slice(-20_000)
  }
  child.stdout?.setEncoding('utf8').on('data', keep)
  child.stderr?.setEncoding('utf8').on('data', keep)
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      const res = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) return { url, child, log: () => log, stop }
    } catch {
      // not listening yet
    }
    await sleep(250)
  }
  await stop()
  throw new Error(`chroma did not start within ${timeoutMs} ms:\n${log}`)
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`POST ${url} → ${res.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/** Creates a cosine collection and adds the documents with their vectors, in batches. */
export async function loadCollection(
  url: string,
  name: string,
  docs: readonly { id: string; text: string; vector: number[] }[],
): Promise<string> {
  const created = (await post(`${url}${CHROMA_COLLECTIONS}`, { name, metadata: { 'hnsw:space': 'cosine' } })) as {
    id: string
  }
  for (let i = 0; i < docs.length; i += 500) {
    const batch = docs.slice(i, i + 500)
    await post(`${url}${CHROMA_COLLECTIONS}/${created.id}/add`, {
      ids: batch.map(d => d.id),
      embeddings: batch.map(d => d.vector),
      documents: batch.map(d => d.text),
    })
  }
  return created.id
}
