import test from 'ava'

import { importCycles, importGraph, reachable } from './helpers/imports.ts'

const graph = importGraph()

test('the import graph is read: every import resolves to a source or the addon', t => {
  t.true(graph.size > 50)
  t.true(graph.get('main.ts')?.includes('harness/run/benchmark.ts'))
  for (const [file, imports] of graph)
    for (const f of imports) t.true(f === 'index.js' || graph.has(f), `${file} imports ${f}, not a source`)
})

test('no import cycle anywhere in the TypeScript sources (type-only imports included)', t => {
  t.deepEqual(importCycles(graph), [])
})

test('the cycle finder finds a cycle', t => {
  const cyclic = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
  ])
  t.deepEqual(importCycles(cyclic), ['a.ts → b.ts → c.ts → a.ts'])
})

test('the harness core loads no engine: only harness/target/ reaches engine/ and the addon', t => {
  for (const entry of ['harness/index.ts', 'harness/analysis/index.ts', 'harness/report/index.ts']) {
    const reached = [...reachable(graph, entry)].filter(f => f.startsWith('engine/') || f === 'index.js')
    t.deepEqual(reached, [], entry)
  }
  t.true(reachable(graph, 'harness/target/index.ts').has('index.js'))
})

test('engine/ imports no layer above it, and errors.ts imports no module of the package', t => {
  for (const [file, imports] of graph) {
    if (file.startsWith('engine/'))
      t.deepEqual(
        imports.filter(f => !f.startsWith('engine/') && f !== 'errors.ts' && f !== 'index.js'),
        [],
        file,
      )
  }
  t.deepEqual(graph.get('errors.ts'), [])
})
