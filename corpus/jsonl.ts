/** Loads a user's own corpus: JSON Lines of `{ "id": string, "text": string, "vector"?: number[] }`. */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

import { z } from 'zod'

import { ErrorCodes, codedError } from '../errors.ts'

export const CorpusLineSchema = z.strictObject({
  id: z.string().min(1, 'id must be a non-empty string'),
  text: z.string().min(1, 'text must be a non-empty string'),
  vector: z.array(z.number().finite()).min(1).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
})
export type CorpusLine = z.infer<typeof CorpusLineSchema>

/**
 * Reads every line of `path` (blank lines skipped). Throws one error listing the first
 * problems with their line numbers; duplicate ids and vectors of differing lengths are problems.
 */
export async function loadJsonlCorpus(path: string, options: { maxProblems?: number } = {}): Promise<CorpusLine[]> {
  const maxProblems = options.maxProblems ?? 10
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })
  const docs: CorpusLine[] = []
  const problems: string[] = []
  const seen = new Set<string>()
  let dimensions: number | undefined
  let lineNo = 0
  for await (const line of lines) {
    lineNo++
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      problems.push(`line ${lineNo}: not JSON (${(error as Error).message})`)
      if (problems.length >= maxProblems) break
      continue
    }
    const parsed = CorpusLineSchema.safeParse(value)
    if (!parsed.success) {
      problems.push(
        `line ${lineNo}: ${parsed.error.issues.map(i => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ')}`,
      )
    } else if (seen.has(parsed.data.id)) {
      problems.push(`line ${lineNo}: duplicate id ${JSON.stringify(parsed.data.id)}`)
    } else {
      const d = parsed.data.vector?.length
      if (d !== undefined && dimensions !== undefined && d !== dimensions) {
        problems.push(`line ${lineNo}: vector has ${d} components, earlier lines have ${dimensions}`)
      } else {
        if (d !== undefined) dimensions = d
        seen.add(parsed.data.id)
        docs.push(parsed.data)
      }
    }
    if (problems.length >= maxProblems) break
  }
  if (problems.length > 0) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${path}: invalid corpus:\n  ${problems.join('\n  ')}`)
  }
  if (docs.length === 0) {
    throw codedError(ErrorCodes.INVALID_ARGUMENT, `${path}: the corpus has no documents`)
  }
  return docs
}
