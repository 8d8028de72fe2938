/**
 * Reporters: `--reporter json` (machine-readable, stdout only), `--reporter github` (workflow
 * annotations) and the text report's summary line, end to end through the CLI on a fixture with
 * one block of each outcome (tests/fixtures/faults/report.mdx) and a file with a content error;
 * plus the report functions on hand-made results, for escaping and the summary wording.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { extractExamples } from '../../src/examples/extract.ts';
import { githubAnnotations, jsonReport, summaryLine, totals, type JsonBlock } from '../../src/examples/report.ts';
import type { FileReport } from '../../src/examples/verify.ts';
import { lastLine, runVerify } from '../support/verify-cli.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/faults/', import.meta.url));

const verifyCli = (...args: string[]) => runVerify(args);

function caseLine(text: string, name: string): number {
  const index = text.split('\n').indexOf(`# case: ${name}`);
  if (index < 1) throw new Error(`no "# case: ${name}"`);
  return index;
}

let work: string;
/** Copies of the fixtures, in a folder whose name needs escaping in annotation properties. */
let reportFile: string;
let errorFile: string;
let text: string;
let line: (name: string) => number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'verify-reporters-'));
  const dir = join(work, 'docs, v2: guide');
  await mkdir(dir);
  reportFile = join(dir, 'report.mdx');
  errorFile = join(dir, 'report-error.mdx');
  await copyFile(join(FIXTURES, 'report.mdx'), reportFile);
  await copyFile(join(FIXTURES, 'report-error.mdx'), errorFile);
  text = await readFile(reportFile, 'utf8');
  line = (name) => caseLine(text, name);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** GitHub's escaping of an annotation property value (file=…, title=…). */
const property = (value: string) =>
  value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');

describe('--reporter json', () => {
  test('prints one JSON document on stdout with file, line, status, expected, actual and duration of every block', async () => {
    const r = await verifyCli('--no-cache', '--reporter', 'json', reportFile, errorFile);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { totals: Record<string, number>; errors: unknown[]; blocks: JsonBlock[] };
    expect(Object.keys(report).sort()).toEqual(['blocks', 'errors', 'totals']);
    expect(report.totals).toEqual({ passed: 1, failed: 3, skipped: 1, updated: 0, errors: 1 });
    expect(report.errors).toEqual([{ file: errorFile, line: 5, message: expect.stringContaining('unknown python fence meta "colour"') }]);

    const blocks = report.blocks;
    // Every block in source order (a file with a content error has no blocks to report).
    expect(blocks.map((b) => [b.file, b.line, b.status])).toEqual([
      [reportFile, line('passed'), 'passed'],
      [reportFile, line('drifted'), 'drifted'],
      [reportFile, line('missing'), 'missing'],
      [reportFile, line('failed'), 'failed'],
      [reportFile, line('skipped'), 'skipped'],
    ]);
    for (const b of blocks) {
      expect(Object.keys(b).sort()).toEqual(
        ['actual', 'durationMs', 'expected', 'file', 'line', 'status', ...(b.status === 'failed' ? ['reason'] : [])].sort(),
      );
    }
    const [passed, drifted, missing, failed, skipped] = blocks;
    expect(passed).toMatchObject({
      expected: { text: 'as recorded', stderrLines: [], exitStatus: 0 },
      actual: { text: 'as recorded', stderrLines: [], exitStatus: 0 },
    });
    expect(drifted).toMatchObject({
      expected: { text: 'recorded line', stderrLines: [], exitStatus: 0 },
      actual: { text: 'actual line\nto stderr', stderrLines: [2], exitStatus: 2 },
    });
    expect(missing).toMatchObject({ expected: null, actual: { text: 'no output fence yet', stderrLines: [], exitStatus: 0 } });
    expect(failed!.reason).toContain('nondeterministic');
    expect(failed!.actual!.text).toMatch(/^now: \d+\.\d+$/);
    expect(skipped).toMatchObject({ expected: null, actual: null, durationMs: null });
    for (const b of [passed, drifted, missing, failed]) {
      expect(typeof b!.durationMs).toBe('number');
      expect(b!.durationMs).toBeGreaterThan(0);
    }
    // Progress goes to stderr, never into the JSON.
    expect(r.stdout.trimStart().startsWith('{')).toBe(true);
  });

  test('exits 0 with a JSON report when every block passes', async () => {
    const dir = await mkdtemp(join(work, 'pass-'));
    const file = join(dir, 'ok.mdx');
    const passing = text.slice(0, text.indexOf('```python\n# case: drifted'));
    await writeFile(file, passing);
    const r = await verifyCli('--no-cache', '--reporter', 'json', file);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { totals: Record<string, number>; blocks: JsonBlock[] };
    expect(report.totals).toEqual({ passed: 1, failed: 0, skipped: 0, updated: 0, errors: 0 });
    expect(report.blocks.map((b) => b.status)).toEqual(['passed']);
  });
});

describe('--reporter github', () => {
  test('prints one ::error annotation per failure and content error, escaped, after the text report; the summary line stays last', async () => {
    const r = await verifyCli('--no-cache', '--reporter', 'github', reportFile, errorFile);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    const annotations = lines.filter((l) => l.startsWith('::'));
    const at = (file: string, n: number) => `::error file=${property(file)},line=${n},title=`;
    // Files in sorted order (report-error.mdx first), each file's content errors, then its blocks.
    expect(annotations.map((a) => a.slice(0, a.indexOf('::', 2) + 2))).toEqual([
      `${at(errorFile, 5)}content error::`,
      `${at(reportFile, line('drifted'))}recorded output drifted::`,
      `${at(reportFile, line('missing'))}missing output fence::`,
      `${at(reportFile, line('failed'))}example failed::`,
    ]);
    // The folder name "docs, v2: guide" is escaped in the file property.
    expect(annotations[0]).toContain('docs%2C v2%3A guide');
    const drifted = annotations[1]!;
    // A multi-line message (the diff) stays on one line, with %0A for each newline.
    expect(drifted).toContain('%0A-recorded line%0A');
    expect(drifted).toContain('%0A-[exit status 0]%0A');
    expect(drifted).toContain('%0A+actual line%0A+[stderr] to stderr%0A+[exit status 2]');
    expect(drifted).not.toMatch(/[\r\n]/);
    expect(annotations[3]).toContain('output differs between two runs (nondeterministic)');
    expect(annotations[0]).toContain('unknown python fence meta "colour"');
    // The text report is still printed, and the summary line is the last line.
    expect(r.stdout).toContain(`✗ ${reportFile}  1 passed, 3 failed, 1 skipped`);
    expect(r.stdout).toContain(`${reportFile}:${line('drifted')}: recorded output drifted`);
    expect(lastLine(r.stdout)).toBe('1 passed, 3 failed, 1 skipped, 1 error');
    expect(lines.indexOf(annotations.at(-1)!)).toBeLessThan(lines.length - 1);
  });
});

describe('the text reporter', () => {
  test('ends with `N passed, N failed, N skipped`', async () => {
    const r = await verifyCli('--no-cache', '--reporter', 'text', reportFile);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('::error');
    expect(r.stdout).toContain(`${reportFile}:${line('missing')}: python block has no output fence after it`);
    expect(r.stdout).toContain(`${reportFile}:${line('failed')}: output differs between two runs (nondeterministic)`);
    expect(r.stdout).not.toContain(`${reportFile}:${line('skipped')}:`);
    expect(lastLine(r.stdout)).toBe('1 passed, 3 failed, 1 skipped');
  });

  test('rejects an unknown reporter with exit status 2', async () => {
    const r = await verifyCli('--reporter', 'xml', reportFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown reporter "xml": use text, json or github');
    expect(r.stdout).toBe('');
  });
});

describe('report functions', () => {
  const source = '```python\nprint(1)\n```\n\n```output\n2\n```\n\n```python\nprint(3)\n```\n';
  const [first, second] = extractExamples('docs/a,b:c%.mdx', source).blocks;
  const reports: FileReport[] = [
    {
      file: 'docs/a,b:c%.mdx',
      problems: [{ file: 'docs/a,b:c%.mdx', line: 9, column: 3, message: 'bad\nthing: 100%' }],
      written: false,
      results: [
        {
          block: first!,
          status: 'drifted',
          actual: { text: '1', stderrLines: [], exitStatus: 0 },
          diff: '--- a\n+++ b\r\n-2\n+1',
          durationMs: 12.5,
        },
        {
          block: second!,
          status: 'failed',
          reason: 'timed out after 0.5 s',
          actual: { text: '', stderrLines: [], exitStatus: 130 },
          durationMs: 500,
        },
      ],
    },
  ];

  test('summaryLine always has passed, failed and skipped, and adds updated and errors only when nonzero', () => {
    expect(summaryLine({ passed: 0, failed: 0, skipped: 0, updated: 0, errors: 0 })).toBe('0 passed, 0 failed, 0 skipped');
    expect(summaryLine({ passed: 3, failed: 1, skipped: 2, updated: 0, errors: 1 })).toBe('3 passed, 1 failed, 2 skipped, 1 error');
    expect(summaryLine({ passed: 3, failed: 0, skipped: 0, updated: 4, errors: 2 })).toBe(
      '3 passed, 0 failed, 0 skipped, 4 updated, 2 errors',
    );
    expect(totals(reports)).toEqual({ passed: 0, failed: 2, skipped: 0, updated: 0, errors: 1 });
  });

  test('githubAnnotations escapes %, CR, LF in messages and also : and , in properties', () => {
    expect(githubAnnotations(reports)).toEqual([
      '::error file=docs/a%2Cb%3Ac%25.mdx,line=9,title=content error::bad%0Athing: 100%25',
      '::error file=docs/a%2Cb%3Ac%25.mdx,line=1,title=recorded output drifted::--- a%0A+++ b%0D%0A-2%0A+1',
      '::error file=docs/a%2Cb%3Ac%25.mdx,line=9,title=example failed::timed out after 0.5 s',
    ]);
  });

  test('jsonReport round-trips through JSON.stringify with the documented fields', () => {
    const parsed = JSON.parse(JSON.stringify(jsonReport(reports)));
    expect(parsed).toEqual({
      totals: { passed: 0, failed: 2, skipped: 0, updated: 0, errors: 1 },
      errors: [{ file: 'docs/a,b:c%.mdx', line: 9, column: 3, message: 'bad\nthing: 100%' }],
      blocks: [
        {
          file: 'docs/a,b:c%.mdx',
          line: 1,
          status: 'drifted',
          expected: { text: '2', stderrLines: [], exitStatus: 0 },
          actual: { text: '1', stderrLines: [], exitStatus: 0 },
          durationMs: 12.5,
        },
        {
          file: 'docs/a,b:c%.mdx',
          line: 9,
          status: 'failed',
          reason: 'timed out after 0.5 s',
          expected: null,
          actual: { text: '', stderrLines: [], exitStatus: 130 },
          durationMs: 500,
        },
      ],
    });
  });
});
