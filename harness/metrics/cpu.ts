/**
 * CPU attribution over a measurement window: how busy the whole machine was, and how much of
 * that was the load generator's JS thread, the engine's native threads, and other processes.
 *
 * Sources: the OS's per-core counters (`os.cpus()`: /proc/stat on Linux, host_processor_info on
 * macOS, NtQuerySystemInformation on Windows) for the machine; `process.cpuUsage()` for this
 * process; the main thread's own CPU clock where Node has one (`process.threadCpuUsage()`,
 * Node ≥ 23.9) or Linux exposes it (/proc/self/task/<pid>/stat); the engine's per-thread CPU
 * clocks as reported by the target. All figures are percent of the machine (all cores = 100).
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'

/** One window's CPU attribution; each figure is percent of the whole machine (all cores = 100). */
export interface CpuAttribution {
  /** Logical cores the figures are shares of. */
  cores: number
  /** Busy share of all cores, from the OS's counters (every process). */
  machineBusy: number
  /** This process's JS thread (null where no per-thread clock exists: see `mainThreadSource`). */
  mainThread: number | null
  /** The engine's native worker threads, from their thread CPU clocks (0 when the target reports none). */
  engineThreads: number
  /** This process's other threads (GC, libuv, the detector's watchdog, …): process − main − engine. */
  otherThreads: number | null
  /** Everything that is not this process: machine − process. */
  otherProcesses: number
  /** Event-loop utilisation of the JS thread over the window, 0..1 (busy share of one core's time). */
  eventLoopUtilization: number
  /** Where `mainThread` came from. */
  mainThreadSource: 'thread-clock' | 'procfs' | 'unavailable'
}

interface MachineTimes {
  busy: number
  total: number
}

function machineTimes(): MachineTimes {
  let busy = 0
  let total = 0
  for (const cpu of os.cpus()) {
    const t = cpu.times
    const all = t.user + t.nice + t.sys + t.idle + t.irq
    total += all
    busy += all - t.idle
  }
  return { busy, total }
}

type ThreadCpuUsage = () => NodeJS.CpuUsage
const threadCpuUsage = (process as unknown as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage

/** Linux: clock ticks per second of /proc's utime/stime. 100 on every mainstream kernel config. */
const PROC_CLOCK_TICKS_PER_S = 100

/** The main thread's CPU time in ms, or null where no per-thread source exists. */
function mainThreadCpuMs(): { ms: number; source: CpuAttribution['mainThreadSource'] } | null {
  if (threadCpuUsage) {
    const u = threadCpuUsage.call(process)
    return { ms: (u.user + u.system) / 1000, source: 'thread-clock' }
  }
  if (process.platform === 'linux') {
    try {
      // The main thread's task id is the pid. Fields after the parenthesised name: utime is 14th, stime 15th.
      const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ticks = Number(fields[11]) + Number(fields[12])
      if (Number.isFinite(ticks)) return { ms: (ticks * 1000) / PROC_CLOCK_TICKS_PER_S, source: 'procfs' }
    } catch {
      // not readable (sandbox): no per-thread figure
    }
  }
  return null
}

/** Counters read at the start of a window. */
export interface CpuSnapshot {
  wallMs: number
  machine: MachineTimes
  process: NodeJS.CpuUsage
  mainThread: ReturnType<typeof mainThreadCpuMs>
  elu: ReturnType<typeof performance.eventLoopUtilization>
}

export function cpuSnapshot(): CpuSnapshot {
  return {
    wallMs: performance.now(),
    machine: machineTimes(),
    process: process.cpuUsage(),
    mainThread: mainThreadCpuMs(),
    elu: performance.eventLoopUtilization(),
  }
}

/** The window from `start` to now; `engineCpuMs` is what the target's native threads reported for it. */
export function cpuAttribution(start: CpuSnapshot, engineCpuMs: number): CpuAttribution {
  const end = cpuSnapshot()
  const cores = os.availableParallelism()
  const capacityMs = Math.max(1e-9, (end.wallMs - start.wallMs) * cores)
  const share = (ms: number): number => (100 * ms) / capacityMs
  const machineDelta = end.machine.total - start.machine.total
  const machineBusy = machineDelta > 0 ? (100 * (end.machine.busy - start.machine.busy)) / machineDelta : 0
  const processCpu = share((end.process.user - start.process.user + end.process.system - start.process.system) / 1000)
  const main =
    start.mainThread && end.mainThread && start.mainThread.source === end.mainThread.source
      ? share(end.mainThread.ms - start.mainThread.ms)
      : null
  const engine = share(engineCpuMs)
  return attribute({
    cores,
    machineBusy,
    processCpu,
    mainThread: main,
    engineThreads: engine,
    eventLoopUtilization: performance.eventLoopUtilization(end.elu, start.elu).utilization,
    mainThreadSource: main === null ? 'unavailable' : (end.mainThread?.source ?? 'unavailable'),
  })
}

/**
 * Pure part of {@link cpuAttribution}: clamps the shares into a consistent picture. The OS's
 * counters and the thread clocks tick at different resolutions (10 ms for /proc), so a share
 * derived by subtraction is clamped at 0 and the process never counts for more than the machine.
 */
export function attribute(a: {
  cores: number
  machineBusy: number
  processCpu: number
  mainThread: number | null
  engineThreads: number
  eventLoopUtilization: number
  mainThreadSource: CpuAttribution['mainThreadSource']
}): CpuAttribution {
  const clamp = (x: number): number => Math.min(100, Math.max(0, x))
  const machineBusy = clamp(Math.max(a.machineBusy, a.processCpu))
  const processCpu = clamp(a.processCpu)
  return {
    cores: a.cores,
    machineBusy,
    mainThread: a.mainThread === null ? null : clamp(a.mainThread),
    engineThreads: clamp(a.engineThreads),
    otherThreads: a.mainThread === null ? null : clamp(processCpu - a.mainThread - a.engineThreads),
    otherProcesses: clamp(machineBusy - processCpu),
    eventLoopUtilization: Math.min(1, Math.max(0, a.eventLoopUtilization)),
    mainThreadSource: a.mainThreadSource,
  }
}
