#!/usr/bin/env node
// Proves the package works as published, without a compiler: packs the root package (exactly
// what its "files" select) and the linux-x64-gnu platform package, installs both into an empty
// project with no cargo/rustc on PATH and no install scripts, then
//   - loads the package (import and require) and searches,
//   - runs the bin: `npx vector-native --help`, `scale --quick`, `scale --corpus FILE`, and a
//     bad corpus (a clear error, exit 1),
// and prints both packages' packed and unpacked sizes. Needs `npm run build` first.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const platform = 'linux-x64-gnu'
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(
    `install-from-pack: skipped (this check packs ${platform}; running on ${process.platform}-${process.arch})`,
  )
  process.exit(0)
}
const nodeFile = `${rootPackage.napi.binaryName}.${platform}.node`
for (const needed of [nodeFile, 'dist/main.js', 'dist/cli/bin.js']) {
  if (!existsSync(join(root, needed))) {
    console.error(`install-from-pack: ${needed} is missing: run \`npm run build\` first`)
    process.exit(1)
  }
}

const work = mkdtempSync(join(tmpdir(), 'vn-pack-'))
const run = (command, args, cwd, env = process.env) =>
  execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
/** `npm pack --json` in `dir`: the tarball's file name, sizes and file list. */
const pack = (dir, extra = []) => JSON.parse(run('npm', ['pack', '--json', ...extra], dir))[0]
const kB = bytes => `${(bytes / 1000).toFixed(1)} kB`
const sizes = (label, p) =>
  `${label} ${p.name}: ${kB(p.size)} packed, ${kB(p.unpackedSize)} unpacked, ${p.entryCount} files`

try {
  // 1. What the root package's "files" select: nothing of the tests, no addon, no sources of
  //    the scripts, and the entry points the package promises.
  const listed = pack(root, ['--dry-run']).files.map(f => f.path)
  const stray = listed.filter(p => /(^|\/)__test__\/|fixture|\.node$|^scripts\/|^benchmark\/|^reports\//.test(p))
  if (stray.length > 0) throw new Error(`the root package would ship files it must not: ${stray.join(', ')}`)
  for (const entry of ['index.js', 'index.d.ts', 'dist/main.js', 'dist/main.d.ts', 'dist/cli/bin.js', 'README.md']) {
    if (!listed.includes(entry)) throw new Error(`the root package would not ship ${entry}`)
  }

  // 2. The platform package: its package.json and README from npm/, plus the built addon.
  const platformDir = join(work, 'platform')
  cpSync(join(root, 'npm', platform), platformDir, { recursive: true })
  copyFileSync(join(root, nodeFile), join(platformDir, nodeFile))
  const platformPack = pack(platformDir, ['--pack-destination', work])

  // 3. The root package as published: the listed files, and the optional dependency on the
  //    platform package that `napi pre-publish` adds (only this platform's: the others are
  //    not in any registry this check may use).
  const rootCopy = join(work, 'root')
  for (const file of listed) {
    mkdirSync(dirname(join(rootCopy, file)), { recursive: true })
    copyFileSync(join(root, file), join(rootCopy, file))
  }
  const published = {
    ...rootPackage,
    optionalDependencies: { [`${rootPackage.name}-${platform}`]: rootPackage.version },
  }
  writeFileSync(join(rootCopy, 'package.json'), `${JSON.stringify(published, null, 2)}\n`)
  const rootPack = pack(rootCopy, ['--pack-destination', work])

  // 4. An empty project, PATH without cargo/rustc, install both tarballs with scripts off.
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  const cleanPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(p => !/cargo|rustup/.test(p))
    .join(delimiter)
  const env = { ...process.env, PATH: cleanPath, NO_COLOR: '1' }
  delete env.UV_THREADPOOL_SIZE
  if (spawnSync('cargo', ['--version'], { env, stdio: 'ignore' }).status === 0)
    throw new Error('cargo is still on PATH: the check would prove nothing')
  run(
    'npm',
    [
      'install',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      join(work, platformPack.filename),
      join(work, rootPack.filename),
    ],
    app,
    env,
  )

  // 5. Load with import and with require, build an index, search it. The package brings no
  //    TypeScript loader: tsx is a devDependency, so not installed here.
  if (existsSync(join(app, 'node_modules', 'tsx'))) throw new Error('installing the package installed tsx')
  const check = `
    const assert = require('node:assert');
    (async () => {
      const viaRequire = require('@acme/vector-native');
      const viaImport = await import('@acme/vector-native');
      assert.strictEqual(typeof viaRequire.HnswIndex, 'function');
      const index = new viaImport.HnswIndex({ dimensions: 3, metric: 'l2' });
      await index.add([1, 2, 3], [[0, 0, 0], [1, 1, 1], [5, 5, 5]]);
      const hits = await index.search([0.9, 1, 1.1], 2);
      assert.deepStrictEqual(hits.map((h) => h.id), [2, 1]);
      console.log('install-from-pack: library ok (' + viaImport.kernelIsa() + '), hits ' + JSON.stringify(hits));
    })().catch((e) => { console.error(e); process.exit(1); });
  `
  writeFileSync(join(app, 'check.cjs'), check)
  execFileSync(process.execPath, ['check.cjs'], { cwd: app, env, stdio: 'inherit' })

  // 6. The bin, through npx, as a user runs it.
  // `--no --`: the local bin or a failure, never a download of some package of that name.
  const npx = (args, expectedStatus) => {
    const r = spawnSync('npx', ['--no', '--', 'vector-native', ...args], { cwd: app, env, encoding: 'utf8' })
    if (r.status !== expectedStatus) {
      process.stderr.write(r.stdout + r.stderr)
      throw new Error(`npx vector-native ${args.join(' ')} exited ${r.status}, expected ${expectedStatus}`)
    }
    return r
  }
  if (!/Usage: vector-native <command>/.test(npx(['--help'], 0).stdout)) throw new Error('--help printed no usage')
  const started = Date.now()
  npx(['scale', '--quick', '--out', 'quick'], 0)
  const report = JSON.parse(readFileSync(join(app, 'quick', 'report.json'), 'utf8'))
  // Levels 1, 2, 4, and any the sweep adds to refine a break on a busy machine.
  const measured = report.sweep.levelsMeasured
  if (!measured.includes(1) || report.testResults.some(r => r.successfulRequests === 0))
    throw new Error(`the quick run measured levels ${measured}: level 1 missing or a level without a success`)
  if (!existsSync(join(app, 'quick', 'report.html'))) throw new Error('the quick run wrote no report.html')
  const { engine, cpuFlags, gitRevision, v8Version } = report.environment
  if (!engine?.kernelIsa || !Array.isArray(cpuFlags) || v8Version !== process.versions.v8 || gitRevision !== null)
    throw new Error(`the report's environment is incomplete: ${JSON.stringify(report.environment)}`)
  const quickSeconds = (Date.now() - started) / 1000

  // The user's own corpus, JSON Lines (vectors optional; here 8 dimensions, metadata on some).
  const words = ['solar', 'wind', 'panel', 'grid', 'battery', 'turbine', 'storage', 'tariff', 'roof', 'farm']
  const lines = Array.from({ length: 200 }, (_, i) => {
    const text = Array.from({ length: 6 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ')
    const vector = Array.from({ length: 8 }, (_, j) => Math.sin(i + j) + 1.5)
    return JSON.stringify(i % 2 ? { id: `d${i}`, text, vector } : { id: `d${i}`, text, vector, metadata: { n: i } })
  })
  writeFileSync(join(app, 'corpus.jsonl'), `${lines.join('\n')}\n`)
  const own = npx(
    [
      'scale',
      '--corpus',
      'corpus.jsonl',
      '--levels',
      '1,2',
      '--duration',
      '300ms',
      '--warmup',
      '100ms',
      '--out',
      'own',
    ],
    0,
  )
  if (!/corpus\.jsonl: 200 documents \(own vectors, 8 dimensions\)/.test(own.stderr))
    throw new Error(`the run did not say it used the corpus file:\n${own.stderr}`)
  writeFileSync(join(app, 'bad.jsonl'), '{"id": "a", "text": "fine"}\n{"id": "b"}\n')
  const bad = npx(['scale', '--corpus', 'bad.jsonl', '--quick'], 1)
  if (!/ERR_INVALID_ARGUMENT: .*bad\.jsonl: invalid corpus:\s+line 2: text/s.test(bad.stderr))
    throw new Error(`a bad corpus line gave no clear error:\n${bad.stderr}`)

  console.log(
    `install-from-pack: bin ok on Node ${process.version}: --help, scale --quick (${quickSeconds.toFixed(1)} s), --corpus, a bad corpus`,
  )
  console.log(sizes('install-from-pack:', rootPack))
  console.log(sizes('install-from-pack:', platformPack))
} finally {
  rmSync(work, { recursive: true, force: true })
}
