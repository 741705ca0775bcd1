/** Shared plumbing of the benchmarks: flags, number formatting, tables, machine facts, results. */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
export const CACHE_DIR = join(BENCH_DIR, '.cache')
export const RESULTS_DIR = join(BENCH_DIR, 'results')

export interface Flags {
  quick: boolean
  /** extra `--name=value` flags */
  values: Map<string, string>
}

export function parseFlags(argv: readonly string[] = process.argv.slice(2)): Flags {
  const values = new Map<string, string>()
  // BENCH_QUICK=1 works where flags cannot be passed through (e.g. nested `npm --prefix … run`).
  let quick = process.env.BENCH_QUICK === '1'
  for (const arg of argv) {
    if (arg === '--quick') quick = true
    else if (arg.startsWith('--')) {
      // `--out=a=b.json` keeps everything after the first `=`.
      const eq = arg.indexOf('=')
      values.set(eq < 0 ? arg.slice(2) : arg.slice(2, eq), eq < 0 ? 'true' : arg.slice(eq + 1))
    }
  }
  return { quick, values }
}

/** Is this module the script node was started with (so a benchmark file also runs alone)? */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  return fileURLToPath(metaUrl) === entry || fileURLToPath(metaUrl).replace(/\.ts$/, '') === entry.replace(/\.ts$/, '')
}

// ---------- formatting ----------

/** Nanoseconds, human-readable. */
export function ns(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  if (Math.abs(x) >= 1e9) return `${(x / 1e9).toFixed(2)} s`
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)} ms`
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)} µs`
  if (Math.abs(x) >= 1e3) return `${(x / 1e3).toFixed(2)} µs`
  return `${x.toFixed(1)} ns`
}

export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return String(x)
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a'
  return `${(a / b).toFixed(2)}×`
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** A GitHub-flavoured markdown table (so output can be pasted into the docs). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map(r => r.map(String))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map(r => (r[i] ?? '').length)))
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  return [line(headers), `| ${widths.map(w => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)].join('\n')
}

/** Prints {@link markdownTable} and returns it. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const out = markdownTable(headers, rows)
  console.log(out)
  return out
}

export function heading(text: string): void {
  console.log(`\n## ${text}\n`)
}

// ---------- machine ----------

export interface Machine {
  cpu: string
  cpuFamilyModel: string
  logicalCpus: number
  memGiB: number
  kernel: string
  node: string
  v8: string
  uvThreadpoolSize: string
  hypervisor: string | null
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown'
  let familyModel = ''
  let hypervisor: string | null = null
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpu
    const family = /^cpu family\s*:\s*(\d+)$/m.exec(info)?.[1]
    const model = /^model\s*:\s*(\d+)$/m.exec(info)?.[1]
    if (family !== undefined) familyModel = `family ${family} model ${model}`
    if (/\bhypervisor\b/.test(info)) hypervisor = 'yes'
  } catch {
    // not Linux
  }
  try {
    const lscpu = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const hv = /^Hypervisor vendor:\s*(.*)$/m.exec(lscpu)?.[1]
    if (hv) hypervisor = hv
  } catch {
    // no lscpu
  }
  return {
    cpu,
    cpuFamilyModel: familyModel,
    logicalCpus: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    v8: process.versions.v8,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    hypervisor,
  }
}

/** The 1, 5 and 15 minute load averages, e.g. `0.52 0.61 0.70`. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map(x => x.toFixed(2))
    .join(' ')
}

export function describeMachine(): string {
  const m = machine()
  return (
    `${m.cpu}${m.cpuFamilyModel ? ` (${m.cpuFamilyModel})` : ''}, ${m.logicalCpus} logical CPUs, ${m.memGiB} GiB` +
    `${m.hypervisor ? `, hypervisor ${m.hypervisor}` : ''}; Node ${m.node} (V8 ${m.v8}); UV_THREADPOOL_SIZE=${m.uvThreadpoolSize}`
  )
}

// ---------- results ----------

export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${name}.json`)
  writeFileSync(path, JSON.stringify({ name, date: new Date().toISOString(), machine: machine(), data }, null, 2))
  return path
}

// ---------- stats ----------

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[idx]
}

/** process.hrtime.bigint() in ns as a number. */
export function nowNs(): number {
  return Number(process.hrtime.bigint())
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) {
    g()
    g()
  }
}

/** Current and peak resident set size from /proc (bytes); falls back to process.memoryUsage. */
export function rss(): { rss: number; peak: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
    return { rss: kb('VmRSS'), peak: kb('VmHWM') }
  } catch {
    const r = process.memoryUsage().rss
    return { rss: r, peak: r }
  }
}

// ---------- other processes' CPU use (the machine is shared; 2 cores) ----------

/** Busy and total CPU ticks of the whole machine (/proc/stat) and this process's CPU time. */
export interface CpuSnapshot {
  busy: number
  total: number
  /** CPU time of this process (all its threads), µs */
  ownUs: number
}

/** A {@link CpuSnapshot} now, or null off Linux. */
export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number) // user..steal
    const total = f.reduce((a, b) => a + b, 0)
    const idle = f[3] + f[4] // idle + iowait
    const own = process.cpuUsage()
    return { busy: total - idle, total, ownUs: own.user + own.system }
  } catch {
    return null
  }
}

const TICK_US = 10_000 // USER_HZ = 100 on Linux: a tick is 10 ms of one CPU

/** Share of the whole machine (0..1) that other processes used between two snapshots; NaN if unknown. */
export function othersShare(a: CpuSnapshot | null, b: CpuSnapshot | null): number {
  if (a === null || b === null || b.total <= a.total) return Number.NaN
  const own = (b.ownUs - a.ownUs) / TICK_US
  return Math.max(0, (b.busy - a.busy - own) / (b.total - a.total))
}

export interface Window {
  /** wall time of the window, ms */
  wallMs: number
  /** CPU time this process used, ms (all its threads) */
  ownCpuMs: number
  /** share of the machine's CPUs used by *other* processes during the window, 0..1 (NaN if unknown) */
  othersShare: number
}

/** Starts a measurement window; `end()` says how much of the machine other processes took meanwhile. */
export function startWindow(): { end: () => Window } {
  const t0 = nowNs()
  const c0 = process.cpuUsage()
  const s0 = cpuSnapshot()
  return {
    end(): Window {
      const wallMs = (nowNs() - t0) / 1e6
      const c = process.cpuUsage(c0)
      const ownCpuMs = (c.user + c.system) / 1e3
      // Below ~5 ticks the share is mostly rounding.
      const share = wallMs > 50 ? othersShare(s0, cpuSnapshot()) : Number.NaN
      return { wallMs, ownCpuMs, othersShare: share }
    },
  }
}

/**
 * Waits (up to `maxWaitMs`) until other processes use less than `threshold` of the machine over
 * a `sampleMs` sample. Returns the last sampled share; the caller records it with its results.
 */
export async function waitForQuiet(
  label: string,
  threshold = 0.1,
  maxWaitMs = 60_000,
  sampleMs = 1000,
): Promise<number> {
  const start = Date.now()
  let warned = false
  for (;;) {
    const w = startWindow()
    await new Promise(r => setTimeout(r, sampleMs))
    const share = w.end().othersShare
    if (!(share > threshold) || Date.now() - start > maxWaitMs) {
      if (share > threshold)
        console.error(
          `[${label}] machine still busy (other processes ${(share * 100).toFixed(0)}% of CPUs); measuring anyway`,
        )
      return share
    }
    if (!warned) {
      console.error(
        `[${label}] other processes use ${(share * 100).toFixed(0)}% of the CPUs; waiting for a quiet machine (≤ ${maxWaitMs / 1000} s)…`,
      )
      warned = true
    }
  }
}

export function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a'
}
