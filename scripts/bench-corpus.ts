/**
 * The generated corpus `npm run bench` verifies: MDX pages of python blocks in the mix the site's
 * own pages hold (content/, 96 blocks that run: 95% print, 72% finally, 50% raise, 18% sys.exit,
 * 16% generators, 13% atexit, 5% asyncio, 5% os._exit; 12 lines on average), each block varied
 * by its number so that no two are alike. Every block's output is deterministic (no id(), no set
 * of strings, no clock), so a correct verifier passes all of them.
 */

/** One block per template, in turn; `i` is the block's number in the corpus. */
const TEMPLATES: ((i: number) => string)[] = [
  (i) => `for n in range(${(i % 7) + 3}):\n    print(n, n * n)`,
  (i) => `def f():\n    try:\n        return ${i}\n    finally:\n        print("finally runs first")\n\nprint(f())`,
  (i) =>
    `try:\n    1 / ${i % 3}\nexcept ZeroDivisionError as e:\n    print("caught", e)\nelse:\n    print("no error")\nfinally:\n    print("cleanup")`,
  (i) => `import sys\n\ntry:\n    print("working")\n    sys.exit(${i % 4})\nfinally:\n    print("exiting")`,
  (i) =>
    `class Resource:\n    def __enter__(self):\n        print("open")\n        return self\n\n    def __exit__(self, kind, value, tb):\n        print("close", kind.__name__ if kind else None)\n        return False\n\nwith Resource():\n    print("body ${i}")`,
  (i) =>
    `def numbers():\n    try:\n        yield ${i}\n        yield ${i + 1}\n    finally:\n        print("generator closed")\n\ng = numbers()\nprint(next(g))\ng.close()\nprint("after close")`,
  (i) =>
    `import asyncio\n\nasync def main():\n    try:\n        await asyncio.sleep(0)\n        print("slept ${i}")\n    finally:\n        print("done")\n\nasyncio.run(main())`,
  (i) => `data = {k: k ** 2 for k in range(${(i % 20) + 5})}\nprint(sum(data.values()))\nraise ValueError("bad value ${i}")`,
  (i) => `import atexit\n\natexit.register(print, "bye ${i}")\ntry:\n    print("registered")\nfinally:\n    print("main ends")`,
  (i) =>
    `from contextlib import ExitStack\n\nwith ExitStack() as stack:\n    for n in range(3):\n        stack.callback(print, "unwind", n)\n    print("body ${i}")`,
  (i) =>
    `def parse(text):\n    try:\n        return int(text)\n    finally:\n        print("parsed", repr(text))\n\ndef main():\n    total = 0\n    for text in ["${i}", "x${i}"]:\n        total += parse(text)\n    return total\n\nmain()`,
  (i) =>
    `class ConfigError(Exception):\n    pass\n\ndef load():\n    try:\n        {}["key${i}"]\n    except KeyError as e:\n        raise ConfigError("missing key") from e\n\nload()`,
  (i) => `import os\n\ntry:\n    print("before _exit", flush=True)\n    os._exit(${i % 3})\nfinally:\n    print("never printed")`,
  (i) => `import sys\n\ntry:\n    sys.exit("fatal: cannot continue (${i})")\nfinally:\n    print("cleanup before exit")`,
  (i) =>
    `lines = []\nwith open("/tmp/notes-${i}.txt", "w") as f:\n    f.write("one\\ntwo\\n")\nwith open("/tmp/notes-${i}.txt") as f:\n    for line in f:\n        lines.append(line.strip())\nprint(lines)`,
  (i) =>
    `def interrupted():\n    try:\n        raise KeyboardInterrupt\n    finally:\n        print("finally runs on Ctrl-C too")\n\ntry:\n    interrupted()\nexcept KeyboardInterrupt:\n    print("interrupted ${i}")`,
  (i) =>
    `attempt = 0\nwhile True:\n    attempt += 1\n    try:\n        if attempt == ${(i % 4) + 2}:\n            break\n        print("attempt", attempt)\n    finally:\n        print("after attempt", attempt)\nprint("stopped")`,
  (i) =>
    `class Suppress:\n    def __enter__(self):\n        return self\n\n    def __exit__(self, kind, value, tb):\n        print("suppressing", kind.__name__)\n        return True\n\nwith Suppress():\n    raise RuntimeError("boom ${i}")\nprint("carried on")`,
  (i) =>
    `try:\n    raise ExceptionGroup("many", [ValueError(${i}), TypeError("t")])\nexcept* ValueError as group:\n    print("values", group.exceptions)\nexcept* TypeError as group:\n    print("types", group.exceptions)\nfinally:\n    print("finally")`,
  (i) =>
    `def outer():\n    try:\n        inner()\n    finally:\n        print("outer finally")\n\ndef inner():\n    try:\n        return [1, 2, 3][${(i % 3) + 3}]\n    finally:\n        print("inner finally")\n\nouter()`,
];

/** A generated page: its file name, its MDX text, and the code of its blocks in order. */
export interface CorpusFile {
  name: string;
  text: string;
  blocks: string[];
}

/**
 * Generate `blocks` blocks in pages of `perFile` blocks (the last page may hold fewer), with a
 * line of prose before each block and no output fences (the bench records them with `--update`).
 * @param blocks total number of blocks, ≥ 1.
 * @param perFile blocks per page, ≥ 1 (default 20: the size of the site's larger pages).
 * @returns the pages, named `bench-000.mdx`, `bench-001.mdx`, ….
 */
export function generateCorpus(blocks: number, perFile = 20): CorpusFile[] {
  const files: CorpusFile[] = [];
  for (let i = 0; i < blocks; i += perFile) {
    const page = files.length;
    const codes = Array.from({ length: Math.min(perFile, blocks - i) }, (_, b) => TEMPLATES[(i + b) % TEMPLATES.length]!(i + b));
    const parts = ['---', `title: Bench page ${page}`, '---', ''];
    for (const [b, code] of codes.entries()) parts.push(`Example ${i + b}: what it prints, and why.`, '', '```python', code, '```', '');
    files.push({ name: `bench-${String(page).padStart(3, '0')}.mdx`, text: parts.join('\n'), blocks: codes });
  }
  return files;
}
