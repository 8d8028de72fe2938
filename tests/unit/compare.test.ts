import { describe, expect, test } from 'vitest';
import {
  diffOutputs,
  ELLIPSIS,
  literalEllipsis,
  outputsMatch,
  showWhitespace,
  STDERR_MARK,
  transcriptLines,
} from '../../src/examples/compare.ts';
import type { RecordedOutput } from '../../src/examples/output.ts';

const rec = (text: string, stderrLines: number[] = [], exitStatus = 0): RecordedOutput => ({ text, stderrLines, exitStatus });
/** `[...]` compared literally (no opt-in) and as a wildcard (the block opted in). */
const LITERAL = { ellipsis: false };
const WILDCARD = { ellipsis: true };

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
    expect(outputsMatch(rec('a\nb', [2], 1), rec('a\nb', [2], 1), LITERAL)).toBe(true);
  });

  test.each([
    ['text', rec('a\nb '), rec('a\nb')],
    ['stderr lines', rec('a\nb', [2]), rec('a\nb', [1])],
    ['exit status', rec('a', [], 0), rec('a', [], 1)],
  ])('does not match when only the %s differ', (_what, a, b) => {
    expect(outputsMatch(a, b, LITERAL)).toBe(false);
    expect(outputsMatch(a, b, WILDCARD)).toBe(false);
  });
});

describe('diffOutputs', () => {
  test('gives an empty string for matching outputs', () => {
    expect(diffOutputs('doc.mdx:3', rec('same', [1], 1), rec('same', [1], 1), LITERAL)).toBe('');
  });

  test('is a unified diff labelled with the example location, from recorded to actual', () => {
    const patch = diffOutputs('content/a.mdx:12', rec('one\ntwo\nthree'), rec('one\n2\nthree'), LITERAL);
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
    const patch = diffOutputs('x:1', rec('result: 42'), rec('result: 42 '), LITERAL);
    expect(changedLines(patch)).toEqual(['-result: 42', '+result: 42·']);
  });

  test('makes a tab-versus-spaces difference visible', () => {
    const patch = diffOutputs('x:1', rec('a    b'), rec('a\tb'), LITERAL);
    expect(changedLines(patch)).toEqual(['-a    b', '+a→b']);
  });

  test('shows a line that moved from stdout to stderr', () => {
    const patch = diffOutputs('x:1', rec('ok\nwarning', []), rec('ok\nwarning', [2]), LITERAL);
    expect(changedLines(patch)).toEqual(['-warning', `+${STDERR_MARK}warning`]);
  });

  test('shows an exit-status change as a changed last line', () => {
    const patch = diffOutputs('x:1', rec('done', [], 0), rec('done', [], 1), LITERAL);
    expect(changedLines(patch)).toEqual(['-[exit status 0]', '+[exit status 1]']);
  });

  test('shows added output against an empty recording', () => {
    const patch = diffOutputs('x:1', rec(''), rec('hello'), LITERAL);
    expect(changedLines(patch)).toEqual(['+hello']);
  });

  test('has no Index or separator preamble and no trailing newline', () => {
    const patch = diffOutputs('x:1', rec('a'), rec('b'), LITERAL);
    expect(patch.startsWith('--- x:1')).toBe(true);
    expect(patch).not.toMatch(/^Index:|^=+$/m);
    expect(patch.endsWith('\n')).toBe(false);
  });
});

describe('the ellipsis marker [...]', () => {
  // What `a = [1]; a.append(a); print(a)` prints: real output, not a wildcard.
  const selfList = rec('[1, [...]]');

  test('is compared literally without the opt-in: a changed output drifts', () => {
    expect(outputsMatch(selfList, rec('[1, [...]]'), LITERAL)).toBe(true);
    expect(outputsMatch(selfList, rec('[2, [...]]'), LITERAL)).toBe(false);
    expect(outputsMatch(rec('now: [...]'), rec('now: 1723.5'), LITERAL)).toBe(false);
    expect(changedLines(diffOutputs('x:1', selfList, rec('[2, [...]]'), LITERAL))).toEqual(['-[1, [...]]', '+[2, [...]]']);
  });

  test('matches any text, line breaks included, with the opt-in', () => {
    expect(outputsMatch(rec('now: [...]'), rec('now: 1723.5'), WILDCARD)).toBe(true);
    expect(outputsMatch(rec('a\n[...]\nz'), rec('a\nb\nc\nz'), WILDCARD)).toBe(true);
    expect(outputsMatch(rec('a[...]z'), rec('az'), WILDCARD)).toBe(true);
    expect(outputsMatch(rec('a[...]z'), rec('a-y'), WILDCARD)).toBe(false);
    // Regular-expression characters around the marker are literal.
    expect(outputsMatch(rec('(1+1) [...] $'), rec('(1+1) = 2 $'), WILDCARD)).toBe(true);
    expect(outputsMatch(rec('(1+1) [...] $'), rec('(11) = 2 $'), WILDCARD)).toBe(false);
    expect(diffOutputs('x:1', rec('now: [...]'), rec('now: 1723.5'), WILDCARD)).toBe('');
  });

  test('with the opt-in, stderr lines are not compared (a marker may span lines) but the exit status is', () => {
    expect(outputsMatch(rec('[...]\nend', [1]), rec('a\nb\nend', [2]), WILDCARD)).toBe(true);
    expect(outputsMatch(rec('[...]', [], 0), rec('x', [], 1), WILDCARD)).toBe(false);
  });

  test('a recorded output without a marker compares the same either way', () => {
    for (const options of [LITERAL, WILDCARD]) {
      expect(outputsMatch(rec('a\nb', [2]), rec('a\nb', [2]), options)).toBe(true);
      expect(outputsMatch(rec('a\nb', [2]), rec('a\nb', [1]), options)).toBe(false);
    }
  });

  test('literalEllipsis refuses a literal [...] in the output of a block that opted in, naming the line and the fix', () => {
    expect(literalEllipsis(selfList, LITERAL)).toBeNull();
    expect(literalEllipsis(rec('plain\noutput'), WILDCARD)).toBeNull();
    const reason = literalEllipsis(rec(`first\n${selfList.text}`), WILDCARD);
    expect(reason).toContain(`printed the literal text ${ELLIPSIS} (output line 2)`);
    expect(reason).toContain('Remove that meta');
    expect(reason).not.toContain('\n');
  });
});
