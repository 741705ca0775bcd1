#!/usr/bin/env node
// `cargo test --release --target <host>`: shares the addon's build (see cargo-host.mjs). Extra
// arguments pass through (`node scripts/cargo-test.mjs -p vn-hybrid`).
import { runCargoForHost } from './cargo-host.mjs'

runCargoForHost('test', process.argv.slice(2))
