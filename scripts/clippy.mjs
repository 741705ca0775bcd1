#!/usr/bin/env node
// `cargo clippy` over the whole workspace and every target (tests, examples, benches), warnings
// as errors, for the host's triple so it shares the addon's build directory (see cargo-host.mjs).
// Extra arguments go to cargo, before the `--`.
import { runCargoForHost } from './cargo-host.mjs'

runCargoForHost('clippy', ['--workspace', '--all-targets', ...process.argv.slice(2), '--', '-D', 'warnings'])
