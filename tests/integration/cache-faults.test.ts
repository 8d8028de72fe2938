/**
 * A cache folder that cannot break or fool a run (src/examples/cache.ts), through the real CLI
 * and real Pyodide: garbage in results.json or in a snapshot file, a snapshot that passes its
 * checks but does not restore, a folder that cannot be written, a disk that fills up mid-write,
 * and a result cached under one time limit asked for under another. Each case: one warning line
 * naming the file, a normal report and exit status, no temporary file, and a cache that works again.
 *
 * Every CLI run has its own working directory, hence its own cache folder
 * (node_modules/.cache/verified-examples). A first cold run makes valid snapshots that the cases
 * copy, so that only the cases that must load Pyodide cold do.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_CACHE_DIR } from '../../src/examples/cache.ts';
import { decodeSnapshotFile, encodeSnapshotFile } from '../../src/examples/snapshot-file.ts';
import { type CliResult, lastLine, runVerify, VERIFY_SCRIPT } from '../support/verify-cli.ts';

const PAGE = '# Page\n\n```python\nprint("alpha")\n```\n\n```output\nalpha\n```\n\n```python\nprint("beta")\n```\n\n```output\nbeta\n```\n';
const PASSED = '2 passed, 0 failed, 0 skipped';

let work: string;
/** The cache folder of the first run: results.json and both snapshots, all valid. */
let seed: string;
/** Names of the primary and alternate-seed snapshot files. */
let primary: string;
let alternate: string;

/** A new working directory with content/page.mdx holding `page`; returns it and its cache folder. */
async function project(page = PAGE): Promise<{ cwd: string; cache: string }> {
  const cwd = await mkdtemp(join(work, 'cwd-'));
  await mkdir(join(cwd, 'content'));
  await writeFile(join(cwd, 'content', 'page.mdx'), page);
  return { cwd, cache: join(cwd, DEFAULT_CACHE_DIR) };
}

/** Copy the seed's files (all, or those named) into `cache`. */
async function seedInto(cache: string, names?: string[]): Promise<void> {
  await mkdir(cache, { recursive: true });
  for (const name of names ?? (await readdir(seed))) await copyFile(join(seed, name), join(cache, name));
}

const verify = (cwd: string, ...args: string[]) => runVerify(['--jobs', '1', ...args, 'content/page.mdx'], cwd);
const warnings = (run: CliResult) => run.stderr.split('\n').filter((line) => line.includes('warning'));
const corruptWarning = (name: string) =>
  new RegExp(
    `^warning: ignoring corrupt cache file ${DEFAULT_CACHE_DIR}/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+\\); it will be rebuilt$`,
  );

/** The files of a cache folder, temporary ones included (there must be none). */
const filesIn = async (cache: string) => (await readdir(cache)).sort();

/** The identity (runtime fingerprint, hash seed) in a snapshot file's header line. */
async function identityOf(file: string): Promise<{ fingerprint: string; hashSeed: number }> {
  const data = await readFile(file);
  const line = data.subarray(0, data.indexOf(0x0a)).toString('utf8');
  return JSON.parse(line.slice(line.indexOf('{'))) as { fingerprint: string; hashSeed: number };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'verify-cache-faults-'));
  const { cwd, cache } = await project();
  const cold = await verify(cwd);
  expect(cold.code, cold.stderr).toBe(0);
  expect(warnings(cold)).toEqual([]);
  const names = await filesIn(cache);
  expect(names).toHaveLength(3);
  primary = names.find((n) => /^snapshot-[0-9a-f]{16}\.bin$/.test(n))!;
  alternate = names.find((n) => /^snapshot-[0-9a-f]{16}-seed\d+\.bin$/.test(n))!;
  expect([primary, alternate, 'results.json'].sort()).toEqual(names);
  seed = cache;
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('garbage in results.json', () => {
  const cases: [string, (valid: string) => string][] = [
    ['a truncated file', (valid) => valid.slice(0, Math.floor(valid.length / 2))],
    ['JSON of the wrong shape', () => '{"version":1,"entries":[["alpha"]]}'],
    // The real key of the first block, so that a cache that trusted it would hand it to the comparison.
    [
      'an entry of the wrong shape under a real key',
      (valid) => {
        const [key] = Object.keys((JSON.parse(valid) as { entries: Record<string, unknown> }).entries);
        return JSON.stringify({ version: 1, entries: { [key!]: { text: ['alpha'], exitStatus: '0' } } });
      },
    ],
  ];
  test.each(cases)('%s: one warning naming it, every block re-run, the file rebuilt', async (_, make) => {
    const { cwd, cache } = await project();
    await seedInto(cache);
    await writeFile(join(cache, 'results.json'), make(await readFile(join(seed, 'results.json'), 'utf8')));
    const run = await verify(cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run)).toHaveLength(1);
    expect(warnings(run)[0]).toMatch(corruptWarning('results.json'));
    expect(run.stdout).not.toContain('answered from the cache');
    expect(lastLine(run.stdout)).toBe(PASSED);
    expect(await filesIn(cache)).toEqual([primary, alternate, 'results.json'].sort());

    const again = await verify(cwd);
    expect(warnings(again)).toEqual([]);
    expect(again.stdout).toContain('(2 of 2 answered from the cache');
    expect(lastLine(again.stdout)).toBe(PASSED);
  });
});

describe('garbage in a snapshot file', () => {
  /** Each case writes one snapshot file (`target`: 'primary' or 'alternate') from the seed's. */
  const cases: [string, 'primary' | 'alternate', (valid: Buffer) => Promise<Uint8Array> | Uint8Array][] = [
    ['truncated', 'primary', (valid) => valid.subarray(0, Math.floor(valid.length / 3))],
    ['random bytes', 'alternate', (valid) => randomBytes(valid.length)],
    ['zero bytes', 'primary', () => new Uint8Array(0)],
    // What renaming a file left by another runtime (other runner sources) gives: a whole,
    // well-formed snapshot, of another interpreter.
    [
      "another runtime's snapshot, renamed",
      'alternate',
      async (valid) => {
        const identity = await identityOf(join(seed, alternate));
        const decoded = decodeSnapshotFile(valid, identity);
        if (!('snapshot' in decoded)) throw new Error(decoded.problem);
        return encodeSnapshotFile(decoded.snapshot, { ...identity, fingerprint: 'f'.repeat(64) });
      },
    ],
    ['the other hash seed’s snapshot, renamed', 'primary', () => readFile(join(seed, alternate))],
  ];
  test.each(cases)('%s (%s): one warning naming it, a normal run, the snapshot made again', async (_, target, make) => {
    const { cwd, cache } = await project();
    // The snapshots only: with results.json too, every block would be answered from it and the
    // pool would not start.
    await seedInto(cache, [primary, alternate]);
    const name = target === 'primary' ? primary : alternate;
    await writeFile(join(cache, name), await make(await readFile(join(seed, name))));
    const run = await verify(cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run)).toHaveLength(1);
    expect(warnings(run)[0]).toMatch(corruptWarning(name));
    expect(lastLine(run.stdout)).toBe(PASSED);
    expect(await filesIn(cache)).toEqual([primary, alternate, 'results.json'].sort());
    expect((await stat(join(cache, name))).size).toBe((await stat(join(seed, name))).size);

    const again = await verify(cwd, '--no-cache');
    expect(again.code, again.stderr).toBe(0);
    expect(warnings(again)).toEqual([]);
    expect(lastLine(again.stdout)).toBe(PASSED);
  });

  test('a snapshot that passes its checks but does not restore is deleted, with a warning, and the pool starts cold', async () => {
    const { cwd, cache } = await project();
    await seedInto(cache, [primary, alternate]);
    // A well-formed file (right runtime, hash seed, length and sha256) around bytes Pyodide
    // cannot restore: what a faulty earlier run could have written.
    const identity = await identityOf(join(seed, primary));
    const decoded = decodeSnapshotFile(await readFile(join(seed, primary)), identity);
    if (!('snapshot' in decoded)) throw new Error(decoded.problem);
    await writeFile(join(cache, primary), encodeSnapshotFile(decoded.snapshot.subarray(0, 1 << 20), identity));
    const run = await verify(cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(lastLine(run.stdout)).toBe(PASSED);
    const lines = warnings(run);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(corruptWarning(primary));
    expect(lines[0]).toContain('Pyodide could not restore it');
    for (const line of lines.slice(1)) expect(line).toMatch(corruptWarning(alternate));
    expect(await filesIn(cache)).toEqual([primary, alternate, 'results.json'].sort());

    const again = await verify(cwd, '--no-cache');
    expect(again.code, again.stderr).toBe(0);
    expect(warnings(again)).toEqual([]);
    expect(lastLine(again.stdout)).toBe(PASSED);
  });
});

describe('a cache folder that cannot be written', () => {
  const DRIFT = PAGE.replace('```output\nbeta\n```', '```output\nBETA\n```');

  test('a file where the folder should be (ENOTDIR): one warning, the report printed whole, exit status 1 for the drift', async () => {
    const { cwd } = await project(DRIFT);
    await mkdir(join(cwd, 'node_modules'));
    await writeFile(join(cwd, 'node_modules', '.cache'), 'not a folder');
    const run = await verify(cwd);
    expect(warnings(run)).toEqual([
      `warning: cannot write to the cache folder ${DEFAULT_CACHE_DIR} (ENOTDIR); continuing without saving the cache`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('content/page.mdx:11: recorded output drifted');
    expect(run.stdout).toContain('-BETA\n+beta');
    expect(lastLine(run.stdout)).toBe('1 passed, 1 failed, 0 skipped');
    expect(await readFile(join(cwd, 'node_modules', '.cache'), 'utf8')).toBe('not a folder');
  });

  test('a disk that fills up mid-write (EFBIG under ulimit -f): a warning, no temporary file, the results still saved', async () => {
    const { cwd, cache } = await project();
    // 4 MiB per file: results.json fits, a 30 MB snapshot does not. SIGXFSZ is ignored (as the
    // shell's trap passes on through exec), so the write fails with EFBIG instead of killing Node.
    const run = await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(
        'sh',
        ['-c', 'trap "" XFSZ; ulimit -f 4096; exec "$0" "$@"', process.execPath, VERIFY_SCRIPT, '--jobs', '1', 'content/page.mdx'],
        { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run)).toEqual([
      `warning: cannot write to the cache folder ${DEFAULT_CACHE_DIR} (EFBIG); continuing without saving the cache`,
    ]);
    expect(lastLine(run.stdout)).toBe(PASSED);
    expect(await filesIn(cache)).toEqual(['results.json']);
    const again = await verify(cwd);
    expect(again.stdout).toContain('(2 of 2 answered from the cache');
  });
});

describe('the time limit is part of the key', () => {
  test('a block cached under --timeout 5s is re-run under --timeout 1s, and fails', async () => {
    const { cwd, cache } = await project('```python\nimport time\ntime.sleep(1.5)\nprint("done")\n```\n\n```output\ndone\n```\n');
    await seedInto(cache, [primary, alternate]);
    const slow = await verify(cwd, '--timeout', '5s');
    expect(slow.code, slow.stdout + slow.stderr).toBe(0);
    expect(lastLine(slow.stdout)).toBe('1 passed, 0 failed, 0 skipped');
    const cached = await verify(cwd, '--timeout', '5s');
    expect(cached.stdout).toContain('(1 of 1 answered from the cache');

    const strict = await verify(cwd, '--timeout', '1s');
    expect(strict.code).toBe(1);
    expect(strict.stdout).not.toContain('answered from the cache');
    expect(strict.stdout).toContain('content/page.mdx:1: timed out after 1 s');
    expect(lastLine(strict.stdout)).toBe('0 passed, 1 failed, 0 skipped');

    // The failure was not cached, and did not replace the 5 s result.
    const back = await verify(cwd, '--timeout', '5s');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('(1 of 1 answered from the cache');
    expect(warnings(back)).toEqual([]);
  });
});
