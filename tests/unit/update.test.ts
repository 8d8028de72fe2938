import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BOM, extractExamples, type ExampleBlock } from '../../src/examples/extract.ts';
import type { RecordedOutput } from '../../src/examples/output.ts';
import { applyOutputEdits, renderOutputFence, writeFileAtomic, writeUpdates, type OutputEdit } from '../../src/examples/update.ts';

const rec = (text: string, stderrLines: number[] = [], exitStatus = 0): RecordedOutput => ({ text, stderrLines, exitStatus });
const mdx = (...lines: string[]) => lines.join('\n') + '\n';
const FENCE = '```';

/** Extract and fail on problems: the fixtures here are all valid. */
function blocksOf(source: string): ExampleBlock[] {
  const { blocks, problems } = extractExamples('doc.mdx', source);
  expect(problems).toEqual([]);
  return blocks;
}

/** Apply one output per block (in block order). */
function record(source: string, outputs: RecordedOutput[]): string {
  const blocks = blocksOf(source);
  expect(blocks).toHaveLength(outputs.length);
  return applyOutputEdits(
    source,
    blocks.map((block, i) => ({ block, output: outputs[i]! })),
  );
}

/** The recorded outputs of every block, as extraction reads them back. */
function recordedOf(source: string): (RecordedOutput | null)[] {
  return blocksOf(source).map((b) => b.output?.recorded ?? null);
}

describe('renderOutputFence', () => {
  test('writes meta only when there is stderr or a nonzero status', () => {
    expect(renderOutputFence(rec('a\nb'), '', '\n')).toBe('```output\na\nb\n```');
    expect(renderOutputFence(rec('a\nb', [2], 1), '', '\n')).toBe('```output stderr="2" exit=1\na\nb\n```');
    expect(renderOutputFence(rec('', [], 1), '', '\n')).toBe('```output exit=1\n```');
  });

  test('prefixes continuation lines but leaves blank lines without trailing spaces', () => {
    expect(renderOutputFence(rec('a\n\nb'), '    ', '\n')).toBe('```output\n    a\n\n    b\n    ```');
    expect(renderOutputFence(rec('a\n\nb'), '> ', '\n')).toBe('```output\n> a\n>\n> b\n> ```');
  });

  test('uses a fence longer than any backtick run in the output', () => {
    expect(renderOutputFence(rec('```\n````'), '', '\n')).toBe('`````output\n```\n````\n`````');
    expect(renderOutputFence(rec('~~~~'), '', '\n', '~')).toBe('~~~~~output\n~~~~\n~~~~~');
  });
});

describe('applyOutputEdits', () => {
  test('changes only the bytes of the output fences', () => {
    const source = mdx(
      '---', // 1
      'title: Two examples', // 2
      '---', // 3
      '', // 4
      'Intro with trailing spaces   ', // 5
      '', // 6
      FENCE + 'python title="a.py"', // 7
      'print("a")', // 8
      FENCE, // 9
      '', // 10
      FENCE + 'output', // 11
      'stale a', // 12
      FENCE, // 13
      '', // 14
      '<Aside>', // 15
      '', // 16
      FENCE + 'python', // 17
      'import sys; sys.exit("b")', // 18
      FENCE, // 19
      '', // 20
      FENCE + 'output', // 21
      'stale b', // 22
      'more stale b', // 23
      FENCE, // 24
      '', // 25
      '</Aside>', // 26
      '', // 27
      'Closing prose.', // 28
    );
    const blocks = blocksOf(source);
    const [a, b] = blocks.map((block) => block.output!);
    const updated = applyOutputEdits(source, [
      { block: blocks[0]!, output: rec('a') },
      { block: blocks[1]!, output: rec('b', [1], 1) },
    ]);
    // Everything outside the two fences is byte-identical.
    const newBlocks = blocksOf(updated);
    const [a2, b2] = newBlocks.map((block) => block.output!);
    expect(updated.slice(0, a2!.start)).toBe(source.slice(0, a!.start));
    expect(updated.slice(a2!.end, b2!.start)).toBe(source.slice(a!.end, b!.start));
    expect(updated.slice(b2!.end)).toBe(source.slice(b!.end));
    // And the fences hold the new outputs.
    expect(updated.slice(a2!.start, a2!.end)).toBe('```output\na\n```');
    expect(updated.slice(b2!.start, b2!.end)).toBe('```output stderr="1" exit=1\nb\n```');
    expect(recordedOf(updated)).toEqual([rec('a'), rec('b', [1], 1)]);
  });

  test('inserts a missing output fence after its python fence, separated by a blank line', () => {
    const source = mdx('Intro.', '', FENCE + 'python', 'print("hi")', FENCE, 'Prose right after the fence.');
    const [block] = blocksOf(source);
    const updated = applyOutputEdits(source, [{ block: block!, output: rec('hi') }]);
    expect(updated).toBe(
      mdx('Intro.', '', FENCE + 'python', 'print("hi")', FENCE, '', FENCE + 'output', 'hi', FENCE, 'Prose right after the fence.'),
    );
    expect(recordedOf(updated)).toEqual([rec('hi')]);
  });

  test('inserts a missing fence for a block at the very end of a file without a final newline', () => {
    const source = '```python\nprint(1)\n```';
    const updated = record(source, [rec('1')]);
    expect(updated).toBe('```python\nprint(1)\n```\n\n```output\n1\n```');
  });

  test('inserts and replaces in one file, bottom-up, leaving every other byte alone', () => {
    const source = mdx(
      FENCE + 'python', // block 1: has a stale fence
      'print(1)',
      FENCE,
      FENCE + 'output',
      'one',
      FENCE,
      '',
      FENCE + 'python', // block 2: missing
      'print(2)',
      FENCE,
      '',
      'Middle prose.',
      '',
      FENCE + 'python', // block 3: stale
      'print(3)',
      FENCE,
      '',
      FENCE + 'output',
      'three',
      FENCE,
      '',
      FENCE + 'python', // block 4: missing, last in file
      'print(4)',
      FENCE,
    );
    const updated = record(source, [rec('1'), rec('2\n2'), rec('3'), rec('', [], 4)]);
    expect(updated).toBe(
      mdx(
        FENCE + 'python',
        'print(1)',
        FENCE,
        FENCE + 'output',
        '1',
        FENCE,
        '',
        FENCE + 'python',
        'print(2)',
        FENCE,
        '',
        FENCE + 'output',
        '2',
        '2',
        FENCE,
        '',
        'Middle prose.',
        '',
        FENCE + 'python',
        'print(3)',
        FENCE,
        '',
        FENCE + 'output',
        '3',
        FENCE,
        '',
        FENCE + 'python',
        'print(4)',
        FENCE,
        '',
        FENCE + 'output exit=4',
        FENCE,
      ),
    );
  });

  test('applies edits given in any order to the right blocks', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, '', FENCE + 'python', 'print(2)', FENCE);
    const blocks = blocksOf(source);
    const forward = applyOutputEdits(source, [
      { block: blocks[0]!, output: rec('1') },
      { block: blocks[1]!, output: rec('2') },
    ]);
    const backward = applyOutputEdits(source, [
      { block: blocks[1]!, output: rec('2') },
      { block: blocks[0]!, output: rec('1') },
    ]);
    expect(backward).toBe(forward);
    expect(recordedOf(forward)).toEqual([rec('1'), rec('2')]);
  });

  test('rejects two edits for the same block', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE);
    const [block] = blocksOf(source);
    expect(() =>
      applyOutputEdits(source, [
        { block: block!, output: rec('1') },
        { block: block!, output: rec('2') },
      ]),
    ).toThrow('doc.mdx:1: two output edits for one example');
  });

  test('returns the source unchanged for no edits', () => {
    const source = mdx('# nothing', '', FENCE + 'python', 'print(1)', FENCE);
    expect(applyOutputEdits(source, [])).toBe(source);
  });

  test('preserves CRLF line endings, in the replaced and the inserted fences', () => {
    const source = [
      '# CRLF',
      '',
      FENCE + 'python',
      'print(1)',
      FENCE,
      '',
      FENCE + 'output',
      'old',
      FENCE,
      '',
      FENCE + 'python',
      'print(2)',
      FENCE,
      '',
    ].join('\r\n');
    const updated = record(source, [rec('1\nsecond line', [2], 1), rec('2\n2')]);
    expect(updated).toBe(
      [
        '# CRLF',
        '',
        FENCE + 'python',
        'print(1)',
        FENCE,
        '',
        FENCE + 'output stderr="2" exit=1',
        '1',
        'second line',
        FENCE,
        '',
        FENCE + 'python',
        'print(2)',
        FENCE,
        '',
        FENCE + 'output',
        '2',
        '2',
        FENCE,
        '',
      ].join('\r\n'),
    );
    expect(updated.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  test('keeps the indentation of blocks inside JSX', () => {
    const source = mdx(
      '<Tabs>',
      '  <TabItem label="one">',
      '    ```python',
      '    print("a")',
      '    print("  b")',
      '    ```',
      '',
      '    ```output',
      '    stale',
      '    ```',
      '  </TabItem>',
      '  <TabItem label="two">',
      '    ```python',
      '    print(2)',
      '    ```',
      '  </TabItem>',
      '</Tabs>',
    );
    const updated = record(source, [rec('a\n  b\n\nc', [4], 1), rec('2')]);
    expect(updated).toBe(
      mdx(
        '<Tabs>',
        '  <TabItem label="one">',
        '    ```python',
        '    print("a")',
        '    print("  b")',
        '    ```',
        '',
        '    ```output stderr="4" exit=1',
        '    a',
        '      b',
        '',
        '    c',
        '    ```',
        '  </TabItem>',
        '  <TabItem label="two">',
        '    ```python',
        '    print(2)',
        '    ```',
        '',
        '    ```output',
        '    2',
        '    ```',
        '  </TabItem>',
        '</Tabs>',
      ),
    );
    expect(recordedOf(updated)).toEqual([rec('a\n  b\n\nc', [4], 1), rec('2')]);
  });

  test('keeps blocks inside list items inside their item', () => {
    const source = mdx(
      '1. Run this:',
      '',
      '   ```python',
      '   print(1)',
      '   ```',
      '2. Then this:',
      '',
      '   - ```python',
      '     print(2)',
      '     ```',
      '',
      'After the list.',
    );
    const updated = record(source, [rec('1'), rec('2\n 2')]);
    expect(updated).toBe(
      mdx(
        '1. Run this:',
        '',
        '   ```python',
        '   print(1)',
        '   ```',
        '',
        '   ```output',
        '   1',
        '   ```',
        '2. Then this:',
        '',
        '   - ```python',
        '     print(2)',
        '     ```',
        '',
        '     ```output',
        '     2',
        '      2',
        '     ```',
        '',
        'After the list.',
      ),
    );
    expect(recordedOf(updated)).toEqual([rec('1'), rec('2\n 2')]);
  });

  test('keeps blocks inside a blockquote inside the quote', () => {
    const source = mdx('> ```python', '> print(1)', '> ```', '', 'After.');
    const updated = record(source, [rec('1\n\n2')]);
    expect(updated).toBe(mdx('> ```python', '> print(1)', '> ```', '>', '> ```output', '> 1', '>', '> 2', '> ```', '', 'After.'));
    expect(recordedOf(updated)).toEqual([rec('1\n\n2')]);
  });

  test('uses a longer fence when the output contains ``` so the fence stays closed', () => {
    const source = mdx(FENCE + 'python', 'print("```")', 'print("````")', FENCE, '', 'Prose that must stay prose.');
    const updated = record(source, [rec('```\n````')]);
    expect(updated).toContain('`````output\n```\n````\n`````\n');
    expect(recordedOf(updated)).toEqual([rec('```\n````')]);
    expect(updated.endsWith('\nProse that must stay prose.\n')).toBe(true);
  });

  test('keeps a tilde fence a tilde fence', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, '~~~output', 'old', '~~~');
    const updated = record(source, [rec('~~~\n1')]);
    expect(updated).toBe(mdx(FENCE + 'python', 'print(1)', FENCE, '~~~~output', '~~~', '1', '~~~~'));
    expect(recordedOf(updated)).toEqual([rec('~~~\n1')]);
  });

  test.each([
    ['plain lines', rec('hello\nworld')],
    [
      'a traceback on stderr',
      rec(
        'before\nTraceback (most recent call last):\n  File "example.py", line 5, in <module>\n    divide(1, 0)\n    ~~~~~~^^^^^^\nZeroDivisionError: division by zero',
        [2, 3, 4, 5, 6],
        1,
      ),
    ],
    ['trailing spaces and tabs', rec('a  \n\tb\t\nc ')],
    ['blank lines inside', rec('a\n\n\nb')],
    ['leading blank lines', rec('\n\nx')],
    ['leading spaces on the first line', rec('    indented first')],
    ['text that looks like markdown or JSX', rec('# not a heading\n<div>{x}</div>\n- item\n> quote')],
    ['empty output with a status', rec('', [], 1)],
    // Transcripts show control characters as Control Pictures (output.ts), so a CR arrives as ␍.
    ['a carriage return (progress output)', rec('50%␍100%')],
  ])('round-trips %s through update and extraction in every container', (_case, output) => {
    const containers: [string, (lines: string[]) => string[]][] = [
      ['top level', (lines) => lines],
      ['JSX', (lines) => ['<Aside>', ...lines.map((l) => (l ? '    ' + l : l)), '</Aside>']],
      ['list item', (lines) => ['- item', '', ...lines.map((l) => (l ? '  ' + l : l))]],
      ['blockquote', (lines) => lines.map((l) => (l ? '> ' + l : '>'))],
    ];
    for (const [name, wrap] of containers) {
      const source = mdx(...wrap([FENCE + 'python', 'print("x")', FENCE, '', FENCE + 'output', 'stale', FENCE]), '', 'The end.');
      const updated = record(source, [output]);
      expect({ container: name, recorded: recordedOf(updated) }).toEqual({ container: name, recorded: [output] });
      expect(updated.endsWith('\nThe end.\n')).toBe(true);
    }
  });

  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('keeps a byte order mark and every byte outside the fences (%s), for a block on the first line', (_eol, eol) => {
    const lines = (...l: string[]) => BOM + l.join(eol) + eol;
    // The first block sits on line 1, right after the mark: its missing fence is inserted there.
    const source = lines(
      FENCE + 'python',
      'print(1)',
      FENCE,
      '',
      'Prose.',
      '',
      FENCE + 'python',
      'print(2)',
      FENCE,
      '',
      FENCE + 'output',
      'stale',
      FENCE,
    );
    const [first, second] = blocksOf(source);
    expect(source.slice(first!.codeEnd - 3, first!.codeEnd)).toBe(FENCE); // offsets count the mark
    expect(source.slice(second!.output!.start, second!.output!.end)).toBe(['```output', 'stale', FENCE].join(eol));
    const updated = record(source, [rec('1'), rec('2')]);
    expect(updated).toBe(
      lines(
        FENCE + 'python',
        'print(1)',
        FENCE,
        '',
        FENCE + 'output',
        '1',
        FENCE,
        '',
        'Prose.',
        '',
        FENCE + 'python',
        'print(2)',
        FENCE,
        '',
        FENCE + 'output',
        '2',
        FENCE,
      ),
    );
    expect(recordedOf(updated)).toEqual([rec('1'), rec('2')]);
    expect(record(updated, [rec('1'), rec('2')])).toBe(updated); // a second update changes nothing
  });

  test('keeps a byte order mark before frontmatter', () => {
    const source = BOM + mdx('---', 'title: T', '---', '', FENCE + 'python', 'print(1)', FENCE, FENCE + 'output', 'old', FENCE);
    expect(record(source, [rec('new')])).toBe(
      BOM + mdx('---', 'title: T', '---', '', FENCE + 'python', 'print(1)', FENCE, FENCE + 'output', 'new', FENCE),
    );
  });

  test('is idempotent: applying the same outputs to the updated file changes nothing', () => {
    const source = mdx(
      '<Aside>',
      '    ```python',
      '    print(1)',
      '    ```',
      '</Aside>',
      '',
      '1. ```python',
      '   print(2)',
      '   ```',
      '',
      '   ```output',
      '   stale',
      '   ```',
      '',
      FENCE + 'python',
      'print(3)',
      FENCE,
      '~~~output',
      '~~~',
    );
    const outputs = [rec('1'), rec('2\n\n  two', [3], 2), rec('```\n3')];
    const once = record(source, outputs);
    const twice = record(once, outputs);
    expect(twice).toBe(once);
    expect(recordedOf(once)).toEqual(outputs);
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'update-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('replaces the file content and leaves no temporary file', async () => {
    const sub = await mkdtemp(join(dir, 'ok-'));
    const path = join(sub, 'page.mdx');
    await writeFile(path, 'old content\n');
    await writeFileAtomic(path, 'new content π\r\n');
    expect(await readFile(path, 'utf8')).toBe('new content π\r\n');
    expect(await readdir(sub)).toEqual(['page.mdx']);
  });

  test('creates a file that did not exist', async () => {
    const sub = await mkdtemp(join(dir, 'new-'));
    await writeFileAtomic(join(sub, 'fresh.mdx'), 'x');
    expect(await readdir(sub)).toEqual(['fresh.mdx']);
  });

  test('removes its temporary file and throws when the rename fails', async () => {
    const sub = await mkdtemp(join(dir, 'fail-'));
    // A non-empty directory where the file should go: rename(2) of a file onto it fails.
    await mkdir(join(sub, 'page.mdx'));
    await writeFile(join(sub, 'page.mdx', 'keep'), '');
    await expect(writeFileAtomic(join(sub, 'page.mdx'), 'text')).rejects.toThrow();
    expect(await readdir(sub)).toEqual(['page.mdx']);
  });

  test('throws and writes nothing when the folder is not writable', async () => {
    if (process.getuid?.() === 0) {
      // root ignores permission bits: check a missing folder instead.
      await expect(writeFileAtomic(join(dir, 'missing', 'page.mdx'), 'text')).rejects.toThrow(/ENOENT/);
      return;
    }
    const sub = await mkdtemp(join(dir, 'ro-'));
    await chmod(sub, 0o555);
    await expect(writeFileAtomic(join(sub, 'page.mdx'), 'text')).rejects.toThrow(/EACCES/);
    expect(await readdir(sub)).toEqual([]);
  });
  test.each([0o640, 0o600, 0o755, 0o444])('keeps the permission bits of the file it replaces (%o)', async (mode) => {
    const sub = await mkdtemp(join(dir, 'mode-'));
    const path = join(sub, 'page.mdx');
    await writeFile(path, 'old');
    await chmod(path, mode);
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o7777).toBe(mode);
  });

  test('keeps the owner of the file it replaces when it may (as root), else the writer owns it as with any new file', async () => {
    const sub = await mkdtemp(join(dir, 'owner-'));
    const path = join(sub, 'page.mdx');
    await writeFile(path, 'old');
    const root = process.getuid?.() === 0;
    if (root) await chown(path, 65534, 65534); // nobody: a contributor's file that root rewrites
    const before = await stat(path);
    await writeFileAtomic(path, 'new');
    const after = await stat(path);
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
  });

  test.each([
    ['absolute', (target: string) => target],
    ['relative', () => join('..', 'real', 'page.mdx')],
  ])('writes through a symlink (%s) to its target, and the link stays a link', async (_kind, linkTo) => {
    const sub = await mkdtemp(join(dir, 'link-'));
    await mkdir(join(sub, 'real'));
    await mkdir(join(sub, 'content'));
    const target = join(sub, 'real', 'page.mdx');
    const link = join(sub, 'content', 'page.mdx');
    await writeFile(target, 'old');
    await chmod(target, 0o640);
    await symlink(linkTo(target), link);
    await writeFileAtomic(link, 'new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(linkTo(target));
    expect(await readFile(target, 'utf8')).toBe('new');
    expect((await stat(target)).mode & 0o7777).toBe(0o640);
    // The temporary file was made beside the target (same file system), and is gone.
    expect(await readdir(join(sub, 'real'))).toEqual(['page.mdx']);
    expect(await readdir(join(sub, 'content'))).toEqual(['page.mdx']);
  });

  test('with unchangedSince, replaces nothing when the file holds other bytes', async () => {
    const sub = await mkdtemp(join(dir, 'since-'));
    const path = join(sub, 'page.mdx');
    await writeFile(path, 'saved by the editor');
    await expect(writeFileAtomic(path, 'new', { unchangedSince: Buffer.from('read at the start') })).rejects.toThrow(/changed while/);
    expect(await readFile(path, 'utf8')).toBe('saved by the editor');
    expect(await readdir(sub)).toEqual(['page.mdx']);
    await writeFileAtomic(path, 'new', { unchangedSince: Buffer.from('saved by the editor') });
    expect(await readFile(path, 'utf8')).toBe('new');
  });
});

describe('writeUpdates: the file as it is when writing', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'update-write-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const START = mdx(
    '# Page',
    '',
    FENCE + 'python',
    'print(1)',
    FENCE,
    '',
    FENCE + 'output',
    'stale',
    FENCE,
    '',
    FENCE + 'python',
    'print(2)',
    FENCE,
  );
  /** The file, read at the start, and the edits for both blocks (new outputs "1" and "2"). */
  async function started(): Promise<{ file: string; edits: OutputEdit[] }> {
    const file = join(await mkdtemp(join(dir, 'case-')), 'page.mdx');
    await writeFile(file, START);
    const edits = blocksOf(START).map((block, i) => ({ block, output: rec(String(i + 1)) }));
    return { file, edits };
  }
  const UPDATED = mdx(
    '# Page',
    '',
    FENCE + 'python',
    'print(1)',
    FENCE,
    '',
    FENCE + 'output',
    '1',
    FENCE,
    '',
    FENCE + 'python',
    'print(2)',
    FENCE,
    '',
    FENCE + 'output',
    '2',
    FENCE,
  );

  test('writes the edits into an unchanged file', async () => {
    const { file, edits } = await started();
    expect(await writeUpdates(file, START, edits)).toEqual({ written: true, problems: [] });
    expect(await readFile(file, 'utf8')).toBe(UPDATED);
  });

  test('keeps a save made meanwhile that moved the examples (prose added above, a block added between them)', async () => {
    const { file, edits } = await started();
    const saved = mdx(
      '# Page',
      '',
      'A new paragraph.',
      '',
      FENCE + 'python',
      'print(1)',
      FENCE,
      '',
      FENCE + 'output',
      'stale',
      FENCE,
      '',
      FENCE + 'python',
      'print("new")',
      FENCE,
      '',
      FENCE + 'python',
      'print(2)',
      FENCE,
    );
    await writeFile(file, saved);
    expect(await writeUpdates(file, START, edits)).toEqual({ written: true, problems: [] });
    expect(await readFile(file, 'utf8')).toBe(
      mdx(
        '# Page',
        '',
        'A new paragraph.',
        '',
        FENCE + 'python',
        'print(1)',
        FENCE,
        '',
        FENCE + 'output',
        '1',
        FENCE,
        '',
        FENCE + 'python',
        'print("new")',
        FENCE,
        '',
        FENCE + 'python',
        'print(2)',
        FENCE,
        '',
        FENCE + 'output',
        '2',
        FENCE,
      ),
    );
  });

  test.each([
    ['its code changed', START.replace('print(2)', 'print(22)'), 11],
    ['its meta changed', START.replace(FENCE + 'python\nprint(2)', FENCE + 'python timeout=2s\nprint(2)'), 11],
    ['its output fence was edited by hand', START.replace('stale', 'typed by hand'), 3],
    ['a second block with the same code appeared', START + mdx('', FENCE + 'python', 'print(2)', FENCE), 11],
    ['it was deleted', mdx('# Page', '', FENCE + 'python', 'print(1)', FENCE, '', FENCE + 'output', 'stale', FENCE), 11],
  ])('writes nothing when an edited example changed meanwhile: %s', async (_case, saved, line) => {
    const { file, edits } = await started();
    await writeFile(file, saved);
    const outcome = await writeUpdates(file, START, edits);
    expect(outcome).toEqual({
      written: false,
      problems: [
        {
          file,
          line,
          message:
            'the file changed while its examples ran, and so did this example (its code, meta or output fence); nothing was written: run the update again',
        },
      ],
    });
    expect(await readFile(file, 'utf8')).toBe(saved);
  });

  test('accepts an output fence that another update already set to the same output', async () => {
    const { file, edits } = await started();
    await writeFile(file, START.replace('stale', '1'));
    expect(await writeUpdates(file, START, edits)).toEqual({ written: true, problems: [] });
    expect(await readFile(file, 'utf8')).toBe(UPDATED);
  });

  test('writes nothing when the saved file has a content error', async () => {
    const { file, edits } = await started();
    const saved = START.replace('# Page', '# Page\n\n```output\norphan\n```');
    await writeFile(file, saved);
    const outcome = await writeUpdates(file, START, edits);
    expect(outcome.written).toBe(false);
    expect(outcome.problems[0]!.message).toMatch(
      /^the file changed while its examples ran, and it has a content error now \(an output fence must come right after a python fence.*\); nothing was written: run the update again$/,
    );
    expect(await readFile(file, 'utf8')).toBe(saved);
  });

  test('writes nothing when the file was deleted meanwhile', async () => {
    const { file, edits } = await started();
    await rm(file);
    const outcome = await writeUpdates(file, START, edits);
    expect(outcome.written).toBe(false);
    expect(outcome.problems).toEqual([
      {
        file,
        line: 3,
        message:
          'the file changed while its examples ran and cannot be read now: no such file or directory (ENOENT); nothing was written: run the update again',
      },
    ]);
    expect(await readdir(dirname(file))).toEqual([]);
  });

  test('writes nothing into a file that is not valid UTF-8, which rewriting would alter', async () => {
    const { file, edits } = await started();
    const bytes = Buffer.concat([Buffer.from(START.replace('# Page', '# Page ')), Buffer.from([0xff, 0x0a])]);
    await writeFile(file, bytes);
    const outcome = await writeUpdates(file, bytes.toString('utf8'), edits);
    expect(outcome.written).toBe(false);
    expect(outcome.problems[0]!.message).toBe(
      'the file is not valid UTF-8, so rewriting it would change bytes outside the output fences; nothing was written: save it as UTF-8',
    );
    expect(Buffer.compare(await readFile(file), bytes)).toBe(0);
  });

  test('keeps a byte order mark (read with readFile utf8, as verify does)', async () => {
    const { file, edits } = await started();
    await writeFile(file, BOM + START);
    const source = await readFile(file, 'utf8');
    expect(source.startsWith(BOM)).toBe(true); // Node keeps the mark when decoding
    const bomEdits = blocksOf(source).map((block, i) => ({ block, output: edits[i]!.output }));
    expect(await writeUpdates(file, source, bomEdits)).toEqual({ written: true, problems: [] });
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe(UPDATED);
  });
});
