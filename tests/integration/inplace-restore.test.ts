/**
 * inplace-restore.ts: after `os._exit` the runner puts the same interpreter back to its state
 * right after preparation (memory, hiwire table, stack pointer, file streams, scratch folders,
 * finalizers of proxies made since), and a probe of the interpreter's state then prints what it
 * prints in a fresh interpreter restored from the snapshot. A block whose Python object is still
 * held by JavaScript falls back to the full restore.
 */
import { beforeAll, expect, test } from 'vitest';
import type { ExampleRunner, RunResult } from '../../src/examples/runner.ts';
import { createNodeRunner } from '../../src/examples/runner-node.ts';

const text = (result: RunResult) => result.chunks.map((chunk) => chunk.text).join('');

/** What the next block sees: open fds, files, working directory, modules, limits, JS conversions. */
const PROBE = `import os, sys, json
opened = []
for fd in range(3, 64):
    try:
        os.fstat(fd)
        opened.append(fd)
    except OSError:
        pass
print(opened, sorted(os.listdir("/tmp")), sorted(os.listdir(".")), os.getcwd())
print(len(sys.modules), sorted(sys.modules) == sorted(set(sys.modules)), sys.getrecursionlimit())
import js
from pyodide.ffi import to_js
o = js.Object.new()
o.x = 5
print(json.dumps({"a": 1}), o.x, js.Array.new(3).length, type(to_js([1])).__name__, sorted(set("abcdef")))
`;

let runner: ExampleRunner;
let expected: string;

beforeAll(async () => {
  const base = await createNodeRunner();
  runner = await createNodeRunner(base.snapshot, 0, { inPlaceRestore: true });
  await runner.interpreter();
  const fresh = await createNodeRunner(base.snapshot);
  expected = text(await fresh.run(PROBE));
  expect(expected).toContain('[] [] [');
}, 120_000);

test.each([
  ['plain', 'import os\nos._exit(1)\n', 1],
  [
    'open files, a new folder, a changed directory and recursion limit',
    'import os, sys\nf = open("/tmp/a", "w"); f.write("x")\nfd = os.open("/tmp/b", os.O_CREAT | os.O_WRONLY)\nos.mkdir("/tmp/d"); open("/tmp/d/f", "w").close()\nos.chdir("/tmp"); sys.setrecursionlimit(50000)\nimport decimal, fractions\nos._exit(3)\n',
    3,
  ],
  [
    'JsProxies left behind',
    'import os, js\nobjects = [js.Object.new() for _ in range(200)]\narrays = [js.Array.new() for _ in range(200)]\nos._exit(5)\n',
    5,
  ],
  ['from inside a function called by a loop', 'import os\ndef f(n):\n    if n == 0:\n        os._exit(7)\n    f(n - 1)\nf(100)\n', 7],
  // CPython releases the GIL around raise(): the exit happens with it released.
  [
    'SIGTERM with no handler, inside try/finally',
    'import signal\ntry:\n    signal.raise_signal(signal.SIGTERM)\nfinally:\n    print("never")\n',
    143,
  ],
])(
  'an exit (%s) is undone in place: a probe prints what a fresh interpreter prints',
  async (_, code, status) => {
    const before = { inPlace: runner.inPlaceRestores, restores: runner.restores };
    const exited = await runner.run(code as string);
    expect(exited.exitStatus).toBe(status);
    expect(exited.discarded).toMatch(/^the interpreter exited with status/);
    expect(runner.inPlaceRestores).toBe(before.inPlace + 1);
    const probe = await runner.run(PROBE);
    expect(runner.restores).toBe(before.restores);
    expect(probe.discarded).toBeNull();
    expect(text(probe)).toBe(expected);
  },
  60_000,
);

test('a block that hands a Python object to JavaScript falls back to the full restore', async () => {
  const before = { inPlace: runner.inPlaceRestores, restores: runner.restores };
  const exited = await runner.run('import os, js\nfrom pyodide.ffi import create_proxy\nkeep = create_proxy(lambda: 1)\nos._exit(4)\n');
  expect(exited.exitStatus).toBe(4);
  expect(runner.inPlaceRestores).toBe(before.inPlace);
  expect(text(await runner.run(PROBE))).toBe(expected);
  expect(runner.restores).toBe(before.restores + 1);
}, 60_000);

test('many in-place restores in a row, with the proxies they left collected, keep every later block right', async () => {
  for (let i = 0; i < 20; i++) {
    expect((await runner.run(`import os\nx = [object() for _ in range(${i * 100})]\nos._exit(${i})\n`)).exitStatus).toBe(i);
    // Proxies the runner made for the ended block become garbage: their finalizers must not touch the restored memory.
    if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (let i = 0; i < 3; i++) expect(text(await runner.run(PROBE))).toBe(expected);
  const result = await runner.run('import gc\nprint(sum(len(str(x)) for x in range(10000)), gc.collect() >= 0)\n');
  expect(text(result)).toBe('38890 True\n');
}, 120_000);
