import { readFileSync } from 'node:fs'

import test from 'ava'

import { UNRELEASED, changelogSection, releaseChangelog } from '../../scripts/changelog.ts'

const CHANGELOG = `# Changelog

Intro.

## [Unreleased]

### Added

- the bin

## [0.1.0] - 2026-01-02

### Added

- the engine

[unreleased]: https://example.invalid/compare/v0.1.0...HEAD
[0.1.0]: https://example.invalid/releases/tag/v0.1.0
`

test('changelogSection returns a section body, without the link references', t => {
  t.is(changelogSection(CHANGELOG, UNRELEASED), '### Added\n\n- the bin')
  t.is(changelogSection(CHANGELOG, '0.1.0'), '### Added\n\n- the engine')
  t.is(changelogSection(CHANGELOG, '9.9.9'), null)
})

test('releaseChangelog moves the unreleased entries under the version and leaves [Unreleased] empty', t => {
  const next = releaseChangelog(CHANGELOG, '0.2.0', '2026-12-02')
  t.is(changelogSection(next, UNRELEASED), null)
  t.is(changelogSection(next, '0.2.0'), '### Added\n\n- the bin')
  t.is(changelogSection(next, '0.1.0'), '### Added\n\n- the engine')
  t.regex(next, /## \[Unreleased\]\n\n## \[0\.2\.0\] - 2026-12-02\n\n### Added\n\n- the bin\n\n## \[0\.1\.0\]/)
  t.true(next.endsWith('[0.1.0]: https://example.invalid/releases/tag/v0.1.0\n'))
})

test('releaseChangelog refuses an empty [Unreleased], a missing one, and a version already released', t => {
  const released = releaseChangelog(CHANGELOG, '0.2.0', '2026-12-02')
  t.throws(() => releaseChangelog(released, '0.3.0', '2026-12-03'), { message: /empty/ })
  t.throws(() => releaseChangelog(CHANGELOG.replace('## [Unreleased]', ''), '0.2.0', 'x'), {
    message: /no "## \[Unreleased\]"/,
  })
  t.throws(() => releaseChangelog(CHANGELOG, '0.1.0', 'x'), { message: /already has a section for 0\.1\.0/ })
})

test("the project's CHANGELOG.md has an [Unreleased] section the release flow can fill", t => {
  const text = readFileSync(new URL('../../CHANGELOG.md', import.meta.url), 'utf8')
  t.not(changelogSection(text, UNRELEASED), null)
})
