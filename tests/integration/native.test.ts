/**
 * `runtime=native` end to end: the real CLI, real MDX in a temporary folder, the machine's real
 * `python3` (`.ci/run` makes sure there is one). The expected results are the issue's, on which
 * CPython 3.11–3.14 agree: a daemon thread's `finally` never runs, `fork` runs `finally` in both
 * processes, SIGTERM with no handler skips `finally` (143). Then the skips (another minor
 * version, no interpreter), the time limit (SIGINT → 130; SIGKILL of the group → 137), the second
 * run with another hash seed, and the environment.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { extractExamples } from '../../src/examples/extract.ts';
import { type NativeInterpreter, NativeRunner, probeNativePython } from '../../src/examples/native.ts';
import { lastLine, runVerify } from '../support/verify-cli.ts';

const FENCE = '```';

/** A python fence with `meta`, and after it an output fence with `outputMeta` holding `output`, when given. */
const block = (meta: string, code: string, output?: { meta: string; text: string }) =>
  [`${FENCE}python ${meta}`, code.trim(), FENCE, '', ...(output ? [`${FENCE}output ${output.meta}`, output.text, FENCE, ''] : [])].join(
    '\n',
  );

const DAEMON = `
import threading, time

def worker():
    try:
        time.sleep(60)
    finally:
        print("finally in thread")

threading.Thread(target=worker, daemon=True).start()
time.sleep(0.2)
print("main thread ends")`;

const FORK = `
import os

try:
    pid = os.fork()
    if pid == 0:
        print("child")
    else:
        os.waitpid(pid, 0)
        print("parent")
finally:
    print("finally in", "child" if pid == 0 else "parent")`;

const SIGTERM = `
import os, signal

try:
    print("sending SIGTERM")
    os.kill(os.getpid(), signal.SIGTERM)
finally:
    print("finally")`;

const TRACEBACK = `
print("before")
1 / 0`;

let work: string;
let python: NativeInterpreter;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'native-cli-'));
  const probe = await probeNativePython();
  if (!('interpreter' in probe)) throw new Error(`these tests need a native python3: ${probe.unavailable}`);
  python = probe.interpreter;
  // The verifier must remove it: with it, stdout would be unbuffered (as on the machines this runs on).
  process.env.PYTHONUNBUFFERED = '1';
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Write `blocks` as one page in a fresh folder; its path. */
async function pageOf(...blocks: string[]): Promise<string> {
  const file = join(await mkdtemp(join(work, 'case-')), 'page.mdx');
  await writeFile(file, `# Native\n\n${blocks.join('\n')}`);
  return file;
}

/** The recorded outputs of a page, in source order (by the same extraction the verifier uses). */
async function recordedOutputs(file: string) {
  const { blocks, problems } = extractExamples(file, await readFile(file, 'utf8'));
  expect(problems).toEqual([]);
  return blocks.map((b) => b.output?.recorded);
}

/** The JSON report of a CLI run. */
async function jsonReport(...args: string[]) {
  const result = await runVerify(['--no-cache', '--reporter', 'json', ...args]);
  return {
    code: result.code,
    blocks: JSON.parse(result.stdout).blocks as {
      line: number;
      status: string;
      reason?: string;
      actual: { text: string; exitStatus: number; stderrLines: number[]; python?: string } | null;
    }[],
  };
}

describe('the three behaviours WebAssembly cannot show', () => {
  test('are recorded by --update with python=, as CPython prints them, and then pass', async () => {
    const file = await pageOf(
      block('runtime=native needs="threads"', DAEMON),
      block('runtime=native needs="os.fork"', FORK),
      block('runtime=native needs="real signals"', SIGTERM),
      block('runtime=native', TRACEBACK),
    );
    const update = await runVerify(['--no-cache', '--update', file]);
    expect(update.stderr).not.toContain('Loading Pyodide');
    expect(lastLine(update.stdout)).toBe('0 passed, 0 failed, 0 skipped, 4 updated');
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`${FENCE}output python=${python.minor}\nmain thread ends\n${FENCE}`);
    expect(text).toContain(`${FENCE}output exit=143 python=${python.minor}\nsending SIGTERM\n${FENCE}`);
    const [daemon, fork, sigterm, traceback] = await recordedOutputs(file);
    expect(daemon).toEqual({ text: 'main thread ends', stderrLines: [], exitStatus: 0, python: python.minor });
    expect(fork).toEqual({
      text: 'child\nfinally in child\nparent\nfinally in parent',
      stderrLines: [],
      exitStatus: 0,
      python: python.minor,
    });
    expect(sigterm).toEqual({ text: 'sending SIGTERM', stderrLines: [], exitStatus: 143, python: python.minor });
    // stdout before the traceback, the traceback on stderr naming example.py, exit status 1.
    const lines = traceback!.text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['before', 'Traceback (most recent call last):', '  File "example.py", line 2, in <module>']);
    expect(lines.at(-1)).toBe('ZeroDivisionError: division by zero');
    expect(traceback!.stderrLines).toEqual(lines.slice(1).map((_, i) => i + 2));
    expect(traceback!.exitStatus).toBe(1);

    const again = await runVerify(['--no-cache', file]);
    expect(again.code).toBe(0);
    expect(lastLine(again.stdout)).toBe('4 passed, 0 failed, 0 skipped');
  });

  test('--list names the CPython that runs them', async () => {
    const file = await pageOf(block('runtime=native', FORK));
    const list = await runVerify(['--list', file]);
    expect(list.stdout).toContain(`${file}:3  run (no output fence yet), natively with CPython ${python.version}  │ import os`);
  });
});

describe('a machine that cannot verify a native block skips it, with the reason', () => {
  const other = () => `3.${Number(python.minor.split('.')[1]) + 1}`;

  test('another minor version: --python names a wrapper of python3, whose sys.version_info is asked', async () => {
    const folder = await mkdtemp(join(work, 'wrapper-'));
    const wrapper = join(folder, 'python');
    const marker = join(folder, 'called');
    await writeFile(wrapper, `#!/bin/sh\necho called >> '${marker}'\nexec '${python.executable}' "$@"\n`);
    await chmod(wrapper, 0o755);
    const file = await pageOf(block('runtime=native', FORK, { meta: `python=${other()}`, text: 'child' }));
    const result = await runVerify(['--no-cache', '--python', wrapper, file]);
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toBe('0 passed, 0 failed, 1 skipped');
    expect(result.stdout).toContain(
      `${file}:3: skipped: recorded with CPython ${other()}, and "${wrapper}" here is CPython ${python.version}: verify it with --python pointing to a CPython ${other()}`,
    );
    expect(existsSync(marker)).toBe(true);
    const list = await runVerify(['--list', '--python', wrapper, file]);
    expect(list.stdout).toContain(`${file}:3  skipped: recorded with CPython ${other()}`);
    // --update does not re-record it either.
    const update = await runVerify(['--no-cache', '--update', '--python', wrapper, file]);
    expect(lastLine(update.stdout)).toBe('0 passed, 0 failed, 1 skipped');
    expect(await readFile(file, 'utf8')).toContain(`${FENCE}output python=${other()}\nchild\n${FENCE}`);
  });

  test('no interpreter: --python /nonexistent', async () => {
    const file = await pageOf(block('runtime=native', FORK, { meta: `python=${python.minor}`, text: 'child' }));
    const result = await runVerify(['--no-cache', '--python', '/nonexistent', file]);
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toBe('0 passed, 0 failed, 1 skipped');
    expect(result.stdout).toContain(
      `${file}:3: skipped: runtime=native needs CPython ${python.minor} (python=${python.minor} in its output fence): no native Python: "/nonexistent" was not found; install CPython 3 or pass --python PATH`,
    );
    const list = await runVerify(['--list', '--python', '/nonexistent', file]);
    expect(list.stdout).toContain(`${file}:3  skipped: runtime=native needs CPython ${python.minor}`);
  });
});

/** True while `pid` is a live process (not gone, not a zombie waiting to be reaped). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

describe('the time limit', () => {
  test('SIGINT at the limit: finally runs (130); a block that ignores it is killed with its child after the grace (137)', async () => {
    const file = await pageOf(
      block(
        'runtime=native timeout=1s',
        'import time\n\ntry:\n    print("sleeping")\n    time.sleep(60)\nfinally:\n    print("finally runs")',
      ),
      block(
        'runtime=native timeout=1s',
        'import signal, subprocess, time\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nchild = subprocess.Popen(["sleep", "600"])\nprint(child.pid, flush=True)\ntime.sleep(600)',
      ),
    );
    const { code, blocks } = await jsonReport(file);
    expect(code).toBe(1);
    const [interrupted, killed] = blocks;
    expect(interrupted).toMatchObject({ status: 'failed', reason: expect.stringContaining('KeyboardInterrupt stopped it') });
    expect(interrupted!.actual).toMatchObject({ exitStatus: 130, python: python.minor });
    expect(interrupted!.actual!.text).toMatch(/^sleeping\nfinally runs\nTraceback \(most recent call last\):\n[\s\S]*\nKeyboardInterrupt$/);
    expect(killed).toMatchObject({ status: 'failed', reason: expect.stringContaining('still running after the grace period') });
    expect(killed!.actual!.exitStatus).toBe(137);
    const child = Number(killed!.actual!.text);
    expect(child).toBeGreaterThan(1);
    // Its process group was killed, the child with it (it may take a moment to be reaped).
    for (let i = 0; i < 100 && (await alive(child)); i++) await sleep(100);
    expect(await alive(child)).toBe(false);
  });
});

describe('like every block, a native block', () => {
  test('runs twice, the second time with another hash seed: set order is caught as nondeterministic', async () => {
    const file = await pageOf(block('runtime=native', 'print({"apple", "banana", "cherry", "date", "elder", "fig", "grape"})'));
    const { blocks } = await jsonReport(file);
    expect(blocks[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^output differs between two runs \(nondeterministic\)/),
    });
  });

  test('runs under a terminal, stdin at EOF, without PYTHONUNBUFFERED or colour, HOME its own, in a fresh folder', async () => {
    const code = [
      'import os, sys',
      'print(sys.stdout.isatty(), sys.stderr.isatty(), sys.stdin.read() == "")',
      'print(sorted(k for k in os.environ if k.startswith("PYTHON")), os.environ["PYTHON_COLORS"])',
      'print(os.environ["HOME"] == os.path.join(os.getcwd(), "home"), sorted(os.listdir(".")))',
      'open("left.txt", "w").close()',
    ].join('\n');
    const file = await pageOf(block('runtime=native', code));
    const { blocks } = await jsonReport(file);
    expect(blocks[0]!.actual!.text).toBe("True False True\n['PYTHONHASHSEED', 'PYTHON_COLORS'] 0\nTrue ['example.py', 'home', 'tmp']");
    // Both runs agreed, so the second run did not see the first run's file.
    expect(blocks[0]!.status).toBe('missing');
  });
});

describe('the native runner', () => {
  test('whose interpreter vanished after the probe reports a fault, not an output', async () => {
    const run = await new NativeRunner({ ...python, executable: join(work, 'no-such-python') }).run('print(1)\n');
    expect(run.fault).toMatch(/^the native runner \(.*no-such-python .*native-pty\.py\) failed: spawn .*ENOENT/);
    expect(run.chunks).toEqual([]);
  });
});
