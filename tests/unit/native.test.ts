/**
 * `runtime=native` without running Python: fence meta, the output fence's `python=`, extraction
 * errors, the cache key, the skip reasons, the environment and the transcript's paths.
 * tests/integration/native.test.ts runs real blocks with the machine's CPython.
 */
import { describe, expect, test } from 'vitest';
import { cacheKey } from '../../src/examples/cache.ts';
import { diffOutputs, outputsMatch } from '../../src/examples/compare.ts';
import { type ExampleBlock, extractExamples } from '../../src/examples/extract.ts';
import { MetaError, readPythonMeta } from '../../src/examples/meta.ts';
import { nativeChunks, nativeEnvironment, type NativeProbe, nativeSkipReason } from '../../src/examples/native.ts';
import { formatOutputMeta, readOutputFence } from '../../src/examples/output.ts';

const FENCE = '```';
const page = (meta: string, outputMeta?: string) =>
  [
    `${FENCE}python ${meta}`,
    'print("hi")',
    FENCE,
    '',
    ...(outputMeta === undefined ? [] : [`${FENCE}output ${outputMeta}`, 'hi', FENCE]),
    '',
  ].join('\n');

/** The only block of a page (fails the test on content errors). */
function onlyBlock(source: string): ExampleBlock {
  const { blocks, problems } = extractExamples('doc.mdx', source);
  expect(problems).toEqual([]);
  expect(blocks).toHaveLength(1);
  return blocks[0]!;
}

const interpreter = (minor: string): NativeProbe => ({
  interpreter: { command: 'python3', executable: '/usr/bin/python3', minor, version: `${minor}.4`, full: `${minor}.4 (main) [GCC]` },
});

describe('runtime=native meta', () => {
  test('is read with its optional needs', () => {
    expect(readPythonMeta('runtime=native')).toMatchObject({ runtime: 'native', needs: null, norun: null });
    expect(readPythonMeta('runtime=native needs="os.fork"')).toMatchObject({ runtime: 'native', needs: 'os.fork' });
    expect(readPythonMeta('')).toMatchObject({ runtime: 'pyodide', needs: null });
  });

  test.each([
    ['runtime=pyodide', /^runtime takes only the value native/],
    ['runtime', /^runtime takes only the value native/],
    ['runtime=native norun="threads"', /either norun or runtime=native/],
    ['needs="threads"', /belongs to a runtime=native block/],
    ['runtime=native needs=""', /^needs takes what the block needs/],
  ])('%s is an error saying what to write', (meta, message) => {
    expect(() => readPythonMeta(meta)).toThrow(MetaError);
    expect(() => readPythonMeta(meta)).toThrow(message);
  });

  test('a bad runtime meta is a content error at the fence line', () => {
    const { problems } = extractExamples('doc.mdx', page('runtime=wasm'));
    expect(problems).toEqual([{ file: 'doc.mdx', line: 1, message: expect.stringMatching(/^runtime takes only the value native/) }]);
  });
});

describe('python= in the output fence', () => {
  test('is read and written back by --update, after stderr and exit', () => {
    const output = readOutputFence('stderr="2" exit=143 python=3.11', 'a\nb');
    expect(output).toEqual({ text: 'a\nb', stderrLines: [2], exitStatus: 143, python: '3.11' });
    expect(formatOutputMeta(output)).toBe('stderr="2" exit=143 python=3.11');
    expect(formatOutputMeta(readOutputFence('', 'a'))).toBe('');
  });

  test.each(['python=3', 'python=3.11.7', 'python'])('%s is an error', (meta) => {
    expect(() => readOutputFence(meta, '')).toThrow(/expected python=3\.N/);
  });

  test('on the output of a Pyodide block is a content error at the output fence', () => {
    const { problems } = extractExamples('doc.mdx', page('', 'python=3.11'));
    expect(problems).toEqual([
      { file: 'doc.mdx', line: 5, message: expect.stringMatching(/^python=3\.11 records the CPython of a runtime=native block/) },
    ]);
  });

  test('must match: a native output recorded without it drifts, and the diff shows the version', () => {
    const recorded = readOutputFence('', 'hi');
    const actual = { ...recorded, python: '3.11' };
    expect(outputsMatch(recorded, actual, { ellipsis: false })).toBe(false);
    expect(outputsMatch(actual, { ...actual }, { ellipsis: false })).toBe(true);
    expect(diffOutputs('doc.mdx:1', recorded, actual, { ellipsis: false })).toContain('\n+[CPython 3.11]\n');
  });
});

describe('the cache key of a native block', () => {
  test("holds the interpreter's full version; a Pyodide block's key ignores it", () => {
    const native = onlyBlock(page('runtime=native', 'python=3.11'));
    const pyodide = onlyBlock(page(''));
    const key = (block: ExampleBlock, nativeVersion?: string) => cacheKey(block, 'f', { nativeVersion });
    expect(key(native, '3.11.7 (main, Jan 1 2024)')).not.toBe(key(native, '3.11.8 (main, Feb 1 2024)'));
    expect(key(native, '3.11.7 (main, Jan 1 2024)')).toBe(key(native, '3.11.7 (main, Jan 1 2024)'));
    expect(key(pyodide, '3.11.7')).toBe(key(pyodide, '3.12.1'));
    expect(key(pyodide, '3.11.7')).toBe(key(pyodide));
  });
});

describe('nativeSkipReason', () => {
  const recorded = onlyBlock(page('runtime=native', 'python=3.11'));
  const fresh = onlyBlock(page('runtime=native'));

  test('is null for a Pyodide block, and for a native block this CPython can verify', () => {
    expect(nativeSkipReason(onlyBlock(page('')), undefined)).toBeNull();
    expect(nativeSkipReason(recorded, interpreter('3.11'))).toBeNull();
    expect(nativeSkipReason(fresh, interpreter('3.13'))).toBeNull();
  });

  test('names both versions when the recorded minor version differs', () => {
    expect(nativeSkipReason(recorded, interpreter('3.12'))).toMatch(
      /^recorded with CPython 3\.11, and "python3" here is CPython 3\.12\.4: verify it with --python pointing to a CPython 3\.11, or re-record it/,
    );
  });

  test('passes on why there is no CPython, and says which version the block needs', () => {
    expect(nativeSkipReason(recorded, { unavailable: 'no native Python: "x" was not found' })).toBe(
      'runtime=native needs CPython 3.11 (python=3.11 in its output fence): no native Python: "x" was not found',
    );
    expect(nativeSkipReason(fresh, undefined)).toMatch(/^runtime=native needs CPython; it is verified by npm run verify/);
  });
});

describe('nativeEnvironment', () => {
  test('keeps PATH (the interpreter first), drops PYTHON* and everything else, sets the fixed variables', () => {
    const env = nativeEnvironment(
      { PATH: '/usr/bin:/bin', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: '/x', LC_ALL: 'de_DE', NO_COLOR: '1' },
      '/tmp/run',
      '/opt/py/bin/python3',
      1,
    );
    expect(env).toEqual({
      PATH: '/opt/py/bin:/usr/bin:/bin',
      HOME: '/tmp/run/home',
      TMPDIR: '/tmp/run/tmp',
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      PYTHON_COLORS: '0',
      PYTHONHASHSEED: '1',
    });
  });
});

describe('nativeChunks', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  test("joins a stream's reads, keeps a character split between reads, and makes paths in the run's folder relative", () => {
    const euro = bytes('€');
    const chunks = nativeChunks(
      [
        { stream: 'stdout', bytes: bytes('a') },
        { stream: 'stdout', bytes: euro.subarray(0, 1) },
        { stream: 'stdout', bytes: euro.subarray(1) },
        { stream: 'stderr', bytes: bytes('  File "/tmp/native-example-x/exam') },
        { stream: 'stderr', bytes: bytes('ple.py", line 1\n') },
        { stream: 'stdout', bytes: bytes('/tmp/native-example-x\n') },
      ],
      '/tmp/native-example-x/',
    );
    expect(chunks).toEqual([
      { stream: 'stdout', text: 'a€' },
      { stream: 'stderr', text: '  File "example.py", line 1\n' },
      { stream: 'stdout', text: '/tmp/native-example-x\n' },
    ]);
  });

  test('decodes invalid UTF-8 as U+FFFD', () => {
    expect(nativeChunks([{ stream: 'stdout', bytes: Uint8Array.of(0x61, 0xff) }], '/x/')).toEqual([{ stream: 'stdout', text: 'a\uFFFD' }]);
  });
});
