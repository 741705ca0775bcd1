/**
 * What the run ran on: recorded in every result so numbers can be compared honestly.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { histogramBackend } from './metrics/histogram.ts'

export interface EnvironmentInfo {
  /** `os.cpus()[0].model` ('unknown' if unavailable). */
  cpuModel: string
  /** `os.availableParallelism()`. */
  cores: number
  /** `UV_THREADPOOL_SIZE` from the environment, or libuv's default 4. */
  uvThreadpoolSize: number
  nodeVersion: string
  platform: string
  arch: string
  /** Version of this package, or null if it could not be read. */
  packageVersion: string | null
  /** hdr-histogram-js build used for recording. */
  histogramBackend: 'wasm' | 'js'
}

const PACKAGE_NAME = '@acme/vector-native'

/**
 * Reads this package's version from its package.json, found relative to this module (works
 * from `harness/` in the repo and from `dist/harness/` once built). Null if not found.
 */
export function readPackageVersion(): string | null {
  for (const rel of ['../package.json', '../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version
    } catch {
      // try the next candidate
    }
  }
  return null
}

/** libuv thread-pool size in effect (env `UV_THREADPOOL_SIZE`, clamped as libuv does, else 4). */
export function uvThreadpoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10)
  if (!Number.isFinite(n) || n <= 0) return 4
  return Math.min(n, 1024)
}

export function collectEnvironment(packageVersion?: string): EnvironmentInfo {
  const cpus = os.cpus()
  return {
    cpuModel: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    uvThreadpoolSize: uvThreadpoolSize(),
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
    packageVersion: packageVersion ?? readPackageVersion(),
    histogramBackend: histogramBackend(),
  }
}
