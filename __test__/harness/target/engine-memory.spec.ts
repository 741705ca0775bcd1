import test from 'ava'

import { FlatIndex, HnswIndex } from '../../../main.ts'
import { engineMemoryOf, unifiedEngineMemory } from '../../../harness/target/engine-memory.ts'
import { openTempSystem, randomVectors } from '../../helpers/engine.ts'

const D = 24

function ids(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

for (const kind of ['flat', 'hnsw'] as const) {
  test(`engineMemoryOf a ${kind} index: byte counts that grow with adds`, async t => {
    const index =
      kind === 'flat'
        ? new FlatIndex({ dimensions: D, metric: 'l2' })
        : new HnswIndex({ dimensions: D, metric: 'l2', efConstruction: 32 })
    await index.add(ids(0, 100), randomVectors(100, D, 1))
    const small = engineMemoryOf(index)
    t.is(small.vectors, 100)
    t.not(small.indexBytes, null)
    t.not(small.graphBytes, null)
    t.regex(small.source, /memoryUsage/)
    t.true(small.indexBytes! >= 100 * D * 4, `${small.indexBytes}`)

    // Past the first HNSW segment (1024 nodes) and the flat table's doubling.
    await index.add(ids(100, 3000), randomVectors(2900, D, 2))
    const large = engineMemoryOf(index)
    t.is(large.vectors, 3000)
    t.true(large.indexBytes! > small.indexBytes!, `${small.indexBytes} -> ${large.indexBytes}`)
    t.true(large.indexBytes! >= 3000 * D * 4)
    if (kind === 'flat') {
      t.is(large.graphBytes, 0)
    } else {
      t.true(small.graphBytes! > 0)
      t.true(large.graphBytes! > small.graphBytes!)
      t.true(large.graphBytes! < large.indexBytes!)
    }

    const usage = index.memoryUsage()
    t.is(usage.totalBytes, usage.vectorBytes + usage.idBytes + usage.graphBytes + usage.otherBytes)
    t.is(large.indexBytes, usage.totalBytes)
  })
}

test('unifiedEngineMemory reports the committed vector index heap bytes', async t => {
  const { system, textIndexPath } = await openTempSystem(t, 32)
  const docs = (from: number, to: number) => ids(from, to).map(i => ({ id: `d${i}`, text: `document number ${i}` }))
  await system.add(docs(0, 10))
  await system.commit()
  const small = await unifiedEngineMemory(system, textIndexPath)
  t.is(small.vectors, 10)
  t.true(small.indexBytes! >= 10 * 32 * 4)
  t.true(small.graphBytes! > 0, 'the default store is HNSW')
  t.regex(small.source, /heap bytes/)

  await system.add(docs(10, 1500))
  await system.commit()
  const large = await unifiedEngineMemory(system, textIndexPath)
  t.is(large.vectors, 1500)
  t.true(large.indexBytes! > small.indexBytes!, `${small.indexBytes} -> ${large.indexBytes}`)
  t.true(large.graphBytes! > small.graphBytes!)
})
