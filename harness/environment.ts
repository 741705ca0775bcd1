/**
 * What the run ran on: recorded in every result so numbers can be compared honestly.
 *
 * The harness imports no engine: what only the engine knows (its kernel instruction set) is
 * passed in by the layer that has one, as {@link EngineEnvironment}.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { histogramBackend } from './metrics/histogram.ts'

/** CPU features that decide which distance kernels the engine dispatches to. */
export const KERNEL_CPU_FLAGS = ['avx2', 'avx512f', 'fma', 'neon'] as const
export type KernelCpuFlag = (typeof KERNEL_CPU_FLAGS)[number]

/** How long a probe of the machine (`git`, `sysctl`) may take before it counts as unknown. */
export const ENVIRONMENT_PROBE_TIMEOUT_MS = 2000

/** What the engine under test says about itself. */
export interface EngineEnvironment {
  /** The instruction set the engine's kernels dispatched to (`kernelIsa()`: avx512f, avx2, neon, scalar). */
  kernelIsa: string
  /**
   * Threads of the engine's search pool (`searchThreads()`), where searches wait and run; other
   * engine calls use libuv's `uvThreadpoolSize` workers. Absent in reports from before the pool.
   */
  searchThreads?: number
}

export interface EnvironmentInfo {
  /** `os.cpus()[0].model` ('unknown' if unavailable). */
  cpuModel: string
  /** `os.availableParallelism()`. */
  cores: number
  /** Which of {@link KERNEL_CPU_FLAGS} the CPU has; null where they cannot be read (not Linux or macOS). */
  cpuFlags: KernelCpuFlag[] | null
  /** `UV_THREADPOOL_SIZE` from the environment, or libuv's default 4. */
  uvThreadpoolSize: number
  nodeVersion: string
  /** `process.versions.v8`. */
  v8Version: string
  platform: string
  arch: string
  /** Version of this package, or null if it could not be read. */
  packageVersion: string | null
  /** `git rev-parse --short HEAD` when this package runs from a git checkout, else null. */
  gitRevision: string | null
  /** hdr-histogram-js build used for recording. */
  histogramBackend: 'wasm' | 'js'
  /** Set by the caller that knows the engine (the `scale` command does); null otherwise. */
  engine: EngineEnvironment | null
}

const PACKAGE_NAME = '@acme/vector-native'

/**
 * The directory of this package's package.json, found relative to this module (works from
 * `harness/` in the repo and from `dist/harness/` once built), with its parsed content.
 */
function findPackage(): { dir: string; version: string } | null {
  for (const rel of ['../', '../../', '../../../']) {
    const dir = new URL(rel, import.meta.url)
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string')
        return { dir: fileURLToPath(dir), version: pkg.version }
    } catch {
      // try the next candidate
    }
  }
  return null
}

/** This package's version, from its package.json. Null if not found. */
export function readPackageVersion(): string | null {
  return findPackage()?.version ?? null
}

/** libuv thread-pool size in effect (env `UV_THREADPOOL_SIZE`, clamped as libuv does, else 4). */
export function uvThreadpoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10)
  if (!Number.isFinite(n) || n <= 0) return 4
  return Math.min(n, 1024)
}

/** Runs a short probe command; its trimmed output, or null on any failure or timeout. */
function probe(command: string, args: string[], cwd?: string): string | null {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: ENVIRONMENT_PROBE_TIMEOUT_MS,
      windowsHide: true,
    }).trim()
  } catch {
    return null
  }
}

/**
 * The {@link KERNEL_CPU_FLAGS} among feature names as the OS spells them: Linux's
 * /proc/cpuinfo `flags` (x86) or `Features` (Arm: `asimd` is NEON) line, or macOS's sysctl
 * `machdep.cpu.features` / `leaf7_features` (upper case). Pure.
 */
export function kernelCpuFlags(features: string): KernelCpuFlag[] {
  const present = new Set(
    features
      .toLowerCase()
      .split(/\s+/)
      .map(f => (f === 'asimd' ? 'neon' : f)),
  )
  return KERNEL_CPU_FLAGS.filter(flag => present.has(flag))
}

/** The first `flags` (x86) or `Features` (Arm) line of /proc/cpuinfo's text, or null. Pure. */
export function cpuinfoFeatures(cpuinfo: string): string | null {
  return /^(?:flags|Features)\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? null
}

function readCpuFlags(): KernelCpuFlag[] | null {
  if (process.platform === 'linux') {
    try {
      const features = cpuinfoFeatures(readFileSync('/proc/cpuinfo', 'utf8'))
      return features === null ? null : kernelCpuFlags(features)
    } catch {
      return null
    }
  }
  if (process.platform === 'darwin') {
    // Apple silicon has no machdep.cpu.features; NEON is hw.optional.neon = 1.
    if (process.arch === 'arm64') {
      const neon = probe('sysctl', ['-n', 'hw.optional.neon'])
      return neon === null ? null : neon === '1' ? ['neon'] : []
    }
    const features = probe('sysctl', ['-n', 'machdep.cpu.features', 'machdep.cpu.leaf7_features'])
    return features === null ? null : kernelCpuFlags(features)
  }
  return null
}

function readGitRevision(): string | null {
  // Only this package's own checkout: installed under an application's node_modules, a
  // `git` run there would name the application's commit, not this package's.
  const pkg = findPackage()
  if (pkg === null || !existsSync(join(pkg.dir, '.git'))) return null
  const revision = probe('git', ['rev-parse', '--short', 'HEAD'], pkg.dir)
  return revision !== null && /^[0-9a-f]{4,40}$/.test(revision) ? revision : null
}

// Facts that cannot change while the process runs: probed once (each probe may block for a
// few milliseconds), on the first collection, which a sweep makes before it measures.
let machineFacts: { cpuFlags: KernelCpuFlag[] | null; gitRevision: string | null } | undefined

export function collectEnvironment(packageVersion?: string): EnvironmentInfo {
  machineFacts ??= { cpuFlags: readCpuFlags(), gitRevision: readGitRevision() }
  const cpus = os.cpus()
  return {
    cpuModel: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpuFlags: machineFacts.cpuFlags,
    uvThreadpoolSize: uvThreadpoolSize(),
    nodeVersion: process.version,
    v8Version: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    packageVersion: packageVersion ?? readPackageVersion(),
    gitRevision: machineFacts.gitRevision,
    histogramBackend: histogramBackend(),
    engine: null,
  }
}
