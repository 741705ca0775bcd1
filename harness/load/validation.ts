/**
 * Turning zod issues into plain-word problems, and small helpers shared by the config
 * validators. Every validator collects *all* problems rather than stopping at the first.
 */
import type { z } from 'zod'

function where(path: readonly PropertyKey[], prefix: string): string {
  const parts = [prefix, ...path.map(p => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(p => p !== '')
  return parts.join('.').replace(/\.\[/g, '[')
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[p]
  }
  return v
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v)
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  return `a ${typeof v}`
}

/**
 * One zod issue in plain words, e.g. `load.users must be at least 1 (got 0)`.
 * Custom messages written in the schemas are kept as they are, prefixed with the path.
 */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown, prefix = ''): string {
  const at = where(issue.path, prefix) || 'the value'
  const got = describeValue(valueAt(input, issue.path))
  switch (issue.code) {
    case 'invalid_type':
      if (issue.message.startsWith('Invalid input'))
        return `${at} must be ${issue.expected === 'int' ? 'a whole number' : `a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}`} (got ${got})`
      return `${at} ${issue.message} (got ${got})`
    case 'too_small':
      if (issue.message.startsWith('Too small')) {
        const bound = String(issue.minimum)
        if (issue.origin === 'array') return `${at} must have at least ${bound} item(s)`
        if (issue.origin === 'string') return `${at} must not be empty`
        return `${at} must be ${issue.inclusive ? 'at least' : 'more than'} ${bound} (got ${got})`
      }
      return `${at} ${issue.message} (got ${got})`
    case 'too_big':
      if (issue.message.startsWith('Too big')) {
        const bound = String(issue.maximum)
        if (issue.origin === 'array') return `${at} must have at most ${bound} item(s)`
        return `${at} must be ${issue.inclusive ? 'at most' : 'less than'} ${bound} (got ${got})`
      }
      return `${at} ${issue.message} (got ${got})`
    case 'invalid_value':
      return `${at} must be one of ${issue.values.map(v => JSON.stringify(v)).join(', ')} (got ${got})`
    case 'unrecognized_keys':
      return `${at} has unknown setting(s): ${issue.keys.join(', ')}`
    case 'invalid_union':
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const opts = (issue as { options?: unknown[] }).options
        return `${at} must be one of ${(opts ?? []).map(o => JSON.stringify(o)).join(', ')} (got ${got})`
      }
      return `${at} does not match any allowed form (got ${got})`
    default:
      return `${at} ${issue.message}`
  }
}

/** All problems of a failed `safeParse`, in plain words. */
export function describeIssues(error: z.ZodError, input: unknown, prefix = ''): string[] {
  return error.issues.map(i => describeIssue(i, input, prefix))
}

/** True when `v` is a finite number (for defensive cross-field checks on unparsed input). */
export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** Reads `obj[key]` from unparsed input without throwing. */
export function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined
}
