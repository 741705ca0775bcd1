/** A `SearchTarget` from any async function: the harness can load-test anything. */
import type { SearchTarget, TargetCallOptions } from '../types.ts'

export function functionTarget<Q>(
  name: string,
  search: (query: Q, options: TargetCallOptions) => Promise<unknown>,
): SearchTarget<Q, never> {
  if (typeof search !== 'function') throw new TypeError('functionTarget needs an async function')
  return { name, search }
}
