/**
 * The HTTP overhead, measured with the CLI itself: the default `scale` sweep of the built-in
 * corpus in-process, then the same corpus behind `vector-native serve` swept by
 * `scale --target http://127.0.0.1:PORT`, once with one generator process and once with
 * `--workers 2`. Prints peak throughput, the 1-user latency, and each generator's CPU.
 *
 *   npm --prefix benchmark run bench:http            (or: npx tsx benchmark/http.bench.ts from the root)
 *   ... -- --docs 20000 --duration 5s --levels 1..32 --rounds 7
 *   ... -- --ab-only          only the interleaved 1-user comparison (about 40 s)
 *
 * Every server is on 127.0.0.1 and stopped at the end; each sweep is bounded by its levels and
 * durations. Results: docs/benchmarks/http.md.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'cli', 'bin.ts')
const tsx = import.meta.resolve('tsx')

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '5s' },
    levels: { type: 'string', default: '1..32' },
    rounds: { type: 'string', default: '7' },
    'ab-only': { type: 'boolean', default: false },
  },
})

interface Level {
  concurrentUsers: number
  successfulRequestsPerSecond: number
  responseTime: { p50: number; p99: number; mean: number }
  processCpuMs: number
  window: { durationMs: number }
  cpu: { machineBusy: number; otherProcesses: number }
  generators?: {
    index: number
    concurrency: number
    processCpuMs: number
    cpuPercentOfCore: number
    cpuMsPerRequest: number | null
  }[]
}

function cli(args: string[], timeoutMs = 600_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err = (err + s).slice(-5000)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', code => {
      clearTimeout(timer)
      code === 0 ? resolve() : reject(new Error(`vector-native ${args.join(' ')} exited ${code}:\n${err}`))
    })
  })
}

function serve(): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, bin, 'serve', '--port', '0', '--docs', values.docs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error('serve did not start in 5 minutes'))
    }, 300_000)
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1], child })
      }
    })
  })
}

function levels(dir: string): Level[] {
  return (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { testResults: Level[] }).testResults
}

function summary(name: string, ls: Level[]): string {
  const peak = ls.reduce((a, b) => (b.successfulRequestsPerSecond > a.successfulRequestsPerSecond ? b : a))
  const one = ls.find(l => l.concurrentUsers === 1)
  const busy = ls.map(l => `${l.cpu.machineBusy.toFixed(0)}/${l.cpu.otherProcesses.toFixed(0)}`).join(' ')
  return `| ${name} | ${peak.successfulRequestsPerSecond.toFixed(0)} at ${peak.concurrentUsers} | ${one ? `${one.responseTime.p50.toFixed(2)} / ${one.responseTime.mean.toFixed(2)} / ${one.responseTime.p99.toFixed(2)}` : '–'} | ${busy} |`
}

/**
 * The HTTP overhead at 1 user, robust to a busy machine: the same corpus in this process and
 * behind `serve`, measured in alternation (in-process, HTTP, in-process, ...) for `rounds`
 * rounds of `ms` each; the medians of each side's p50, mean and throughput are compared.
 */
async function interleaved(rounds: number, ms: number): Promise<string[]> {
  const { prepareWorkload } = await import('../cli/workload.ts')
  const { ConcurrentBenchmark } = await import('../harness/run/benchmark.ts')
  const { unifiedSearchTarget, httpTarget, HTTP_PRESETS } = await import('../harness/target/index.ts')
  const workload = await prepareWorkload(
    {
      corpus: null,
      documents: Number(values.docs),
      dimensions: 256,
      textIndexPath: null,
      vectorDbPath: null,
      mode: 'hybrid',
      seed: 42,
    },
    () => {},
  )
  const server = await serve()
  const local = unifiedSearchTarget(workload.system, { mode: 'hybrid', k: 10 })
  const remote = httpTarget({
    ...(await HTTP_PRESETS['vector-native'].resolve(server.url, {})),
    url: server.url,
    connections: 1,
    k: 10,
  })
  const sides = { 'in-process': [] as Level[], 'serve + HTTP': [] as Level[] }
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, target] of [
        ['in-process', local],
        ['serve + HTTP', remote],
      ] as const) {
        const r = await new ConcurrentBenchmark(target as never).runConcurrentTest({
          load: { model: 'closed', users: 1, durationMs: ms, warmUpMs: 300 },
          queries: workload.queries,
          seed: 42 + round,
          detector: false,
        })
        sides[name].push(r as unknown as Level)
      }
    }
  } finally {
    await remote.close()
    await local.close()
    server.child.kill('SIGTERM')
    await workload.cleanup()
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  }
  const row = (name: keyof typeof sides): [number, number, number] => [
    median(sides[name].map(l => l.responseTime.p50)),
    median(sides[name].map(l => l.responseTime.mean)),
    median(sides[name].map(l => l.successfulRequestsPerSecond)),
  ]
  const a = row('in-process')
  const b = row('serve + HTTP')
  return [
    `interleaved 1-user A/B: ${rounds} rounds of ${ms} ms each side, medians (load average now ${load()})`,
    '',
    '| 1 user | p50 ms | mean ms | req/s |',
    '| --- | --- | --- | --- |',
    `| in-process | ${a[0].toFixed(3)} | ${a[1].toFixed(3)} | ${a[2].toFixed(0)} |`,
    `| serve + HTTP | ${b[0].toFixed(3)} | ${b[1].toFixed(3)} | ${b[2].toFixed(0)} |`,
    `| HTTP overhead | +${(b[0] - a[0]).toFixed(3)} | +${(b[1] - a[1]).toFixed(3)} | ${((100 * (b[2] - a[2])) / a[2]).toFixed(0)} % |`,
  ]
}

const load = (): string =>
  loadavg()
    .map(l => l.toFixed(2))
    .join(' ')
if (values['ab-only']) {
  console.log((await interleaved(Number(values.rounds), 2000)).join('\n'))
  process.exit(0)
}

const tmp = mkdtempSync(join(tmpdir(), 'vn-http-bench-'))
const common = ['--docs', values.docs, '--duration', values.duration, '--levels', values.levels, '--no-color']
const lines: string[] = [`load average before: ${load()}`]
try {
  await cli(['scale', ...common, '--out', join(tmp, 'in-process')])
  lines.push(`load average after in-process: ${load()}`)
  const server = await serve()
  try {
    await cli(['scale', '--target', server.url, ...common, '--out', join(tmp, 'http')])
    lines.push(`load average after http: ${load()}`)
    await cli(['scale', '--target', server.url, '--workers', '2', ...common, '--out', join(tmp, 'http-workers')])
    lines.push(`load average after http --workers 2: ${load()}`)
  } finally {
    server.child.kill('SIGTERM')
  }
  const table = [
    '| run | peak req/s at users | 1 user p50 / mean / p99 ms | machine busy / other processes % per level |',
    '| --- | --- | --- | --- |',
    summary('in-process', levels(join(tmp, 'in-process'))),
    summary('serve + --target', levels(join(tmp, 'http'))),
    summary('serve + --target --workers 2', levels(join(tmp, 'http-workers'))),
  ]
  const gens = levels(join(tmp, 'http-workers')).map(
    l =>
      `| ${l.concurrentUsers} | ${(l.generators ?? [])
        .map(
          g =>
            `#${g.index}: ${g.concurrency} users, ${g.processCpuMs.toFixed(0)} ms (${g.cpuPercentOfCore.toFixed(0)} % of a core, ${g.cpuMsPerRequest?.toFixed(3) ?? '–'} ms/req)`,
        )
        .join(' · ')} |`,
  )
  const single = levels(join(tmp, 'http')).map(
    l =>
      `| ${l.concurrentUsers} | one process: ${l.processCpuMs.toFixed(0)} ms (${((100 * l.processCpuMs) / l.window.durationMs).toFixed(0)} % of a core, ${(l.processCpuMs / Math.max(1, l.successfulRequestsPerSecond * (l.window.durationMs / 1000))).toFixed(3)} ms/req) |`,
  )
  const runs = ['in-process', 'http', 'http-workers'].map(name => levels(join(tmp, name)))
  const users = [...new Set(runs.flatMap(r => r.map(l => l.concurrentUsers)))].sort((a, b) => a - b)
  const cell = (r: Level[], u: number): string => {
    const l = r.find(x => x.concurrentUsers === u)
    return l ? `${l.successfulRequestsPerSecond.toFixed(0)} / ${l.responseTime.p50.toFixed(2)}` : '–'
  }
  const perLevel = users.map(u => `| ${u} | ${runs.map(r => cell(r, u)).join(' | ')} |`)
  const ab = await interleaved(Number(values.rounds), 2000)
  console.log(
    [
      ...lines,
      '',
      ...ab,
      '',
      ...table,
      '',
      '| users | in-process req/s / p50 ms | serve + --target | serve + --target --workers 2 |',
      '| --- | --- | --- | --- |',
      ...perLevel,
      '',
      '| users | generator CPU over the window (--workers 2) |',
      '| --- | --- |',
      ...gens,
      '',
      '| users | generator CPU over the window (one process) |',
      '| --- | --- |',
      ...single,
    ].join('\n'),
  )
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
