/**
 * Update safety, as properties (fast-check) over generated MDX: LF and CRLF, with and without a
 * UTF-8 byte order mark, tabs, unicode, JSX around blocks (indented with spaces or a tab),
 * blockquotes and list items, nested fences with longer backtick runs, tilde fences, python blocks
 * with and without output fences. Applying random outputs (lines with backticks, tildes, unicode,
 * tabs; random stderr lines; status 0-255) to a random subset of blocks:
 *   - changes only the bytes of the edited output fences (or inserts one where none was);
 *   - re-extraction yields exactly the outputs written, and the code of every block unchanged;
 *   - applying the same outputs again changes nothing.
 * Concurrent edits, on real files (writeUpdates): a save that leaves the edited examples alone is
 * kept and the outputs land in it; a save that changed an edited example's code writes nothing.
 * And writeFileAtomic: a failure, a crash or a signal mid-write never leaves a truncated file, and
 * a signal (SIGINT, SIGTERM) leaves no temporary file either.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { BOM, extractExamples, type ExampleBlock } from '../../src/examples/extract.ts';
import type { RecordedOutput } from '../../src/examples/output.ts';
import {
  applyOutputEdits,
  longestRun,
  removeTemporaryFilesSync,
  temporaryFilesInFlight,
  writeFileAtomic,
  writeUpdates,
  type OutputEdit,
} from '../../src/examples/update.ts';

/** Injected file-system failures for writeFileAtomic; null means the real call. */
const fsFaults = vi.hoisted(() => ({
  writeFile: null as null | ((path: string, data: string | Uint8Array) => Promise<void>),
  rename: null as null | ((from: string, to: string) => Promise<void>),
  calls: [] as string[][],
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    writeFile: (async (path: string, data: string | Uint8Array, ...rest: unknown[]) => {
      fsFaults.calls.push(['writeFile', String(path)]);
      if (fsFaults.writeFile) return fsFaults.writeFile(String(path), data);
      return (real.writeFile as (...args: unknown[]) => Promise<void>)(path, data, ...rest);
    }) as typeof real.writeFile,
    rename: (async (from: string, to: string) => {
      fsFaults.calls.push(['rename', String(from), String(to)]);
      if (fsFaults.rename) return fsFaults.rename(String(from), String(to));
      return real.rename(from, to);
    }) as typeof real.rename,
  };
});

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const chars = (text: string) => Array.from(text); // code points, so 🐍 stays whole
const LETTERS = chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüßçøπλжш中文日本語');
/** Prose: no `{ } < >` (MDX expressions and JSX) and no line-leading markdown markers. */
const PROSE_CHARS = [...LETTERS, ...chars(' \t.,;:!?()[]\'"-=+/0123456789 é🐍\u00a0→')];
/** Code and output: anything a terminal can show, including fence characters and MDX syntax. */
const TEXT_CHARS = [...LETTERS, ...chars(' \t`~`~{}<>#>-*_\\/|"\'=+0123456789🐍👩‍💻\u00a0\u2028\u0085\u200b\u0301é中')];

const proseLine = fc
  .tuple(fc.constantFrom(...LETTERS), fc.array(fc.constantFrom(...PROSE_CHARS), { maxLength: 40 }))
  .map(([first, rest]) => first + rest.join(''));
const prose = fc.array(proseLine, { minLength: 1, maxLength: 3 }).map((lines) => lines.join('\n'));

const SPECIAL_LINES = [
  '',
  ' ',
  '\t',
  '```',
  '````',
  '~~~',
  '~~~~~',
  '```python',
  '```output',
  '~~~output',
  '</Aside>',
  '<Aside>',
  '---',
  '{x}',
  '> quote',
  '- item',
  '    indented',
  '[...]',
];
const textLine = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...TEXT_CHARS), { maxLength: 24 }).map((cs) => cs.join('')) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_LINES) },
);

/** A fence of `char` long enough for `body`, plus `extra` characters. */
const fenceFor = (char: string, body: string, extra: number) => char.repeat(Math.max(3, longestRun(body, char) + 1) + extra);

interface ExampleSpec {
  kind: 'example';
  lines: string[];
  hasOutput: boolean;
}

/** A python fence, optionally followed by an output fence: lines without indentation. */
const example = fc
  .record({
    fenceChar: fc.constantFrom('`', '~'),
    extra: fc.nat({ max: 2 }),
    meta: fc.constantFrom(
      '',
      ' title="ex.py"',
      ' timeout=2s',
      ' nondeterministic',
      ' {1-2}',
      ' title="a b.py" nondeterministic',
      ' frame="none"',
    ),
    code: fc.array(textLine, { minLength: 1, maxLength: 5 }),
    output: fc.option(
      fc.record({
        fenceChar: fc.constantFrom('`', '~'),
        extra: fc.nat({ max: 2 }),
        meta: fc.constantFrom('', ' exit=1', ' stderr="1"', ' stderr="1-2" exit=255'),
        body: fc.array(textLine, { maxLength: 4 }),
        blanks: fc.integer({ min: 0, max: 2 }),
      }),
      { freq: 2 },
    ),
  })
  .map(({ fenceChar, extra, meta, code, output }): ExampleSpec => {
    const codeText = code.join('\n');
    const fence = fenceFor(fenceChar, codeText, extra);
    const lines = [`${fence}python${meta}`, ...code, fence];
    if (output) {
      const body = output.body.join('\n');
      const outFence = fenceFor(output.fenceChar, body, output.extra);
      lines.push(...Array<string>(output.blanks).fill(''), `${outFence}output${output.meta}`, ...output.body, outFence);
    }
    return { kind: 'example', lines, hasOutput: output !== null };
  });

/** Fences that are not examples: other languages, and fences holding python/output fences as text. */
const otherFence = fc.constantFrom<string[]>(
  ['````md', '```python', 'print("nested, not an example")', '```', '', '```output', 'nested', '```', '````'],
  ['~~~text', '```python', 'print(1)', '```', '~~~'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source text inside a fence, not a template
  ['```js', 'const s = `template ${1}`;', '```'],
  ['`````mdx', '````python', '```', '````', '`````'],
  ['```sh', 'python3 example.py', '```'],
  ['```text', 'Traceback (most recent call last):', '  File "example.py", line 1, in <module>', '```'],
);

/** Wrap lines in a JSX element, children indented by `indent` (blank lines stay blank). */
function wrapJsx(kind: 'Aside' | 'Tabs', indent: string, lines: string[]): string[] {
  const inner = lines.map((l) => (l === '' ? '' : indent + l));
  if (kind === 'Aside') return ['<Aside type="note">', '', ...inner, '', '</Aside>'];
  return ['<Tabs>', '<TabItem label="ü 🐍">', '', ...inner, '', '</TabItem>', '</Tabs>'];
}

/** Put lines inside a markdown container: a blockquote or a list item. */
function wrapContainer(kind: 'quote' | 'bullet' | 'ordered', lines: string[]): string[] {
  if (kind === 'quote') return lines.map((l) => (l === '' ? '>' : '> ' + l));
  const [marker, indent] = kind === 'bullet' ? ['- ', '  '] : ['1. ', '   '];
  return lines.map((l, i) => (i === 0 ? marker + l : l === '' ? '' : indent + l));
}

const segment = fc.oneof(
  { weight: 3, arbitrary: prose.map((text) => ({ lines: text.split('\n'), examples: [] as ExampleSpec[] })) },
  { weight: 4, arbitrary: example.map((e) => ({ lines: e.lines, examples: [e] })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom<'Aside' | 'Tabs'>('Aside', 'Tabs'),
        fc.constantFrom('', '  ', '    ', '\t'),
        fc.array(example, { minLength: 1, maxLength: 2 }),
      )
      .map(([kind, indent, examples]) => ({
        lines: wrapJsx(
          kind,
          indent,
          examples.flatMap((e, i) => (i ? ['', ...e.lines] : e.lines)),
        ),
        examples,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<'quote' | 'bullet' | 'ordered'>('quote', 'bullet', 'ordered'), example)
      .map(([kind, e]) => ({ lines: wrapContainer(kind, e.lines), examples: [e] })),
  },
  { weight: 1, arbitrary: otherFence.map((lines) => ({ lines, examples: [] as ExampleSpec[] })) },
);

interface Doc {
  source: string;
  eol: string;
  /** The file starts with a UTF-8 byte order mark (U+FEFF). */
  bom: boolean;
  examples: ExampleSpec[];
  /** The same document after a contributor's save that leaves every example alone: a paragraph added between two parts. */
  withParagraph: string;
}

const doc: fc.Arbitrary<Doc> = fc
  .record({
    frontmatter: fc.option(proseLine.map((t) => ['---', `title: "${t.replace(/["\\]/g, '')}"`, '---'])),
    imports: fc.boolean(),
    segments: fc.array(segment, { minLength: 1, maxLength: 6 }),
    eol: fc.constantFrom('\n', '\r\n'),
    finalEol: fc.boolean(),
    bom: fc.boolean(),
    paragraph: prose,
    paragraphAt: fc.nat(),
  })
  .map(({ frontmatter, imports, segments, eol, finalEol, bom, paragraph, paragraphAt }) => {
    const head: string[][] = [];
    if (frontmatter) head.push(frontmatter);
    if (imports) head.push(["import { Aside, Tabs, TabItem } from '@astrojs/starlight/components';"]);
    const body = segments.map((s) => s.lines);
    const render = (parts: string[][]) =>
      (bom ? BOM : '') + (parts.map((p) => p.join('\n')).join('\n\n') + (finalEol ? '\n' : '')).replace(/\n/g, eol);
    const at = paragraphAt % (body.length + 1);
    return {
      source: render([...head, ...body]),
      eol,
      bom,
      examples: segments.flatMap((s) => s.examples),
      withParagraph: render([...head, ...body.slice(0, at), paragraph.split('\n'), ...body.slice(at)]),
    };
  });

/** A transcript as the runner produces one: lines of text, stderr lines among them, a status. */
const recordedOutput: fc.Arbitrary<RecordedOutput> = fc
  .record({
    lines: fc.array(textLine, { maxLength: 6 }),
    exitStatus: fc.integer({ min: 0, max: 255 }),
    stderrSeed: fc.array(fc.boolean(), { maxLength: 6 }),
  })
  .map(({ lines, exitStatus, stderrSeed }) => {
    const text = lines.join('\n');
    const count = text === '' ? 0 : text.split('\n').length;
    const stderrLines = stderrSeed.flatMap((on, i) => (on && i < count ? [i + 1] : []));
    return { text, stderrLines, exitStatus };
  });

/** A document, and for each of its examples either a new output or null (not edited). */
const docWithEdits = doc.chain((d) =>
  fc.tuple(
    fc.constant(d),
    fc.array(fc.option(recordedOutput, { freq: 3 }), { minLength: d.examples.length, maxLength: d.examples.length }),
  ),
);

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

function extractOk(source: string): ExampleBlock[] {
  const { blocks, problems } = extractExamples('doc.mdx', source);
  if (problems.length) throw new Error(`extraction problems: ${JSON.stringify(problems)}\n--- source ---\n${source}`);
  return blocks;
}

/** The edited ranges of `source`: each edited block's output fence, or its insertion point. */
function editedRanges(blocks: ExampleBlock[], edited: boolean[]): [number, number][] {
  return blocks.flatMap((b, i) =>
    edited[i] ? [b.output ? ([b.output.start, b.output.end] as [number, number]) : ([b.codeEnd, b.codeEnd] as [number, number])] : [],
  );
}

/** `text` with each range replaced by the matching string of `with_`. */
function replaceRanges(text: string, ranges: [number, number][], with_: string[]): string {
  let out = '';
  let at = 0;
  ranges.forEach(([start, end], i) => {
    out += text.slice(at, start) + with_[i];
    at = end;
  });
  return out + text.slice(at);
}

const RUNS = Number(process.env.FC_RUNS ?? 300);

describe('applyOutputEdits on generated MDX (fast-check)', () => {
  test('the generator produces valid documents with the examples it planned', () => {
    fc.assert(
      fc.property(doc, (d) => {
        const blocks = extractOk(d.source);
        expect(blocks.map((b) => b.output !== null)).toEqual(d.examples.map((e) => e.hasOutput));
      }),
      { numRuns: RUNS },
    );
  });

  test('changes only the bytes of the edited output fences, reads back exactly what was written, and is idempotent', () => {
    fc.assert(
      fc.property(docWithEdits, ([d, outputs]) => {
        const before = extractOk(d.source);
        expect(before).toHaveLength(outputs.length);
        const edited = outputs.map((o) => o !== null);
        const edits: OutputEdit[] = before.flatMap((block, i) => (outputs[i] ? [{ block, output: outputs[i]! }] : []));
        const updated = applyOutputEdits(d.source, edits);

        const after = extractOk(updated);
        expect(after).toHaveLength(before.length);
        // Code, meta and unedited outputs unchanged; edited outputs read back exactly.
        after.forEach((block, i) => {
          expect(block.code).toBe(before[i]!.code);
          expect(block.rawMeta).toBe(before[i]!.rawMeta);
          expect(block.linePrefix).toBe(before[i]!.linePrefix);
          expect(block.output?.recorded ?? null).toEqual(outputs[i] ?? before[i]!.output?.recorded ?? null);
        });

        // Outside the edited fences, byte for byte the same: put the old fences back into the new
        // text (an inserted fence, with the blank line before it, becomes nothing again).
        const newRanges = after.flatMap((b, i) => {
          if (!edited[i]) return [];
          const old = before[i]!;
          return [[old.output ? b.output!.start : b.codeEnd, b.output!.end] as [number, number]];
        });
        const oldTexts = editedRanges(before, edited).map(([s, e]) => d.source.slice(s, e));
        expect(replaceRanges(updated, newRanges, oldTexts)).toBe(d.source);

        // An inserted fence is separated from its python fence by one blank line of the container.
        after.forEach((b, i) => {
          if (!edited[i] || before[i]!.output) return;
          const p = b.linePrefix;
          expect(updated.slice(b.codeEnd, b.output!.start)).toBe(d.eol + p.trimEnd() + d.eol + p);
        });

        // A byte order mark stays, and only at the start.
        expect(updated.startsWith(BOM)).toBe(d.bom);
        expect(updated.lastIndexOf(BOM)).toBe(d.bom ? 0 : -1);

        // Line endings: no bare LF in a CRLF file, no CR in an LF file.
        if (d.eol === '\r\n') expect(/(^|[^\r])\n/.test(updated)).toBe(false);
        else expect(updated.includes('\r')).toBe(false);

        // Idempotent.
        const again = applyOutputEdits(
          updated,
          after.flatMap((block, i) => (outputs[i] ? [{ block, output: outputs[i]! }] : [])),
        );
        expect(again).toBe(updated);
      }),
      { numRuns: RUNS },
    );
  });

  test('recording what is already recorded changes nothing', () => {
    fc.assert(
      fc.property(doc, (d) => {
        const blocks = extractOk(d.source);
        const edits = blocks.flatMap((block) => (block.output ? [{ block, output: block.output.recorded }] : []));
        const updated = applyOutputEdits(d.source, edits);
        // Fences are re-rendered in canonical form (meta order, fence length), so compare what they record.
        expect(extractOk(updated).map((b) => b.output?.recorded ?? null)).toEqual(blocks.map((b) => b.output?.recorded ?? null));
        expect(
          applyOutputEdits(
            updated,
            extractOk(updated).flatMap((block) => (block.output ? [{ block, output: block.output.recorded }] : [])),
          ),
        ).toBe(updated);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Concurrent edits: writeUpdates on real files
// ---------------------------------------------------------------------------------------------

describe('writeUpdates keeps a save made while the examples ran (fast-check, real files)', () => {
  let dir: string;
  let count = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'update-concurrent-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The edits of `outputs` on the blocks of `source` (block i gets outputs[i] unless null). */
  const editsOn = (source: string, outputs: (RecordedOutput | null)[]): OutputEdit[] =>
    extractOk(source).flatMap((block, i) => (outputs[i] ? [{ block, output: outputs[i]! }] : []));

  test('a save that left the edited examples alone (a paragraph added) is kept, and the outputs land in it as if it had been read at the start', async () => {
    await fc.assert(
      fc.asyncProperty(docWithEdits, async ([d, outputs]) => {
        const file = join(dir, `kept-${count++}.mdx`);
        await writeFile(file, d.withParagraph); // the editor's save, after the source was read
        const outcome = await writeUpdates(file, d.source, editsOn(d.source, outputs));
        expect(outcome.problems).toEqual([]);
        const expected = applyOutputEdits(d.withParagraph, editsOn(d.withParagraph, outputs));
        expect(outcome.written).toBe(expected !== d.withParagraph);
        expect(await readFile(file, 'utf8')).toBe(expected);
        // A second update with the same outputs changes nothing.
        expect((await writeUpdates(file, expected, editsOn(expected, outputs))).written).toBe(false);
        expect(await readFile(file, 'utf8')).toBe(expected);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  test("a save that changed an edited example's code writes nothing and names the example", async () => {
    await fc.assert(
      fc.asyncProperty(docWithEdits, fc.nat(), async ([d, outputs], pick) => {
        const blocks = extractOk(d.source);
        const edited = blocks.flatMap((b, i) => (outputs[i] ? [b] : []));
        fc.pre(edited.length > 0);
        const target = edited[pick % edited.length]!;
        // Add a line of code just above the python fence's closing line, inside its container.
        const closingLine = d.source.lastIndexOf('\n', target.codeEnd - 1) + 1;
        const saved = d.source.slice(0, closingLine) + target.linePrefix + 'print("changed")' + d.eol + d.source.slice(closingLine);
        expect(extractOk(saved).map((b) => b.code)).toContain(`${target.code}\nprint("changed")`);
        const file = join(dir, `changed-${count++}.mdx`);
        await writeFile(file, saved);
        const outcome = await writeUpdates(file, d.source, editsOn(d.source, outputs));
        expect(outcome.written).toBe(false);
        expect(outcome.problems).toHaveLength(1);
        expect(outcome.problems[0]!.message).toMatch(
          /^the file changed while its examples ran, .*; nothing was written: run the update again$/,
        );
        expect(await readFile(file, 'utf8')).toBe(saved);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// writeFileAtomic
// ---------------------------------------------------------------------------------------------

describe('writeFileAtomic never leaves a truncated file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'update-atomic-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    fsFaults.writeFile = null;
    fsFaults.rename = null;
    fsFaults.calls.length = 0;
  });

  const OLD = 'old content: the file as it was\r\n'.repeat(100);
  const NEW = 'new content π 🐍\n'.repeat(10_000);

  test('writes only a temporary file in the same folder, then renames it over the target', async () => {
    const sub = await mkdtemp(join(dir, 'ok-'));
    const target = join(sub, 'page.mdx');
    await writeFile(target, OLD);
    fsFaults.calls.length = 0;
    await writeFileAtomic(target, NEW);
    expect(await readFile(target, 'utf8')).toBe(NEW);
    expect(fsFaults.calls).toHaveLength(2);
    const [[op1, temporary], [op2, from, to]] = fsFaults.calls as [[string, string], [string, string, string]];
    expect(op1).toBe('writeFile');
    expect(temporary).not.toBe(target);
    expect(dirname(temporary!)).toBe(sub); // same file system: rename(2) is atomic
    expect(temporary).toMatch(/page\.mdx\.[0-9a-f]{12}\.tmp$/);
    expect([op2, from, to]).toEqual(['rename', temporary, target]);
    expect(await readdir(sub)).toEqual(['page.mdx']);
  });

  test('a write that fails halfway (disk full) leaves the old file whole and removes the partial temporary file', async () => {
    const sub = await mkdtemp(join(dir, 'enospc-'));
    const target = join(sub, 'page.mdx');
    await writeFile(target, OLD);
    const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
    fsFaults.writeFile = async (path, data) => {
      await real.writeFile(path, String(data).slice(0, String(data).length / 2));
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' });
    };
    await expect(writeFileAtomic(target, NEW)).rejects.toThrow(/ENOSPC/);
    expect(await readFile(target, 'utf8')).toBe(OLD);
    expect(await readdir(sub)).toEqual(['page.mdx']);
  });

  test('a failing rename leaves the old file whole and removes the complete temporary file', async () => {
    const sub = await mkdtemp(join(dir, 'rename-'));
    const target = join(sub, 'page.mdx');
    await writeFile(target, OLD);
    fsFaults.rename = async () => {
      throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    };
    await expect(writeFileAtomic(target, NEW)).rejects.toThrow(/EIO/);
    expect(await readFile(target, 'utf8')).toBe(OLD);
    expect(await readdir(sub)).toEqual(['page.mdx']);
  });

  test('a process killed (SIGKILL) at random moments while rewriting leaves the old or the new file, never a mix or a truncation', async () => {
    const sub = await mkdtemp(join(dir, 'kill-'));
    const target = join(sub, 'page.mdx');
    const A = 'a'.repeat(6 * 2 ** 20);
    const B = 'b'.repeat(4 * 2 ** 20) + '\n';
    await writeFile(target, A);
    const updateModule = pathToFileURL(fileURLToPath(new URL('../../src/examples/update.ts', import.meta.url))).href;
    // The child rewrites the file with A and B in turn, forever; it is killed mid-way.
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(updateModule)});
      const target = ${JSON.stringify(target)};
      const A = 'a'.repeat(${A.length}), B = 'b'.repeat(${B.length - 1}) + '\\n';
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) await writeFileAtomic(target, i % 2 ? A : B);
    `;
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 60)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const content = await readFile(target, 'utf8');
      expect(content === A || content === B).toBe(true);
      // Anything else left behind is one of its own temporary files, never the target.
      for (const name of await readdir(sub)) {
        if (name !== 'page.mdx') expect(name).toMatch(/^page\.mdx\.[0-9a-f]{12}\.tmp$/);
      }
    }
  });

  test('a temporary file is registered while it exists; removing it (as the signal handler does) fails the write and leaves the old file', async () => {
    const sub = await mkdtemp(join(dir, 'registry-'));
    const target = join(sub, 'page.mdx');
    await writeFile(target, OLD);
    expect(temporaryFilesInFlight()).toEqual([]);
    const writing = writeFileAtomic(target, NEW);
    // Wait, without a timer, until the write has created its temporary file.
    while (temporaryFilesInFlight().length === 0) await new Promise((r) => setImmediate(r));
    const [temporary] = temporaryFilesInFlight();
    expect(dirname(temporary!)).toBe(sub);
    expect(await readdir(sub)).toEqual(['page.mdx', basename(temporary!)].sort());
    expect(removeTemporaryFilesSync()).toEqual([temporary]);
    expect(await readdir(sub)).toEqual(['page.mdx']);
    // Whichever step the write was at, it cannot re-create the file it lost, nor rename it.
    await expect(writing).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(target, 'utf8')).toBe(OLD);
    expect(await readdir(sub)).toEqual(['page.mdx']);
    expect(temporaryFilesInFlight()).toEqual([]);
  });

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'a process stopped by %s at random moments while rewriting exits %i and leaves the old or the new file and no temporary file',
    async (signal, status) => {
      const sub = await mkdtemp(join(dir, `${signal}-`));
      const target = join(sub, 'page.mdx');
      const A = 'a'.repeat(6 * 2 ** 20);
      const B = 'b'.repeat(4 * 2 ** 20) + '\n';
      await writeFile(target, A);
      const updateModule = pathToFileURL(fileURLToPath(new URL('../../src/examples/update.ts', import.meta.url))).href;
      // As the CLI does: the handler removes the temporary files of writes in flight, then exits.
      const script = `
      const { exitOnSignalsWithoutTemporaryFiles, temporaryFilesInFlight, writeFileAtomic } = await import(${JSON.stringify(updateModule)});
      let inFlight = 0;
      exitOnSignalsWithoutTemporaryFiles(() => process.stdout.write('removed ' + inFlight + '\\n'));
      process.prependListener(${JSON.stringify(signal)}, () => { inFlight = temporaryFilesInFlight().length; });
      const target = ${JSON.stringify(target)};
      const A = 'a'.repeat(${A.length}), B = 'b'.repeat(${B.length - 1}) + '\\n';
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) await writeFileAtomic(target, i % 2 ? A : B);
    `;
      let caughtInFlight = 0;
      for (let round = 0; round < 6; round++) {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        await new Promise<void>((resolve, reject) => {
          child.stdout.once('data', () => resolve());
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
        });
        await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 60)));
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        child.kill(signal);
        expect(await exited).toBe(status);
        const content = await readFile(target, 'utf8');
        expect(content === A || content === B).toBe(true);
        expect(await readdir(sub)).toEqual(['page.mdx']);
        if (/removed 1/.test(stdout)) caughtInFlight++;
      }
      // The child rewrites without pause, so nearly every signal lands while a temporary file exists.
      expect(caughtInFlight).toBeGreaterThan(0);
    },
  );
});
