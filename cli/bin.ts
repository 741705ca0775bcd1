#!/usr/bin/env node
/**
 * The package's command, `vector-native` (package.json `bin`, compiled to dist/cli/bin.js, so
 * it runs on plain Node 20 with no TypeScript loader):
 *
 *   npx vector-native scale [options]                   the main job
 *   npx vector-native scale compare BASE.json NEW.json  regression check for CI
 *   npx vector-native scale merge A.json B.json ...     one result from several generators
 *   npx vector-native serve [options]                   the engine as an HTTP service
 *   npx vector-native --help | --version
 */
import { readPackageVersion } from '../harness/environment.ts'
import { launch } from './launch.ts'
import { main as scale } from './scale.ts'
import { main as serve } from './serve/main.ts'

const BIN_HELP = `Usage: vector-native <command> [options]

Commands
  scale                  measure how many concurrent users the engine serves (report.json, report.html)
  scale compare A B      compare two report.json files; exits 1 on a regression or a failed threshold
  scale merge A B ...    merge report.json files of generators that ran the same plan into one
  serve                  serve the engine over HTTP (POST /search, /documents, /commit; GET /health, /stats)

Options
  -h, --help             this text (vector-native scale --help lists the scale options)
  -v, --version          the package version
`

const argv = process.argv.slice(2)
const [command, ...rest] = argv
if (command === 'scale') {
  launch(rest, scale)
} else if (command === 'serve') {
  launch(rest, serve)
} else if (command === '-h' || command === '--help' || command === 'help') {
  process.stdout.write(BIN_HELP)
} else if (command === undefined) {
  process.stderr.write(BIN_HELP)
  process.exitCode = 2
} else if (command === '-v' || command === '--version') {
  process.stdout.write(`${readPackageVersion() ?? 'unknown'}\n`)
} else {
  process.stderr.write(`vector-native: unknown command "${command}"\n\n${BIN_HELP}`)
  process.exitCode = 2
}
