/**
 * Recall@10 (x) vs QPS (y, log) per library, ann-benchmarks style (the Pareto frontier as a
 * line, every swept ef as a point), one panel per data set, from the JSON results of
 * hnsw-real.bench.ts. Rendered headlessly to SVG with vega-lite + vega (no browser, no canvas).
 *
 *   npx tsx hnsw-real-plot.ts [--basis=wall|cpu] [--in=results/a.json,…] [--out=../docs/benchmarks/hnsw-real.svg]
 *
 * `--basis=cpu` plots queries per CPU-second of the searching process (robust to the shared
 * machine descheduling it) into hnsw-real-cpu.svg.
 *
 * Default input: results/hnsw-real-{words,sentences,synthetic}.json, those that exist.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

import * as vega from 'vega'
import { compile } from 'vega-lite'
import type { TopLevelSpec } from 'vega-lite'

import { BENCH_DIR, isMain, parseFlags, RESULTS_DIR } from './lib/common.ts'
import { paretoFrontier } from './lib/pareto.ts'

interface ResultFile {
  date: string
  data: {
    data: { name: string; n: number; dims: number; metric: string }
    sweeps: { label: string; points: { ef: number; recall: number; qps: number; qpsCpu?: number }[] }[]
  }
}

const PANEL: Record<string, string> = {
  words: 'fastText word vectors (real)',
  sentences: 'fastText sentence vectors (real)',
  synthetic: 'synthetic clustered (l2)',
}

/** `wall`: queries per second of wall time; `cpu`: per CPU-second of the searching process. */
export type Basis = 'wall' | 'cpu'

export function plotSpec(files: readonly ResultFile[], basis: Basis = 'wall'): TopLevelSpec {
  const rows: Record<string, unknown>[] = []
  // panels in the order of the input files (the headline set first)
  const sets: string[] = []
  for (const f of files) {
    const d = f.data.data
    const set = `${PANEL[d.name] ?? d.name}: ${d.n.toLocaleString('en-US')} × ${d.dims}, ${d.metric}`
    sets.push(set)
    for (const s of f.data.sweeps) {
      const points = s.points.map(p => ({
        ef: p.ef,
        recall: p.recall,
        qps: basis === 'cpu' ? (p.qpsCpu ?? NaN) : p.qps,
      }))
      const onFrontier = new Set(paretoFrontier(points).map(p => p.ef))
      for (const p of points)
        rows.push({
          set,
          library: s.label,
          ef: p.ef,
          recall: p.recall,
          qps: Math.round(p.qps),
          frontier: onFrontier.has(p.ef),
        })
    }
  }
  const color = {
    field: 'library',
    type: 'nominal' as const,
    scale: { domain: ['ours', 'hnswlib-node', 'usearch'], range: ['#d62728', '#1f77b4', '#2ca02c'] },
    legend: { title: null, orient: 'bottom' as const },
  }
  const x = {
    field: 'recall',
    type: 'quantitative' as const,
    title: 'recall@10',
    scale: { zero: false, nice: false, domainMax: 1 },
  }
  const y = {
    field: 'qps',
    type: 'quantitative' as const,
    title: basis === 'cpu' ? 'queries per CPU-second (1 thread, log)' : 'queries per second (1 thread, log)',
    scale: { type: 'log' as const },
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'HNSW recall@10 vs QPS, M 16, efConstruction 200, ef sweep (up and to the right is better)',
      fontSize: 13,
    },
    data: { values: rows },
    facet: { column: { field: 'set', type: 'nominal', title: null, sort: sets, header: { labelFontSize: 12 } } },
    spec: {
      width: 380,
      height: 300,
      layer: [
        {
          mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
          data: { values: [{ r: 0.95 }, { r: 0.99 }] },
          encoding: { x: { field: 'r', type: 'quantitative' } },
        },
        {
          transform: [{ filter: 'datum.frontier' }],
          mark: { type: 'line', strokeWidth: 2 },
          encoding: { x, y, color, order: { field: 'recall', type: 'quantitative' } },
        },
        {
          mark: { type: 'point', filled: true, size: 36 },
          encoding: {
            x,
            y,
            color,
            tooltip: [{ field: 'library' }, { field: 'ef' }, { field: 'recall' }, { field: 'qps' }],
          },
        },
        {
          transform: [{ filter: "datum.library === 'ours'" }],
          mark: { type: 'text', dx: 0, dy: -9, fontSize: 9, color: '#d62728' },
          encoding: { x, y, text: { field: 'ef', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: '#ccc' } },
  } as TopLevelSpec
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  return view.toSVG()
}

if (isMain(import.meta.url)) {
  const flags = parseFlags()
  const inputs = flags.values.has('in')
    ? flags.values
        .get('in')!
        .split(',')
        .map(p => resolve(p))
    : ['words', 'sentences', 'synthetic']
        .map(n => join(RESULTS_DIR, `hnsw-real-${n}${flags.quick ? '-quick' : ''}.json`))
        .filter(p => existsSync(p))
  if (inputs.length === 0) throw new Error('no results to plot: run hnsw-real.bench.ts first')
  const files = inputs.map(p => JSON.parse(readFileSync(p, 'utf8')) as ResultFile)
  const basis: Basis = flags.values.get('basis') === 'cpu' ? 'cpu' : 'wall'
  const out = resolve(
    flags.values.get('out') ??
      join(BENCH_DIR, '..', 'docs', 'benchmarks', `hnsw-real${basis === 'cpu' ? '-cpu' : ''}.svg`),
  )
  writeFileSync(out, await renderSvg(plotSpec(files, basis)))
  console.log(`plot of ${inputs.join(', ')} → ${out}`)
}
