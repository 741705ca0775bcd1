import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

import test from 'ava'

import { collectEnvironment, cpuinfoFeatures, kernelCpuFlags } from '../../harness/environment.ts'
import { EnvironmentInfoSchema } from '../../harness/result-schema.ts'

test('kernelCpuFlags picks the kernel-relevant flags as Linux and macOS spell them', t => {
  t.deepEqual(kernelCpuFlags(' fpu vme sse4_2 fma avx2 bmi2 avx512f avx512dq'), ['avx2', 'avx512f', 'fma'])
  t.deepEqual(kernelCpuFlags('fp asimd evtstrm aes pmull sha1 crc32'), ['neon'], 'aarch64 spells NEON asimd')
  t.deepEqual(kernelCpuFlags('half thumb fastmult vfp edsp neon vfpv3'), ['neon'])
  t.deepEqual(kernelCpuFlags('FPU VME FMA SSE4.2\nRDWRFSGS AVX2 BMI2 AVX512F'), ['avx2', 'avx512f', 'fma'])
  t.deepEqual(kernelCpuFlags('fpu sse sse2'), [])
})

test('cpuinfoFeatures reads the first flags (x86) or Features (Arm) line', t => {
  t.is(
    cpuinfoFeatures('processor\t: 0\nmodel name\t: X\nflags\t\t: fpu avx2\n\nprocessor\t: 1\nflags\t\t: fpu\n'),
    ' fpu avx2',
  )
  t.is(cpuinfoFeatures('processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n'), ' fp asimd')
  t.is(cpuinfoFeatures('processor\t: 0\n'), null)
})

test('collectEnvironment matches its schema and this machine', t => {
  const env = collectEnvironment()
  EnvironmentInfoSchema.parse(env)
  t.is(env.v8Version, process.versions.v8)
  t.is(env.nodeVersion, process.version)
  t.is(env.engine, null, 'the harness knows no engine: the caller adds it')
  if (process.platform === 'linux') {
    const features = cpuinfoFeatures(readFileSync('/proc/cpuinfo', 'utf8'))
    t.deepEqual(env.cpuFlags, features === null ? null : kernelCpuFlags(features))
  }
  if (process.platform === 'win32') t.is(env.cpuFlags, null)
  // The tests run from this package's root: a checkout has a revision (when git can read it),
  // an unpacked copy none.
  let revision: string | null = null
  try {
    if (existsSync('.git'))
      revision = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim()
  } catch {
    revision = null
  }
  t.is(env.gitRevision, revision)
  t.deepEqual(collectEnvironment(), env, 'the same facts on every call')
})
