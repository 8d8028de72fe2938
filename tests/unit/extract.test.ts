import { describe, expect, test } from 'vitest';
import { extractExamples } from '../../src/examples/extract.ts';

/** Join lines with LF (the usual case) and end with a newline. */
const mdx = (...lines: string[]) => lines.join('\n') + '\n';
const FENCE = '```';

describe('extractExamples: pairing', () => {
  test('pairs a python fence with the output fence after it, a blank line between', () => {
    const source = mdx(
      '# Title', // 1
      '', // 2
      'Some prose.', // 3
      '', // 4
      FENCE + 'python', // 5
      'print("a")', // 6
      'print("b")', // 7
      FENCE, // 8
      '', // 9
      FENCE + 'output', // 10
      'a', // 11
      'b', // 12
      FENCE, // 13
    );
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks).toHaveLength(1);
    const [block] = blocks;
    expect(block).toMatchObject({
      file: 'doc.mdx',
      line: 5,
      code: 'print("a")\nprint("b")',
      rawMeta: '',
      meta: { norun: null },
      linePrefix: '',
      output: { line: 10, recorded: { text: 'a\nb', stderrLines: [], exitStatus: 0 } },
    });
    // Offsets cover exactly the fences.
    expect(source.slice(block!.output!.start, block!.output!.end)).toBe('```output\na\nb\n```');
    expect(source.slice(0, block!.codeEnd).endsWith('print("b")\n```')).toBe(true);
    expect(source.slice(block!.codeEnd, block!.codeEnd + 2)).toBe('\n\n');
  });

  test('pairs fences that touch, with no blank line between them', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, FENCE + 'output', '1', FENCE);
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks.map((b) => [b.line, b.output?.line])).toEqual([[1, 4]]);
  });

  test('reads stderr lines and exit status from the output fence meta', () => {
    const source = mdx(FENCE + 'python', 'import sys', 'sys.exit("bye")', FENCE, '', FENCE + 'output stderr="1" exit=1', 'bye', FENCE);
    const [block] = extractExamples('doc.mdx', source).blocks;
    expect(block!.output!.recorded).toEqual({ text: 'bye', stderrLines: [1], exitStatus: 1 });
  });

  test('reads an empty output fence as empty output', () => {
    const source = mdx(FENCE + 'python', 'x = 1', FENCE, '', FENCE + 'output exit=3', FENCE);
    const [block] = extractExamples('doc.mdx', source).blocks;
    expect(block!.output!.recorded).toEqual({ text: '', stderrLines: [], exitStatus: 3 });
  });

  test('gives a python fence without an output fence a null output and the offset where one goes', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, '', 'Prose after.');
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks[0]!.output).toBeNull();
    expect(source.slice(0, blocks[0]!.codeEnd)).toBe('```python\nprint(1)\n```');
  });

  test('extracts every block in source order, py and python3 as aliases of python, and ignores other languages', () => {
    const source = mdx(
      FENCE + 'js', // 1
      'console.log(1)', // 2
      FENCE, // 3
      '', // 4
      FENCE + 'python', // 5
      'print(1)', // 6
      FENCE, // 7
      '', // 8
      FENCE + 'py', // 9
      'print("py runs")', // 10
      FENCE, // 11
      '', // 12
      FENCE + 'python title="two.py"', // 13
      'print(2)', // 14
      FENCE, // 15
      FENCE + 'output', // 16
      '2', // 17
      FENCE, // 18
      '', // 19
      FENCE + 'python3 nondeterministic', // 20
      'print(3)', // 21
      FENCE, // 22
      '', // 23
      FENCE + 'output', // 24
      '3', // 25
      FENCE, // 26
    );
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks.map((b) => [b.line, b.code, b.rawMeta, b.output?.line ?? null])).toEqual([
      [5, 'print(1)', '', null],
      [9, 'print("py runs")', '', null],
      [13, 'print(2)', 'title="two.py"', 16],
      [20, 'print(3)', 'nondeterministic', 24],
    ]);
    expect(blocks[3]!.meta).toMatchObject({ nondeterministic: true, ellipsis: true });
  });

  test('reads tilde fences and longer backtick fences holding ``` lines', () => {
    const source = mdx(
      '````python', // 1
      'print("```")', // 2
      '````', // 3
      '', // 4
      '~~~output', // 5
      '```', // 6
      '~~~', // 7
    );
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks[0]).toMatchObject({ code: 'print("```")', output: { line: 5, recorded: { text: '```' } } });
  });
});

describe('extractExamples: containers', () => {
  test('extracts blocks wrapped in JSX, with the indentation as line prefix', () => {
    const source = mdx(
      "import { Tabs, TabItem } from '@astrojs/starlight/components';", // 1
      '', // 2
      '<Tabs>', // 3
      '  <TabItem label="finally">', // 4
      '    ```python', // 5
      '    try:', // 6
      '        print("body")', // 7
      '    finally:', // 8
      '        print("cleanup")', // 9
      '    ```', // 10
      '', // 11
      '    ```output', // 12
      '    body', // 13
      '    cleanup', // 14
      '    ```', // 15
      '  </TabItem>', // 16
      '</Tabs>', // 17
    );
    const { blocks, problems } = extractExamples('tabs.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({
      line: 5,
      code: 'try:\n    print("body")\nfinally:\n    print("cleanup")',
      linePrefix: '    ',
      output: { line: 12, recorded: { text: 'body\ncleanup' } },
    });
    expect(source.slice(blocks[0]!.output!.start, blocks[0]!.output!.end)).toBe('```output\n    body\n    cleanup\n    ```');
  });

  test('extracts blocks inside a JSX element without indentation', () => {
    const source = mdx('<Aside>', '', FENCE + 'python', 'print(1)', FENCE, '', FENCE + 'output', '1', FENCE, '', '</Aside>');
    const { blocks, problems } = extractExamples('aside.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks.map((b) => [b.line, b.output?.line])).toEqual([[3, 7]]);
  });

  test('extracts list-indented blocks, turning the list marker into spaces in the line prefix', () => {
    const source = mdx(
      '1. First step:', // 1
      '', // 2
      '   ```python', // 3
      '   for i in range(2):', // 4
      '       print(i)', // 5
      '   ```', // 6
      '', // 7
      '   ```output', // 8
      '   0', // 9
      '   1', // 10
      '   ```', // 11
      '', // 12
      '- ```python', // 13
      '  print("inline")', // 14
      '  ```', // 15
    );
    const { blocks, problems } = extractExamples('list.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks.map((b) => ({ line: b.line, code: b.code, prefix: b.linePrefix, output: b.output?.recorded.text ?? null }))).toEqual([
      { line: 3, code: 'for i in range(2):\n    print(i)', prefix: '   ', output: '0\n1' },
      { line: 13, code: 'print("inline")', prefix: '  ', output: null },
    ]);
  });

  test('extracts blocks inside a blockquote, keeping the quote marker in the prefix', () => {
    const source = mdx('> ```python', '> print(1)', '> ```', '>', '> ```output', '> 1', '> ```');
    const { blocks, problems } = extractExamples('quote.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks[0]).toMatchObject({ code: 'print(1)', linePrefix: '> ', output: { line: 5, recorded: { text: '1' } } });
  });

  test('skips YAML frontmatter and counts its lines', () => {
    const source = mdx(
      '---', // 1
      'title: Example', // 2
      'description: |', // 3
      '  ```python', // 4
      '  print("in frontmatter, not an example")', // 5
      '  ```', // 6
      '---', // 7
      '', // 8
      FENCE + 'python', // 9
      'print("real")', // 10
      FENCE, // 11
    );
    const { blocks, problems } = extractExamples('fm.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks.map((b) => [b.line, b.code])).toEqual([[9, 'print("real")']]);
  });

  test('reads CRLF files: code and output with LF, offsets over the CRLF source', () => {
    const source = [
      '---',
      'title: CRLF',
      '---',
      '',
      FENCE + 'python',
      'print(1)',
      'print(2)',
      FENCE,
      '',
      FENCE + 'output stderr="2"',
      '1',
      '2',
      FENCE,
      '',
    ].join('\r\n');
    const { blocks, problems } = extractExamples('crlf.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks).toHaveLength(1);
    const [block] = blocks;
    expect(block).toMatchObject({
      line: 5,
      code: 'print(1)\nprint(2)',
      output: { line: 10, recorded: { text: '1\n2', stderrLines: [2] } },
    });
    expect(source.slice(block!.output!.start, block!.output!.end)).toBe('```output stderr="2"\r\n1\r\n2\r\n```');
    expect(source.slice(block!.codeEnd, block!.codeEnd + 4)).toBe('\r\n\r\n');
  });
});

describe('extractExamples: norun', () => {
  test('keeps a norun block with its reason and no output', () => {
    const source = mdx(FENCE + 'python norun="threads cannot start in WebAssembly"', 'import threading', FENCE, '', 'Prose.');
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([]);
    expect(blocks[0]).toMatchObject({ line: 1, meta: { norun: 'threads cannot start in WebAssembly' }, output: null });
  });

  test('reports an output fence after a norun block at the output fence line', () => {
    const source = mdx('Intro.', '', FENCE + 'python norun="subprocess"', 'import subprocess', FENCE, '', FENCE + 'output', 'x', FENCE);
    const { problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([
      {
        file: 'doc.mdx',
        line: 7,
        message: 'a norun block has no recorded output (nothing verifies it): delete the output fence after it',
      },
    ]);
  });
});

describe('extractExamples: problems', () => {
  test('reports an orphan output fence with its line', () => {
    const source = mdx('# T', '', 'Prose.', '', FENCE + 'output', 'nobody printed this', FENCE);
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(blocks).toEqual([]);
    expect(problems).toEqual([
      {
        file: 'doc.mdx',
        line: 5,
        message: 'an output fence must come right after a python fence; move it under its example or delete it',
      },
    ]);
  });

  test('reports an output fence separated from its python fence by prose as an orphan', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, '', 'Which prints:', '', FENCE + 'output', '1', FENCE);
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems.map((p) => [p.line, p.message.slice(0, 40)])).toEqual([[7, 'an output fence must come right after a ']]);
    expect(blocks[0]!.output).toBeNull();
  });

  test('reports a second output fence after a pair as an orphan', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, FENCE + 'output', '1', FENCE, FENCE + 'output', '1', FENCE);
    expect(extractExamples('doc.mdx', source).problems.map((p) => p.line)).toEqual([7]);
  });

  test('reports an unclosed python fence at its opening line', () => {
    const source = mdx('# T', '', FENCE + 'python', 'print(1)', '', 'this prose is swallowed by the fence');
    const { problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([{ file: 'doc.mdx', line: 3, message: 'unclosed python fence: add a closing fence line' }]);
  });

  test('reports an unclosed output fence at its opening line', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, '', FENCE + 'output', '1');
    const { problems } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([{ file: 'doc.mdx', line: 5, message: 'unclosed output fence: add a closing fence line' }]);
  });

  test('reports a python fence closed by a shorter fence as unclosed', () => {
    const source = mdx('````python', 'print(1)', '```');
    expect(extractExamples('doc.mdx', source).problems.map((p) => p.message)).toEqual(['unclosed python fence: add a closing fence line']);
  });

  test('reports an unclosed fence inside a list item', () => {
    const source = mdx(
      '- step',
      '',
      '  ```python',
      '  print(1)',
      '',
      'Paragraph outside the list.',
      '',
      FENCE + 'python',
      'print(2)',
      FENCE,
    );
    const { problems } = extractExamples('doc.mdx', source);
    expect(problems.map((p) => [p.line, p.message])).toEqual([[3, 'unclosed python fence: add a closing fence line']]);
  });

  test.each([
    ['an unclosed expression', mdx('# T', '', 'Some text', '', 'unclosed {', ''), 5],
    ['a bad JSX attribute', mdx('# T', '', '<Aside type=>', 'text', '</Aside>'), 3],
    ['a mismatched closing tag', mdx('<Aside>', '', 'text', '', '</Tabs>'), 5],
  ])('reports an MDX syntax error (%s) with its line and no blocks', (_case, source, line) => {
    const { blocks, problems } = extractExamples('bad.mdx', source);
    expect(blocks).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'bad.mdx', line, message: expect.stringMatching(/^MDX syntax error: /) });
    expect(problems[0]!.column).toEqual(expect.any(Number));
  });

  test('reports an unknown python meta key at the python fence line, naming the key', () => {
    const source = mdx('Intro', '', FENCE + 'python colour=red', 'print(1)', FENCE);
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(blocks).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'doc.mdx', line: 3, message: expect.stringContaining('unknown python fence meta "colour"') });
  });

  test('reports norun without a reason', () => {
    const source = mdx(FENCE + 'python norun', 'import threading', FENCE);
    expect(extractExamples('doc.mdx', source).problems).toEqual([
      { file: 'doc.mdx', line: 1, message: 'norun needs a reason, e.g. norun="threads cannot start in WebAssembly"' },
    ]);
  });

  test('reports bad output fence meta at the output fence line', () => {
    const source = mdx(FENCE + 'python', 'print(1)', FENCE, '', FENCE + 'output exit=999', '1', FENCE);
    const { problems } = extractExamples('doc.mdx', source);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 5, message: expect.stringContaining('bad value for "exit"') });
  });

  test('keeps extracting the other blocks of a file with a problem', () => {
    const source = mdx(FENCE + 'python colour=red', 'print(1)', FENCE, '', FENCE + 'python', 'print(2)', FENCE);
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(problems.map((p) => p.line)).toEqual([1]);
    expect(blocks.map((b) => b.line)).toEqual([5]);
  });
});

describe('extractExamples: fence languages', () => {
  test.each([
    ['Python', 'fence language "Python" is not run: fence languages are case-sensitive; write ```python'],
    ['PY', 'fence language "PY" is not run: fence languages are case-sensitive; write ```py'],
    ['python{1}', 'fence language "python{1}" is not run: put a space between the language and the meta, e.g. ```python {1}'],
    ['pycon', 'fence language "pycon" (an interactive session with >>> prompts) is not verified: write the code without prompts'],
    ['ipython', 'fence language "ipython" (an interactive session with >>> prompts) is not verified'],
    ['python-repl', 'fence language "python-repl" (an interactive session with >>> prompts) is not verified'],
    ['python2', 'fence language "python2" names Python but is not run: write ```python (or py, python3) to run it'],
    ['pytb', 'fence language "pytb" names Python but is not run'],
    ['Output', 'fence language "Output" is not an output fence: write ```output'],
    ['output{1}', 'fence language "output{1}" is not an output fence: write ```output'],
  ])('a %s fence is an error at its line that says what to write', (lang, message) => {
    const source = mdx('# T', '', FENCE + lang, '>>> print(1)', '1', FENCE, '', 'Prose.');
    const { blocks, problems } = extractExamples('doc.mdx', source);
    expect(blocks).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'doc.mdx', line: 3 });
    expect(problems[0]!.message.startsWith(message)).toBe(true);
    expect(problems[0]!.message).not.toContain('\n');
  });

  test('the session advice names the command that records the output of this file', () => {
    const [problem] = extractExamples('content/a.mdx', mdx(FENCE + 'pycon', '>>> 1', '1', FENCE)).problems;
    expect(problem!.message).toMatch(
      /print\(\) each value the session would echo, and record the output fence under it with npm run verify -- --update content\/a\.mdx$/,
    );
  });

  test('an output fence after a wrongly named python fence is an orphan, reported too', () => {
    const source = mdx(FENCE + 'Python', 'print(1)', FENCE, '', FENCE + 'output', '1', FENCE);
    expect(extractExamples('doc.mdx', source).problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [1, 'fence language "Python" is not run'],
      [5, 'an output fence must come right after a python fence; move it under its example or delete it'],
    ]);
  });

  test.each(['sh', 'console', 'text', 'toml', 'js', 'pseudo', 'cython'])('%s is not Python and not an error', (lang) => {
    const source = mdx(FENCE + lang, '$ python3 example.py', FENCE);
    expect(extractExamples('doc.mdx', source)).toMatchObject({ blocks: [], problems: [] });
  });

  test('every fence of every language is listed with its state, in source order', () => {
    const source = mdx(
      '# T', // 1
      '', // 2
      FENCE + 'python', // 3
      'print(1)', // 4
      FENCE, // 5
      '', // 6
      FENCE + 'output', // 7
      '1', // 8
      FENCE, // 9
      '', // 10
      FENCE + 'py norun="threads"', // 11
      'import threading', // 12
      FENCE, // 13
      '', // 14
      FENCE + 'sh', // 15
      'python3 x.py', // 16
      FENCE, // 17
      '', // 18
      FENCE, // 19
      'plain', // 20
      FENCE, // 21
      '', // 22
      FENCE + 'pycon', // 23
      '>>> 1', // 24
      FENCE, // 25
      '', // 26
      FENCE + 'python3 colour=red', // 27
      'print(2)', // 28
      FENCE, // 29
      '', // 30
      FENCE + 'output', // 31
      '2', // 32
      FENCE, // 33
      '', // 34
      '<Aside>', // 35
      '', // 36
      FENCE + 'python', // 37
      '', // 38
      'print(3)', // 39
      FENCE, // 40
      '', // 41
      '</Aside>', // 42
    );
    const { fences } = extractExamples('doc.mdx', source);
    expect(fences.map((f) => [f.line, f.lang, f.state.replace(/(error: [^:]*):.*/, '$1'), f.firstLine])).toEqual([
      [3, 'python', 'not run: the file has errors; fix them first', 'print(1)'],
      [7, 'output', 'output of line 3', '1'],
      [11, 'py', 'not run: threads', 'import threading'],
      [15, 'sh', 'not Python: sh', 'python3 x.py'],
      [19, null, 'not Python: (no language)', 'plain'],
      [23, 'pycon', 'error: fence language "pycon" (an interactive session with >>> prompts) is not verified', '>>> 1'],
      [27, 'python3', 'error: unknown python fence meta "colour"; known keys', 'print(2)'],
      [31, 'output', 'output, not checked: fix the error of the python fence before it', '2'],
      [37, 'python', 'not run: the file has errors; fix them first', 'print(3)'],
    ]);
  });

  test('in a file without errors, python fences are listed as run, with or without their output fence yet', () => {
    const source = mdx(FENCE + 'py', 'print(1)', FENCE, '', FENCE + 'output', '1', FENCE, '', FENCE + 'python3', '', 'print(2)', FENCE);
    const { problems, fences } = extractExamples('doc.mdx', source);
    expect(problems).toEqual([]);
    expect(fences).toEqual([
      { line: 1, lang: 'py', state: 'run', firstLine: 'print(1)' },
      { line: 5, lang: 'output', state: 'output of line 1', firstLine: '1' },
      { line: 9, lang: 'python3', state: 'run (no output fence yet)', firstLine: 'print(2)' },
    ]);
  });
});
