/**
 * Many concurrent callers on one index or store: inserts, removes, searches (and commits, for
 * `UnifiedSearchSystem`) interleaved on the thread pool. Afterwards every acknowledged write
 * is found, no id whose removal was acknowledged (and, for the store, committed) before a
 * search started is ever returned by it, and the index or store reopened from disk agrees.
 *
 * Bounded: a fixed number of operations per caller and a deadline after which callers stop
 * issuing new ones.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { FlatIndex, HnswIndex, UnifiedSearchSystem, loadIndex } from '../../engine/index.ts'
import { rng } from '../helpers/engine.ts'

const DIMS = 8
const DEADLINE_MS = 40_000

/** A distinct vector per id (so a search for it finds it at distance 0). */
function vectorOf(id: number): Float32Array {
  const next = rng(id + 1)
  return Float32Array.from({ length: DIMS }, () => next() * 2 - 1)
}

for (const kind of ['flat', 'hnsw'] as const) {
  test.serial(`${kind}: 48 concurrent callers insert, remove and search; nothing acknowledged is lost`, async t => {
    t.timeout(120_000)
    const index =
      kind === 'flat'
        ? new FlatIndex({ dimensions: DIMS, metric: 'l2' })
        : new HnswIndex({ dimensions: DIMS, metric: 'l2', m: 12, efConstruction: 100, efSearch: 400 })
    const CALLERS = 48
    const OPS = 80
    const started = Date.now()
    // A logical clock: events are ordered by when the main thread saw them.
    let clock = 0
    const live = new Set<number>()
    /** id → clock value at which its removal was acknowledged. */
    const removedAt = new Map<number, number>()
    const inserted = new Set<number>()
    const violations: string[] = []
    let searches = 0

    async function caller(c: number): Promise<void> {
      const next = rng(1000 + c)
      const mine: number[] = []
      let nextId = c * 100_000
      for (let op = 0; op < OPS && Date.now() - started < DEADLINE_MS; op++) {
        const r = next()
        if (r < 0.45 || mine.length === 0) {
          const ids = [nextId++, nextId++]
          const rows = ids.map(vectorOf)
          for (const id of ids) inserted.add(id)
          await index.add(ids, rows)
          for (const id of ids) live.add(id)
          mine.push(...ids)
        } else if (r < 0.65) {
          const id = mine.splice(Math.floor(next() * mine.length), 1)[0]
          await index.remove([id])
          live.delete(id)
          removedAt.set(id, ++clock)
        } else {
          const issuedAt = ++clock
          const probe = mine.length > 0 ? mine[Math.floor(next() * mine.length)] : c
          const hits = await index.search(vectorOf(probe), 10)
          searches++
          for (const hit of hits) {
            const removed = removedAt.get(hit.id)
            if (removed !== undefined && removed < issuedAt) {
              violations.push(`search returned ${hit.id}, removed before the search started`)
            }
            if (!inserted.has(hit.id)) violations.push(`search returned ${hit.id}, never inserted`)
          }
          // The caller's own acknowledged insert is there (exact for flat; HNSW with a wide beam).
          if (mine.includes(probe) && kind === 'flat' && hits[0]?.id !== probe) {
            violations.push(`search for ${probe} (acknowledged) returned ${hits[0]?.id}`)
          }
        }
      }
    }

    await Promise.all(Array.from({ length: CALLERS }, (_, c) => caller(c)))
    t.deepEqual(violations.slice(0, 20), [])
    t.is(index.size, live.size)
    const missing = [...live].filter(id => !index.has(id))
    t.deepEqual(missing, [], 'every acknowledged insert is there')
    const resurrected = [...removedAt.keys()].filter(id => index.has(id))
    t.deepEqual(resurrected, [], 'no acknowledged removal came back')
    // Every live id is found by a search restricted to it, at distance 0.
    const notFound: number[] = []
    for (const id of live) {
      const hits = await index.search(vectorOf(id), 1, { filter: [id] })
      if (hits[0]?.id !== id || hits[0].distance > 1e-6) notFound.push(id)
    }
    t.deepEqual(notFound, [])

    const dir = mkdtempSync(join(tmpdir(), 'vn-concurrency-'))
    try {
      const file = join(dir, `${kind}.vn`)
      await index.save(file)
      const reopened = await loadIndex(file)
      t.is(reopened.size, live.size)
      t.deepEqual(
        [...live].filter(id => !reopened.has(id)),
        [],
      )
      t.deepEqual(
        [...removedAt.keys()].filter(id => reopened.has(id)),
        [],
      )
      for (const id of [...live].slice(0, 50)) {
        t.deepEqual(await reopened.search(vectorOf(id), 5), await index.search(vectorOf(id), 5))
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    t.log(`${kind}: ${inserted.size} inserted, ${removedAt.size} removed, ${searches} searches, ${live.size} live`)
  })
}

test.serial('UnifiedSearchSystem: 32 concurrent callers add, delete, search and commit; reopen agrees', async t => {
  t.timeout(180_000)
  const dir = mkdtempSync(join(tmpdir(), 'vn-concurrency-store-'))
  const paths = { textIndexPath: join(dir, 't'), vectorDbPath: join(dir, 'v'), dimensions: DIMS }
  try {
    const system = await UnifiedSearchSystem.open(paths)
    const CALLERS = 32
    const OPS = 40
    const started = Date.now()
    let clock = 0
    /** Clock values at which each commit started and finished. */
    const commits: { start: number; end: number }[] = []
    const addAckedAt = new Map<string, number>()
    const deleteAckedAt = new Map<string, number>()
    const violations: string[] = []
    let searches = 0

    /** The clock value at which a write acknowledged at `acked` became visible, or null. */
    const visibleAt = (acked: number): number | null => {
      let best: number | null = null
      for (const c of commits) if (c.start > acked && (best === null || c.end < best)) best = c.end
      return best
    }

    async function commit(): Promise<void> {
      const start = ++clock
      await system.commit()
      commits.push({ start, end: ++clock })
    }

    async function caller(c: number): Promise<void> {
      const next = rng(5000 + c)
      let n = 0
      const mine: string[] = []
      for (let op = 0; op < OPS && Date.now() - started < DEADLINE_MS; op++) {
        const r = next()
        if (r < 0.35 || mine.length === 0) {
          const id = `c${c}-${n++}`
          await system.add([{ id, text: `shared caller${c} word${n}`, vector: vectorOf(c * 1000 + n) }])
          addAckedAt.set(id, ++clock)
          mine.push(id)
        } else if (r < 0.5) {
          // Only ids whose add is committed: deleting a pending add is a different contract.
          const committed = mine.filter(id => visibleAt(addAckedAt.get(id)!) !== null)
          if (committed.length === 0) continue
          const id = committed[Math.floor(next() * committed.length)]
          mine.splice(mine.indexOf(id), 1)
          await system.delete([id])
          deleteAckedAt.set(id, ++clock)
        } else if (r < 0.62) {
          await commit()
          // One of the caller's committed adds is readable now.
          const committed = mine.filter(id => visibleAt(addAckedAt.get(id)!) !== null)
          if (committed.length > 0) {
            const id = committed[Math.floor(next() * committed.length)]
            const doc = await system.get(id)
            if (doc?.id !== id) violations.push(`get(${id}) after its add was committed returned ${doc?.id}`)
          }
        } else {
          const issuedAt = ++clock
          const mode = (['text', 'vector', 'hybrid'] as const)[Math.floor(next() * 3)]
          const hits = await system.search(mode === 'vector' ? '' : 'shared', {
            mode,
            k: 100,
            vector: mode === 'text' ? undefined : vectorOf(Math.floor(next() * 32_000)),
          })
          searches++
          for (const hit of hits) {
            const deleted = deleteAckedAt.get(hit.id)
            const gone = deleted === undefined ? null : visibleAt(deleted)
            if (gone !== null && gone < issuedAt) {
              violations.push(`${mode} search returned ${hit.id}, whose delete was committed before it started`)
            }
            if (!addAckedAt.has(hit.id)) violations.push(`${mode} search returned ${hit.id}, never acknowledged`)
          }
        }
      }
    }

    await Promise.all(Array.from({ length: CALLERS }, (_, c) => caller(c)))
    await commit()
    t.deepEqual(violations.slice(0, 20), [])

    const expected = [...addAckedAt.keys()].filter(id => !deleteAckedAt.has(id)).sort()
    const check = async (s: UnifiedSearchSystem, what: string) => {
      const stats = await s.stats()
      t.is(stats.docCount, expected.length, `${what}: documents`)
      t.is(stats.vectorCount, expected.length, `${what}: vectors`)
      const found = (await s.search('shared', { mode: 'text', k: 10_000 })).map(h => h.id).sort()
      t.deepEqual(found, expected, `${what}: every acknowledged add is found, no deleted one`)
      const missing: string[] = []
      for (const id of expected) if ((await s.get(id)) === null) missing.push(id)
      t.deepEqual(missing, [], `${what}: get finds every acknowledged add`)
      const back: string[] = []
      for (const id of deleteAckedAt.keys()) if ((await s.get(id)) !== null) back.push(id)
      t.deepEqual(back, [], `${what}: no deleted document comes back`)
      // Each document's own vector finds it.
      for (const id of expected.slice(0, 40)) {
        const [c, n] = id.slice(1).split('-').map(Number)
        const hits = await s.search('', { mode: 'vector', k: 10, vector: vectorOf(c * 1000 + n + 1) })
        if (!hits.some(h => h.id === id)) t.fail(`${what}: the vector of ${id} does not find it`)
      }
    }
    await check(system, 'live')
    await system.close()
    const reopened = await UnifiedSearchSystem.open(paths)
    t.deepEqual(reopened.openReport.problems, [])
    await check(reopened, 'reopened')
    await reopened.close()
    t.log(
      `${addAckedAt.size} adds, ${deleteAckedAt.size} deletes, ${commits.length} commits, ${searches} searches, ${expected.length} live`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
