/**
 * The result cache (src/examples/cache.ts): keys, the on-disk file, its use by verifyFiles (with a
 * counting fake runner: no Pyodide), and, end to end, the CLI: an unchanged block is answered from
 * the cache, a changed one is re-run, --no-cache re-runs all, and deleting the cache is safe.
 *
 * The CLI runs here use a temporary working directory, so that their cache folder
 * (node_modules/.cache/verified-examples, relative to the working directory) is their own and
 * can be deleted without touching the repository's.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cacheKey, DEFAULT_CACHE_DIR, KEY_INDEPENDENT_SOURCES, ResultCache, runtimeFingerprint } from '../../src/examples/cache.ts';
import { extractExamples, type ExampleBlock } from '../../src/examples/extract.ts';
import type { RecordedOutput } from '../../src/examples/output.ts';
import { DEFAULT_TIMEOUT_MS } from '../../src/examples/pool.ts';
import { ALTERNATE_HASH_SEED, DEFAULT_MAX_OUTPUT_BYTES } from '../../src/examples/runner.ts';
import { PYODIDE_VERSION } from '../../src/examples/runner-node.ts';
import { verifyFiles, type BlockRun, type BlockRunner } from '../../src/examples/verify.ts';
import { lastLine, ROOT, runVerify } from '../support/verify-cli.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'verify-cache-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const blockOf = (source: string): ExampleBlock => {
  const { blocks, problems } = extractExamples('doc.mdx', source);
  expect(problems).toEqual([]);
  return blocks[0]!;
};
const out = (text: string, exitStatus = 0): RecordedOutput => ({ text, stderrLines: [], exitStatus });

describe('cacheKey and runtimeFingerprint', () => {
  const base = blockOf('```python title="a.py"\nprint(1)\n```\n');

  test('a key depends on the code, the fence meta and the runtime, not on where the block is', () => {
    const key = cacheKey(base, 'f1');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // Same code and meta elsewhere in another file, with a recorded output: same key.
    const moved = extractExamples('other.mdx', '# Title\n\nProse.\n\n```python title="a.py"\nprint(1)\n```\n\n```output\nstale\n```\n')
      .blocks[0]!;
    expect(cacheKey(moved, 'f1')).toBe(key);
    expect(cacheKey(blockOf('```python title="a.py"\nprint(2)\n```\n'), 'f1')).not.toBe(key);
    expect(cacheKey(blockOf('```python title="b.py"\nprint(1)\n```\n'), 'f1')).not.toBe(key);
    expect(cacheKey(blockOf('```python title="a.py" timeout=2s\nprint(1)\n```\n'), 'f1')).not.toBe(key);
    expect(cacheKey(blockOf('```python title="a.py" nondeterministic\nprint(1)\n```\n'), 'f1')).not.toBe(key);
    expect(cacheKey(base, 'f2')).not.toBe(key);
    // CRLF and LF files hold the same code.
    expect(cacheKey(blockOf('```python title="a.py"\r\nprint(1)\r\n```\r\n'), 'f1')).toBe(key);
  });

  test('the effective time limit is in the key: the default applies only to a block without timeout=', () => {
    const key = cacheKey(base, 'f1');
    // The default default is DEFAULT_TIMEOUT_MS.
    expect(cacheKey(base, 'f1', { timeoutMs: DEFAULT_TIMEOUT_MS })).toBe(key);
    expect(cacheKey(base, 'f1', { timeoutMs: 1000 })).not.toBe(key);
    expect(cacheKey(base, 'f1', { timeoutMs: 5000 })).not.toBe(cacheKey(base, 'f1', { timeoutMs: 1000 }));
    // A block's own limit wins over the default, so the default does not change its key.
    const own = blockOf('```python timeout=2s\nprint(1)\n```\n');
    expect(cacheKey(own, 'f1', { timeoutMs: 1000 })).toBe(cacheKey(own, 'f1', { timeoutMs: 5000 }));
    // The output limit too.
    expect(cacheKey(base, 'f1', { maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES })).toBe(key);
    expect(cacheKey(base, 'f1', { maxOutputBytes: 1024 })).not.toBe(key);
  });

  test('a recorded output is in the key only when it holds the [...] marker', () => {
    const page = (recorded: string) => `\`\`\`python\nprint(id(1))\n\`\`\`\n\n\`\`\`output\n${recorded}\n\`\`\`\n`;
    // Without [...] it is compared with the cached output on every run: editing it keeps the key.
    expect(cacheKey(blockOf(page('1')), 'f1')).toBe(cacheKey(blockOf(page('2')), 'f1'));
    // With [...], it decides whether two differing runs are accepted (and cached).
    expect(cacheKey(blockOf(page('1[...]')), 'f1')).not.toBe(cacheKey(blockOf(page('2[...]')), 'f1'));
    expect(cacheKey(blockOf(page('1[...]')), 'f1')).not.toBe(cacheKey(blockOf(page('1')), 'f1'));
  });

  test('the runtime fingerprint changes with the Pyodide version and covers every source that can change a result', async () => {
    const a = await runtimeFingerprint('314.0.7');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await runtimeFingerprint('314.0.7')).toBe(a);
    expect(await runtimeFingerprint('314.0.8')).not.toBe(a);
    // Only sources that cannot change a result are left out, and they all exist (a renamed file
    // would otherwise drop out of this list silently and into the fingerprint).
    const sources = await readdir(join(ROOT, 'src/examples'));
    for (const name of KEY_INDEPENDENT_SOURCES) expect(sources).toContain(name);
    for (const name of ['runner.py', 'runner.ts', 'pool.ts', 'verify.ts', 'compare.ts', 'output.ts', 'meta.ts', 'worker-node.ts'])
      expect(KEY_INDEPENDENT_SOURCES).not.toContain(name);
  });
});

/** Warnings a cache call gave, collected. */
function warnings(): { lines: string[]; warn: (line: string) => void } {
  const lines: string[] = [];
  return { lines, warn: (line) => lines.push(line) };
}

const KEY = 'a'.repeat(64);
const KEY2 = 'b'.repeat(64);

describe('ResultCache', () => {
  test('a missing folder gives an empty cache, and save creates it', async () => {
    const dir = join(work, 'fresh', 'nested');
    const { lines, warn } = warnings();
    const cache = await ResultCache.open(dir, warn);
    expect(cache.get(KEY)).toBeUndefined();
    cache.set(KEY, out('hello'));
    expect(await cache.save()).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'))).toEqual({ version: 1, entries: { [KEY]: out('hello') } });
    expect((await ResultCache.open(dir, warn)).get(KEY)).toEqual(out('hello'));
    expect(await readdir(dir)).toEqual(['results.json']);
    expect(lines).toEqual([]);
  });

  const valid = JSON.stringify({ version: 1, entries: { [KEY]: out('x'), [KEY2]: { text: 'e', stderrLines: [1, 2], exitStatus: 1 } } });
  const garbage: [string, string][] = [
    ['truncated', valid.slice(0, valid.length - 20)],
    ['invalid JSON', 'not json'],
    ['zero bytes', ''],
    ['random bytes', '\u0000\u00ff\u0013garbage\u0007'],
    ['JSON of the wrong shape: an array', '[]'],
    ['JSON of the wrong shape: null', 'null'],
    ['JSON of the wrong shape: no entries', '{"version":1}'],
    ['JSON of the wrong shape: entries as an array', '{"version":1,"entries":[]}'],
    ['an entry that is not an output', `{"version":1,"entries":{"${KEY}":1}}`],
    ['an entry whose text is not a string', `{"version":1,"entries":{"${KEY}":{"text":5,"stderrLines":[],"exitStatus":0}}}`],
    ['an entry with a bad exit status', `{"version":1,"entries":{"${KEY}":{"text":"x","stderrLines":[],"exitStatus":300}}}`],
    ['an entry with bad stderr lines', `{"version":1,"entries":{"${KEY}":{"text":"x","stderrLines":[0,"1"],"exitStatus":0}}}`],
    ['an entry under a key that is not a key', '{"version":1,"entries":{"k":{"text":"x","stderrLines":[],"exitStatus":0}}}'],
  ];
  test.each(garbage)(
    'a results file holding %s is ignored with one warning naming it, and rewritten by the next save',
    async (_, content) => {
      const dir = await mkdtemp(join(work, 'corrupt-'));
      const file = join(dir, 'results.json');
      await writeFile(file, content);
      const { lines, warn } = warnings();
      const cache = await ResultCache.open(dir, warn);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^ignoring corrupt cache file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+\\); it will be rebuilt$`),
      );
      expect(cache.get(KEY)).toBeUndefined();
      // Rewritten even when no block ran, so that the warning is not repeated forever.
      expect(await cache.save()).toBe(true);
      const reopened = warnings();
      expect((await ResultCache.open(dir, reopened.warn)).get(KEY)).toBeUndefined();
      expect(reopened.lines).toEqual([]);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, entries: {} });
    },
  );

  test('a well-formed file is read whole, and a file of another format version is read as empty without a warning', async () => {
    const dir = await mkdtemp(join(work, 'versions-'));
    await writeFile(join(dir, 'results.json'), valid);
    const { lines, warn } = warnings();
    const cache = await ResultCache.open(dir, warn);
    expect(cache.get(KEY)).toEqual(out('x'));
    expect(cache.get(KEY2)).toEqual({ text: 'e', stderrLines: [1, 2], exitStatus: 1 });
    await writeFile(join(dir, 'results.json'), `{"version":2,"entries":{"${KEY}":{"text":"x","stderrLines":[],"exitStatus":0}}}`);
    expect((await ResultCache.open(dir, warn)).get(KEY)).toBeUndefined();
    expect(lines).toEqual([]);
  });

  test('a folder that cannot be written: save warns, returns false, never throws, and leaves no temporary file', async () => {
    // ENOTDIR: a regular file where the cache folder should be (root cannot bypass it).
    const parent = await mkdtemp(join(work, 'notdir-'));
    await writeFile(join(parent, 'cache'), 'a file, not a folder');
    const { lines, warn } = warnings();
    const cache = await ResultCache.open(join(parent, 'cache'), warn);
    expect(lines).toEqual([]);
    cache.set(KEY, out('v'));
    expect(await cache.save()).toBe(false);
    expect(lines).toEqual([`cannot write to the cache folder ${join(parent, 'cache')} (EEXIST); continuing without saving the cache`]);
    expect(await readFile(join(parent, 'cache'), 'utf8')).toBe('a file, not a folder');

    // The rename fails (a non-empty folder named results.json): the temporary file is removed.
    const dir = await mkdtemp(join(work, 'isdir-'));
    await mkdir(join(dir, 'results.json', 'inside'), { recursive: true });
    const second = warnings();
    const blocked = await ResultCache.open(dir, second.warn);
    expect(second.lines).toEqual([`ignoring corrupt cache file ${join(dir, 'results.json')} (cannot be read: EISDIR); it will be rebuilt`]);
    blocked.set(KEY, out('v'));
    expect(await blocked.save()).toBe(false);
    expect(second.lines[1]).toMatch(
      /^cannot write to the cache folder .* \((EISDIR|ENOTEMPTY|EEXIST)\); continuing without saving the cache$/,
    );
    expect(await readdir(dir)).toEqual(['results.json']);
  });

  test('save prunes keys not in the given set, and does not write when nothing changed', async () => {
    const dir = await mkdtemp(join(work, 'prune-'));
    const cache = await ResultCache.open(dir);
    cache.set(KEY, out('A'));
    cache.set(KEY2, out('B'));
    await cache.save();
    const file = join(dir, 'results.json');
    const written = (await stat(file)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await cache.save(new Set([KEY, KEY2]));
    expect((await stat(file)).mtimeMs).toBe(written);
    await cache.save(new Set([KEY]));
    const reopened = await ResultCache.open(dir);
    expect(reopened.get(KEY)).toEqual(out('A'));
    expect(reopened.get(KEY2)).toBeUndefined();
  });

  test('deleting the folder between runs is safe: the next open is empty and save recreates it', async () => {
    const dir = join(work, 'deleted');
    const cache = await ResultCache.open(dir);
    cache.set(KEY, out('v'));
    await cache.save();
    await rm(dir, { recursive: true, force: true });
    expect((await ResultCache.open(dir)).get(KEY)).toBeUndefined();
    // A cache opened before the deletion still saves.
    cache.set(KEY2, out('v2'));
    await cache.save();
    expect((await ResultCache.open(dir)).get(KEY2)).toEqual(out('v2'));
  });
});

/** A fake runner that prints `print("…")`'s argument, counting its runs. */
function countingRunner(): BlockRunner & { runs: string[] } {
  const runs: string[] = [];
  return {
    runs,
    async run(code): Promise<BlockRun> {
      runs.push(code);
      if (code.includes('while True')) {
        return { chunks: [], exitStatus: 130, durationMs: 1, execMs: 1, truncatedBytes: 0, fault: null, discarded: null, timedOut: true };
      }
      const text = /print\("([^"]*)"\)/.exec(code)?.[1] ?? '';
      return {
        chunks: [{ stream: 'stdout', text: text + '\n' }],
        exitStatus: 0,
        durationMs: 1,
        execMs: 1,
        truncatedBytes: 0,
        fault: null,
        discarded: null,
      };
    },
  };
}

describe('verifyFiles with a cache', () => {
  test('answers unchanged blocks from the cache, re-runs changed ones, and never caches a failed run', async () => {
    const dir = await mkdtemp(join(work, 'verify-'));
    const file = join(dir, 'doc.mdx');
    const doc = (second: string) =>
      `\`\`\`python\nprint("one")\n\`\`\`\n\n\`\`\`output\none\n\`\`\`\n\n\`\`\`python\nprint("${second}")\n\`\`\`\n\n\`\`\`output\n${second}\n\`\`\`\n\n\`\`\`python timeout=1s\nwhile True: pass\n\`\`\`\n`;
    await writeFile(file, doc('two'));
    const store = await ResultCache.open(join(dir, 'cache'));
    const cache = { store, key: (block: ExampleBlock) => cacheKey(block, 'fingerprint') };

    const first = countingRunner();
    const [r1] = await verifyFiles([file], { runner: first, cache });
    expect(r1!.results.map((r) => [r.status, r.cached])).toEqual([
      ['passed', false],
      ['passed', false],
      ['failed', undefined],
    ]);
    // Each block that completes runs twice (determinism check); the time-out stops after one run.
    expect(first.runs).toHaveLength(5);

    const second = countingRunner();
    const [r2] = await verifyFiles([file], { runner: second, cache });
    expect(r2!.results.map((r) => [r.status, r.cached, r.durationMs])).toEqual([
      ['passed', true, undefined],
      ['passed', true, undefined],
      ['failed', undefined, 1],
    ]);
    expect(second.runs).toEqual(['while True: pass\n']);

    // Change one block: only it runs again.
    await writeFile(file, doc('deux'));
    const third = countingRunner();
    const [r3] = await verifyFiles([file], { runner: third, cache });
    expect(r3!.results.map((r) => r.status)).toEqual(['passed', 'passed', 'failed']);
    expect(third.runs).toEqual(['print("deux")\n', 'while True: pass\n', 'print("deux")\n']);

    // A recorded output changed by hand is checked against the cached actual output: drift is found without a run.
    await writeFile(file, doc('deux').replace('```output\none\n```', '```output\nuno\n```'));
    const fourth = countingRunner();
    const [r4] = await verifyFiles([file], { runner: fourth, cache });
    expect(r4!.results.map((r) => [r.status, r.cached])).toEqual([
      ['drifted', true],
      ['passed', true],
      ['failed', undefined],
    ]);
    expect(fourth.runs).toEqual(['while True: pass\n']);

    // Without a cache every block runs (twice).
    const uncached = countingRunner();
    await verifyFiles([file], { runner: uncached });
    expect(uncached.runs).toHaveLength(5);
  });
});

/** Run the CLI with `cwd` as its working directory (and so its own cache folder). */
const verifyIn = (cwd: string, ...args: string[]) => runVerify(args, cwd);

const finished = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('finished in '));

describe('the CLI cache', () => {
  test('unchanged blocks are answered from the cache, a changed block is re-run, --no-cache re-runs all, deleting the cache is safe', async () => {
    const cwd = await mkdtemp(join(work, 'cli-'));
    await mkdir(join(cwd, 'content'));
    const file = join(cwd, 'content', 'page.mdx');
    const page = (word: string) =>
      `# Page\n\n\`\`\`python\nprint("alpha")\n\`\`\`\n\n\`\`\`output\nalpha\n\`\`\`\n\n\`\`\`python\nprint("${word}")\n\`\`\`\n\n\`\`\`output\n${word}\n\`\`\`\n`;
    await writeFile(file, page('beta'));
    const cacheDir = join(cwd, DEFAULT_CACHE_DIR);
    // Start from the repository's interpreter snapshot when there is one (saves a ≈3–5 s cold
    // load); the deletion step below makes the CLI do a cold load and write it itself.
    const prefix = `snapshot-${(await runtimeFingerprint(PYODIDE_VERSION)).slice(0, 16)}`;
    const snapshot = `${prefix}.bin`;
    const alternate = `${prefix}-seed${ALTERNATE_HASH_SEED}.bin`;
    await mkdir(cacheDir, { recursive: true });
    for (const name of [snapshot, alternate]) {
      await copyFile(join(ROOT, DEFAULT_CACHE_DIR, name), join(cacheDir, name)).catch(() => undefined);
    }

    const cold = await verifyIn(cwd, '--jobs', '1', file);
    expect(cold.code).toBe(0);
    expect(cold.stderr).toContain('Loading Pyodide');
    expect(finished(cold.stdout)).toMatch(/^finished in \d+\.\d s$/);
    expect(lastLine(cold.stdout)).toBe('2 passed, 0 failed, 0 skipped');
    // The results, and the interpreter snapshots (hash seed 0 and the alternate seed) later runs
    // restore instead of a cold load.
    expect((await readdir(cacheDir)).sort()).toEqual(['results.json', alternate, snapshot].sort());

    // Nothing changed: no block runs, Pyodide is not even loaded.
    const warm = await verifyIn(cwd, '--jobs', '1', file);
    expect(warm.code).toBe(0);
    expect(warm.stderr).not.toContain('Loading Pyodide');
    expect(finished(warm.stdout)).toMatch(/^finished in \d+\.\d s \(2 of 2 answered from the cache; --no-cache to re-run\)$/);
    expect(lastLine(warm.stdout)).toBe('2 passed, 0 failed, 0 skipped');

    // One block changed: it alone runs.
    await writeFile(file, page('gamma'));
    const changed = await verifyIn(cwd, '--jobs', '1', file);
    expect(changed.code).toBe(0);
    expect(changed.stderr).toContain('Loading Pyodide');
    expect(finished(changed.stdout)).toContain('(1 of 2 answered from the cache');

    // --no-cache runs everything, and says nothing about the cache.
    const uncached = await verifyIn(cwd, '--jobs', '1', '--no-cache', file);
    expect(uncached.code).toBe(0);
    expect(uncached.stderr).toContain('Loading Pyodide');
    expect(finished(uncached.stdout)).toMatch(/^finished in \d+\.\d s$/);

    // A drifted recorded output is still caught from the cache.
    await writeFile(file, page('gamma').replace('```output\nalpha\n```', '```output\nALPHA\n```'));
    const drift = await verifyIn(cwd, '--jobs', '1', file);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain(`${file}:3: recorded output drifted`);
    expect(drift.stderr).not.toContain('Loading Pyodide');
    await writeFile(file, page('gamma'));

    // Deleting the cache folder is safe: everything runs again and the cache is rebuilt.
    await rm(join(cwd, 'node_modules'), { recursive: true, force: true });
    const rebuilt = await verifyIn(cwd, '--jobs', '1', file);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toContain('Loading Pyodide');
    expect(finished(rebuilt.stdout)).toMatch(/^finished in \d+\.\d s$/);
    expect(lastLine(rebuilt.stdout)).toBe('2 passed, 0 failed, 0 skipped');
    expect((await readdir(cacheDir)).sort()).toEqual(['results.json', alternate, snapshot].sort());
    const again = await verifyIn(cwd, '--jobs', '1', file);
    expect(finished(again.stdout)).toContain('(2 of 2 answered from the cache');

    // A corrupt cache file is ignored with a warning naming it, not an error (more cases:
    // tests/integration/cache-faults.test.ts).
    await writeFile(join(cacheDir, 'results.json'), '{"version":1,"entr');
    const corrupt = await verifyIn(cwd, '--jobs', '1', file);
    expect(corrupt.code).toBe(0);
    expect(corrupt.stderr).toContain(
      `warning: ignoring corrupt cache file ${DEFAULT_CACHE_DIR}/results.json (not JSON); it will be rebuilt\n`,
    );
    expect(lastLine(corrupt.stdout)).toBe('2 passed, 0 failed, 0 skipped');
    expect(JSON.parse(await readFile(join(cacheDir, 'results.json'), 'utf8')).version).toBe(1);
  });
});
