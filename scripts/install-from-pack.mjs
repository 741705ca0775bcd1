#!/usr/bin/env node
// Proves the package installs without a compiler: packs the root package and the
// linux-x64-gnu platform package, installs both into an empty project with no cargo/rustc on
// PATH and no install scripts, then loads the package (import and require) and searches.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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

const work = mkdtempSync(join(tmpdir(), 'vn-pack-'))
const npm = (args, cwd, env = process.env) =>
  execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })

try {
  // 1. The platform package: its package.json from npm/, plus the built addon.
  const platformDir = join(work, 'platform')
  mkdirSync(platformDir)
  copyFileSync(join(root, 'npm', platform, 'package.json'), join(platformDir, 'package.json'))
  const nodeFile = `${rootPackage.napi.binaryName}.${platform}.node`
  copyFileSync(join(root, nodeFile), join(platformDir, nodeFile))
  const platformTgz = npm(['pack', '--pack-destination', work], platformDir).trim().split('\n').pop()

  // 2. The root package, with its optional dependency on the platform package (as napi's
  //    pre-publish step adds it) and without the .node file next to index.js.
  const rootCopy = join(work, 'root')
  mkdirSync(rootCopy)
  const packed = { ...rootPackage, optionalDependencies: { [`${rootPackage.name}-${platform}`]: rootPackage.version } }
  delete packed.devDependencies
  delete packed.scripts
  writeFileSync(join(rootCopy, 'package.json'), JSON.stringify(packed, null, 2))
  for (const file of ['index.js', 'index.d.ts', 'README.md']) copyFileSync(join(root, file), join(rootCopy, file))
  execFileSync('cp', ['-r', join(root, 'dist'), join(rootCopy, 'dist')])
  const rootTgz = npm(['pack', '--pack-destination', work], rootCopy).trim().split('\n').pop()

  // 3. An empty project, PATH without cargo/rustc, install both tarballs with scripts off.
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  const cleanPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(p => !/cargo|rustup/.test(p))
    .join(delimiter)
  const env = { ...process.env, PATH: cleanPath }
  try {
    execFileSync('cargo', ['--version'], { env, stdio: 'ignore' })
    throw new Error('cargo is still on PATH: the check would prove nothing')
  } catch (error) {
    if (error.message.includes('still on PATH')) throw error
  }
  npm(
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', join(work, platformTgz), join(work, rootTgz)],
    app,
    env,
  )

  // 4. Load with import and with require, build an index, search it.
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
      console.log('install-from-pack: ok (' + viaImport.kernelIsa() + '), hits ' + JSON.stringify(hits));
    })().catch((e) => { console.error(e); process.exit(1); });
  `
  writeFileSync(join(app, 'check.cjs'), check)
  execFileSync(process.execPath, ['check.cjs'], { cwd: app, env, stdio: 'inherit' })
} finally {
  rmSync(work, { recursive: true, force: true })
}
