/**
 * Reports on disk: `report.json` and `report.html` written atomically after validation,
 * `report.json` read back with clear errors, and the report's JSON Schema for `docs/`.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { ReportError } from '../../errors.ts'
import { ScalabilityReportSchema, scalabilityReportJsonSchema } from '../sweep/schema.ts'
import { REPORT_SCHEMA_VERSION } from '../sweep/types.ts'
import type { ScalabilityReport } from '../sweep/types.ts'
import { finiteReplacer, nonFinitePaths } from './format.ts'
import { renderHtmlReport } from './html.ts'
import type { HtmlReportOptions } from './html.ts'

function issuePath(p: readonly PropertyKey[]): string {
  let out = ''
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`
  return out || '(root)'
}

/**
 * Validates a report as it will be stored: after a JSON round trip (non-finite numbers become
 * null), against `ScalabilityReportSchema`. Returns the parsed value; throws a
 * {@link ReportError} (`ERR_INVALID_REPORT`) listing every issue, and naming fields that were
 * `Infinity`/`NaN` in memory.
 */
export function validateReport(report: unknown, where: string | null = null): ScalabilityReport {
  const nonFinite = new Set(nonFinitePaths(report))
  const stored = JSON.parse(JSON.stringify(report, finiteReplacer) ?? 'null') as unknown
  return parseStored(stored, where, nonFinite)
}

function parseStored(
  value: unknown,
  where: string | null,
  nonFinite: ReadonlySet<string> = new Set(),
): ScalabilityReport {
  const label = where ?? 'the report'
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ReportError('schema', `${label} is not a scalability report (expected a JSON object)`, { path: where })
  }
  const version = (value as { schemaVersion?: unknown }).schemaVersion
  if (version === undefined) {
    throw new ReportError('schema', `${label} is not a scalability report: it has no schemaVersion`, { path: where })
  }
  if (version !== REPORT_SCHEMA_VERSION) {
    throw new ReportError(
      'version',
      `${label} has report schemaVersion ${JSON.stringify(version)}, but this version of @acme/vector-native reads schemaVersion ${REPORT_SCHEMA_VERSION}: re-run the sweep or use the matching version`,
      { path: where },
    )
  }
  const parsed = ScalabilityReportSchema.safeParse(value)
  if (!parsed.success) {
    const issues = parsed.error.issues.map(i => {
      const p = issuePath(i.path)
      const note = nonFinite.has(p) ? ' (it was a non-finite number, Infinity or NaN, which JSON stores as null)' : ''
      return `${p}: ${i.message}${note}`
    })
    throw new ReportError('schema', `${label} does not match the scalability report schema v${REPORT_SCHEMA_VERSION}`, {
      path: where,
      issues,
    })
  }
  return parsed.data as ScalabilityReport
}

/**
 * Parses the text of a `report.json`. `where` names it in errors.
 * @throws {ReportError} `ERR_INVALID_REPORT`
 */
export function parseReportJson(text: string, where: string | null = null): ScalabilityReport {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ReportError('json', `${where ?? 'the report'} is not valid JSON (${(error as Error).message})`, {
      path: where,
      cause: error,
    })
  }
  return parseStored(value, where)
}

/** The report as pretty JSON (non-finite numbers as null), with a final newline. */
export function reportToJson(report: ScalabilityReport): string {
  return `${JSON.stringify(report, finiteReplacer, 2)}\n`
}

const RENAME_RETRIES = [10, 40, 120, 300]

/**
 * Writes `data` to `file` atomically: a temporary file in the same directory, then a rename
 * over the target (retried briefly on Windows' transient EPERM/EBUSY). The temporary file is
 * removed if anything fails.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file)
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(tmp, data, { encoding: 'utf8', flag: 'wx' })
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmp, file)
        return
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (attempt >= RENAME_RETRIES.length || !(code === 'EPERM' || code === 'EACCES' || code === 'EBUSY'))
          throw error
        await sleep(RENAME_RETRIES[attempt])
      }
    }
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => {})
    throw error
  }
}

/** Options of {@link writeReports}. */
export interface WriteReportsOptions {
  /** Passed to {@link renderHtmlReport}. */
  html?: HtmlReportOptions
}

/**
 * Validates the report (a report that fails is a bug: {@link ReportError} with the zod issues),
 * creates `outDir`, and writes `report.json` (pretty) and `report.html` there atomically.
 * Returns the absolute paths written.
 */
export async function writeReports(
  report: ScalabilityReport,
  outDir: string,
  options: WriteReportsOptions = {},
): Promise<{ json: string; html: string }> {
  validateReport(report)
  const dir = path.resolve(outDir)
  await mkdir(dir, { recursive: true })
  const json = path.join(dir, 'report.json')
  const html = path.join(dir, 'report.html')
  await writeFileAtomic(json, reportToJson(report))
  await writeFileAtomic(html, renderHtmlReport(report, options.html))
  return { json, html }
}

/**
 * Reads a `report.json` and validates it.
 * @throws {ReportError} `ERR_INVALID_REPORT` naming the file (not JSON, not a report, another
 *   schema version, or schema issues); file-system errors (e.g. `ENOENT`) as they are.
 */
export async function readReport(file: string): Promise<ScalabilityReport> {
  const text = await readFile(file, 'utf8')
  return parseReportJson(text, file)
}

/** The report's JSON Schema as committed in `docs/report-schema.json` (pretty, final newline). */
export function reportSchemaJson(): string {
  return `${JSON.stringify(scalabilityReportJsonSchema(), null, 2)}\n`
}

/** Writes {@link reportSchemaJson} to `file` (atomically). Returns the absolute path. */
export async function writeReportSchema(file: string): Promise<string> {
  const abs = path.resolve(file)
  await mkdir(path.dirname(abs), { recursive: true })
  await writeFileAtomic(abs, reportSchemaJson())
  return abs
}
