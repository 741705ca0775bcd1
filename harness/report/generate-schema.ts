/**
 * Regenerates `docs/report-schema.json` from the zod schema of the report:
 * `npx tsx harness/report/generate-schema.ts [path]`. A test fails when the committed file
 * differs from what this writes.
 */
import { fileURLToPath } from 'node:url'

import { writeReportSchema } from './files.ts'

const target = process.argv[2] ?? fileURLToPath(new URL('../../docs/report-schema.json', import.meta.url))
const written = await writeReportSchema(target)
process.stdout.write(`wrote ${written}\n`)
