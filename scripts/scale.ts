/**
 * How many concurrent users does this setup serve, where does it break, why, and what to do?
 * The `vector-native scale` command, run from a clone:
 *
 *   npx tsx scripts/scale.ts            (Node 20)     node scripts/scale.ts   (Node >= 22.18)
 *   npx tsx scripts/scale.ts --help
 *
 * Installed from npm, the same command is `npx vector-native scale` (dist/cli/bin.js).
 */
import { launch } from '../cli/launch.ts'
import { main } from '../cli/scale.ts'

launch(process.argv.slice(2), main)
