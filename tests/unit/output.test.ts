import { describe, expect, test } from 'vitest';
import { MetaError } from '../../src/examples/meta.ts';
import {
  formatLineRanges,
  formatOutputMeta,
  parseLineRanges,
  readOutputFence,
  transcriptFromChunks,
  type OutputChunk,
} from '../../src/examples/output.ts';

const out = (text: string): OutputChunk => ({ stream: 'stdout', text });
const err = (text: string): OutputChunk => ({ stream: 'stderr', text });

describe('transcriptFromChunks', () => {
  test('interleaves streams in write order and numbers the stderr lines', () => {
    const t = transcriptFromChunks([out('first\n'), err('Traceback\n  boom\n'), out('last\n')], 1);
    expect(t).toEqual({ text: 'first\nTraceback\n  boom\nlast', stderrLines: [2, 3], exitStatus: 1 });
  });

  test('gives an empty transcript when nothing was written', () => {
    expect(transcriptFromChunks([], 0)).toEqual({ text: '', stderrLines: [], exitStatus: 0 });
  });

  test('drops exactly one final newline', () => {
    expect(transcriptFromChunks([out('a\n')], 0).text).toBe('a');
    expect(transcriptFromChunks([out('a\n\n')], 0).text).toBe('a\n');
    expect(transcriptFromChunks([out('a\n\n\n')], 0).text).toBe('a\n\n');
  });

  test('keeps a final partial line as it is', () => {
    expect(transcriptFromChunks([out('a\nb')], 0).text).toBe('a\nb');
  });

  test('marks a stderr line that ends the output without counting the dropped newline as a line', () => {
    expect(transcriptFromChunks([out('ok\n'), err('error\n')], 1)).toEqual({
      text: 'ok\nerror',
      stderrLines: [2],
      exitStatus: 1,
    });
  });

  test('marks blank stderr lines inside the output', () => {
    expect(transcriptFromChunks([err('a\n\nb\n')], 1).stderrLines).toEqual([1, 2, 3]);
  });

  test('counts a line holding both streams as a stderr line', () => {
    // print("x", end=""); sys.stdout.flush(); print("E", file=sys.stderr); print("y")
    const t = transcriptFromChunks([out('x'), err('E\n'), out('y\n')], 0);
    expect(t.text).toBe('xE\ny');
    expect(t.stderrLines).toEqual([1]);
  });

  test('marks the line a stderr write starts on even when stdout ends it', () => {
    const t = transcriptFromChunks([out('a\n'), err('warn: '), out('b\n'), out('c\n')], 0);
    expect(t.text).toBe('a\nwarn: b\nc');
    expect(t.stderrLines).toEqual([2]);
  });

  test('does not mark the stdout line that follows a stderr newline', () => {
    const t = transcriptFromChunks([err('E\n'), out('x\n')], 0);
    expect(t.stderrLines).toEqual([1]);
  });

  test('joins many small writes to one stream into the same line', () => {
    const chunks = [...'hello'].map(out).concat(out('\n'));
    expect(transcriptFromChunks(chunks, 0)).toEqual({ text: 'hello', stderrLines: [], exitStatus: 0 });
  });

  test('keeps every other character: tabs, trailing spaces, non-ASCII', () => {
    const t = transcriptFromChunks([out('\tindent  \nπ ≈ 3.14 \uFFFD\n')], 0);
    expect(t.text).toBe('\tindent  \nπ ≈ 3.14 \uFFFD');
  });

  test('shows control characters as Control Pictures, since a fence cannot hold a bare CR', () => {
    const t = transcriptFromChunks([out('50%\r100%\n\x1b[1mbold\x7f\n')], 0);
    expect(t.text).toBe('50%␍100%\n␛[1mbold␡');
  });

  test('counts lines by code point, so astral characters do not shift line numbers', () => {
    const t = transcriptFromChunks([out('🐍🐍\n'), err('E\n')], 1);
    expect(t.text).toBe('🐍🐍\nE');
    expect(t.stderrLines).toEqual([2]);
  });

  test('passes the exit status through', () => {
    expect(transcriptFromChunks([], 130).exitStatus).toBe(130);
  });
});

describe('line ranges', () => {
  test.each([
    ['5', [5]],
    ['1-3', [1, 2, 3]],
    ['1-3,5', [1, 2, 3, 5]],
    [' 2 , 4-5 ', [2, 4, 5]],
    ['7,1-2,2', [1, 2, 7]],
    ['3-3', [3]],
    ['', []],
  ])('parses %j', (spec, lines) => {
    expect(parseLineRanges(spec)).toEqual(lines);
  });

  test.each([
    [[], ''],
    [[4], '4'],
    [[1, 2], '1-2'],
    [[1, 2, 3, 5], '1-3,5'],
    [[1, 3, 5], '1,3,5'],
    [[2, 3, 4, 8, 9, 11], '2-4,8-9,11'],
  ])('formats %j compactly as %j', (lines, spec) => {
    expect(formatLineRanges(lines)).toBe(spec);
  });

  test.each([[[1]], [[1, 2, 3, 4]], [[2, 5, 6, 7, 10, 12, 13]], [Array.from({ length: 40 }, (_, i) => 3 * i + 1)]])(
    'round-trips %j through format and parse',
    (lines) => {
      expect(parseLineRanges(formatLineRanges(lines))).toEqual(lines);
    },
  );

  test.each(['0', '3-1', 'a', '1-', '-2', '1..3', '2-0'])('rejects the range %j', (spec) => {
    expect(() => parseLineRanges(spec)).toThrow(MetaError);
    expect(() => parseLineRanges(spec)).toThrow(`bad line range`);
  });

  test('names the bad part and the whole spec in the error', () => {
    expect(() => parseLineRanges('1-2,5-3')).toThrowErrorMatchingInlineSnapshot(
      `[MetaError: bad line range "5-3" in stderr="1-2,5-3": expected N or N-M, e.g. stderr="2-4,7"]`,
    );
  });
});

describe('readOutputFence', () => {
  test('reads a fence without meta as stdout only with status 0', () => {
    expect(readOutputFence(null, 'a\nb')).toEqual({ text: 'a\nb', stderrLines: [], exitStatus: 0 });
    expect(readOutputFence('', '')).toEqual({ text: '', stderrLines: [], exitStatus: 0 });
  });

  test('reads stderr lines and the exit status', () => {
    expect(readOutputFence('stderr="2-4,6" exit=1', 'x')).toEqual({ text: 'x', stderrLines: [2, 3, 4, 6], exitStatus: 1 });
    expect(readOutputFence('exit=255', '')).toEqual({ text: '', stderrLines: [], exitStatus: 255 });
  });

  test.each([
    ['exit=256', 'bad value for "exit"'],
    ['exit=-1', 'bad value for "exit"'],
    ['exit=one', 'bad value for "exit"'],
    ['exit="1.5"', 'bad value for "exit"'],
    ['exit', 'bad value for "exit"'],
    ['stderr', 'bad value for "stderr"'],
    ['stderr="0"', 'bad line range "0"'],
    ['stderr="2-1"', 'bad line range "2-1"'],
    ['title="out.txt"', 'unknown output fence meta "title"'],
    ['exit=1 exit=2', 'duplicate meta key "exit"'],
    ['stderr="1', 'unterminated "'],
  ])('rejects the meta %j', (meta, message) => {
    expect(() => readOutputFence(meta, 'x')).toThrow(MetaError);
    expect(() => readOutputFence(meta, 'x')).toThrow(message);
  });

  test('explains the allowed keys for an unknown one', () => {
    expect(() => readOutputFence('exitcode=1', '')).toThrowErrorMatchingInlineSnapshot(
      `[MetaError: unknown output fence meta "exitcode": output fences take only stderr="…", exit=N and python=3.N, which --update writes]`,
    );
  });
});

describe('formatOutputMeta', () => {
  test.each([
    [{ text: 'ok', stderrLines: [], exitStatus: 0 }, ''],
    [{ text: '', stderrLines: [], exitStatus: 1 }, 'exit=1'],
    [{ text: 'a\nb\nc', stderrLines: [2, 3], exitStatus: 0 }, 'stderr="2-3"'],
    [{ text: 'a\nb\nc\nd', stderrLines: [1, 3, 4], exitStatus: 130 }, 'stderr="1,3-4" exit=130'],
  ])('writes %j as %j and reads back the same transcript', (output, meta) => {
    expect(formatOutputMeta(output)).toBe(meta);
    expect(readOutputFence(meta, output.text)).toEqual(output);
  });
});
