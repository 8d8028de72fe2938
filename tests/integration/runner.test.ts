/**
 * The runner against real Pyodide: every block must behave as `python3 example.py` (CPython 3.14)
 * does in a terminal, and no state may leak from one block to the next.
 */
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { OutputChunk } from '../../src/examples/output.ts';
import { createNodeRunner } from '../../src/examples/runner-node.ts';
import { ALTERNATE_HASH_SEED, type ExampleRunner, type RunResult } from '../../src/examples/runner.ts';

let runner: ExampleRunner;

beforeAll(async () => {
  runner = await createNodeRunner();
});

/** Dedent a template literal so Python blocks can be written indented in the test. */
function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings.raw }, ...values).replace(/^\n/, '');
  const indent = Math.min(
    ...text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => /^ */.exec(l)![0].length),
  );
  return (
    text
      .split('\n')
      .map((l) => l.slice(indent))
      .join('\n')
      .trimEnd() + '\n'
  );
}

const textOf = (chunks: OutputChunk[], stream?: OutputChunk['stream']) =>
  chunks
    .filter((c) => !stream || c.stream === stream)
    .map((c) => c.text)
    .join('');

interface Run extends RunResult {
  stdout: string;
  stderr: string;
  /** Both streams in write order. */
  all: string;
}

async function run(code: string): Promise<Run> {
  const result = await runner.run(code);
  return { ...result, stdout: textOf(result.chunks, 'stdout'), stderr: textOf(result.chunks, 'stderr'), all: textOf(result.chunks) };
}

describe('the script as __main__', () => {
  test('runs the block with __name__ == "__main__" and file name example.py', async () => {
    const r = await run(py`
      import sys
      print(__name__)
      print(__file__, sys.argv)
      if __name__ == "__main__":
          print("main guard entered")
    `);
    expect(r.stdout).toBe("__main__\nexample.py ['example.py']\nmain guard entered\n");
    expect(r.stderr).toBe('');
    expect(r.exitStatus).toBe(0);
  });

  test('reports a duration for the run', async () => {
    const r = await run('pass\n');
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThan(60_000);
  });

  test("a tracer or profiler sees only the example: the reset's dict watcher runs no Python frame", async () => {
    // As with python3 example.py, changing a standard module's namespace calls nothing.
    const r = await run(py`
      import sys, json
      def tracer(frame, event, arg):
          print(event, frame.f_code.co_name)
          return tracer
      sys.settrace(tracer)
      json.x = 1
      sys.settrace(None)
      sys.setprofile(tracer)
      json.y = 2
      sys.setprofile(None)
      print("done")
    `);
    // Native CPython 3.11 and 3.13 print exactly this (the profiler sees the C call setprofile(None)).
    expect(r.stdout).toBe('c_call <module>\ndone\n');
  });

  test('accepts a block without a final newline', async () => {
    const r = await run('print("no newline at the end")');
    expect(r.stdout).toBe('no newline at the end\n');
  });
});

describe('tracebacks', () => {
  test("prints an uncaught exception in CPython's form, with source lines and carets, and exits 1", async () => {
    const r = await run(py`
      def divide(a, b):
          return a / b

      print("before")
      divide(1, 0)
      print("never")
    `);
    expect(r.stdout).toBe('before\n');
    expect(r.stderr).toBe(
      [
        'Traceback (most recent call last):',
        '  File "example.py", line 5, in <module>',
        '    divide(1, 0)',
        '    ~~~~~~^^^^^^',
        '  File "example.py", line 2, in divide',
        '    return a / b',
        '           ~~^~~',
        'ZeroDivisionError: division by zero',
        '',
      ].join('\n'),
    );
    expect(r.exitStatus).toBe(1);
  });

  test('shows no frames or names of the runner itself', async () => {
    const r = await run(py`
      import json
      def load():
          return json.loads("{bad")
      load()
    `);
    expect(r.stderr).toMatch(/^Traceback \(most recent call last\):\n  File "example\.py", line 4, in <module>\n/);
    // The stdlib frames are genuine CPython output and stay.
    expect(r.stderr).toContain('json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)');
    expect(r.all).not.toContain('<runner>');
    expect(r.all).not.toContain('_example_runner');
    expect(r.all).not.toContain('exec(');
    expect(r.exitStatus).toBe(1);
  });

  test('prints a SyntaxError without a Traceback header, before anything runs', async () => {
    const r = await run(py`
      print("not printed: the file does not compile")
      x = (1,
    `);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(['  File "example.py", line 2', '    x = (1,', '        ^', "SyntaxError: '(' was never closed", ''].join('\n'));
    expect(r.exitStatus).toBe(1);
  });

  test('prints chained exceptions with the "During handling" separator', async () => {
    const r = await run(py`
      try:
          {}["key"]
      except KeyError:
          raise ValueError("bad config")
    `);
    expect(r.stderr).toContain(
      "KeyError: 'key'\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n",
    );
    expect(r.stderr).toMatch(/ValueError: bad config\n$/);
    expect(r.exitStatus).toBe(1);
  });

  test('uses no ANSI escape codes in tracebacks, warnings or the SyntaxError caret line', async () => {
    for (const code of ['raise RuntimeError("plain")\n', 'import warnings\nwarnings.warn("w")\n', 'def f(:\n    pass\n']) {
      const r = await run(code);
      expect(r.stderr).not.toBe('');
      expect(r.all).not.toMatch(/\x1b\[/);
    }
  });

  test('traceback.print_stack() shows only the frames of example.py', async () => {
    const r = await run(py`
      import traceback
      def where():
          traceback.print_stack()
      where()
    `);
    expect(r.stderr).toBe(
      '  File "example.py", line 4, in <module>\n    where()\n  File "example.py", line 3, in where\n    traceback.print_stack()\n',
    );
  });

  test('the module frame is the outermost frame, as for a script', async () => {
    const r = await run('import sys, inspect\nprint(sys._getframe().f_back, len(inspect.stack()))\n');
    expect(r.stdout).toBe('None 1\n');
  });

  test('counts recursion depth from the script, as CPython does with the default limit of 1000', async () => {
    // <module> plus 999 frames of f fill the limit: 3 are shown and 996 reported as repeated.
    // `return f(n + 1)` gets no carets: a returned call of a plain name spans the statement.
    const r = await run(py`
      def f(n):
          return f(n + 1)
      f(0)
    `);
    expect(r.stderr).toBe(
      [
        'Traceback (most recent call last):',
        '  File "example.py", line 3, in <module>',
        '    f(0)',
        '    ~^^^',
        '  File "example.py", line 2, in f',
        '    return f(n + 1)',
        '  File "example.py", line 2, in f',
        '    return f(n + 1)',
        '  File "example.py", line 2, in f',
        '    return f(n + 1)',
        '  [Previous line repeated 996 more times]',
        'RecursionError: maximum recursion depth exceeded',
        '',
      ].join('\n'),
    );
    expect(r.exitStatus).toBe(1);
  });

  test('traceback.print_exc inside the block reads source lines from example.py', async () => {
    const r = await run(py`
      import traceback
      try:
          int("x")
      except ValueError:
          traceback.print_exc()
      print("handled")
    `);
    expect(r.stderr).toContain('  File "example.py", line 3, in <module>\n    int("x")\n');
    expect(r.stderr).toContain("ValueError: invalid literal for int() with base 10: 'x'\n");
    expect(r.stdout).toBe('handled\n');
    expect(r.exitStatus).toBe(0);
  });
});

describe('exit status', () => {
  test.each([
    ['sys.exit() with no argument', 0, 'import sys\nsys.exit()'],
    ['sys.exit(None)', 0, 'import sys\nsys.exit(None)'],
    ['sys.exit(0)', 0, 'import sys\nsys.exit(0)'],
    ['sys.exit(3)', 3, 'import sys\nsys.exit(3)'],
    ['raise SystemExit(42)', 42, 'raise SystemExit(42)'],
    ['sys.exit(True), a bool being an int', 1, 'import sys\nsys.exit(True)'],
    ['sys.exit(255)', 255, 'import sys\nsys.exit(255)'],
    ['sys.exit(256), whose low 8 bits are 0', 0, 'import sys\nsys.exit(256)'],
    ['sys.exit(257)', 1, 'import sys\nsys.exit(257)'],
    ['sys.exit(-1), which a shell sees as 255', 255, 'import sys\nsys.exit(-1)'],
    ['sys.exit(-2)', 254, 'import sys\nsys.exit(-2)'],
    // CPython's parse_exit_code (Python/pythonrun.c): an int that overflows a C long long
    // becomes -1, which a shell sees as 255.
    ['sys.exit(2**128), which overflows to -1', 255, 'import sys\nsys.exit(2**128)'],
  ])('maps %s to status %s with nothing printed', async (_case, status, code) => {
    const r = await run(code);
    expect(r.exitStatus).toBe(status);
    expect(r.all).toBe('');
  });

  test.each([
    ['a string', 'import sys\nsys.exit("fatal: config missing")', 'fatal: config missing\n'],
    ['an object, printed with str()', 'import sys\nsys.exit(ValueError("boom"))', 'boom\n'],
    ['several arguments, printed as a tuple', 'raise SystemExit(2, "two")', "(2, 'two')\n"],
  ])('prints sys.exit with %s to stderr and exits 1', async (_case, code, message) => {
    const r = await run(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(message);
    expect(r.exitStatus).toBe(1);
  });

  test('maps an uncaught exception to status 1', async () => {
    const r = await run('raise LookupError("missing")\n');
    expect(r.exitStatus).toBe(1);
    expect(r.stderr).toMatch(/LookupError: missing\n$/);
  });

  test('maps an unhandled KeyboardInterrupt to status 130 after its traceback', async () => {
    const r = await run('print("working")\nraise KeyboardInterrupt\n');
    expect(r.stdout).toBe('working\n');
    expect(r.stderr).toBe(
      'Traceback (most recent call last):\n  File "example.py", line 2, in <module>\n    raise KeyboardInterrupt\nKeyboardInterrupt\n',
    );
    expect(r.exitStatus).toBe(130);
  });

  test('a caught SystemExit does not end the script', async () => {
    const r = await run('import sys\ntry:\n    sys.exit(5)\nexcept SystemExit as e:\n    print("caught", e.code)\nprint("carried on")\n');
    expect(r.stdout).toBe('caught 5\ncarried on\n');
    expect(r.exitStatus).toBe(0);
  });
});

describe('the order of events on the way out', () => {
  test('runs finally, then prints the SystemExit message, then atexit handlers in LIFO order', async () => {
    const r = await run(py`
      import atexit, sys
      atexit.register(print, "atexit: registered first")
      atexit.register(print, "atexit: registered second")
      try:
          sys.exit("exit message")
      finally:
          print("finally")
    `);
    expect(r.chunks).toEqual([
      { stream: 'stdout', text: 'finally\n' },
      { stream: 'stderr', text: 'exit message\n' },
      { stream: 'stdout', text: 'atexit: registered second\natexit: registered first\n' },
    ]);
    expect(r.exitStatus).toBe(1);
  });

  test('runs atexit handlers after the traceback of an uncaught exception', async () => {
    const r = await run('import atexit\natexit.register(print, "bye")\nraise ValueError("v")\n');
    expect(r.stderr).toMatch(/ValueError: v\n$/);
    expect(r.all).toMatch(/ValueError: v\nbye\n$/);
    expect(r.exitStatus).toBe(1);
  });

  test('runs atexit handlers after a normal end with arguments', async () => {
    const r = await run('import atexit\natexit.register(print, "a", "b", sep="-")\nprint("end of script")\n');
    expect(r.stdout).toBe('end of script\na-b\n');
  });

  test("runs a suspended generator's finally at exit, after the atexit handlers", async () => {
    const r = await run(py`
      import atexit

      def numbers():
          try:
              yield 1
          finally:
              print("generator finally")

      g = numbers()
      print(next(g))
      atexit.register(print, "atexit")
      print("end of script")
    `);
    expect(r.stdout).toBe('1\nend of script\natexit\ngenerator finally\n');
    expect(r.exitStatus).toBe(0);
  });

  test('runs __del__ of an object held by a global at exit', async () => {
    const r = await run(py`
      class Resource:
          def __del__(self):
              print("Resource.__del__")

      r = Resource()
      print("end of script")
    `);
    expect(r.stdout).toBe('end of script\nResource.__del__\n');
  });

  test('flushes a partial last line at exit', async () => {
    const r = await run('print("no newline", end="")\n');
    expect(r.stdout).toBe('no newline');
  });
});

describe('os._exit', () => {
  test('exits with its status at once: no finally, no atexit, no partial line', async () => {
    const r = await run(py`
      import atexit, os
      atexit.register(print, "atexit never runs")
      print("complete line")
      print("partial line", end="")
      try:
          os._exit(7)
      finally:
          print("finally never runs")
    `);
    expect(r.chunks).toEqual([{ stream: 'stdout', text: 'complete line\n' }]);
    expect(r.exitStatus).toBe(7);
  });

  test('loses a partial stderr line too, stderr being line-buffered', async () => {
    const r = await run('import os, sys\nsys.stderr.write("whole\\n")\nsys.stderr.write("part")\nos._exit(2)\n');
    expect(r.chunks).toEqual([{ stream: 'stderr', text: 'whole\n' }]);
    expect(r.exitStatus).toBe(2);
  });

  test('keeps a partial line that was flushed explicitly', async () => {
    const r = await run('import os, sys\nprint("flushed", end="")\nsys.stdout.flush()\nos._exit(0)\n');
    expect(r.stdout).toBe('flushed');
    expect(r.exitStatus).toBe(0);
  });

  test('takes the low 8 bits of the status', async () => {
    expect((await run('import os\nos._exit(300)\n')).exitStatus).toBe(300 & 0xff);
  });

  test('leaves the runner working for the next block', async () => {
    const first = await run('import os\nos._exit(3)\n');
    expect(first.exitStatus).toBe(3);
    const next = await run('import sys\nprint("next block")\nsys.exit(4)\n');
    expect(next.stdout).toBe('next block\n');
    expect(next.exitStatus).toBe(4);
  });
});

describe('the acceptance blocks', () => {
  test('sys.exit(1) inside try runs the finally, and the caller catches SystemExit with code 1', async () => {
    const r = await run(py`
      import sys

      def main():
          try:
              sys.exit(1)
          finally:
              print("finally runs before the exit propagates")

      try:
          main()
      except SystemExit as e:
          print("caught SystemExit with code", e.code)
    `);
    expect(r.chunks).toEqual([{ stream: 'stdout', text: 'finally runs before the exit propagates\ncaught SystemExit with code 1\n' }]);
    expect(r.exitStatus).toBe(0);
  });

  test('os._exit(1) inside try skips the finally: no output, status 1', async () => {
    const r = await run(py`
      import os

      try:
          os._exit(1)
      finally:
          print("this line is never printed")
    `);
    expect(r.chunks).toEqual([]);
    expect(r.exitStatus).toBe(1);
  });
});

describe('warnings', () => {
  test("shows Python 3.14's SyntaxWarning for return in finally on stderr, before any output", async () => {
    const r = await run(py`
      def f():
          try:
              return "try"
          finally:
              return "finally"

      print(f())
    `);
    expect(r.chunks).toEqual([
      { stream: 'stderr', text: "example.py:5: SyntaxWarning: 'return' in a 'finally' block\n  return \"finally\"\n" },
      { stream: 'stdout', text: 'finally\n' },
    ]);
    expect(r.exitStatus).toBe(0);
  });

  test.each([
    ['break', 'for i in range(3):\n    try:\n        pass\n    finally:\n        break\nprint("ok")\n', 5, 'break'],
    ['continue', 'for i in range(1):\n    try:\n        pass\n    finally:\n        continue\nprint("ok")\n', 5, 'continue'],
  ])('warns about %s in finally the same way', async (_kw, code, line, keyword) => {
    const r = await run(code);
    expect(r.stderr).toBe(`example.py:${line}: SyntaxWarning: '${keyword}' in a 'finally' block\n  ${keyword}\n`);
    expect(r.stdout).toBe('ok\n');
  });

  test('shows a DeprecationWarning raised in __main__', async () => {
    const r = await run(py`
      import warnings
      def old():
          warnings.warn("old() is deprecated", DeprecationWarning, stacklevel=2)
      old()
      print("done")
    `);
    expect(r.chunks).toEqual([
      { stream: 'stderr', text: 'example.py:4: DeprecationWarning: old() is deprecated\n  old()\n' },
      { stream: 'stdout', text: 'done\n' },
    ]);
  });

  test('hides a DeprecationWarning attributed to another module, as CPython does by default', async () => {
    const r = await run(py`
      import types, warnings
      lib = types.ModuleType("lib")
      exec("import warnings\ndef old():\n    warnings.warn('deprecated', DeprecationWarning)\n", lib.__dict__)
      lib.old()
      print("done")
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('done\n');
  });

  test('attributes a warning whose stacklevel reaches past the script to <sys>, as CPython does', async () => {
    // Python/_warnings.c setup_context: no frame at that level → filename "<sys>", line 0.
    const r = await run('import warnings\ndef f():\n    warnings.warn("deep", stacklevel=3)\nf()\n');
    expect(r.stderr).toBe('<sys>:0: UserWarning: deep\n');
  });

  test('shows a UserWarning once per location', async () => {
    const r = await run('import warnings\nfor i in range(3):\n    warnings.warn("careful")\n');
    expect(r.stderr).toBe('example.py:3: UserWarning: careful\n  warnings.warn("careful")\n');
  });
});

describe('asyncio', () => {
  test('asyncio.run runs finally of a cancelled task, including an await inside finally', async () => {
    const r = await run(py`
      import asyncio

      async def worker():
          try:
              print("worker: started")
              await asyncio.sleep(3600)
          finally:
              print("worker: cleanup begins")
              await asyncio.sleep(0.01)
              print("worker: cleanup done")

      async def main():
          task = asyncio.create_task(worker())
          await asyncio.sleep(0)
          task.cancel()
          try:
              await task
          except asyncio.CancelledError:
              print("main: worker cancelled")
          print("main: cancelled() is", task.cancelled())

      asyncio.run(main())
      print("after asyncio.run")
    `);
    expect(r.stdout).toBe(
      'worker: started\nworker: cleanup begins\nworker: cleanup done\nmain: worker cancelled\nmain: cancelled() is True\nafter asyncio.run\n',
    );
    expect(r.stderr).toBe('');
    expect(r.exitStatus).toBe(0);
  });

  test('asyncio.timeout cancels the body and the finally still runs', async () => {
    const r = await run(py`
      import asyncio

      async def main():
          try:
              async with asyncio.timeout(0.01):
                  try:
                      await asyncio.sleep(10)
                  finally:
                      print("inner finally")
          except TimeoutError:
              print("timed out")

      asyncio.run(main())
    `);
    expect(r.stdout).toBe('inner finally\ntimed out\n');
  });

  test('an exception escaping asyncio.run gives a traceback starting at example.py and status 1', async () => {
    const r = await run('import asyncio\nasync def main():\n    raise RuntimeError("async boom")\nasyncio.run(main())\n');
    expect(r.stderr).toMatch(
      /^Traceback \(most recent call last\):\n  File "example\.py", line 4, in <module>\n    asyncio\.run\(main\(\)\)\n/,
    );
    expect(r.stderr).toMatch(/  File "example\.py", line 3, in main\n    raise RuntimeError\("async boom"\)\nRuntimeError: async boom\n$/);
    expect(r.exitStatus).toBe(1);
  });
});

describe('output streams', () => {
  test('keeps stdout and stderr writes in order', async () => {
    const r = await run(py`
      import sys
      print("out 1")
      sys.stderr.write("err 1\n")
      print("out 2")
      print("err 2", file=sys.stderr)
      print("out 3")
    `);
    expect(r.chunks).toEqual([
      { stream: 'stdout', text: 'out 1\n' },
      { stream: 'stderr', text: 'err 1\n' },
      { stream: 'stdout', text: 'out 2\n' },
      { stream: 'stderr', text: 'err 2\n' },
      { stream: 'stdout', text: 'out 3\n' },
    ]);
  });

  test('holds a partial stdout line until its newline, as a terminal shows it', async () => {
    const r = await run('import sys\nsys.stdout.write("a")\nsys.stderr.write("E\\n")\nprint("b")\n');
    expect(r.chunks).toEqual([
      { stream: 'stderr', text: 'E\n' },
      { stream: 'stdout', text: 'ab\n' },
    ]);
  });

  test('decodes bytes written to fd 1 that are not UTF-8 as U+FFFD', async () => {
    const r = await run('import os\nos.write(1, b"\\xff ok \\xc3\\xa9\\n")\n');
    expect(r.stdout).toBe('\uFFFD ok é\n');
  });

  test('decodes a UTF-8 character split across two writes', async () => {
    const r = await run('import os\nos.write(1, b"\\xc3")\nos.write(1, b"\\xa9\\n")\n');
    expect(r.stdout).toBe('é\n');
  });

  test('writes non-ASCII text as UTF-8', async () => {
    const r = await run('print("π ≈ 3.14159, naïve café 🐍")\n');
    expect(r.stdout).toBe('π ≈ 3.14159, naïve café 🐍\n');
  });

  test('gives input() end of file, as python3 example.py < /dev/null does', async () => {
    const r = await run('name = input("name? ")\nprint("hello", name)\n');
    expect(r.chunks).toEqual([
      { stream: 'stdout', text: 'name? ' },
      {
        stream: 'stderr',
        text: 'Traceback (most recent call last):\n  File "example.py", line 1, in <module>\n    name = input("name? ")\nEOFError: EOF when reading a line\n',
      },
    ]);
    expect(r.exitStatus).toBe(1);
  });

  test('reports the streams as a terminal (isatty)', async () => {
    const r = await run('import sys\nprint(sys.stdout.isatty(), sys.stderr.isatty(), sys.stdout.line_buffering)\n');
    expect(r.stdout).toBe('True True True\n');
  });
});

describe('reproducibility', () => {
  test('gives hash("abc") the same value in two runs, with hash randomization off', async () => {
    const code = 'import sys\nprint(hash("abc"), hash("a longer string"), sys.flags.hash_randomization)\n';
    const first = await run(code);
    const second = await run(code);
    expect(first.stdout).toMatch(/^-?\d+ -?\d+ 0\n$/);
    expect(second.stdout).toBe(first.stdout);
  });

  test('gives a set of strings the same iteration order in two runs', async () => {
    const code = 'print(list({"apple", "banana", "cherry", "date", "elderberry", "fig", "grape"}))\n';
    expect((await run(code)).stdout).toBe((await run(code)).stdout);
  });
});

describe('isolation between blocks', () => {
  const cases: { name: string; pollute: string; polluted: string; pollutedStatus?: number; probe: string; clean: string }[] = [
    {
      name: 'a file written',
      pollute:
        'with open("/tmp/leak.txt", "w") as f:\n    f.write("x")\nwith open("leak-in-cwd.txt", "w") as f:\n    f.write("x")\nimport os\nprint(os.path.exists("/tmp/leak.txt"), os.path.exists("leak-in-cwd.txt"))\n',
      polluted: 'True True\n',
      probe: 'import os\nprint(os.path.exists("/tmp/leak.txt"), os.path.exists("leak-in-cwd.txt"))\n',
      clean: 'False False\n',
    },
    {
      name: 'a file written outside the home and temporary folders',
      pollute:
        'import os\nos.makedirs("/srv/data", exist_ok=True)\nwith open("/srv/data/leak.txt", "w") as f:\n    f.write("x")\nprint(os.listdir("/srv/data"))\n',
      polluted: "['leak.txt']\n",
      probe: 'import os\nprint(os.path.exists("/srv/data"))\n',
      clean: 'False\n',
    },
    {
      name: 'a module created in sys.modules',
      pollute:
        'import sys, types\nsys.modules["leaky"] = types.ModuleType("leaky")\nsys.modules["leaky"].value = 1\nimport leaky\nprint(leaky.value)\n',
      polluted: '1\n',
      probe: 'import sys\nprint("leaky" in sys.modules)\ntry:\n    import leaky\nexcept ImportError:\n    print("no leaky")\n',
      clean: 'False\nno leaky\n',
    },
    {
      name: 'a module file on sys.path',
      pollute:
        'import sys\nwith open("/tmp/helper.py", "w") as f:\n    f.write("X = 1\\n")\nsys.path.insert(0, "/tmp")\nimport helper\nprint(helper.X)\n',
      polluted: '1\n',
      probe: 'try:\n    import helper\n    print("imported")\nexcept ImportError:\n    print("no helper")\n',
      clean: 'no helper\n',
    },
    {
      // The folder's mtime is pinned, so only an invalidated finder sees the new file: a
      // finder that outlived the reset would answer from the listing block 1 cached.
      name: 'the script folder listing cached by an import finder',
      pollute:
        'import os\ntry:\n    import helper2\nexcept ImportError:\n    print("no helper2")\nos.utime("/home/pyodide", (0, 0))\ntry:\n    import helper3\nexcept ImportError:\n    print("no helper3")\n',
      polluted: 'no helper2\nno helper3\n',
      probe:
        'import os\nwith open("/home/pyodide/helper2.py", "w") as f:\n    f.write("X = 2\\n")\nos.utime("/home/pyodide", (0, 0))\nimport helper2\nprint(helper2.X)\n',
      clean: '2\n',
    },
    {
      // reset.py notices gc.unfreeze() by a sentinel frozen with the start-up objects.
      name: 'gc.unfreeze() (the start-up objects frozen again)',
      pollute: 'import gc\ngc.unfreeze()\nprint(gc.get_freeze_count())\n',
      polluted: '0\n',
      probe: 'import gc\nprint(gc.get_freeze_count() > 1000)\n',
      clean: 'True\n',
    },
    {
      name: 'a class attribute deleted and a dict of a standard module cleared',
      pollute:
        'import json, copyreg\ndel json.JSONEncoder.item_separator\ncopyreg.dispatch_table.clear()\nprint(hasattr(json.JSONEncoder, "item_separator"), len(copyreg.dispatch_table))\n',
      polluted: 'False 0\n',
      probe: 'import json, copyreg\nprint(json.JSONEncoder.item_separator, len(copyreg.dispatch_table) > 0)\n',
      clean: ',  True\n',
    },
    {
      name: 'builtins.print monkeypatched',
      pollute: 'import builtins\n_print = builtins.print\nbuiltins.print = lambda *a, **k: _print("patched:", *a, **k)\nprint("x")\n',
      polluted: 'patched: x\n',
      probe: 'print("plain")\n',
      clean: 'plain\n',
    },
    {
      name: 'sys.setrecursionlimit changed',
      pollute: 'import sys\nsys.setrecursionlimit(150)\nprint(sys.getrecursionlimit())\n',
      polluted: '150\n',
      probe: 'import sys\nprint(sys.getrecursionlimit() != 150)\n',
      clean: 'True\n',
    },
    {
      name: 'a warnings filter changed',
      pollute: 'import warnings\nwarnings.simplefilter("error")\ntry:\n    warnings.warn("w")\nexcept UserWarning:\n    print("raised")\n',
      polluted: 'raised\n',
      probe: 'import warnings\nwarnings.warn("w")\nprint("survived")\n',
      clean: 'survived\n',
    },
    {
      name: 'an atexit handler registered',
      pollute: 'import atexit\natexit.register(print, "leaked atexit")\nprint("registered")\n',
      polluted: 'registered\nleaked atexit\n',
      probe: 'print("probe")\n',
      clean: 'probe\n',
    },
    {
      name: 'a global variable and an environment variable',
      pollute: 'import os\nleaked = 1\nos.environ["LEAKED"] = "1"\nprint(leaked, os.environ["LEAKED"])\n',
      polluted: '1 1\n',
      probe: 'import os\nprint("leaked" in globals(), "LEAKED" in os.environ)\n',
      clean: 'False False\n',
    },
    {
      name: 'the working directory changed',
      pollute: 'import os\nos.makedirs("/tmp/elsewhere", exist_ok=True)\nos.chdir("/tmp/elsewhere")\nprint(os.getcwd())\n',
      polluted: '/tmp/elsewhere\n',
      probe: 'import os\nprint(os.getcwd() != "/tmp/elsewhere")\n',
      clean: 'True\n',
    },
    {
      name: 'sys.excepthook replaced',
      pollute: 'import sys\nsys.excepthook = lambda *args: print("custom hook")\nraise ValueError("v")\n',
      polluted: 'custom hook\n',
      pollutedStatus: 1,
      probe: 'raise ValueError("v")\n',
      clean: '',
    },
    {
      name: 'the logging configuration',
      pollute:
        'import logging\nlogging.basicConfig(format="custom: %(message)s", level=logging.DEBUG)\nlogging.debug("d")\nprint("configured")\n',
      polluted: 'configured\n',
      probe: 'import logging\nlogging.debug("hidden")\nlogging.warning("w")\nprint("probe")\n',
      clean: 'probe\n',
    },
    {
      name: 'the random seed',
      pollute: 'import random\nrandom.seed(42)\nprint(random.random())\n',
      polluted: '0.6394267984578837\n',
      probe: 'import random\nprint(random.random() == 0.6394267984578837)\n',
      clean: 'False\n',
    },
    {
      name: 'the decimal context precision',
      pollute: 'import decimal\ndecimal.getcontext().prec = 3\nprint(decimal.Decimal(1) / 3)\n',
      polluted: '0.333\n',
      probe: 'import decimal\nprint(decimal.Decimal(1) / 3)\n',
      clean: '0.3333333333333333333333333333\n',
    },
    {
      name: 'a stdlib class patched via its module',
      pollute: 'import json\njson.JSONEncoder.item_separator = ";"\nprint(json.dumps([1, 2]))\n',
      polluted: '[1;2]\n',
      probe: 'import json\nprint(json.dumps([1, 2]))\n',
      clean: '[1, 2]\n',
    },
    {
      name: 'a stdlib class patched in a function',
      pollute:
        'import json\n\ndef use_semicolons(encoder_class):\n    encoder_class.item_separator = ";"\n\nuse_semicolons(json.JSONEncoder)\nprint(json.dumps([1, 2]))\n',
      polluted: '[1;2]\n',
      probe: 'import json\nprint(json.dumps([1, 2]))\n',
      clean: '[1, 2]\n',
    },
    {
      name: 'a stdlib class patched via an alias',
      pollute: 'import json\nEncoder = json.JSONEncoder\nEncoder.item_separator = ";"\nprint(json.dumps([1, 2]))\n',
      polluted: '[1;2]\n',
      probe: 'import json\nprint(json.dumps([1, 2]))\n',
      clean: '[1, 2]\n',
    },
    {
      name: 'a codec search function registered',
      pollute:
        'import codecs\ncodecs.register(lambda name, utf8=codecs.lookup("utf-8"): utf8 if name == "leaky" else None)\nprint("x".encode("leaky"))\n',
      polluted: "b'x'\n",
      probe: 'try:\n    "x".encode("leaky")\n    print("encoded")\nexcept LookupError as e:\n    print(e)\n',
      clean: 'unknown encoding: leaky\n',
    },
  ];

  // A leak must fail only its own case: start each case from a new interpreter (os._exit
  // discards the current one).
  beforeEach(async () => {
    await runner.run('import os\nos._exit(0)\n');
  });

  test.each(cases)('does not leak $name into the next block', async ({ pollute, polluted, pollutedStatus = 0, probe, clean }) => {
    // Probe first (the baseline), then pollute (checking the pollution took effect), then probe again.
    const before = await run(probe);
    expect(before.stdout).toBe(clean);
    const dirty = await run(pollute);
    expect(dirty.stdout).toBe(polluted);
    expect(dirty.exitStatus).toBe(pollutedStatus);
    const after = await run(probe);
    expect({ stdout: after.stdout, stderr: after.stderr, exitStatus: after.exitStatus }).toEqual({
      stdout: before.stdout,
      stderr: before.stderr,
      exitStatus: before.exitStatus,
    });
  });

  test('does not leak a DeprecationWarning already shown (warnings registry) into the next block', async () => {
    const code = 'import warnings\nwarnings.warn("once", DeprecationWarning)\n';
    const first = await run(code);
    const second = await run(code);
    expect(first.stderr).toBe('example.py:2: DeprecationWarning: once\n  warnings.warn("once", DeprecationWarning)\n');
    expect(second.stderr).toBe(first.stderr);
  });
});

describe('hash seeds', () => {
  const SET_OF_STRINGS = 'print({"apple", "pear", "plum", "fig", "kiwi", "lime", "date", "sloe", "yuzu", "nectarine"})\n';

  test('an interpreter of the alternate seed orders a set of strings differently, and its environment is the same', async () => {
    const alternate = await createNodeRunner(undefined, ALTERNATE_HASH_SEED);
    // (sys.flags.hash_randomization does differ: 0 for seed 0, 1 for the others, as in CPython.)
    const probe = 'import os\nprint(sorted(os.environ.items()))\n';
    const [primaryEnv, alternateEnv] = [textOf((await runner.run(probe)).chunks), textOf((await alternate.run(probe)).chunks)];
    expect(alternateEnv).toBe(primaryEnv);
    expect(primaryEnv).not.toContain('PYTHONHASHSEED');
    const [primarySet, alternateSet] = [
      textOf((await runner.run(SET_OF_STRINGS)).chunks),
      textOf((await alternate.run(SET_OF_STRINGS)).chunks),
    ];
    expect(new Set(primarySet.slice(1, -2).split(', '))).toEqual(new Set(alternateSet.slice(1, -2).split(', ')));
    expect(alternateSet).not.toBe(primarySet);
    // The same seed gives the same order every time (the browser reproduces the recorded one).
    expect(textOf((await runner.run(SET_OF_STRINGS)).chunks)).toBe(primarySet);
  }, 60_000);
});
