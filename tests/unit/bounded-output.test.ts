/**
 * What the live output panel keeps of a large output (src/client/bounded-output.ts), the bounded
 * diff (src/client/bounded-diff.ts) and the exercise token filter (src/components/exercise-check.ts):
 * checked against the whole text, on outputs the size of `for i in range(200_000): print(i)`.
 */
import { describe, expect, test } from 'vitest';
import { boundedDiff } from '../../src/client/bounded-diff.ts';
import {
  BoundedOutput,
  fastTranscript,
  formatBytes,
  groupDigits,
  HEAD_LINES,
  hiddenNote,
  TAIL_LINES,
} from '../../src/client/bounded-output.ts';
import { composeCheckedRun, newCheckToken, TokenFilter, TOKEN_PREFIX } from '../../src/components/exercise-check.ts';
import { diffOutputs } from '../../src/examples/compare.ts';
import { type OutputChunk, transcriptFromChunks } from '../../src/examples/output.ts';

const join = (chunks: readonly OutputChunk[]) => chunks.map((c) => c.text).join('');

/** The chunks `for i in range(n): print(i)` writes (one per line, as line-buffered stdout does). */
const printLoop = (n: number): OutputChunk[] => Array.from({ length: n }, (_, i) => ({ stream: 'stdout', text: `${i}\n` }));

describe('BoundedOutput', () => {
  test('200,000 lines: head and tail are the first and last lines, the rest is counted', () => {
    const output = new BoundedOutput();
    const chunks = printLoop(200_000);
    for (const chunk of chunks) output.push(chunk);
    const all = join(chunks);
    const head = join(output.head);
    const tail = join(output.tail);
    expect(head.split('\n').length - 1).toBe(HEAD_LINES);
    expect(tail.split('\n').length - 1).toBe(TAIL_LINES);
    expect(all.startsWith(head)).toBe(true);
    expect(all.endsWith(tail)).toBe(true);
    expect(head.length + output.hiddenChars + tail.length).toBe(all.length);
    expect(output.hiddenLines).toBe(200_000 - HEAD_LINES - TAIL_LINES);
    expect(hiddenNote(output)).toBe(`… 199,700 lines hidden (${formatBytes(output.hiddenChars)} of text); the verdict uses all of it …`);
  });

  test('a short output is kept whole, streams apart', () => {
    const output = new BoundedOutput();
    const chunks: OutputChunk[] = [
      { stream: 'stdout', text: 'a\n' },
      { stream: 'stderr', text: 'Traceback\n' },
      { stream: 'stdout', text: 'b' },
    ];
    for (const chunk of chunks) output.push(chunk);
    expect(output.head).toEqual(chunks);
    expect(output.tail).toEqual([]);
    expect(output.truncated).toBe(false);
  });

  test('one huge line is cut by characters at both ends', () => {
    const output = new BoundedOutput({ headChars: 100, tailChars: 50 });
    const text = 'x'.repeat(10_000);
    for (let i = 0; i < text.length; i += 999) output.push({ stream: 'stderr', text: text.slice(i, i + 999) });
    expect(join(output.head)).toBe('x'.repeat(100));
    expect(join(output.tail)).toBe('x'.repeat(50));
    expect(output.hiddenChars).toBe(10_000 - 150);
    expect(output.hiddenLines).toBe(0);
    expect(hiddenNote(output)).toMatch(/^… 9,850 characters hidden/);
  });

  test('mixed streams: head + hidden + tail is the whole output, in order', () => {
    const output = new BoundedOutput({ headLines: 3, tailLines: 4 });
    const chunks: OutputChunk[] = [];
    for (let i = 0; i < 50; i++) chunks.push({ stream: i % 3 === 0 ? 'stderr' : 'stdout', text: `line ${i}\n${i % 5 ? 'more ' : ''}` });
    for (const chunk of chunks) output.push(chunk);
    const all = join(chunks);
    expect(all.startsWith(join(output.head))).toBe(true);
    expect(all.endsWith(join(output.tail))).toBe(true);
    expect(join(output.head).length + output.hiddenChars + join(output.tail).length).toBe(all.length);
    expect(output.tail.every((piece, i) => piece.stream === chunks[chunks.length - output.tail.length + i]!.stream)).toBe(true);
  });

  test('keptLines counts the newlines of head and tail, not the hidden ones', () => {
    const output = new BoundedOutput({ headLines: 3, tailLines: 4 });
    output.push({ stream: 'stdout', text: 'a\nb\n' });
    expect(output.keptLines).toBe(2);
    for (const chunk of printLoop(1000)) output.push(chunk);
    expect(output.keptLines).toBe(3 + 4);
    expect(join(output.head).split('\n').length - 1 + join(output.tail).split('\n').length - 1).toBe(output.keptLines);
  });
});

describe('groupDigits', () => {
  test("writes counts as toLocaleString('en') does", () => {
    const counts = [0, 7, 99, 999, 1000, 9999, 12_345, 100_000, 999_999, 1_000_000, 1_234_567_890, Number.MAX_SAFE_INTEGER];
    expect(counts.map(groupDigits)).toEqual(counts.map((n) => n.toLocaleString('en')));
    expect(groupDigits(1_288_890)).toBe('1,288,890');
  });
});

describe('formatBytes', () => {
  test('bytes, KiB, MiB', () => {
    expect([0, 1, 1023, 1024, 1536, 1024 * 1024, 5 * 1024 * 1024 + 1].map(formatBytes)).toEqual([
      '0 bytes',
      '1 byte',
      '1023 bytes',
      '1.0 KiB',
      '1.5 KiB',
      '1.0 MiB',
      '5.0 MiB',
    ]);
  });
});

describe('fastTranscript', () => {
  test('agrees with transcriptFromChunks (streams, control characters, final newline)', () => {
    const cases: OutputChunk[][] = [
      [],
      [{ stream: 'stdout', text: 'a\nb\n' }],
      [
        { stream: 'stdout', text: 'partial' },
        { stream: 'stderr', text: 'Traceback\n  x\n' },
        { stream: 'stdout', text: '\x1b[0m\r\n' },
      ],
      [
        { stream: 'stderr', text: '\n' },
        { stream: 'stderr', text: 'x' },
        { stream: 'stdout', text: 'y\n\n' },
        { stream: 'stderr', text: 'z' },
      ],
      printLoop(1000),
    ];
    for (const chunks of cases) {
      for (const status of [0, 1]) expect(fastTranscript(chunks, status)).toEqual(transcriptFromChunks(chunks, status));
    }
  });
});

describe('boundedDiff', () => {
  const recorded = { text: '0\n1\n2', stderrLines: [], exitStatus: 0 };
  test('a short output is diffed whole, as diffOutputs does', () => {
    const actual = { text: '0\n1\n3', stderrLines: [], exitStatus: 0 };
    expect(boundedDiff('x.mdx:1', recorded, actual, { ellipsis: false })).toEqual({
      diff: diffOutputs('x.mdx:1', recorded, actual, { ellipsis: false }),
      omittedLines: 0,
    });
  });
  test('200,000 lines against three: the run is cut past the record, and the count left out is given', () => {
    const actual = fastTranscript(printLoop(200_000), 0);
    const { diff, omittedLines } = boundedDiff('x.mdx:1', recorded, actual, { ellipsis: false }, 10);
    expect(omittedLines).toBe(200_000 - 13);
    expect(diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'))).toHaveLength(10); // lines 3 to 12
    expect(diff).toContain('+12\n');
    expect(diff).not.toContain('+13\n');
  });
});

describe('exercise check token', () => {
  const original =
    'def f():\n    return 1\n# ---- check: runs after your code; leave it as it is ----\nassert f() == 2, "f() should return 2"\nprint("PASS: f")';
  test("the run is the reader's part, the original check, then the token line", () => {
    const token = newCheckToken();
    expect(token).toMatch(new RegExp(`^${TOKEN_PREFIX}[0-9a-f]{32}$`));
    expect(newCheckToken()).not.toBe(token);
    const edited = original.replace('return 1', 'return 2').replace('"f() should return 2"', '"changed"');
    const run = composeCheckedRun(edited, original, token)!;
    expect(run.code.startsWith('def f():\n    return 2\n# ---- check')).toBe(true);
    expect(run.code).toContain('"f() should return 2"');
    expect(run.code).not.toContain('"changed"');
    expect(run.code.trimEnd().split('\n').at(-1)).toContain(token);
    expect(run.checkReplaced).toBe(true);
    expect(composeCheckedRun(original, original, token)!.checkReplaced).toBe(false);
    // The marker deleted: all of the text is the reader's part, and the check is appended anyway.
    const bypass = composeCheckedRun('print("PASS: f")', original, token)!;
    expect(bypass.code.startsWith('print("PASS: f")\n# ---- check')).toBe(true);
    expect(composeCheckedRun('print(1)', 'print(1)', token)).toBeNull();
  });

  test('the filter removes the token line split anywhere, and only it', () => {
    const token = newCheckToken();
    const stream = `PASS: f\n${token}\nafter \u2063 x\n`;
    for (let cut = 0; cut <= stream.length; cut++) {
      const filter = new TokenFilter(token);
      const shown = filter.push(stream.slice(0, cut)) + filter.push(stream.slice(cut)) + filter.end();
      expect(shown).toBe('PASS: f\nafter \u2063 x\n');
      expect(filter.found).toBe(true);
    }
    const other = new TokenFilter(token);
    expect(other.push(`${TOKEN_PREFIX}${'0'.repeat(32)}\n`) + other.end()).toBe(`${TOKEN_PREFIX}${'0'.repeat(32)}\n`);
    expect(other.found).toBe(false);
  });
});
