/**
 * `stdout=pipe` and `env=`: a block runs as `python3 example.py > out.txt 2>&1` would. Each case
 * runs in real Pyodide (the runner the verifier and the browser share) and with the machine's
 * native CPython, redirected to a real file in a temporary folder with PYTHONUNBUFFERED unset
 * (this environment sets it), and the two must write the same bytes with the same exit status.
 * The two results are also checked as it states them. Then the whole path through the
 * CLI (sandbox, pool, worker thread) with real MDX, a native `stdout=pipe` block, and the default
 * (a terminal) left as it was.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { extractExamples } from '../../src/examples/extract.ts';
import { NativeRunner, probeNativePython } from '../../src/examples/native.ts';
import { createNodeRunner } from '../../src/examples/runner-node.ts';
import type { ExampleRunner, RunResult } from '../../src/examples/runner.ts';
import { lastLine, runVerify } from '../support/verify-cli.ts';

const FENCE = '```';

let work: string;
let runner: ExampleRunner;
let native: NativeRunner;

beforeAll(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'stdout-pipe-')));
  const probe = await probeNativePython();
  if (!('interpreter' in probe)) throw new Error(`these tests need a native python3: ${probe.unavailable}`);
  native = new NativeRunner(probe.interpreter);
  runner = await createNodeRunner();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** What `python3 example.py > out.txt 2>&1` leaves in out.txt, and `$?`, with no inherited PYTHON* variable but `env`. */
async function nativeToFile(code: string, env: Record<string, string> = {}): Promise<{ text: string; exitStatus: number }> {
  const folder = await mkdtemp(join(work, 'native-'));
  await writeFile(join(folder, 'example.py'), code);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PYTHON')));
  // exec: the shell does not stay around to report a signal ("Terminated") into the file.
  const result = spawnSync('sh', ['-c', 'exec python3 example.py > out.txt 2>&1'], {
    cwd: folder,
    env: { ...inherited, PYTHON_COLORS: '0', ...env },
  });
  const text = await readFile(join(folder, 'out.txt'), 'utf8');
  // CPython names the script by its absolute path; the runner's tracebacks say example.py.
  // Death by signal N is 128 + N, as a shell reports it.
  const exitStatus = result.signal ? 128 + constants.signals[result.signal] : (result.status ?? -1);
  return { text: text.split(`${folder}/`).join(''), exitStatus };
}

/** The bytes of a run in the order they reached fd 1 and 2 (one file under `2>&1`). */
const fileText = (run: RunResult) => run.chunks.map((c) => c.text).join('');

const TWO_STREAMS = 'import sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)\n';
const LOST = 'import os\nprint("lost")\nos._exit(0)\n';

describe('stdout=pipe in Pyodide writes what CPython writes to a file', () => {
  const cases: { name: string; code: string; env?: Record<string, string> }[] = [
    { name: 'stderr (line-buffered) reaches the file before stdout (block-buffered)', code: TWO_STREAMS },
    { name: 'print then os._exit(0): nothing', code: LOST },
    { name: 'flush=True keeps the line before os._exit', code: 'import os\nprint("kept", flush=True)\nprint("lost")\nos._exit(0)\n' },
    {
      name: 'sys.stdout.flush() keeps what came before it',
      code: 'import os, sys\nprint("one")\nprint("two")\nsys.stdout.flush()\nprint("lost")\nos._exit(0)\n',
    },
    {
      name: 'PYTHONUNBUFFERED=1: every write in order, nothing lost',
      code: 'import os, sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)\nprint("kept")\nos._exit(0)\n',
      env: { PYTHONUNBUFFERED: '1' },
    },
    {
      name: 'PYTHONUNBUFFERED=1 reaches os.environ, and its -u layers (raw buffer, write-through)',
      code: 'import os, sys\nprint(os.environ["PYTHONUNBUFFERED"], type(sys.stdout.buffer).__name__, sys.stdout.write_through, sys.stdout.line_buffering)\n',
      env: { PYTHONUNBUFFERED: '1' },
    },
    {
      name: 'isatty() is False for stdout and stderr; stdout is not line-buffered, stderr is',
      code: 'import os, sys\nprint(sys.stdout.isatty(), os.isatty(1), sys.stderr.isatty(), sys.stdout.line_buffering, sys.stderr.line_buffering)\n',
    },
    { name: 'a partial stderr line is lost by os._exit', code: 'import os, sys\nsys.stderr.write("partial")\nos._exit(0)\n' },
    { name: 'sys.exit("bye") flushes stdout before the message', code: 'import sys\nprint("out")\nsys.exit("bye")\n' },
    { name: 'os._exit(3) after a stderr line', code: 'import os, sys\nprint("out")\nprint("err", file=sys.stderr)\nos._exit(3)\n' },
  ];
  for (const { name, code, env } of cases) {
    test(name, async () => {
      const run = await runner.run(code, { stdout: 'pipe', env });
      expect(run.fault).toBeNull();
      const expected = await nativeToFile(code, env);
      expect({ text: fileText(run), exitStatus: run.exitStatus }).toEqual(expected);
    });
  }

  test("the issue's two results, as it states them", async () => {
    const two = await runner.run(TWO_STREAMS, { stdout: 'pipe' });
    expect(two.chunks).toEqual([
      { stream: 'stderr', text: 'to stderr\n' },
      { stream: 'stdout', text: 'to stdout\n' },
    ]);
    expect(two.exitStatus).toBe(0);
    const lost = await runner.run(LOST, { stdout: 'pipe' });
    expect(lost.chunks).toEqual([]);
    expect(lost.exitStatus).toBe(0);
  });

  test('the default is still a terminal: stdout line-buffered, isatty() True', async () => {
    const two = await runner.run(TWO_STREAMS);
    expect(fileText(two)).toBe('to stdout\nto stderr\n');
    const tty = await runner.run('import os, sys\nprint(sys.stdout.isatty(), os.isatty(1))\n');
    expect(fileText(tty)).toBe('True True\n');
    // And a pipe block's variables do not outlive it.
    await runner.run('print()', { env: { PYTHONUNBUFFERED: '1' } });
    const after = await runner.run('import os\nprint(os.environ.get("PYTHONUNBUFFERED"))\n');
    expect(fileText(after)).toBe('None\n');
  });

  test('a variable CPython does not read at start-up is refused', async () => {
    await expect(runner.run('print()', { env: { HOME: '/' } })).rejects.toThrow(
      /HOME is not a start-up variable.*allowed: PYTHONUNBUFFERED/,
    );
  });
});

describe('runtime=native with stdout=pipe', () => {
  test('runs without a terminal, stdout and stderr in one pipe: the order of the file', async () => {
    const run = await native.run(TWO_STREAMS, { stdout: 'pipe' });
    expect(run.fault).toBeNull();
    expect(run.chunks).toEqual([{ stream: 'stdout', text: 'to stderr\nto stdout\n' }]);
    const tty = await native.run('import os, sys\nprint(sys.stdout.isatty(), os.isatty(1), sys.stderr.isatty())\n', { stdout: 'pipe' });
    expect(fileText(tty)).toBe(
      (await nativeToFile('import os, sys\nprint(sys.stdout.isatty(), os.isatty(1), sys.stderr.isatty())\n')).text,
    );
  });

  test('a SIGTERM with no handler loses the complete lines still in the buffer; PYTHONUNBUFFERED keeps them', async () => {
    const code = 'import os, signal\nprint("started")\nprint("job 1 done")\nos.kill(os.getpid(), signal.SIGTERM)\n';
    const piped = await native.run(code, { stdout: 'pipe' });
    expect({ text: fileText(piped), exitStatus: piped.exitStatus }).toEqual({ text: '', exitStatus: 143 });
    const unbuffered = await native.run(code, { stdout: 'pipe', env: { PYTHONUNBUFFERED: '1' } });
    expect({ text: fileText(unbuffered), exitStatus: unbuffered.exitStatus }).toEqual({ text: 'started\njob 1 done\n', exitStatus: 143 });
    // The shell's own view: status 143 and the same file.
    const shell = await nativeToFile(code);
    expect(shell).toEqual({ text: '', exitStatus: 143 });
  });
});

describe('through the CLI, with real MDX', () => {
  test('--update records pipe blocks as CPython writes them to a file, and they then pass', async () => {
    const folder = await mkdtemp(join(work, 'cli-'));
    const file = join(folder, 'page.mdx');
    const block = (meta: string, code: string) => `${FENCE}python ${meta}\n${code.trim()}\n${FENCE}\n`;
    await writeFile(
      file,
      [
        '# Pipe',
        '',
        block('stdout=pipe', TWO_STREAMS),
        block('stdout=pipe', LOST),
        block('stdout=pipe env="PYTHONUNBUFFERED=1"', LOST),
        block('runtime=native stdout=pipe', 'import os, signal\nprint("started")\nos.kill(os.getpid(), signal.SIGTERM)'),
      ].join('\n'),
    );
    const update = await runVerify(['--no-cache', '--update', file]);
    expect(lastLine(update.stdout)).toBe('0 passed, 0 failed, 0 skipped, 4 updated');
    const { blocks, problems } = extractExamples(file, await readFile(file, 'utf8'));
    expect(problems).toEqual([]);
    expect(blocks.map((b) => b.output?.recorded)).toEqual([
      { text: 'to stderr\nto stdout', stderrLines: [1], exitStatus: 0 },
      { text: '', stderrLines: [], exitStatus: 0 },
      { text: 'lost', stderrLines: [], exitStatus: 0 },
      { text: '', stderrLines: [], exitStatus: 143, python: native.interpreter.minor },
    ]);
    const again = await runVerify(['--no-cache', file]);
    expect(again.code).toBe(0);
    expect(lastLine(again.stdout)).toBe('4 passed, 0 failed, 0 skipped');
  });

  test('a bad env= is a content error naming file:line and the allowed variables', async () => {
    const folder = await mkdtemp(join(work, 'bad-'));
    const file = join(folder, 'page.mdx');
    await writeFile(file, `# Bad\n\n${FENCE}python env="PYTHONDONTWRITEBYTECODE=1"\nprint()\n${FENCE}\n`);
    const result = await runVerify(['--no-cache', file]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`${file}:3`);
    expect(result.stdout + result.stderr).toContain(
      'PYTHONDONTWRITEBYTECODE is not a start-up variable the runner applies; allowed: PYTHONUNBUFFERED',
    );
  });
});
