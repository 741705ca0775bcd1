/**
 * The bad-input table: every public entry point of `engine/` (its parameters and options) ×
 * a table of hostile values. `__test__/fixtures/bad-input-run.ts` runs it in a child process
 * and `__test__/engine/bad-input.spec.ts` checks the outcomes: for every case a coded error
 * (`err.code` from `errors.ts`) of the expected kind, or a success listed in `DOCUMENTED` with
 * the reason it is one — never an uncoded error, a synchronous throw from a Promise-returning
 * method, a hang or a crash, and the index or store as it was before.
 *
 * Only the public API (`engine/index.ts`, `errors.ts`) is used, so the same table runs against
 * an older build of the engine (docs/reliability.md, "failed before").
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { ErrorCodes } from '../../errors.ts'
import {
  FlatIndex,
  HnswIndex,
  UnifiedSearchSystem,
  distance,
  loadIndex,
  nativeToPerformanceMs,
  noopAsync,
} from '../../engine/index.ts'
import type { SearchSession } from '../../engine/index.ts'

/** Vectors in the test indexes. */
export const DIMS = 4

/** Paths of every kind a caller may pass by mistake. */
export interface Paths {
  root: string
  /** A directory. */
  dir: string
  /** A FIFO (null on Windows, where there is none). */
  fifo: string | null
  /** Nothing there. */
  missing: string
  /** A file of random bytes. */
  garbage: string
  /** An empty file. */
  empty: string
  /** A path below a regular file (its "directory" is a file). */
  underFile: string
  /** A valid flat index file and a valid HNSW one. */
  flatFile: string
  hnswFile: string
}

/** One hostile value; `make` builds a fresh one per case (detached buffers, signals …). */
export interface BadValue {
  name: string
  make: (paths: Paths) => unknown
  /** Codes this value may fail with where the parameter's default set does not say. */
  codes?: readonly string[]
}

const v = (name: string, make: (paths: Paths) => unknown, codes?: readonly string[]): BadValue => ({
  name,
  make,
  codes,
})

function detached<T extends ArrayBufferView>(view: T): T {
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] })
  return view
}

function circular(): unknown {
  const o: Record<string, unknown> = { a: 1 }
  o.self = o
  return o
}

function filled<T extends { fill(x: never): T }>(array: T, value: unknown): T {
  return array.fill(value as never)
}

/** Values of the wrong type or range for any parameter. */
export const SCALARS: readonly BadValue[] = [
  v('undefined', () => undefined),
  v('null', () => null),
  v('true', () => true),
  v('false', () => false),
  v('NaN', () => Number.NaN),
  v('Infinity', () => Number.POSITIVE_INFINITY),
  v('-Infinity', () => Number.NEGATIVE_INFINITY),
  v('0', () => 0),
  v('-0', () => -0),
  v('-1', () => -1),
  v('0.5', () => 0.5),
  v('1.5', () => 1.5),
  v('2^31', () => 2 ** 31),
  v('2^32', () => 2 ** 32),
  v('2^32+1', () => 2 ** 32 + 1),
  v('2^53', () => 2 ** 53),
  v('2^53+2', () => 2 ** 53 + 2),
  v('MAX_VALUE', () => Number.MAX_VALUE),
  v('-MAX_VALUE', () => -Number.MAX_VALUE),
  v('MIN_VALUE', () => Number.MIN_VALUE),
  v("''", () => ''),
  v("'5'", () => '5'),
  v("'abc'", () => 'abc'),
  v('lone high surrogate', () => 'x\uD800'),
  v('lone low surrogate', () => '\uDC00y'),
  v('NUL string', () => 'a\u0000b'),
  v('1 MB string', () => 'a'.repeat(1 << 20)),
  v('Symbol', () => Symbol('bad')),
  v('BigInt 10n', () => 10n),
  v('BigInt 2^64', () => 2n ** 64n),
  v('Number object', () => new Number(5)),
  v('String object', () => new String('x')),
  v('{}', () => ({})),
  v('null-prototype object', () => Object.create(null)),
  v('circular object', circular),
  v('Proxy', () => new Proxy({}, {})),
  v('function', () => () => 1),
  v('Date', () => new Date(0)),
  v('RegExp', () => /x/),
  v('Map', () => new Map([[1, 2]])),
  v('Promise', () => Promise.resolve(1)),
  v('Error', () => new Error('x')),
  v('ArrayBuffer', () => new ArrayBuffer(16)),
  v('DataView', () => new DataView(new ArrayBuffer(16))),
]

/** Arrays and typed arrays of wrong kinds, lengths or contents. */
export const ARRAYS: readonly BadValue[] = [
  v('[]', () => []),
  v('sparse array', () => {
    const a: unknown[] = []
    a[DIMS - 1] = 1
    return a
  }),
  v('[null × d]', () => new Array(DIMS).fill(null)),
  v("['1' × d]", () => new Array(DIMS).fill('1')),
  v('[true × d]', () => new Array(DIMS).fill(true)),
  v('[NaN × d]', () => new Array(DIMS).fill(Number.NaN)),
  v('[Infinity × d]', () => new Array(DIMS).fill(Number.POSITIVE_INFINITY)),
  v('[-1 × d]', () => new Array(DIMS).fill(-1)),
  v('[1.5 × d]', () => new Array(DIMS).fill(1.5)),
  v('[2^53 × d]', () => new Array(DIMS).fill(2 ** 53)),
  v('[Symbol × d]', () => new Array(DIMS).fill(Symbol('x'))),
  v('[BigInt × d]', () => new Array(DIMS).fill(1n)),
  v('[undefined × d]', () => new Array(DIMS).fill(undefined)),
  v('[{} × d]', () => new Array(DIMS).fill({})),
  v('[lone surrogate × d]', () => new Array(DIMS).fill('\uD800')),
  v('[[1 × d]] nested', () => [new Array(DIMS).fill(1)]),
  v('array of d+1 numbers', () => new Array(DIMS + 1).fill(0.5)),
  v('array of d-1 numbers', () => new Array(DIMS - 1).fill(0.5)),
  v('Float32Array(0)', () => new Float32Array(0)),
  v('Float32Array(d-1)', () => new Float32Array(DIMS - 1).fill(0.5)),
  v('Float32Array(d+1)', () => new Float32Array(DIMS + 1).fill(0.5)),
  v('Float32Array NaN', () => new Float32Array(DIMS).fill(Number.NaN)),
  v('Float32Array Infinity', () => new Float32Array(DIMS).fill(Number.POSITIVE_INFINITY)),
  v('Float32Array detached', () => detached(new Float32Array(DIMS).fill(0.5))),
  v('Float64Array(d)', () => new Float64Array(DIMS).fill(0.5)),
  v('Float64Array NaN', () => new Float64Array(DIMS).fill(Number.NaN)),
  v('Float64Array -1', () => new Float64Array(DIMS).fill(-1)),
  v('Float64Array 1.5', () => new Float64Array(DIMS).fill(1.5)),
  v('Float64Array 2^53', () => new Float64Array(DIMS).fill(2 ** 53)),
  v('Float64Array detached', () => detached(new Float64Array(DIMS))),
  v('Int32Array -1', () => new Int32Array(DIMS).fill(-1)),
  v('Uint32Array detached', () => detached(new Uint32Array(DIMS))),
  v('Uint8Array(d)', () => new Uint8Array(DIMS).fill(1)),
  v('Int8Array(d)', () => new Int8Array(DIMS).fill(1)),
  v('Uint8ClampedArray(d)', () => new Uint8ClampedArray(DIMS).fill(1)),
  v('Int16Array(d)', () => new Int16Array(DIMS).fill(1)),
  v('BigInt64Array(d)', () => filled(new BigInt64Array(DIMS), 1n)),
  v('BigUint64Array(d)', () => filled(new BigUint64Array(DIMS), 1n)),
]

/** Paths that name no index or store (or cannot be paths at all). */
export const PATHS: readonly BadValue[] = [
  v('path: NUL', p => join(p.root, 'a\u0000b'), [ErrorCodes.INVALID_ARGUMENT]),
  v('path: lone surrogate', p => join(p.root, 'x\uD800'), [ErrorCodes.INVALID_ARGUMENT]),
  v('path: directory', p => p.dir, [ErrorCodes.INVALID_ARGUMENT, ErrorCodes.IO]),
  v('path: FIFO', p => p.fifo ?? p.dir, [ErrorCodes.INVALID_ARGUMENT, ErrorCodes.IO]),
  v('path: missing', p => p.missing, [ErrorCodes.IO]),
  v('path: garbage file', p => p.garbage, [ErrorCodes.CORRUPT_INDEX]),
  v('path: empty file', p => p.empty, [ErrorCodes.CORRUPT_INDEX]),
  v('path: below a file', p => p.underFile, [ErrorCodes.IO]),
]

/** Scalars as paths: a 1 MB name is a string the file system refuses (ENAMETOOLONG). */
export const PATH_SCALARS: readonly BadValue[] = SCALARS.map(value =>
  value.name === '1 MB string' ? { ...value, codes: [ErrorCodes.IO] } : value,
)

/** Option bags of the wrong shape, shared by every `options` parameter. */
export const OPTION_BAGS: readonly BadValue[] = [
  v('options: null', () => null),
  v("options: 'x'", () => 'x'),
  v('options: 1', () => 1),
  v('options: []', () => []),
  v('options: function', () => () => ({})),
  v('options: unknown key', () => ({ nope: 1 })),
  v("options: signal 'x'", () => ({ signal: 'x' })),
  v('options: signal null', () => ({ signal: null })),
  v('options: signal {}', () => ({ signal: {} })),
  v('options: signal EventTarget', () => ({ signal: new EventTarget() })),
  v('options: signal AbortController', () => ({ signal: new AbortController() })),
  v('options: signal aborted', () => ({ signal: AbortSignal.abort() }), [ErrorCodes.ABORTED]),
  v("options: timing 'x'", () => ({ timing: 'x' })),
  v('options: timing null', () => ({ timing: null })),
  v('options: timing {}', () => ({ timing: {} })),
]

/** `{ [key]: value }` for each scalar value: a field of an option bag. */
export function fieldValues(key: string, values: readonly BadValue[] = SCALARS): BadValue[] {
  return values.map(value => v(`${key}: ${value.name}`, p => ({ [key]: value.make(p) }), value.codes))
}

/** Creates the directory, FIFO and files the path values name. */
export async function makePaths(): Promise<Paths> {
  const root = mkdtempSync(join(tmpdir(), 'vn-bad-input-'))
  const dir = join(root, 'a-directory')
  mkdirSync(dir)
  let fifo: string | null = null
  if (process.platform !== 'win32') {
    fifo = join(root, 'a-fifo')
    execFileSync('mkfifo', [fifo])
  }
  const garbage = join(root, 'garbage.bin')
  writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)))
  const empty = join(root, 'empty.bin')
  writeFileSync(empty, '')
  const flat = new FlatIndex({ dimensions: DIMS })
  const hnsw = new HnswIndex({ dimensions: DIMS })
  const ids = [1, 2, 3]
  const rows = ids.map(id => Array.from({ length: DIMS }, (_, j) => Math.sin(id + j)))
  await flat.add(ids, rows)
  await hnsw.add(ids, rows)
  const flatFile = join(root, 'flat.vn')
  const hnswFile = join(root, 'hnsw.vn')
  await flat.save(flatFile)
  await hnsw.save(hnswFile)
  return {
    root,
    dir,
    fifo,
    missing: join(root, 'missing.vn'),
    garbage,
    empty,
    underFile: join(garbage, 'x.vn'),
    flatFile,
    hnswFile,
  }
}

// ---- the call sites ----

/** The live objects every case runs against. */
export interface Subjects {
  paths: Paths
  flat: FlatIndex
  hnsw: HnswIndex
  system: UnifiedSearchSystem
  session: SearchSession
  /** Closed: every call is ERR_CLOSED. */
  closedSystem: UnifiedSearchSystem
  closedCustom: UnifiedSearchSystem
  /** Its system is closed; the session itself is not. */
  orphanSession: SearchSession
  closedSession: SearchSession
  /** A store whose embedder misbehaves as `embedderMode` says. */
  custom: UnifiedSearchSystem
  /** A fresh integer id for each call (ids nobody else uses). */
  freshId: () => number
  /** A fresh string id. */
  freshDocId: () => string
  /** What the next call of `custom`'s embedder does. */
  embedderMode: { current: string }
  /** A store of its own (fresh directories). */
  openThrowaway: () => Promise<UnifiedSearchSystem>
}

type Fn = (...args: unknown[]) => unknown

/** Calls `object[method](...args)` as a caller with no types would. */
export function call(object: object, method: string, args: readonly unknown[]): unknown {
  return ((object as Record<string, Fn>)[method] as Fn).apply(object, args as unknown[])
}

/** One parameter of a site and the values tried in it. */
interface Param {
  name: string
  values: readonly BadValue[]
  /** Codes any of these values may fail with. @default INVALID_ARGUMENT, DIMENSION_MISMATCH */
  codes?: readonly string[]
}

/** One entry point: how to call it with good arguments, and which parameters to spoil. */
export interface Site {
  name: string
  /** Whether it returns a Promise (then it must never throw synchronously). */
  async: boolean
  /** Good arguments; the case replaces one of them. */
  good: (s: Subjects) => unknown[]
  params: readonly Param[]
  run: (s: Subjects, args: unknown[]) => unknown
  /** Which store the intact check looks at. */
  subject: 'flat' | 'hnsw' | 'system' | 'none'
  /** Its path values are made in a scratch set of paths (it writes there: saves, new stores). */
  scratch?: boolean
}

/** One generated case. */
export interface Case {
  id: string
  site: Site
  param: number
  value: BadValue
  codes: readonly string[]
}

const DEFAULT_CODES = [ErrorCodes.INVALID_ARGUMENT, ErrorCodes.DIMENSION_MISMATCH]

const vectorOf = (seed: number): number[] => Array.from({ length: DIMS }, (_, j) => Math.cos(seed * 7 + j))

const GENERIC = [...SCALARS, ...ARRAYS]
const OPTIONS = [...SCALARS, ...OPTION_BAGS]
/** Option bags of a call that takes no signal but other required options: an aborted signal is just a bad bag. */
const OPTIONS_NO_SIGNAL = OPTIONS.map(value =>
  value.codes?.includes(ErrorCodes.ABORTED) ? { ...value, codes: [ErrorCodes.INVALID_ARGUMENT] } : value,
)

function indexSites(kind: 'flat' | 'hnsw'): Site[] {
  const get = (s: Subjects) => s[kind]
  const searchOptionFields = [
    ...fieldValues('ef'),
    ...fieldValues('filter', GENERIC),
    ...fieldValues('signal'),
    ...fieldValues('timing'),
  ]
  const m = (
    name: string,
    async: boolean,
    good: (s: Subjects) => unknown[],
    params: Param[],
    run?: (s: Subjects, args: unknown[]) => unknown,
  ): Site => ({
    name: `${kind}.${name}`,
    async,
    good,
    params,
    run: run ?? ((s, args) => call(get(s), name, args)),
    subject: kind,
    scratch: name === 'save',
  })
  const query = () => vectorOf(1)
  return [
    m('has', false, () => [1], [{ name: 'id', values: GENERIC }]),
    m('add', true, s => [[s.freshId()], [vectorOf(9)]], [
      { name: 'ids', values: GENERIC },
      { name: 'vectors', values: GENERIC },
      { name: 'options', values: OPTIONS },
    ]),
    m('addSync', false, s => [[s.freshId()], [vectorOf(9)]], [
      { name: 'ids', values: GENERIC },
      { name: 'vectors', values: GENERIC },
    ]),
    m(
      'remove',
      true,
      s => {
        const id = s.freshId()
        get(s).addSync([id], [vectorOf(id)])
        return [[id]]
      },
      [
        { name: 'ids', values: GENERIC, codes: [...DEFAULT_CODES, ErrorCodes.UNKNOWN_ID] },
        { name: 'options', values: OPTIONS },
      ],
    ),
    m('removeSync', false, () => [[1]], [
      { name: 'ids', values: GENERIC, codes: [...DEFAULT_CODES, ErrorCodes.UNKNOWN_ID] },
    ]),
    m('search', true, () => [query(), 3, {}], [
      { name: 'query', values: GENERIC },
      { name: 'k', values: GENERIC },
      { name: 'options', values: [...OPTIONS, ...searchOptionFields] },
    ]),
    m('searchSync', false, () => [query(), 3, {}], [
      { name: 'query', values: GENERIC },
      { name: 'k', values: GENERIC },
      { name: 'options', values: [...OPTIONS, ...searchOptionFields] },
    ]),
    m('searchBatch', true, () => [[query(), vectorOf(2)], 3, {}], [
      { name: 'queries', values: GENERIC },
      { name: 'k', values: GENERIC },
      { name: 'options', values: [...OPTIONS, ...searchOptionFields] },
    ]),
    m('save', true, s => [join(s.paths.root, `${kind}-save.vn`)], [
      { name: 'path', values: [...PATH_SCALARS, ...PATHS.filter(p => !/missing|garbage|empty/.test(p.name))] },
      { name: 'options', values: OPTIONS },
    ]),
    ...(kind === 'hnsw'
      ? [
          m('compact', true, () => [{}], [{ name: 'options', values: OPTIONS }]),
          m(
            'set efSearch',
            false,
            () => [100],
            [{ name: 'ef', values: GENERIC }],
            (s, [ef]) => {
              ;(s.hnsw as unknown as { efSearch: unknown }).efSearch = ef
              s.hnsw.efSearch = 100
            },
          ),
        ]
      : []),
  ]
}

function constructorSites(): Site[] {
  const flatFields = [...fieldValues('dimensions'), ...fieldValues('metric')]
  const hnswFields = [
    ...flatFields,
    ...fieldValues('m'),
    ...fieldValues('efConstruction'),
    ...fieldValues('efSearch'),
    ...fieldValues('seed'),
  ]
  const withBase = (values: BadValue[]): BadValue[] =>
    values.map(value =>
      v(
        value.name,
        p => {
          const made = value.make(p) as Record<string, unknown>
          return 'dimensions' in made ? { metric: 'l2', ...made } : { dimensions: DIMS, ...made }
        },
        value.codes,
      ),
    )
  return [
    {
      name: 'new FlatIndex',
      async: false,
      good: () => [{ dimensions: DIMS }],
      params: [{ name: 'options', values: [...OPTIONS_NO_SIGNAL, ...withBase(flatFields)] }],
      run: (_s, [o]) => new FlatIndex(o as never),
      subject: 'none',
    },
    {
      name: 'new HnswIndex',
      async: false,
      good: () => [{ dimensions: DIMS }],
      params: [{ name: 'options', values: [...OPTIONS_NO_SIGNAL, ...withBase(hnswFields)] }],
      run: (_s, [o]) => new HnswIndex(o as never),
      subject: 'none',
    },
  ]
}

function loadSites(): Site[] {
  const params = (what: string): Param[] => [
    { name: `${what} path`, values: [...PATH_SCALARS, ...PATHS] },
    { name: 'options', values: OPTIONS },
  ]
  return [
    {
      name: 'loadIndex',
      async: true,
      good: s => [s.paths.flatFile],
      params: params('loadIndex'),
      run: (_s, [path, o]) => loadIndex(path as string, o as never),
      subject: 'none',
    },
    {
      name: 'FlatIndex.load',
      async: true,
      good: s => [s.paths.flatFile],
      params: params('FlatIndex.load'),
      run: (_s, [path, o]) => FlatIndex.load(path as string, o as never),
      subject: 'none',
    },
    {
      name: 'HnswIndex.load',
      async: true,
      good: s => [s.paths.hnswFile],
      params: params('HnswIndex.load'),
      run: (_s, [path, o]) => HnswIndex.load(path as string, o as never),
      subject: 'none',
    },
    {
      name: 'loadIndex of the other kind',
      async: true,
      good: s => [s.paths.hnswFile],
      params: [{ name: 'path', values: [v('an HNSW file as flat', p => p.hnswFile)] }],
      run: (_s, [path]) => FlatIndex.load(path as string),
      subject: 'none',
    },
  ]
}

function freeFunctionSites(): Site[] {
  return [
    {
      name: 'distance',
      async: false,
      good: () => ['l2', new Float32Array(vectorOf(1)), new Float32Array(vectorOf(2))],
      params: [
        { name: 'metric', values: GENERIC },
        { name: 'a', values: GENERIC },
        { name: 'b', values: GENERIC },
      ],
      run: (_s, args) => (distance as Fn)(...args),
      subject: 'none',
    },
    {
      name: 'noopAsync',
      async: true,
      good: () => [undefined],
      params: [{ name: 'signal', values: [...SCALARS, v('aborted', () => AbortSignal.abort(), [ErrorCodes.ABORTED])] }],
      run: (_s, args) => (noopAsync as Fn)(...args),
      subject: 'none',
    },
    {
      name: 'nativeToPerformanceMs',
      async: false,
      good: () => [1e9],
      params: [{ name: 'ns', values: SCALARS }],
      run: (_s, args) => (nativeToPerformanceMs as Fn)(...args),
      subject: 'none',
    },
  ]
}

/** Document fields: `{ id, text, vector?, metadata? }` with one field spoiled. */
function documentValues(): BadValue[] {
  const doc = (_p: Paths, fields: Record<string, unknown>) => [
    { id: `bad-${Math.random()}`, text: 'gamma delta', ...fields },
  ]
  const field = (key: string, values: readonly BadValue[]) =>
    values.map(value => v(`[{ ${key}: ${value.name} }]`, p => doc(p, { [key]: value.make(p) }), value.codes))
  return [
    ...field('id', SCALARS),
    ...field('text', SCALARS),
    ...field('vector', GENERIC),
    ...field('metadata', [
      v('BigInt', () => 1n),
      v('circular', circular),
      v('Symbol', () => Symbol('m')),
      v('function', () => () => 1),
      v('nested BigInt', () => ({ a: [1, 2n] })),
      v('toJSON throws', () => ({
        toJSON() {
          throw new Error('no')
        },
      })),
      v('toJSON throws null', () => ({
        toJSON() {
          throw null
        },
      })),
      v('lone surrogate', () => ({ s: '\uD800' })),
      v('NUL', () => ({ s: 'a\u0000b' })),
    ]),
    v('[null]', () => [null]),
    v('[undefined]', () => [undefined]),
    v('[1]', () => [1]),
    v("['doc']", () => ['doc']),
    v('sparse [ , doc]', p => {
      const a: unknown[] = []
      a[1] = doc(p, {})[0]
      return a
    }),
    v(
      'duplicate ids in the batch',
      () => [
        { id: 'dup', text: 'a' },
        { id: 'dup', text: 'b' },
      ],
      [ErrorCodes.DUPLICATE_ID],
    ),
    v('a committed id', () => [{ id: 'doc-1', text: 'again' }], [ErrorCodes.DUPLICATE_ID]),
  ]
}

function unifiedSearchOptionValues(): BadValue[] {
  return [
    ...OPTIONS,
    ...fieldValues('mode'),
    ...fieldValues('k'),
    ...fieldValues('vector', GENERIC),
    ...fieldValues('fusion'),
    ...fieldValues('rrfK'),
    ...fieldValues('alpha'),
    ...fieldValues('candidates'),
    ...fieldValues('ef'),
    ...fieldValues('signal'),
    ...fieldValues('timing'),
  ]
}

function systemSites(): Site[] {
  const sys = (
    name: string,
    async: boolean,
    good: (s: Subjects) => unknown[],
    params: Param[],
    on: (s: Subjects) => object = s => s.system,
  ): Site => ({
    name: `system.${name}`,
    async,
    good,
    params,
    run: (s, args) => call(on(s), name, args),
    subject: 'system',
  })
  const stringIds = [...GENERIC, v('[lone surrogate id]', () => ['x\uD800']), v('[empty id]', () => [''])]
  return [
    sys('add', true, s => [[{ id: s.freshDocId(), text: 'epsilon' }]], [
      { name: 'docs', values: [...SCALARS, ...ARRAYS, ...documentValues()] },
      { name: 'options', values: OPTIONS },
    ]),
    sys('delete', true, () => [['doc-1']], [
      { name: 'ids', values: stringIds, codes: [...DEFAULT_CODES, ErrorCodes.UNKNOWN_ID] },
      { name: 'options', values: OPTIONS },
    ]),
    sys('commit', true, () => [], [{ name: 'options', values: OPTIONS }]),
    sys('rollback', true, () => [], [{ name: 'options', values: OPTIONS }]),
    sys('search', true, () => ['alpha', { k: 3 }], [
      { name: 'text', values: GENERIC },
      { name: 'options', values: unifiedSearchOptionValues() },
    ]),
    sys('get', true, () => ['doc-1'], [
      { name: 'id', values: GENERIC },
      { name: 'options', values: OPTIONS },
    ]),
    sys('stats', true, () => [], [{ name: 'options', values: OPTIONS }]),
    sys('embed', true, () => [['alpha']], [
      { name: 'texts', values: [...GENERIC, v('[lone surrogate text]', () => ['x\uD800'])] },
      { name: 'options', values: OPTIONS },
    ]),
    {
      name: 'system.close',
      async: true,
      good: () => [],
      params: [{ name: 'options', values: OPTIONS }],
      // A store of its own per case: a close that succeeds must not close the others.
      run: async (s, args) => {
        const own = await s.openThrowaway()
        try {
          return await call(own, 'close', args)
        } finally {
          await own.close()
        }
      },
      subject: 'none',
    },
    {
      name: 'session.search',
      async: true,
      good: () => ['alpha', { k: 3 }],
      params: [
        { name: 'text', values: GENERIC },
        { name: 'options', values: unifiedSearchOptionValues() },
      ],
      run: (s, args) => call(s.session, 'search', args),
      subject: 'system',
    },
  ]
}

/** `UnifiedSearchSystem.open` with one field spoiled; paths are fresh per case. */
function openSite(): Site {
  let n = 0
  const fresh = (p: Paths) => join(p.root, 'stores', String(n++))
  const base = (p: Paths) => {
    const dir = fresh(p)
    return { textIndexPath: join(dir, 't'), vectorDbPath: join(dir, 'v'), dimensions: DIMS }
  }
  const field = (key: string, values: readonly BadValue[]) =>
    values.map(value => v(`${key}: ${value.name}`, p => ({ ...base(p), [key]: value.make(p) }), value.codes))
  const pathValues = [
    ...PATH_SCALARS,
    ...PATHS.filter(p => !/missing|garbage|empty/.test(p.name)),
    v('a file', p => p.garbage, [ErrorCodes.IO, ErrorCodes.INVALID_ARGUMENT]),
  ]
  return {
    name: 'UnifiedSearchSystem.open',
    async: true,
    good: p => [base(p.paths)],
    params: [
      {
        name: 'options',
        values: [
          ...OPTIONS_NO_SIGNAL,
          ...field('textIndexPath', pathValues),
          ...field('vectorDbPath', pathValues),
          v('the open store paths', () => ({ ...OPEN_STORE, dimensions: DIMS }), [ErrorCodes.LOCKED]),
          v('text and vector in one directory', p => {
            const dir = fresh(p)
            return { textIndexPath: dir, vectorDbPath: dir, dimensions: DIMS }
          }),
          ...field('dimensions', SCALARS),
          ...field('metric', SCALARS),
          ...field('vectorIndex', SCALARS),
          ...field('m', SCALARS),
          ...field('efConstruction', SCALARS),
          ...field('efSearch', SCALARS),
          ...field('seed', SCALARS),
          ...field('embedder', SCALARS),
          ...field('writerMemory', SCALARS),
          ...field('signal', [...SCALARS, v('aborted', () => AbortSignal.abort(), [ErrorCodes.ABORTED])]),
        ],
      },
    ],
    run: async (_s, [o]) => {
      const opened = await UnifiedSearchSystem.open(o as never)
      await opened.close()
      return 'opened'
    },
    subject: 'none',
    scratch: true,
  }
}

/** The paths of the store the system cases use (for the ERR_LOCKED case). */
export const OPEN_STORE = { textIndexPath: '', vectorDbPath: '' }

/** Every call on a closed system or session: ERR_CLOSED. */
function closedSites(): Site[] {
  const closed = [v('(closed)', () => undefined, [ErrorCodes.CLOSED])]
  const methods: [string, (s: Subjects) => unknown[]][] = [
    ['add', s => [[{ id: s.freshDocId(), text: 'x' }]]],
    ['delete', () => [['doc-1']]],
    ['commit', () => []],
    ['rollback', () => []],
    ['search', () => ['alpha']],
    ['get', () => ['doc-1']],
    ['stats', () => []],
    ['embed', () => [['alpha']]],
  ]
  const sites: Site[] = []
  for (const target of ['closedSystem', 'closedCustom'] as const) {
    for (const [method, good] of methods) {
      sites.push({
        name: `${target}.${method}`,
        async: true,
        good,
        params: [{ name: 'after close', values: closed, codes: [ErrorCodes.CLOSED] }],
        run: s => call(s[target], method, good(s)),
        subject: 'none',
      })
    }
  }
  for (const target of ['orphanSession', 'closedSession'] as const) {
    sites.push({
      name: `${target}.search`,
      async: true,
      good: () => ['alpha'],
      params: [{ name: 'after close', values: closed, codes: [ErrorCodes.CLOSED] }],
      run: s => call(s[target], 'search', ['alpha']),
      subject: 'none',
    })
  }
  return sites
}

/** A store's own embedder misbehaving, met by add, search and embed. */
export const EMBEDDER_MODES: Record<string, (texts: string[]) => unknown> = {
  'throws an Error': () => {
    throw new Error('embedder down')
  },
  'throws null': () => {
    throw null
  },
  'throws a string': () => {
    throw 'down'
  },
  'rejects with undefined': () => Promise.reject(undefined),
  'returns null': () => null,
  'returns a number': () => 1,
  'returns []': () => [],
  'returns one vector too many': texts => [...texts, 'x'].map(() => new Float32Array(DIMS)),
  'returns NaN vectors': texts => texts.map(() => new Float32Array(DIMS).fill(Number.NaN)),
  'returns short vectors': texts => texts.map(() => new Float32Array(DIMS - 1)),
  'returns Float64Arrays': texts => texts.map(() => new Float64Array(DIMS)),
  'returns arrays of strings': texts => texts.map(() => new Array(DIMS).fill('1')),
  'returns detached vectors': texts => texts.map(() => detached(new Float32Array(DIMS))),
  'returns null rows': texts => texts.map(() => null),
}

function embedderSites(): Site[] {
  const modes = Object.keys(EMBEDDER_MODES).map(mode =>
    v(`embedder ${mode}`, () => mode, [ErrorCodes.INVALID_ARGUMENT, ErrorCodes.DIMENSION_MISMATCH]),
  )
  const site = (name: string, run: (s: Subjects) => unknown): Site => ({
    name: `custom embedder: ${name}`,
    async: true,
    good: () => ['ok'],
    params: [{ name: 'embedder', values: modes }],
    run: (s, [mode]) => {
      s.embedderMode.current = mode as string
      return run(s)
    },
    subject: 'none',
  })
  return [
    site('add', s => s.custom.add([{ id: s.freshDocId(), text: 'zeta eta' }])),
    site('search', s => s.custom.search('zeta', { mode: 'vector' })),
    site('embed', s => s.custom.embed(['zeta'])),
  ]
}

/** Every site. */
export function sites(): Site[] {
  return [
    ...constructorSites(),
    ...indexSites('flat'),
    ...indexSites('hnsw'),
    ...loadSites(),
    ...freeFunctionSites(),
    ...systemSites(),
    openSite(),
    ...closedSites(),
    ...embedderSites(),
  ]
}

/** Every case: each site × each parameter × each value. */
export function cases(): Case[] {
  const out: Case[] = []
  for (const site of sites()) {
    site.params.forEach((param, i) => {
      for (const value of param.values) {
        out.push({
          id: `${site.name} ${param.name}=${value.name}`,
          site,
          param: i,
          value,
          // A value's own codes are the more precise: they replace the parameter's.
          codes: value.codes ?? param.codes ?? DEFAULT_CODES,
        })
      }
    })
  }
  return out
}

/**
 * Successes that are right, and why (a pattern over case ids). Anything else that succeeds is
 * a failure of the test.
 */
export const DOCUMENTED: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern:
      / (k|options|signal)=undefined$|=(ef|filter|signal|timing|mode|k|vector|fusion|rrfK|alpha|candidates|metric|vectorIndex|m|efConstruction|efSearch|seed|embedder|writerMemory): undefined$|\[\{ vector: undefined \}\]$/,
    reason: 'an omitted optional argument or option takes its default',
  },
  {
    pattern: /options=(\{\}|null-prototype object|Proxy)$/,
    reason: 'an empty bag of options (a null-prototype object or a Proxy of a plain object is a plain object)',
  },
  {
    pattern: /\.has id=(0|-0|2\^31|2\^32|2\^32\+1)$/,
    reason: 'a valid id (an integer from 0 to 2^53 − 1; −0 is 0) that is not in the index: false',
  },
  {
    pattern: /(add|addSync) vectors=\[\[1 × d\]\] nested$|searchBatch queries=\[\[1 × d\]\] nested$/,
    reason: 'an array of one vector: a documented form of the argument',
  },
  {
    pattern: /query=\[(-1|1\.5|2\^53) × d\]$|vector: \[(-1|1\.5|2\^53) × d\]( \}\])?$/,
    reason: 'finite numbers: a valid vector',
  },
  { pattern: /options=filter: \[\]$/, reason: 'an empty filter: no id may be returned, the result is empty' },
  { pattern: /options=timing: function$/, reason: 'a timing listener (any function)' },
  {
    pattern: /\.save path='(5|abc)'$|(loadIndex|HnswIndex\.load) path='(5|abc)'$/,
    reason: 'a relative path, resolved against the working directory (the saves before write what the loads read)',
  },
  {
    pattern: /\.save path=path: FIFO$/,
    reason: 'save renames its temporary file over whatever entry the path names; only a directory is refused',
  },
  {
    pattern: /^distance (a|b)=Float32Array (NaN|Infinity)$/,
    reason: 'distance computes on what it is given: NaN or infinite components give NaN or ±Infinity (documented)',
  },
  {
    pattern: /^nativeToPerformanceMs ns=/,
    reason: 'any finite reading of the native clock maps onto performance.now()',
  },
  {
    pattern: /docs=\[\{ id: ('5'|'abc'|NUL string) \}\]$/,
    reason: 'any non-empty, well-formed string is an id, NUL included',
  },
  {
    pattern: /docs=\[\{ text: ('5'|'abc'|NUL string|1 MB string) \}\]$|search text=('5'|'abc'|NUL string|1 MB string)$/,
    reason: 'any well-formed string is a text',
  },
  {
    pattern: /docs=\[\{ metadata: (lone surrogate|NUL) \}\]$/,
    reason: 'JSON.stringify escapes a lone surrogate (\\ud800), so the metadata round-trips exactly',
  },
  { pattern: /get id=('5'|'abc'|NUL string|1 MB string)$/, reason: 'a well-formed id with no document: null' },
  { pattern: /options=alpha: (0|-0|0\.5|MIN_VALUE)$/, reason: 'a weight in [0, 1]' },
  { pattern: /embed texts=(\[\]|\['1' × d\])$/, reason: 'strings to embed (none: no vectors)' },
  {
    pattern: /open options=(textIndexPath|vectorDbPath): path: directory$/,
    reason: 'an existing empty directory holds a new store',
  },
  { pattern: /options=seed: (0|-0|2\^31)$/, reason: 'a seed from 0 to 2^32 − 1 (−0 is 0)' },
  { pattern: /options=writerMemory: 2\^31$/, reason: 'writer memory within 15 MB … 4 GB' },
  { pattern: /options=embedder: function$/, reason: 'your own embedder' },
]

/** Why a successful case is right, or null when it should have failed. */
export function documentedSuccess(id: string): string | null {
  return DOCUMENTED.find(d => d.pattern.test(id))?.reason ?? null
}
