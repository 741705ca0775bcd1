#!/usr/bin/env node
// `cargo test --release` for the host's target triple, spelled out. `napi build --platform`
// builds the addon with an explicit `--target <host>` (into target/<triple>/release); a plain
// `cargo test --release` would build into target/release and compile every crate a second time.
// Naming the same triple makes the tests reuse the addon's build. Extra arguments pass through.
import { execFileSync, spawnSync } from 'node:child_process'

const host = /^host: (.+)$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))?.[1]
if (!host) {
  console.error('cargo-test: could not read the host triple from `rustc -vV`')
  process.exit(2)
}
const result = spawnSync('cargo', ['test', '--release', '--target', host, ...process.argv.slice(2)], {
  stdio: 'inherit',
  shell: false,
})
process.exit(result.status ?? 1)
