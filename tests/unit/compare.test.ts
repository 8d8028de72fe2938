import { describe, expect, test } from 'vitest';
import { diffOutputs, outputsMatch, showWhitespace, STDERR_MARK, transcriptLines } from '../../src/examples/compare.ts';
import type { RecordedOutput } from '../../src/examples/output.ts';

const rec = (text: string, stderrLines: number[] = [], exitStatus = 0): RecordedOutput => ({ text, stderrLines, exitStatus });

/** The `-`/`+` lines of a patch, without its `---`/`+++` headers. */
function changedLines(patch: string): string[] {
  return patch.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
}

describe('showWhitespace', () => {
  test.each([
    ['trailing spaces become middle dots', 'total: 3  ', 'total: 3··'],
    ['inner spaces stay spaces', 'a b  c', 'a b  c'],
    ['tabs become arrows', '\tindented\tcolumn', '→indented→column'],
    ['a carriage return becomes ␍', '50%\r100%', '50%␍100%'],
    ['a no-break space becomes ⍽', 'a\u00a0b', 'a⍽b'],
    ['a line of spaces is all dots', '   ', '···'],
    ['a tab before trailing spaces', 'x\t  ', 'x→··'],
  ])('%s', (_case, line, shown) => {
    expect(showWhitespace(line)).toBe(shown);
  });
});

describe('transcriptLines', () => {
  test('marks stderr lines and ends with the exit status', () => {
    expect(transcriptLines(rec('before\nTraceback\nError', [2, 3], 1))).toEqual([
      'before',
      `${STDERR_MARK}Traceback`,
      `${STDERR_MARK}Error`,
      '[exit status 1]',
    ]);
  });

  test('gives only the status line for empty output', () => {
    expect(transcriptLines(rec('', [], 1))).toEqual(['[exit status 1]']);
  });
});

describe('outputsMatch', () => {
  test('matches identical transcripts', () => {
    expect(outputsMatch(rec('a\nb', [2], 1), rec('a\nb', [2], 1))).toBe(true);
  });

  test.each([
    ['text', rec('a\nb '), rec('a\nb')],
    ['stderr lines', rec('a\nb', [2]), rec('a\nb', [1])],
    ['exit status', rec('a', [], 0), rec('a', [], 1)],
  ])('does not match when only the %s differ', (_what, a, b) => {
    expect(outputsMatch(a, b)).toBe(false);
  });
});

describe('diffOutputs', () => {
  test('gives an empty string for matching outputs', () => {
    expect(diffOutputs('doc.mdx:3', rec('same', [1], 1), rec('same', [1], 1))).toBe('');
  });

  test('is a unified diff labelled with the example location, from recorded to actual', () => {
    const patch = diffOutputs('content/a.mdx:12', rec('one\ntwo\nthree'), rec('one\n2\nthree'));
    expect(patch).toMatchInlineSnapshot(`
      "--- content/a.mdx:12	recorded
      +++ content/a.mdx:12	actual
      @@ -1,4 +1,4 @@
       one
      -two
      +2
       three
       [exit status 0]"
    `);
  });

  test('makes a trailing-space difference visible', () => {
    const patch = diffOutputs('x:1', rec('result: 42'), rec('result: 42 '));
    expect(changedLines(patch)).toEqual(['-result: 42', '+result: 42·']);
  });

  test('makes a tab-versus-spaces difference visible', () => {
    const patch = diffOutputs('x:1', rec('a    b'), rec('a\tb'));
    expect(changedLines(patch)).toEqual(['-a    b', '+a→b']);
  });

  test('shows a line that moved from stdout to stderr', () => {
    const patch = diffOutputs('x:1', rec('ok\nwarning', []), rec('ok\nwarning', [2]));
    expect(changedLines(patch)).toEqual(['-warning', `+${STDERR_MARK}warning`]);
  });

  test('shows an exit-status change as a changed last line', () => {
    const patch = diffOutputs('x:1', rec('done', [], 0), rec('done', [], 1));
    expect(changedLines(patch)).toEqual(['-[exit status 0]', '+[exit status 1]']);
  });

  test('shows added output against an empty recording', () => {
    const patch = diffOutputs('x:1', rec(''), rec('hello'));
    expect(changedLines(patch)).toEqual(['+hello']);
  });

  test('has no Index or separator preamble and no trailing newline', () => {
    const patch = diffOutputs('x:1', rec('a'), rec('b'));
    expect(patch.startsWith('--- x:1')).toBe(true);
    expect(patch).not.toMatch(/^Index:|^=+$/m);
    expect(patch.endsWith('\n')).toBe(false);
  });
});
