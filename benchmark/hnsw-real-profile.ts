/**
 * A process that does nothing but one library's single-thread searches at one ef on a real set,
 * for `perf` to look at (hnsw-real.md § Where ours spends its time):
 *
 *   perf record -e cpu-clock -g -o ours.data -- node --import tsx hnsw-real-profile.ts --lib=ours --ef=48 --passes=20
 *   perf stat -e probe_…  -- node --import tsx hnsw-real-profile.ts --lib=hnswlib --ef=48 --passes=1
 *
 * The index is built once and cached (benchmark/.cache/real/<set>/index-<lib>.bin) so a
 * profile holds searches only (and a load). Prints QPS and recall per pass.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { HnswIndex } from '../main.ts'
import { isMain, median, nowNs, parseFlags } from './lib/common.ts'
import { K, recallAtK } from './lib/dataset.ts'
import { hnswlibAdapter, oursAdapter } from './lib/hnsw-adapters.ts'
import type { Adapter } from './lib/hnsw-adapters.ts'
import { loadRealSet, REAL_DIR } from './lib/real-vectors.ts'
import type { RealSetName } from './lib/real-vectors.ts'

async function main(): Promise<void> {
  const flags = parseFlags()
  const lib = flags.values.get('lib') ?? 'ours'
  const ef = Number(flags.values.get('ef') ?? '48')
  const passes = Number(flags.values.get('passes') ?? '10')
  const setName = (flags.values.get('set') ?? 'spam-words') as RealSetName
  const set = loadRealSet(setName)
  const data = { base: set.base, queries: set.queries, dims: set.manifest.dims, metric: set.manifest.metric }
  const file = join(REAL_DIR, setName, `index-${lib}.bin`)
  let adapter: Adapter
  if (lib === 'ours') {
    const a = oursAdapter(data)
    if (existsSync(file)) {
      const loaded = await HnswIndex.load(file)
      adapter = {
        ...a,
        setEf: e => (loaded.efSearch = e),
        search: q => loaded.searchSync(data.queries.subarray(q * data.dims, (q + 1) * data.dims), K),
      }
    } else {
      await a.build()
      await a.save(file)
      adapter = a
    }
  } else if (lib === 'hnswlib') {
    const a = hnswlibAdapter(data)
    if (existsSync(file)) a.index.readIndexSync(file)
    else {
      await a.build()
      a.save(file)
    }
    adapter = a
  } else throw new Error(`--lib=${lib}: ours or hnswlib`)

  const nq = set.manifest.queries
  const found = new Int32Array(nq * K)
  const results: unknown[] = new Array(nq)
  adapter.setEf(ef)
  const qps: number[] = []
  for (let p = 0; p < passes; p++) {
    const t0 = nowNs()
    for (let q = 0; q < nq; q++) results[q] = adapter.search(q)
    qps.push((nq / (nowNs() - t0)) * 1e9)
  }
  for (let q = 0; q < nq; q++) adapter.ids(results[q], found, q * K)
  console.log(
    `${lib} ef ${ef}: recall@10 ${recallAtK(found, set.truth, nq).toFixed(4)}, QPS median ${median(qps).toFixed(0)} over ${passes} passes of ${nq}`,
  )
}

if (isMain(import.meta.url)) await main()
