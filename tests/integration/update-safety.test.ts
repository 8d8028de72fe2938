/**
 * Safety of `--update` on real files with real Pyodide: a page with a UTF-8 byte order mark (LF
 * and CRLF) keeps every byte outside its output fences; a save made by the contributor's editor
 * while a slow block runs is kept (or, when the block itself changed, nothing is written and the
 * report says so); the file's mode and a symlink survive; the CLI run by an unprivileged user on a
 * read-only folder or file reports one line per file and exits 1; and Ctrl-C (SIGINT) leaves no
 * temporary file in the content or the cache folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BOM } from '../../src/examples/extract.ts';
import { type BlockRunner, verifyFiles } from '../../src/examples/verify.ts';
import { type CliResult, lastLine, VERIFY_SCRIPT } from '../support/verify-cli.ts';
import { usePoolFixture } from '../support/pool-fixture.ts';

const FENCE = '```';
const CACHE = join('node_modules', '.cache', 'verified-examples');

// One worker: every block runs on the same interpreter, after the block before it.
const fixture = usePoolFixture('update-safety');

/** A new folder under the fixture.work folder. */
const folder = (name: string) => mkdtemp(join(fixture.work, `${name}-`));

/** `verifyFiles` with `--update` on the real fixture.pool (or the given runner). */
const update = (files: string[], runner: BlockRunner = fixture.pool) => verifyFiles(files, { runner, update: true });

/** Every file name under `dir`, recursively, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('a page that starts with a byte order mark', () => {
  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])(
    '(%s) keeps the mark and every byte outside the output fences; the next check passes and a second update writes nothing',
    async (_eol, eol) => {
      const page = (...lines: string[]) => BOM + lines.join(eol) + eol;
      const fence = (...lines: string[]) => lines.join(eol);
      const head = ['---', 'title: "BOM ü"', '---', '', "import { Aside } from '@astrojs/starlight/components';", '', 'Prose   '];
      const first = [FENCE + 'python title="a.py"', 'print("héllo")', FENCE];
      const second = ['<Aside>', '', '  ' + FENCE + 'python', '  import sys; sys.exit(3)', '  ' + FENCE, '', '</Aside>'];
      const source = page(...head, '', ...first, '', FENCE + 'output', 'stale', FENCE, '', ...second, '', 'The end.');
      const file = join(await folder('bom'), 'page.mdx');
      await writeFile(file, source);

      const [report] = await update([file]);
      expect(report!.problems).toEqual([]);
      expect(report!.results.map((r) => r.status)).toEqual(['updated', 'updated']);
      const bytes = await readFile(file);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      // Exactly the two fences changed: the stale one replaced, the missing one inserted.
      expect(bytes.toString('utf8')).toBe(
        page(
          ...head,
          '',
          ...first,
          '',
          fence(FENCE + 'output', 'héllo', FENCE),
          '',
          ...second.slice(0, 5),
          '',
          fence('  ' + FENCE + 'output exit=3', '  ' + FENCE),
          ...second.slice(5),
          '',
          'The end.',
        ),
      );

      const [check] = await verifyFiles([file], { runner: fixture.pool });
      expect(check!.problems).toEqual([]);
      expect(check!.results.map((r) => r.status)).toEqual(['passed', 'passed']);
      const [again] = await update([file]);
      expect(again!.written).toBe(false);
      expect(Buffer.compare(await readFile(file), bytes)).toBe(0);
    },
  );
});

describe('a save made while the examples run', () => {
  // Sleeps long enough that the save lands while Python runs; the save itself is not timed (below).
  const SLOW = ['import time', 'time.sleep(1.5)', 'print("slept")'];
  const START = ['# Page', '', 'Intro.', '', FENCE + 'python', ...SLOW, FENCE, '', FENCE + 'output', 'stale', FENCE, '', 'Outro.', ''].join(
    '\n',
  );

  /**
   * The fixture.pool, and a save of the file as soon as the slow block's first run starts. The run's
   * result is handed on only once the save is done, so the save always lands between the read
   * at the start and the write at the end, however slow the machine.
   */
  function savingRunner(file: string, saved: string): BlockRunner & { saves: number } {
    let saving: Promise<void> | undefined;
    const runner = {
      saves: 0,
      run(code: string, options?: Parameters<BlockRunner['run']>[1]) {
        const result = fixture.pool.run(code, options);
        saving ??= (async () => {
          await writeFile(file, saved);
          runner.saves++;
        })();
        return Promise.all([result, saving]).then(([r]) => r);
      },
    };
    return runner;
  }

  test('is kept when the block is unchanged: the new output is written into the saved text', async () => {
    const file = join(await folder('save-kept'), 'page.mdx');
    await writeFile(file, START);
    const saved = START.replace('Intro.', 'Intro, rewritten while the block ran.\n\nA new paragraph.').replace(
      'Outro.',
      'Outro, edited too.',
    );
    const runner = savingRunner(file, saved);
    const [report] = await update([file], runner);
    expect(runner.saves).toBe(1);
    expect(report!.problems).toEqual([]);
    expect(report!.results.map((r) => r.status)).toEqual(['updated']);
    expect(report!.written).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(saved.replace('stale', 'slept'));
  });

  test("writes nothing when the block's code changed, and says so at file:line", async () => {
    const file = join(await folder('save-changed'), 'page.mdx');
    await writeFile(file, START);
    const saved = START.replace('print("slept")', 'print("slept well")');
    const [report] = await update([file], savingRunner(file, saved));
    expect(report!.written).toBe(false);
    expect(report!.results.map((r) => r.status)).toEqual(['drifted']);
    expect(report!.problems).toEqual([
      {
        file,
        line: 5,
        message:
          'the file changed while its examples ran, and so did this example (its code, meta or output fence); nothing was written: run the update again',
      },
    ]);
    expect(await readFile(file, 'utf8')).toBe(saved);
    // Run again, as the message says: the saved code is verified and recorded.
    const [again] = await update([file]);
    expect(again!.problems).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe(saved.replace('stale', 'slept well'));
  });
});

describe('the file itself', () => {
  test('keeps its mode (0640) and a symlink to it stays a symlink, with the target rewritten', async () => {
    const dir = await folder('link');
    await mkdir(join(dir, 'real'));
    await mkdir(join(dir, 'content'));
    const target = join(dir, 'real', 'page.mdx');
    const link = join(dir, 'content', 'page.mdx');
    await writeFile(target, [FENCE + 'python', 'print(6 * 7)', FENCE, ''].join('\n'));
    await chmod(target, 0o640);
    await symlink(join('..', 'real', 'page.mdx'), link);
    const [report] = await update([link]);
    expect(report!.written).toBe(true);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(join('..', 'real', 'page.mdx'));
    expect(await readFile(target, 'utf8')).toBe(
      [FENCE + 'python', 'print(6 * 7)', FENCE, '', FENCE + 'output', '42', FENCE, ''].join('\n'),
    );
    expect((await stat(target)).mode & 0o7777).toBe(0o640);
    expect(await filesUnder(dir)).toEqual(['content', 'content/page.mdx', 'real', 'real/page.mdx']);
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI
// ---------------------------------------------------------------------------------------------

/** An unprivileged user: root ignores permission bits, so the read-only cases run as `nobody` when the tests run as root. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Start the CLI in `cwd` (its cache folder is `cwd`/node_modules/.cache/…), as `nobody` when `unprivileged` and running as root. */
function startCli(args: readonly string[], cwd: string, unprivileged = false): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [VERIFY_SCRIPT, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', HOME: cwd },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(unprivileged && asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, result };
}

describe('the CLI', () => {
  test('on a read-only folder and a read-only file: one line each naming the file, the report printed, exit 1, nothing written', async () => {
    const dir = await folder('readonly');
    const page = [FENCE + 'python', 'print("not recorded")', FENCE, ''].join('\n');
    await mkdir(join(dir, 'ro-folder'));
    await mkdir(join(dir, 'ro-file'));
    await writeFile(join(dir, 'ro-folder', 'page.mdx'), page);
    await writeFile(join(dir, 'ro-file', 'page.mdx'), page);
    if (asRoot) {
      await chmod(fixture.work, 0o755); // mkdtemp makes it 0700: nobody could not reach the files
      for (const path of ['', 'ro-folder', 'ro-folder/page.mdx', 'ro-file', 'ro-file/page.mdx'])
        await chown(join(dir, path), NOBODY, NOBODY);
    }
    await chmod(join(dir, 'ro-folder'), 0o555);
    await chmod(join(dir, 'ro-file', 'page.mdx'), 0o444);

    const { result } = startCli(['--update', 'ro-folder/page.mdx', 'ro-file/page.mdx'], dir, true);
    const { code, stdout, stderr } = await result;
    const advice = 'nothing was written: make the file and its folder writable, then run the update again';
    expect(stdout).toContain(`ro-folder/page.mdx:1: error: cannot write the re-recorded outputs: permission denied (EACCES); ${advice}\n`);
    expect(stdout).toContain(`ro-file/page.mdx:1: error: cannot write the re-recorded outputs: permission denied (EACCES); ${advice}\n`);
    expect(stdout).toContain('ro-file/page.mdx:1: python block has no output fence after it');
    expect(lastLine(stdout)).toBe('0 passed, 2 failed, 0 skipped, 2 errors');
    expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(code).toBe(1);
    expect(await readFile(join(dir, 'ro-folder', 'page.mdx'), 'utf8')).toBe(page);
    expect(await readFile(join(dir, 'ro-file', 'page.mdx'), 'utf8')).toBe(page);
    expect((await filesUnder(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await chmod(join(dir, 'ro-folder'), 0o755); // so that afterAll can remove it
  });

  test('Ctrl-C (SIGINT) during --update exits 130 and leaves no temporary file in the content or the cache folder', async () => {
    // A fresh working folder: the CLI starts cold and writes two 30 MiB interpreter snapshots into
    // its cache folder; the signal is sent as soon as one of their temporary files shows up, else
    // once the slow block is running.
    const dir = await folder('sigint');
    const page = [FENCE + 'python', 'import time', 'time.sleep(60)', FENCE, ''].join('\n');
    await writeFile(join(dir, 'page.mdx'), page);
    const { child, result } = startCli(['--update', 'page.mdx'], dir);
    let stderr = '';
    child.stderr!.on('data', (d: string) => (stderr += d));
    let exited = false;
    void result.then(() => (exited = true));
    for (;;) {
      const names = await readdir(join(dir, CACHE)).catch(() => [] as string[]);
      if (names.some((n) => n.endsWith('.tmp')) || /Pyodide ready/.test(stderr) || exited) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(exited).toBe(false); // the block sleeps for a minute: the CLI is still working
    child.kill('SIGINT');
    const { code, stderr: allStderr } = await result;
    expect(code).toBe(130);
    expect(allStderr).toContain('verify: stopped by SIGINT; no file was left half-written');
    const left = await filesUnder(dir);
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await readFile(join(dir, 'page.mdx'), 'utf8')).toBe(page);
    // A snapshot in the cache is whole or absent: the next run reads it (or makes it) and works.
    for (const name of left.filter((f) => f.endsWith('.bin'))) expect((await stat(join(dir, name))).size).toBeGreaterThan(1_000_000);
  });
});
