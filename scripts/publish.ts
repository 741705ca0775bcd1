/**
 * Publishes a release: the seven platform packages under npm/, then the main package, each
 * with `npm publish --provenance --access public` (the provenance statement ties every tarball
 * to the workflow run and commit that built it; needs GitHub Actions' `id-token: write`).
 *
 *   node scripts/publish.ts [--dry-run]        (Node >= 22.18; `npx tsx` on Node 20)
 *
 * Expects `npm run build:ts` done and CI's addons under ./artifacts/ (actions/download-artifact
 * of every `bindings-<target>`). Steps, napi-rs's flow:
 *   1. a real publish runs only from the tag `v<version>`, whose CHANGELOG.md section exists;
 *   2. `napi artifacts` copies each addon into npm/<platform>/, checked there;
 *   3. the platform packages are published (one already in the registry at this version is
 *      skipped, so a re-run after a partial failure finishes the job);
 *   4. `napi pre-publish -t npm --skip-optional-publish` writes the main package's
 *      optionalDependencies on them, then the main package is published.
 * `--dry-run` runs every step with `npm publish --dry-run`: CI does so on every push.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { UNRELEASED, changelogSection } from './changelog.ts'

interface PackageJson {
  name: string
  version: string
  napi?: { binaryName: string; targets: string[] }
  optionalDependencies?: Record<string, string>
  repository?: unknown
}

const root = fileURLToPath(new URL('..', import.meta.url))
const dryRun = process.argv.includes('--dry-run')
const readPackage = (dir: string): PackageJson => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
const writePackage = (dir: string, pkg: PackageJson): void =>
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
// npm and npx are .cmd scripts on Windows: run them through the shell there.
const shell = process.platform === 'win32'
const run = (command: string, args: string[], cwd = root): void => {
  process.stdout.write(`$ ${command} ${args.join(' ')}${cwd === root ? '' : `   (in ${cwd})`}\n`)
  execFileSync(command, args, { cwd, stdio: 'inherit', shell })
}

function fail(message: string): never {
  process.stderr.write(`publish: ${message}\n`)
  process.exit(1)
}

const rootPackage = readPackage(root)
const version = rootPackage.version
const binaryName = rootPackage.napi?.binaryName ?? fail('package.json has no napi.binaryName')

// 1. What is being released, and from where.
const tag = process.env.GITHUB_REF_TYPE === 'tag' ? process.env.GITHUB_REF_NAME : undefined
if (!dryRun && tag === undefined) fail('a real publish runs from a pushed tag (GITHUB_REF_TYPE=tag); use --dry-run')
if (tag !== undefined && tag !== `v${version}`) fail(`tag ${tag} does not match package.json's version ${version}`)
const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8')
if (!dryRun && changelogSection(changelog, version) === null)
  fail(`CHANGELOG.md has no section for ${version}: release with \`npm version\` (README.md, "CI and releasing")`)
if (dryRun && !/^## \[Unreleased\]/m.test(changelog)) fail(`CHANGELOG.md has no [${UNRELEASED}] section`)
if (!existsSync(join(root, 'dist', 'main.js'))) fail('dist/ is not built: run `npm run build:ts` first')

// 2. The addons into their packages.
run('npx', ['napi', 'artifacts', '--output-dir', 'artifacts', '--npm-dir', 'npm'])
const platforms = readdirSync(join(root, 'npm')).sort()
if (platforms.length !== rootPackage.napi?.targets.length)
  fail(
    `npm/ has ${platforms.length} platform packages, package.json's napi.targets ${rootPackage.napi?.targets.length}`,
  )
for (const platform of platforms) {
  const dir = join(root, 'npm', platform)
  const pkg = readPackage(dir)
  if (pkg.version !== version) fail(`${pkg.name} is at ${pkg.version}, not ${version}: run \`npx napi version\``)
  if (!existsSync(join(dir, `${binaryName}.${platform}.node`)))
    fail(`${pkg.name} has no ${binaryName}.${platform}.node`)
}

// npm checks that a provenance statement's repository is the package's own.
const repository = process.env.GITHUB_REPOSITORY
  ? {
      type: 'git',
      url: `git+${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${process.env.GITHUB_REPOSITORY}.git`,
    }
  : undefined
const flags = ['--access', 'public', '--provenance', ...(dryRun ? ['--dry-run'] : [])]

/** True when `name@version` is already in the registry (then publishing it again would fail). */
function published(name: string): boolean {
  try {
    const out = execFileSync('npm', ['view', `${name}@${version}`, 'version'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      shell,
    })
    return out.trim() === version
  } catch {
    return false // E404: not published yet
  }
}

function publish(dir: string): string {
  const pkg = readPackage(dir)
  if (repository) writePackage(dir, { ...pkg, repository })
  if (!dryRun && published(pkg.name)) {
    process.stdout.write(`${pkg.name}@${version} is already published: skipped\n`)
    return `${pkg.name}@${version} (already published)`
  }
  run('npm', ['publish', ...flags], dir)
  return `${pkg.name}@${version}`
}

// 3. The platform packages, first: the main package's optional dependencies must resolve.
const done = platforms.map(platform => publish(join(root, 'npm', platform)))

// 4. The main package, with its optional dependencies on them.
run('npx', ['napi', 'pre-publish', '-t', 'npm', '--npm-dir', 'npm', '--skip-optional-publish', '--no-gh-release'])
const optional = Object.keys(readPackage(root).optionalDependencies ?? {})
if (optional.length !== platforms.length)
  fail(`napi pre-publish wrote ${optional.length} optionalDependencies, expected ${platforms.length}`)
done.push(publish(root))

process.stdout.write(
  `publish: ${dryRun ? 'dry run of' : 'published'} ${done.length} packages\n  ${done.join('\n  ')}\n`,
)
