/**
 * The `trace` fence (issue 14): extraction, the check (drift with file:line and a diff) and
 * `--update` (only the bytes of the trace fence change), and the validation of a trace that comes
 * from the runner frame (trace-parse.ts).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { extractExamples } from '../../src/examples/extract.ts';
import { MetaError, readPythonMeta } from '../../src/examples/meta.ts';
import { failureDetails } from '../../src/examples/report.ts';
import type { RunResult } from '../../src/examples/runner.ts';
import { diffSteps, formatTraceSteps, parseTraceSteps, traceSteps } from '../../src/examples/trace-fence.ts';
import { parseTrace } from '../../src/examples/trace-parse.ts';
import { MAX_TRACE_EVENTS, type Trace, type TraceEvent } from '../../src/examples/trace-types.ts';
import { applyOutputEdits } from '../../src/examples/update.ts';
import { parseMdx } from '../../src/examples/extract.ts';
import { remarkExamples } from '../../src/integrations/remark-examples.ts';
import { type BlockRunner, verifyFiles } from '../../src/examples/verify.ts';

const PAGE = (trace: string | null, meta = 'trace') =>
  [
    '---',
    'title: t',
    '---',
    '',
    'Intro.',
    '',
    `\`\`\`python ${meta}`,
    'def f():',
    '    try:',
    '        return 1',
    '    finally:',
    '        print("finally")',
    'print(f())',
    '```',
    '',
    '```output',
    'finally',
    '1',
    '```',
    ...(trace === null ? [] : ['', '```trace', trace, '```']),
    '',
    'After.',
    '',
  ].join('\n');

const lineEvent = (line: number): TraceEvent => ({ kind: 'line', line, function: 'f', frame: 1, outputOffset: 0 });

/** A runner that prints the recorded output and reports the given line sequence. */
function fakeRunner(lines: number[]): BlockRunner & { traced: boolean[] } {
  const traced: boolean[] = [];
  return {
    traced,
    async run(_code, options = {}) {
      traced.push(options.trace === true);
      const result: RunResult = {
        chunks: [{ stream: 'stdout', text: 'finally\n1\n' }],
        exitStatus: 0,
        durationMs: 1,
        execMs: 1,
        truncatedBytes: 0,
        fault: null,
        discarded: null,
      };
      if (options.trace) result.trace = { events: lines.map(lineEvent), truncated: null };
      return result;
    },
  };
}

describe('trace fence', () => {
  test('extraction reads the steps of a trace fence after the output fence', () => {
    const { blocks, problems, fences } = extractExamples('p.mdx', PAGE('1 6 2\n3 5'));
    expect(problems).toEqual([]);
    expect(blocks[0]!.meta.trace).toBe(true);
    expect(blocks[0]!.trace).toMatchObject({ line: 21, steps: ['1', '6', '2', '3', '5'] });
    expect(fences.map((f) => f.state)).toEqual(['run', 'output of line 7', 'trace of line 7']);
  });

  test.each([
    [PAGE('1 2', ''), 21, 'a trace fence records the lines run by a python fence with the trace meta'],
    [PAGE('1 two'), 21, 'found "two"'],
    ['```trace\n1 2\n```\n', 1, 'a trace fence must come right after the output fence'],
  ])('a misplaced or malformed trace fence is a content error at its line (%#)', (source, line, message) => {
    const { problems } = extractExamples('p.mdx', source);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line });
    expect(problems[0]!.message).toContain(message);
  });

  test('meta: trace is a flag, not with norun or runtime=native', () => {
    expect(readPythonMeta('trace').trace).toBe(true);
    expect(readPythonMeta('').trace).toBe(false);
    expect(() => readPythonMeta('trace=1')).toThrow(MetaError);
    expect(() => readPythonMeta('trace norun="x"')).toThrow(/norun/);
    expect(() => readPythonMeta('trace runtime=native')).toThrow(/runtime=native/);
  });

  test('steps: line events and phase markers, wrapped at 72 characters, read back', () => {
    const trace: Trace = {
      events: [
        lineEvent(1),
        { kind: 'raise', line: 1, function: 'f', outputOffset: 0 },
        { kind: 'atexit', line: 0, function: '', outputOffset: 0 },
        lineEvent(3),
      ],
      truncated: null,
    };
    expect(traceSteps(trace)).toEqual(['1', 'atexit', '3']);
    const many = Array.from({ length: 40 }, (_, i) => String(i + 10));
    const text = formatTraceSteps(many);
    expect(text.split('\n').every((line) => line.length <= 72)).toBe(true);
    expect(parseTraceSteps(text)).toEqual(many);
    expect(() => parseTraceSteps('1 0')).toThrow(/found "0"/);
  });

  test('diff of two step lists names the block and the changed step', () => {
    expect(diffSteps('p.mdx:7', ['1', '2', '3'], ['1', '3'])).toBe(
      ['--- p.mdx:7\trecorded trace', '+++ p.mdx:7\tactual trace', '@@ -1,3 +1,2 @@', ' line 1', '-line 2', ' line 3'].join('\n'),
    );
  });
});

test('the page shows the recorded trace as one line under the output, and no trace code block', () => {
  const tree = parseMdx(PAGE('1 6 2 3 5'));
  remarkExamples()(tree, { path: 'p.mdx' });
  const json = JSON.stringify(tree);
  expect(json).toContain('"example-trace"');
  expect(json).toContain('"value":"Lines run:"');
  expect(json).toContain('"value":" 1 → 6 → 2 → 3 → 5"');
  expect(json).not.toContain('"lang":"trace"');
});

describe('trace fence: check and --update', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trace-fence-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a drifted trace fails with file:line and a diff; --update rewrites only the trace fence', async () => {
    const file = join(dir, 'page.mdx');
    const source = PAGE('1 6 2 4 5').replace(/\n/g, '\r\n'); // CRLF is kept
    await writeFile(file, source);
    const runner = fakeRunner([1, 6, 2, 3, 5]);
    const [report] = await verifyFiles([file], { runner });
    expect(runner.traced).toEqual([true, false]); // first run traced, the second compares output only
    expect(report!.results[0]!.status).toBe('drifted');
    const [detail] = failureDetails([report!], 'npm run verify -- --update');
    expect(detail).toContain(`${file}:7: recorded trace drifted (trace fence at line 21)`);
    expect(detail).toContain('-line 4\n+line 3');
    expect(await readFile(file, 'utf8')).toBe(source);

    const [updated] = await verifyFiles([file], { runner: fakeRunner([1, 6, 2, 3, 5]), update: true });
    expect(updated!.written).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(source.replace('1 6 2 4 5', '1 6 2 3 5'));
    const [again] = await verifyFiles([file], { runner: fakeRunner([1, 6, 2, 3, 5]) });
    expect(again!.results[0]!.status).toBe('passed');
  });

  test('a missing trace fence is reported and inserted after the output fence', async () => {
    const file = join(dir, 'page.mdx');
    await writeFile(file, PAGE(null));
    const [report] = await verifyFiles([file], { runner: fakeRunner([1, 6, 2, 3, 5]) });
    expect(report!.results[0]!.status).toBe('missing');
    expect(failureDetails([report!], 'npm run verify -- --update')[0]).toContain('has no trace fence after its output');
    await verifyFiles([file], { runner: fakeRunner([1, 6, 2, 3, 5]), update: true });
    expect(await readFile(file, 'utf8')).toBe(PAGE('1 6 2 3 5'));
  });

  test('an output drift and a trace drift are both shown and both re-recorded', () => {
    const source = PAGE('1 2');
    const { blocks } = extractExamples('p.mdx', source);
    const text = applyOutputEdits(source, [
      { block: blocks[0]!, output: { text: 'x', stderrLines: [], exitStatus: 0 }, trace: ['1', '6'] },
    ]);
    expect(text).toBe(source.replace('finally\n1\n```', 'x\n```').replace('```trace\n1 2', '```trace\n1 6'));
  });
});

describe('parseTrace (untrusted trace from the runner frame)', () => {
  const good: Trace = {
    events: [lineEvent(1), { kind: 'raise', line: 1, function: 'f', frame: 1, exception: 'E', outputOffset: 3 }],
    truncated: null,
    structure: {
      tries: [{ line: 1, end: 4, body: [2, 2], handlers: [{ line: 3, end: 4, type: null }], orelse: null, finalbody: null }],
      jumps: [{ line: 2, kind: 'return' }],
    },
  };

  test('a well-formed trace is rebuilt field by field, strings cut', () => {
    expect(parseTrace(structuredClone(good))).toEqual(good);
    const long = structuredClone(good);
    long.events[0]!.function = 'x'.repeat(10_000);
    expect(parseTrace(long)!.events[0]!.function).toHaveLength(256);
  });

  test.each([
    ['too many events', { ...good, events: Array.from({ length: MAX_TRACE_EVENTS + 3 }, () => lineEvent(1)) }],
    ['unknown kind', { ...good, events: [{ ...lineEvent(1), kind: 'call' }] }],
    ['fractional offset', { ...good, events: [{ ...lineEvent(1), outputOffset: 0.5 }] }],
    ['exit status out of range', { ...good, events: [{ ...lineEvent(1), exitStatus: 300 }] }],
    ['bad range', { ...good, structure: { ...good.structure, tries: [{ ...good.structure!.tries[0], body: [1] }] } }],
    ['bad jump', { ...good, structure: { ...good.structure, jumps: [{ line: 1, kind: 'goto' }] } }],
    ['not an object', 'trace'],
  ])('rejects %s', (_, value) => {
    expect(parseTrace(value)).toBeNull();
  });
});
