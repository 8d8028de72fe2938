/**
 * The control-flow trace (issue 14) on the real runner: the line sequence and the events
 * `sys.monitoring` reports for the orders the site teaches (try/except/else/finally, return in
 * finally, an exception replaced in finally, break in finally, a generator closed early, an
 * atexit handler), the stepper's sentences (trace-text.ts) for them, and the line sequences
 * compared with native CPython's own `sys.monitoring` where a CPython 3.12+ is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { createNodeRunner } from '../../src/examples/runner-node.ts';
import type { ExampleRunner, RunResult } from '../../src/examples/runner.ts';
import { describeEvent } from '../../src/examples/trace-text.ts';
import { MAX_TRACE_EVENTS, type Trace } from '../../src/examples/trace-types.ts';

let runner: ExampleRunner;
beforeAll(async () => {
  runner = await createNodeRunner();
}, 120_000);

const lines = (trace: Trace) => trace.events.filter((e) => e.kind === 'line').map((e) => e.line);
/** Each event as `kind line [exception]`, and the sentence the stepper shows for it. */
const steps = (trace: Trace) =>
  trace.events.map((e, i) => `${e.kind} ${e.line}${e.exception ? ` ${e.exception}` : ''}: ${describeEvent(trace, i)}`);

async function traced(code: string): Promise<RunResult & { trace: Trace }> {
  const result = await runner.run(code, { trace: true });
  expect(result.trace).toBeDefined();
  return result as RunResult & { trace: Trace };
}

/** A native CPython 3.12+ (pyenv's 3.13), or null: the second opinion on line sequences. */
function nativePython(): string | null {
  const root = join(homedir(), '.pyenv', 'versions');
  if (!existsSync(root)) return null;
  const version = readdirSync(root).find((name) => /^3\.1[3-9]/.test(name));
  return version ? join(root, version, 'bin', 'python3') : null;
}

/** LINE events of example.py's code objects under native CPython's sys.monitoring, as tracer.py records them. */
const NATIVE_TRACER = `
import sys
source = sys.stdin.read()
code = compile(source, "example.py", "exec")
codes = []
def walk(c):
    codes.append(c)
    for k in c.co_consts:
        if isinstance(k, type(c)): walk(k)
walk(code)
M = sys.monitoring
M.use_tool_id(4, "t")
lines = []
M.register_callback(4, M.events.LINE, lambda c, n: lines.append(n))
for c in codes: M.set_local_events(4, c, M.events.LINE)
out = sys.stdout
sys.stdout = open("/dev/null", "w")
try:
    exec(code, {"__name__": "__main__"})
except BaseException:
    pass
M.free_tool_id(4)
out.write(" ".join(map(str, lines)))
`;

function nativeLines(code: string): number[] | null {
  const python = nativePython();
  if (!python) return null;
  const env = { ...process.env };
  delete env.PYTHONUNBUFFERED;
  const run = spawnSync(python, ['-c', NATIVE_TRACER], { input: code, encoding: 'utf8', env });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.trim() ? run.stdout.trim().split(' ').map(Number) : [];
}

const TRY_ALL = `def f(x):
    try:
        r = 1 / x
    except ZeroDivisionError:
        r = None
    else:
        r += 1
    finally:
        print("finally")
    return r
print(f(0))
print(f(1))
`;

describe('trace of a run (RunOptions.trace)', () => {
  test('try/except/else/finally with an exception, then without', async () => {
    const { trace, chunks } = await traced(TRY_ALL);
    expect(chunks.map((c) => c.text).join('')).toBe('finally\nNone\nfinally\n2.0\n');
    expect(lines(trace)).toEqual([1, 11, 2, 3, 4, 5, 9, 10, 12, 2, 3, 7, 9, 10]);
    expect(steps(trace)).toEqual([
      'line 1: the script starts at line 1',
      'line 11: line 11',
      'line 2: f starts: line 2',
      'line 3: line 3',
      'raise 3 ZeroDivisionError: exception ZeroDivisionError raised here',
      'handled 4 ZeroDivisionError: exception ZeroDivisionError: looking for a matching except clause',
      'line 4: except ZeroDivisionError matches ZeroDivisionError',
      'line 5: the exception ZeroDivisionError is caught: the except block runs',
      'line 9: except block done: finally runs',
      'line 10: line 10',
      'return 10: f returns None',
      'line 12: back in <module>: line 12',
      'line 2: f starts: line 2',
      'line 3: line 3',
      'line 7: no exception in the try block: else runs',
      'line 9: else block done: finally runs',
      'line 10: line 10',
      'return 10: f returns 2.0',
      'return 12: the script ends',
    ]);
    expect(trace.truncated).toBeNull();
    // Output offsets: "finally\n" (8 units) was written before line 10 of the first call ran.
    expect(trace.events.find((e) => e.kind === 'line' && e.line === 10)!.outputOffset).toBe(8);
    expect(trace.events.at(-1)!.outputOffset).toBe('finally\nNone\nfinally\n2.0\n'.length);
  });

  test('return in try with finally: finally runs first, the saved value is returned', async () => {
    const code = 'def f():\n    try:\n        return "try"\n    finally:\n        print("finally")\nprint(f())\n';
    const { trace } = await traced(code);
    expect(lines(trace)).toEqual([1, 6, 2, 3, 5]);
    expect(steps(trace).slice(3)).toEqual([
      'line 3: line 3',
      'line 5: leaving the try block by return: finally runs first',
      "return 5: finally done: f returns 'try', saved before finally ran",
      'return 6: the script ends',
    ]);
  });

  test('return in finally replaces the return value', async () => {
    const code = 'def f():\n    try:\n        return "try"\n    finally:\n        return "finally"\nprint(f())\n';
    const { trace } = await traced(code);
    expect(lines(trace)).toEqual([1, 6, 2, 3, 5]);
    expect(steps(trace).at(-2)).toBe("return 5: return value replaced by finally: f returns 'finally'");
  });

  test('an exception replaced in finally', async () => {
    const code =
      'def g():\n    try:\n        1 / 0\n    finally:\n        raise KeyError("k")\ntry:\n    g()\nexcept KeyError as e:\n    print(repr(e), repr(e.__context__))\n';
    const { trace, chunks } = await traced(code);
    expect(chunks[0]!.text).toBe("KeyError('k') ZeroDivisionError('division by zero')\n");
    expect(lines(trace)).toEqual([1, 6, 7, 2, 3, 5, 8, 9]);
    expect(steps(trace).slice(4)).toEqual([
      'line 3: line 3',
      'raise 3 ZeroDivisionError: exception ZeroDivisionError raised here',
      'line 5: leaving the try block by exception ZeroDivisionError: finally runs first',
      'raise 5 KeyError: exception KeyError raised here',
      'unwind 5 KeyError: g ends by the exception KeyError, which goes on in its caller',
      'raise 7 KeyError: exception KeyError from g arrives here, at line 7',
      'handled 8 KeyError: exception KeyError: looking for a matching except clause',
      'line 8: except KeyError matches KeyError',
      'line 9: the exception KeyError is caught: the except block runs',
      'return 9: the script ends',
    ]);
  });

  test('break in finally discards the exception', async () => {
    const code = 'for i in range(3):\n    try:\n        raise ValueError(i)\n    finally:\n        break\nprint("after", i)\n';
    const { trace, chunks } = await traced(code);
    // CPython 3.14 warns at compile time (PEP 765), then runs it.
    expect(chunks.map((c) => c.text).join('')).toBe("example.py:5: SyntaxWarning: 'break' in a 'finally' block\n  break\nafter 0\n");
    expect(lines(trace)).toEqual([1, 2, 3, 5, 6]);
    expect(steps(trace).slice(3)).toEqual([
      'raise 3 ValueError: exception ValueError raised here',
      'line 5: leaving the try block by exception ValueError: finally runs first',
      'line 6: break in finally: the exception ValueError is discarded; line 6 runs',
      'return 6: the script ends',
    ]);
  });

  test('a generator closed early: GeneratorExit at the yield, its finally runs', async () => {
    const code =
      'def gen():\n    try:\n        yield 1\n        yield 2\n    finally:\n        print("closing")\nit = gen()\nprint(next(it))\nit.close()\n';
    const { trace, chunks } = await traced(code);
    expect(chunks[0]!.text).toBe('1\nclosing\n');
    expect(lines(trace)).toEqual([1, 7, 8, 2, 3, 9, 6]);
    expect(steps(trace).slice(5)).toEqual([
      'yield 3: gen yields 1: it pauses here until it is resumed',
      'line 9: back in <module>: line 9',
      'raise 3 GeneratorExit: generator closed: GeneratorExit at the yield',
      'line 6: leaving the try block by exception GeneratorExit: finally runs first',
      'reraise 6 GeneratorExit: finally done: the exception GeneratorExit continues',
      'unwind 6 GeneratorExit: generator gen closed',
      'return 9: the script ends',
    ]);
  });

  test('an atexit handler and a generator finalized at exit are part of the trace', async () => {
    const code =
      'import atexit\ndef bye():\n    print("bye")\natexit.register(bye)\ndef gen():\n    try:\n        yield 1\n    finally:\n        print("gen finally")\nit = gen()\nnext(it)\nprint("end")\n';
    const { trace, chunks } = await traced(code);
    expect(chunks[0]!.text).toBe('end\nbye\ngen finally\n');
    const kinds = trace.events.map((e) => (e.kind === 'line' ? e.line : e.kind));
    expect(kinds).toEqual([
      1,
      2,
      4,
      5,
      10,
      11,
      6,
      7,
      'yield',
      12,
      'return',
      'atexit',
      3,
      'return',
      'finalize',
      'raise',
      9,
      'reraise',
      'unwind',
    ]);
    const atexit = trace.events.findIndex((e) => e.kind === 'atexit');
    expect(describeEvent(trace, atexit)).toBe('the script ended: atexit handler runs');
    expect(describeEvent(trace, atexit + 1)).toBe('bye starts: line 3');
    // The atexit handler runs after "end\n" was written.
    expect(trace.events[atexit]!.outputOffset).toBe(4);
  });

  test('SystemExit: its exit status in the event and the text', async () => {
    const { trace, exitStatus } = await traced('import sys\ntry:\n    sys.exit(3)\nfinally:\n    print("finally")\n');
    expect(exitStatus).toBe(3);
    const raise = trace.events.findIndex((e) => e.kind === 'raise');
    expect(trace.events[raise]).toMatchObject({ exception: 'SystemExit', exitStatus: 3, line: 3 });
    expect(describeEvent(trace, raise)).toBe('SystemExit raised: exit status 3');
  });

  test('a plain run takes no tool id and the interpreter stays reusable after a traced one', async () => {
    const restores = runner.restores;
    await traced('print(1)\n');
    const plain = await runner.run('import sys\nprint([sys.monitoring.get_tool(i) for i in range(6)])\n');
    expect(plain.trace).toBeUndefined();
    expect(plain.chunks[0]!.text).toBe('[None, None, None, None, None, None]\n');
    expect(plain.discarded).toBeNull();
    expect(runner.restores).toBe(restores);
  });

  test('an example that registers its own monitoring callback still taints the interpreter', async () => {
    const result = await runner.run('import sys\nsys.monitoring.register_callback(3, sys.monitoring.events.LINE, print)\n', {
      trace: true,
    });
    expect(result.discarded).toContain('sys.monitoring.register_callback');
  });

  test('tracing stops beyond MAX_TRACE_EVENTS with a note', async () => {
    const { trace, chunks } = await traced('total = 0\nfor i in range(20000):\n    total += i\nprint(total)\n');
    expect(chunks[0]!.text).toBe('199990000\n');
    expect(trace.events.length).toBeLessThanOrEqual(MAX_TRACE_EVENTS);
    expect(trace.truncated).toMatch(/more than 10000 events/);
  });

  test.each([
    ['try/except/else/finally', TRY_ALL],
    ['break in finally', 'for i in range(3):\n    try:\n        raise ValueError(i)\n    finally:\n        break\nprint("after", i)\n'],
    [
      'generator closed',
      'def gen():\n    try:\n        yield 1\n        yield 2\n    finally:\n        print("closing")\nit = gen()\nprint(next(it))\nit.close()\n',
    ],
    [
      'with and nested try',
      'class R:\n    def __enter__(self):\n        return self\n    def __exit__(self, *a):\n        print("exit")\n        return True\nwith R():\n    try:\n        1 / 0\n    finally:\n        print("f")\nprint("done")\n',
    ],
  ])('the line sequence matches native CPython sys.monitoring: %s', async (_, code) => {
    const native = nativeLines(code);
    if (native === null) return; // no CPython 3.12+ on this machine: Pyodide's sequence is checked above
    const { trace } = await traced(code);
    expect(lines(trace)).toEqual(native);
  });
});
