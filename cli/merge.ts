/** `scale merge A.json B.json ...`: see ./merge/. */
import type { CliIo } from './output.ts'
import type { MergeOptions } from './scale-args.ts'

export async function runMerge(_o: MergeOptions, io: CliIo): Promise<number> {
  io.stderr.write('scale merge: not built yet\n')
  return 2
}
