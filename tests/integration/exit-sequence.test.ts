/**
 * How a block ends, against real Pyodide: the order of output at exit, a failed flush, a
 * replaced or missing sys.stderr, "Exception ignored" reports and finalization, each as CPython
 * 3.14 prints it for `python3 example.py` in a terminal. Every expected output was checked with
 * native CPython 3.13 (PYTHONUNBUFFERED unset; 3.14 words two messages differently, noted where
 * it matters) and each test names the CPython source or test it follows.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { OutputChunk } from '../../src/examples/output.ts';
import { createNodeRunner } from '../../src/examples/runner-node.ts';
import type { ExampleRunner, RunResult } from '../../src/examples/runner.ts';

let runner: ExampleRunner;

beforeAll(async () => {
  runner = await createNodeRunner();
});

interface Run extends RunResult {
  stdout: string;
  stderr: string;
  /** Both streams in write order, stderr lines marked as `[e]…[/e]`. */
  all: string;
}

const textOf = (chunks: OutputChunk[], stream: OutputChunk['stream']) =>
  chunks
    .filter((c) => c.stream === stream)
    .map((c) => c.text)
    .join('');

async function run(lines: string[]): Promise<Run> {
  const result = await runner.run(`${lines.join('\n')}\n`);
  const all = result.chunks.map((c) => (c.stream === 'stderr' ? `[e]${c.text}[/e]` : c.text)).join('');
  return { ...result, stdout: textOf(result.chunks, 'stdout'), stderr: textOf(result.chunks, 'stderr'), all };
}

describe('output order at exit (Python/pythonrun.c _PyRun_SimpleFileObject: flush_io, then PyErr_Print)', () => {
  test('a partial stdout line comes before the traceback', async () => {
    const r = await run(['print("partial", end=""); 1/0']);
    expect(r.all).toBe(
      [
        'partial[e]Traceback (most recent call last):',
        '  File "example.py", line 1, in <module>',
        '    print("partial", end=""); 1/0',
        '                              ~^~',
        'ZeroDivisionError: division by zero',
        '[/e]',
      ].join('\n'),
    );
    expect(r.exitStatus).toBe(1);
    expect(r.fault).toBeNull();
  });

  test('sys.exit("message") after a partial stdout line prints partial, then message (_Py_HandleSystemExit)', async () => {
    const r = await run(['import sys', 'sys.stdout.write("partial"); sys.exit("message")']);
    expect(r.all).toBe('partial[e]message\n[/e]');
    expect(r.exitStatus).toBe(1);
  });

  test('what sys.stderr held is kept before the message (Lib/test/test_sys.py test_exit: "unflushed,message")', async () => {
    const r = await run(['import sys', 'sys.stderr.write("unflushed,"); sys.exit("message")']);
    expect(r.all).toBe('[e]unflushed,message\n[/e]');
    expect(r.exitStatus).toBe(1);
  });

  test('flush_io flushes stderr, then stdout, then the traceback is printed', async () => {
    const r = await run(['import sys', 'sys.stdout.write("partial")', 'sys.stderr.write("unflushed,")', '1/0']);
    expect(r.all).toBe(
      [
        '[e]unflushed,[/e]partial[e]Traceback (most recent call last):',
        '  File "example.py", line 4, in <module>',
        '    1/0',
        '    ~^~',
        'ZeroDivisionError: division by zero',
        '[/e]',
      ].join('\n'),
    );
  });

  test("a custom sys.excepthook's stdout and stderr output both appear", async () => {
    const r = await run([
      'import sys',
      'def hook(t, v, tb):',
      '    print("hook stdout")',
      '    sys.stderr.write("hook stderr\\n")',
      'sys.excepthook = hook',
      '1/0',
    ]);
    expect(r.all).toBe('hook stdout\n[e]hook stderr\n[/e]');
    expect(r.exitStatus).toBe(1);
  });
});

describe('a failed flush at exit (Python/pylifecycle.c flush_std_files; Modules/main.c Py_RunMain: status 120)', () => {
  test('a closed fd 1 is reported and the status is 120 (Lib/test/test_cmd_line.py test_stdout_flush_at_shutdown)', async () => {
    const r = await run(['import os, sys', 'sys.stdout.write("x"); os.close(sys.stdout.fileno())']);
    // Emscripten's EBADF is 8, Linux's 9 (README, Known limits). 3.13 says "on flushing".
    expect(r.all).toBe('[e]Exception ignored while flushing sys.stdout:\nOSError: [Errno 8] Bad file descriptor\n[/e]');
    expect(r.exitStatus).toBe(120);
    expect(r.fault).toBeNull();
    // fd 1 is gone for good: that interpreter is not reused, and the next block prints.
    expect(r.discarded).toMatch(/standard file descriptors/);
    const next = await run(['print("next")']);
    expect(next.all).toBe('next\n');
  });

  test('a sys.stdout without flush() gives AttributeError and 120', async () => {
    const r = await run([
      'import sys',
      'class W:',
      '    def write(self, s):',
      '        return len(s)',
      'sys.stdout = W()',
      'print("swallowed")',
    ]);
    expect(r.all).toBe("[e]Exception ignored while flushing sys.stdout:\nAttributeError: 'W' object has no attribute 'flush'\n[/e]");
    expect(r.exitStatus).toBe(120);
  });
});

describe('what the example does to sys.stderr never breaks the runner', () => {
  test('sys.stderr = None, then 1/0: nothing more is printed and the status is 1 (PyErr_Display)', async () => {
    const r = await run(['import sys', 'print("before")', 'sys.stderr = None', '1/0']);
    expect(r.all).toBe('before\n');
    expect(r.exitStatus).toBe(1);
    expect(r.fault).toBeNull();
  });

  test('sys.stderr = None, then sys.exit("message"): the message goes to fd 2 (_Py_HandleSystemExit)', async () => {
    const r = await run(['import sys', 'sys.stderr = None', 'sys.exit("to fd 2")']);
    expect(r.all).toBe('[e]to fd 2\n[/e]');
    expect(r.exitStatus).toBe(1);
  });

  test('a sys.stdout replaced by a StringIO keeps what was printed; the traceback still goes to stderr', async () => {
    const r = await run(['import io, sys', 'sys.stdout = io.StringIO()', 'print("captured")', 'raise ValueError("x")']);
    expect(r.all).toBe(
      '[e]Traceback (most recent call last):\n  File "example.py", line 4, in <module>\n    raise ValueError("x")\nValueError: x\n[/e]',
    );
    expect(r.exitStatus).toBe(1);
    expect(r.fault).toBeNull();
    expect((await run(['print("next")'])).all).toBe('next\n');
  });
});

describe('"Exception ignored" reports read example.py (Python/traceback.c display_source_line)', () => {
  test('an atexit callback is called with no Python frame: atexit.register(sys.exit) shows no traceback', async () => {
    const r = await run(['import atexit, sys', 'atexit.register(sys.exit)']);
    expect(r.all).toBe('[e]Exception ignored in atexit callback <built-in function exit>:\nSystemExit: \n[/e]');
    expect(r.exitStatus).toBe(0);
  });

  test('a failing atexit callback and a __del__ during the run show their source lines', async () => {
    const r = await run([
      'import atexit',
      'def bye():',
      '    raise ValueError("in atexit")',
      'atexit.register(bye)',
      'class D:',
      '    def __del__(self):',
      '        raise RuntimeError("in del")',
      'd = D()',
      'del d',
      'print("end")',
    ]);
    expect(r.stderr.replace(/ at 0x[0-9a-f]+/g, ' at 0x…')).toBe(
      [
        'Exception ignored while calling deallocator <function D.__del__ at 0x…>:',
        'Traceback (most recent call last):',
        '  File "example.py", line 7, in __del__',
        '    raise RuntimeError("in del")',
        'RuntimeError: in del',
        'Exception ignored in atexit callback <function bye at 0x…>:',
        'Traceback (most recent call last):',
        '  File "example.py", line 3, in bye',
        '    raise ValueError("in atexit")',
        'ValueError: in atexit',
        '',
      ].join('\n'),
    );
    expect(r.stdout).toBe('end\n');
  });

  test('example.py is a real file in the working directory while the block runs, and is gone after', async () => {
    const r = await run(['import os', 'print(os.path.exists("example.py"), open(__file__).readline().strip())']);
    expect(r.all).toBe('True import os\n');
    expect((await run(['import os', 'print(os.listdir("."))'])).all).toBe("['example.py']\n");
  });
});

describe('finalization order (Python/pylifecycle.c Py_FinalizeEx, finalize_modules)', () => {
  test('sys.is_finalizing() is False in atexit, True in a __del__ at exit, whose globals are intact', async () => {
    const r = await run([
      'import sys, atexit',
      'atexit.register(lambda: print("atexit finalizing:", sys.is_finalizing()))',
      'class D:',
      '    def __del__(self):',
      '        print(sys is not None)',
      '        print("del finalizing:", sys.is_finalizing())',
      'd = D()',
    ]);
    expect(r.all).toBe('atexit finalizing: False\nTrue\ndel finalizing: True\n');
  });

  test('a cycle with __del__ in __main__ is collected at exit (Lib/test/test_gc.py test_gc_main_module_at_shutdown)', async () => {
    const r = await run(['class C:', '    def __del__(self):', "        print('__del__ called')", 'l = [C()]', 'l.append(l)']);
    expect(r.all).toBe('__del__ called\n');
  });

  test('a cycle with __del__ in an imported module is collected at exit (test_gc test_gc_ordinary_module_at_shutdown)', async () => {
    const r = await run([
      'import sys',
      'sys.path.insert(0, "/tmp")',
      'with open("/tmp/gctest.py", "w") as f:',
      `    f.write("class C:\\n    def __del__(self):\\n        print('__del__ called')\\nl = [C()]\\nl.append(l)\\n")`,
      'import gctest',
    ]);
    expect(r.all).toBe('__del__ called\n');
  });

  test('a __del__ run while modules are torn down cannot import (sys.meta_path is None)', async () => {
    const r = await run([
      'import json',
      'class Cycle:',
      '    def __init__(self):',
      '        self.self = self',
      '    def __del__(self):',
      '        print("sys ok:", __import__("sys") is not None)',
      'json.cycle = Cycle()',
      'print("main end")',
    ]);
    expect(r.stdout).toBe('main end\n');
    expect(r.stderr.replace(/ at 0x[0-9a-f]+/g, ' at 0x…')).toBe(
      [
        'Exception ignored while calling deallocator <function Cycle.__del__ at 0x…>:',
        'Traceback (most recent call last):',
        '  File "example.py", line 6, in __del__',
        'ImportError: sys.meta_path is None, Python is likely shutting down',
        '',
      ].join('\n'),
    );
    // The standard module is whole again for the next block.
    expect((await run(['import json, sys', 'print(hasattr(json, "cycle"), sys.meta_path is not None)'])).all).toBe('False True\n');
  });

  // CPython runs its shutdown in C: a warning raised there finds no Python frame and is
  // reported as <sys>:0 (Python/_warnings.c setup_context), never at a line of the runner,
  // and its registry is not the runner's module (which would discard the interpreter).
  test('a warning at stack level 2 in a __del__ at exit, and one from atexit, say <sys>:0 (native 3.13)', async () => {
    const r = await run([
      'import atexit, warnings',
      'atexit.register(lambda: warnings.warn("from atexit", stacklevel=2))',
      'class D:',
      '    def __del__(self):',
      '        warnings.warn("from del", stacklevel=2)',
      'd = D()',
    ]);
    expect({ all: r.all, discarded: r.discarded }).toEqual({
      all: '[e]<sys>:0: UserWarning: from atexit\n<sys>:0: UserWarning: from del\n[/e]',
      discarded: null,
    });
  });

  test('a task never started, left to the end: its destruction is logged, then <sys>:0 for its coroutine (native 3.13)', async () => {
    const r = await run([
      'import asyncio',
      'async def work():',
      '    await asyncio.sleep(10)',
      'loop = asyncio.new_event_loop()',
      't = loop.create_task(work())',
      'print("end")',
    ]);
    expect(r.stdout).toBe('end\n');
    expect(r.stderr).toBe(
      [
        'Task was destroyed but it is pending!',
        "task: <Task pending name='Task-1' coro=<work() running at example.py:2>>",
        "<sys>:0: RuntimeWarning: coroutine 'work' was never awaited",
        '',
      ].join('\n'),
    );
  });

  test('__file__ leaves __main__ when the script ends, but not after sys.exit (Py_Exit never returns)', async () => {
    const atexitLine = 'atexit.register(lambda: print("__file__" in globals()))';
    expect((await run(['import atexit', atexitLine])).all).toBe('False\n');
    expect((await run(['import atexit, sys', atexitLine, 'sys.exit(0)'])).all).toBe('True\n');
  });
});
