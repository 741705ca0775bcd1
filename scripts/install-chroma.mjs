#!/usr/bin/env node
/**
 * Installs Chroma (https://pypi.org/project/chromadb/), a vector database run as a local server,
 * into ./.venv-chroma, for the test that sweeps a third-party database through the HTTP target
 * (__test__/harness/target/http-chroma.spec.ts). Needs python3 (3.9+) with venv; pinned version.
 * Measured on the 2-core CI VM: about 45 s and 520 MB (onnxruntime, numpy, grpc ... come along).
 *
 *   node scripts/install-chroma.mjs        (exits 0 when already installed)
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const CHROMA_VERSION = '1.5.9'
const root = join(import.meta.dirname, '..')
const venv = join(root, '.venv-chroma')
const windows = process.platform === 'win32'
const bin = name => join(venv, windows ? 'Scripts' : 'bin', windows ? `${name}.exe` : name)

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`install-chroma: ${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`)
    process.exit(1)
  }
}

if (existsSync(bin('chroma'))) {
  console.log(`install-chroma: ${bin('chroma')} is there`)
  process.exit(0)
}
const started = Date.now()
run(windows ? 'python' : 'python3', ['-m', 'venv', venv])
run(bin('python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `chromadb==${CHROMA_VERSION}`])
console.log(`install-chroma: chromadb ${CHROMA_VERSION} in ${venv}, ${((Date.now() - started) / 1000).toFixed(0)} s`)
