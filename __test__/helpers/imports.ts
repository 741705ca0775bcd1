/**
 * The package's TypeScript import graph, read from the sources: every relative import and
 * re-export (type-only ones included, as madge counts them), and the package's own
 * `@acme/vector-native/binding`, which stands for the native addon (`index.js`).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

/** The repository root. */
export const repoRoot = resolve(import.meta.dirname, '..', '..')

const SOURCE_DIRS = ['engine', 'harness', 'corpus', 'cli', 'scripts']
const SOURCE_FILES = ['main.ts', 'errors.ts']
const BINDING = 'index.js'

/** Every TypeScript source of the package (paths relative to the root, with `/`). */
export function packageSources(): string[] {
  const out = [...SOURCE_FILES]
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) out.push(path)
    }
  }
  for (const dir of SOURCE_DIRS) walk(dir)
  return out
}

// `import … from '…'` and `export … from '…'` starting a line (possibly spanning lines), and
// side-effect imports.
const SPECIFIER = /^(?:import|export)\s[^'"]*?\bfrom\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm

/** What `file` imports: package-relative paths of sources, or `index.js` for the addon. */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8')
  const out = new Set<string>()
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2]
    if (spec === '@acme/vector-native/binding') out.add(BINDING)
    else if (spec.startsWith('.'))
      out.add(
        relative(repoRoot, resolve(repoRoot, dirname(file), spec))
          .split(sep)
          .join('/'),
      )
  }
  return [...out]
}

/** The import graph of every package source. */
export function importGraph(): Map<string, string[]> {
  return new Map(packageSources().map(f => [f, importsOf(f)]))
}

/** Every module `from` reaches through imports (itself included). */
export function reachable(graph: Map<string, string[]>, from: string): Set<string> {
  const seen = new Set<string>()
  const stack = [from]
  while (stack.length > 0) {
    const f = stack.pop() as string
    if (seen.has(f)) continue
    seen.add(f)
    stack.push(...(graph.get(f) ?? []))
  }
  return seen
}

/** The import cycles of the graph, each as the path `a → b → … → a` (empty: none). */
export function importCycles(graph: Map<string, string[]>): string[] {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (f: string): void => {
    state.set(f, 'open')
    path.push(f)
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push([...path.slice(path.indexOf(g)), g].join(' → '))
      else if (!state.has(g)) visit(g)
    }
    path.pop()
    state.set(f, 'done')
  }
  for (const f of graph.keys()) if (!state.has(f)) visit(f)
  return cycles
}
