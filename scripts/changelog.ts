/**
 * CHANGELOG.md (Keep a Changelog) for the release flow:
 *
 *   tsx scripts/changelog.ts release [VERSION]  moves [Unreleased] under `## [VERSION] - date`
 *                                               (npm version's "version" script; VERSION defaults
 *                                               to npm_package_version, the new version)
 *   node scripts/changelog.ts notes VERSION     prints that version's section (the GitHub release text)
 *   node scripts/changelog.ts check             fails unless an [Unreleased] section exists
 *
 * (`node` on Node >= 22.18, `npx tsx` on Node 20.) The text functions are pure and tested.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const UNRELEASED = 'Unreleased'
const HEADING = /^## \[([^\]]+)\].*$/gm
/** Link reference definitions (`[1.0.0]: https://...`) close a Keep a Changelog file. */
const LINK_REFERENCES = /^\[[^\]]+\]: \S+\s*$/m

interface Section {
  name: string
  /** Offset of the `## [name]` line. */
  start: number
  /** Offset just after the heading line. */
  bodyStart: number
  /** Offset of the next heading, of the link references, or of the end. */
  end: number
}

function sections(text: string): Section[] {
  const tail = LINK_REFERENCES.exec(text)?.index ?? text.length
  const found = [...text.matchAll(HEADING)].filter(m => (m.index ?? 0) < tail)
  return found.map((m, i) => ({
    name: m[1],
    start: m.index ?? 0,
    bodyStart: (m.index ?? 0) + m[0].length,
    end: i + 1 < found.length ? (found[i + 1].index ?? tail) : tail,
  }))
}

/** The body of `## [name]` (trimmed), or null when there is no such section or it is empty. */
export function changelogSection(text: string, name: string): string | null {
  const s = sections(text).find(x => x.name === name)
  const body = s === undefined ? '' : text.slice(s.bodyStart, s.end).trim()
  return body === '' ? null : body
}

/**
 * The changelog with [Unreleased]'s entries moved under `## [version] - date` and an empty
 * [Unreleased] left above it.
 * @throws when there is no [Unreleased] section, it is empty, or `version` is already there.
 */
export function releaseChangelog(text: string, version: string, date: string): string {
  const all = sections(text)
  const unreleased = all.find(s => s.name === UNRELEASED)
  if (unreleased === undefined) throw new Error(`CHANGELOG.md has no "## [${UNRELEASED}]" section`)
  if (all.some(s => s.name === version)) throw new Error(`CHANGELOG.md already has a section for ${version}`)
  const body = text.slice(unreleased.bodyStart, unreleased.end).trim()
  if (body === '') throw new Error(`CHANGELOG.md's [${UNRELEASED}] section is empty: say what ${version} changes`)
  const rest = text.slice(unreleased.end)
  return `${text.slice(0, unreleased.bodyStart)}\n\n## [${version}] - ${date}\n\n${body}\n${rest === '' ? '' : `\n${rest}`}`
}

function main(argv: string[]): number {
  const file = fileURLToPath(new URL('../CHANGELOG.md', import.meta.url))
  const text = readFileSync(file, 'utf8')
  const [command, version] = argv
  if (command === 'release') {
    const next = version ?? process.env.npm_package_version
    if (!next) throw new Error('release needs a version (npm version passes it as npm_package_version)')
    writeFileSync(file, releaseChangelog(text, next, new Date().toISOString().slice(0, 10)))
    process.stdout.write(`CHANGELOG.md: [${UNRELEASED}] released as [${next}]\n`)
    return 0
  }
  if (command === 'notes' && version) {
    const notes = changelogSection(text, version)
    if (notes === null) throw new Error(`CHANGELOG.md has no entries for ${version}`)
    process.stdout.write(`${notes}\n`)
    return 0
  }
  if (command === 'check') {
    if (!sections(text).some(s => s.name === UNRELEASED))
      throw new Error(`CHANGELOG.md has no "## [${UNRELEASED}]" section`)
    return 0
  }
  process.stderr.write('usage: changelog.ts release [VERSION] | notes VERSION | check\n')
  return 2
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`changelog: ${(error as Error).message}\n`)
    process.exitCode = 1
  }
}
