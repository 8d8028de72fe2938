import { describe, expect, test } from 'vitest';
import { MetaError, parseFenceMeta, readPythonMeta } from '../../src/examples/meta.ts';

/** The MetaError `fn` throws (fails the test when it throws nothing or something else). */
function metaError(fn: () => unknown): MetaError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetaError);
    return error as MetaError;
  }
  throw new Error('expected a MetaError, nothing was thrown');
}

describe('parseFenceMeta', () => {
  test('returns an empty map for null, undefined, empty and blank meta', () => {
    for (const meta of [null, undefined, '', '   \t ']) expect(parseFenceMeta(meta)).toEqual(new Map());
  });

  test('reads a bare key as a flag holding true', () => {
    expect(parseFenceMeta('wrap showLineNumbers')).toEqual(
      new Map<string, string | true>([
        ['wrap', true],
        ['showLineNumbers', true],
      ]),
    );
  });

  test.each([
    ['double-quoted', 'title="my file.py"', 'title', 'my file.py'],
    ['single-quoted', "title='my file.py'", 'title', 'my file.py'],
    ['double-quoted holding a single quote', `norun="can't fork"`, 'norun', "can't fork"],
    ['single-quoted holding a double quote', `title='say "hi"'`, 'title', 'say "hi"'],
    ['braced', 'mark={1-3, 5}', 'mark', '1-3, 5'],
    ['bare word', 'startLineNumber=10', 'startLineNumber', '10'],
    ['empty quoted', 'title=""', 'title', ''],
  ])('reads a %s value without its delimiters', (_kind, meta, key, value) => {
    expect(parseFenceMeta(meta).get(key)).toBe(value);
  });

  test('stores a bare {ranges} token under the key "{}"', () => {
    expect(parseFenceMeta('{1-3,7}').get('{}')).toBe('1-3,7');
  });

  test('keeps keys in source order', () => {
    const meta = parseFenceMeta('title="a.py" {2} norun="threads" wrap');
    expect([...meta.keys()]).toEqual(['title', '{}', 'norun', 'wrap']);
  });

  test('accepts any whitespace between tokens', () => {
    expect(parseFenceMeta('  title="a"\t\twrap  ')).toEqual(
      new Map<string, string | true>([
        ['title', 'a'],
        ['wrap', true],
      ]),
    );
  });

  test.each([
    ['a key given twice', 'title="a" wrap title="b"', 'duplicate meta key "title"', 16],
    ['two bare line-marker tokens', '{1} {3}', 'duplicate meta key "{}"', 5],
    ['an unterminated double quote', 'wrap title="abc', 'unterminated " in the value of "title"', 6],
    ['an unterminated single quote', "title='abc", `unterminated ' in the value of "title"`, 1],
    ['an unterminated braced value', 'mark={1-3', 'unterminated { in the value of "mark"', 1],
    ['an unterminated bare brace', 'wrap {1-3', 'unterminated "{" in fence meta', 6],
    ['a token that is not a key', 'title="a" "text marker"', 'expected a key such as norun="reason", found "\\"text"', 11],
    ['a key with an empty bare value', 'title= wrap', '"title=" has no value', 1],
    ['text glued after a quoted value', 'title="a"b', 'expected a space after the "title" token, found "b"', 10],
  ])('rejects %s with a located MetaError', (_case, meta, message, column) => {
    const error = metaError(() => parseFenceMeta(meta));
    expect(error.message).toBe(message);
    expect(error.column).toBe(column);
  });
});

describe('readPythonMeta', () => {
  test('a fence without meta runs', () => {
    expect(readPythonMeta(null)).toMatchObject({ norun: null });
    expect(readPythonMeta('')).toMatchObject({ norun: null });
  });

  test.each([
    ['title', 'title="example.py"'],
    ['a line-marker range', '{1-3}'],
    ['mark', 'mark={2,4}'],
    ['ins and del', 'ins={1} del={2}'],
    ['frame', 'frame="terminal"'],
    ['collapse', 'collapse={3-5}'],
    ['wrap and showLineNumbers', 'wrap showLineNumbers startLineNumber=5'],
    ['everything at once', 'title="a.py" {1-3} mark={4} ins={5} del={6} frame="code" wrap showLineNumbers'],
  ])("accepts Expressive Code's %s and still runs the block", (_keys, meta) => {
    expect(readPythonMeta(meta)).toMatchObject({ norun: null });
  });

  test('reads the norun reason, trimmed', () => {
    expect(readPythonMeta('norun="  threads cannot start in WebAssembly "')).toMatchObject({
      norun: 'threads cannot start in WebAssembly',
    });
    expect(readPythonMeta('title="t.py" norun=subprocess')).toMatchObject({ norun: 'subprocess' });
  });

  test.each([
    ['a bare norun flag', 'norun'],
    ['an empty reason', 'norun=""'],
    ['a blank reason', "norun='   '"],
  ])('rejects norun without a reason: %s', (_case, meta) => {
    expect(() => readPythonMeta(meta)).toThrowErrorMatchingInlineSnapshot(
      `[MetaError: norun needs a reason, e.g. norun="threads cannot start in WebAssembly"]`,
    );
  });

  test('rejects an unknown key, naming it and listing the known keys', () => {
    const error = metaError(() => readPythonMeta('title="a.py" colour=red'));
    expect(error.message).toMatch(/^unknown python fence meta "colour"; known keys: norun\b/);
    // The Expressive Code keys are listed too, so an author sees what else is allowed.
    for (const key of ['title', 'frame', 'mark', 'ins', 'del', 'collapse', 'wrap', 'showLineNumbers', 'startLineNumber']) {
      expect(error.message).toContain(key);
    }
    expect(error.message).not.toContain('{}');
  });

  test('rejects a misspelt norun as unknown rather than running the block', () => {
    expect(() => readPythonMeta('no-run="threads"')).toThrow(/unknown python fence meta "no-run"/);
  });

  test('[...] is a wildcard only with the ellipsis or the nondeterministic flag', () => {
    expect(readPythonMeta('')).toMatchObject({ nondeterministic: false, ellipsis: false });
    expect(readPythonMeta('title="a.py" {1}')).toMatchObject({ ellipsis: false });
    expect(readPythonMeta('ellipsis')).toMatchObject({ nondeterministic: false, ellipsis: true });
    expect(readPythonMeta('nondeterministic')).toMatchObject({ nondeterministic: true, ellipsis: true });
    expect(readPythonMeta('nondeterministic ellipsis')).toMatchObject({ nondeterministic: true, ellipsis: true });
  });

  test.each(['ellipsis', 'nondeterministic'])('%s is a flag: a value is an error', (key) => {
    expect(() => readPythonMeta(`${key}=yes`)).toThrow(`${key} is a flag: write it without a value`);
  });

  test('lists ellipsis among the known keys', () => {
    expect(metaError(() => readPythonMeta('elipsis')).message).toMatch(/known keys: norun, timeout, nondeterministic, ellipsis\b/);
  });

  test('reports parse errors of the meta itself', () => {
    expect(() => readPythonMeta('norun="threads')).toThrow(MetaError);
    expect(() => readPythonMeta('norun="a" norun="b"')).toThrow('duplicate meta key "norun"');
  });
});
