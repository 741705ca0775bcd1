// Runs cargo for the host's target triple, spelled out. `napi build --platform` builds the addon
// with an explicit `--target <host>` (into target/<triple>/release); a plain `cargo test
// --release` (or `cargo clippy --release`) would build into target/release and compile every
// crate a second time. Naming the same triple makes the tests and lints reuse the addon's build.
import { execFileSync, spawnSync } from 'node:child_process'

/** The host's target triple, as `rustc -vV` reports it. */
export function hostTriple() {
  const host = /^host: (.+)$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))?.[1]
  if (!host) {
    console.error('could not read the host triple from `rustc -vV`')
    process.exit(2)
  }
  return host
}

/** `cargo <command> --release --target <host> <args>`, inheriting stdio; exits with cargo's status. */
export function runCargoForHost(command, args) {
  const result = spawnSync('cargo', [command, '--release', '--target', hostTriple(), ...args], {
    stdio: 'inherit',
    shell: false,
  })
  process.exit(result.status ?? 1)
}
